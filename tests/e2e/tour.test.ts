/**
 * The README's curl tour, run as a new user runs it: the ```bash block(s) between `<!-- tour:start -->` and
 * `<!-- tour:end -->` in README.md, with `bash -euo pipefail`, BASE pointing at a real server process
 * (tests/faults/harness.ts: `bun src/server.ts` on a fresh database of the test PostgreSQL), from an empty working
 * directory. Twice: the second run finds its email taken (409) and must log in instead, and pass too.
 *
 * The static checks guard the defects a new user met in earlier versions: a variable used but never set (bash -u
 * catches it at run time), an export written to one file and another file imported, a hard-coded host instead of
 * $BASE.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  root,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';

const START = '<!-- tour:start -->';
const END = '<!-- tour:end -->';

/** The shell text of the tour: every ```bash fenced block between the markers, in order. */
export function tourScript(markdown: string): string {
  const from = markdown.indexOf(START);
  const to = markdown.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} section`);
  const section = markdown.slice(from + START.length, to);
  const blocks = [...section.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  if (blocks.length === 0) throw new Error('the tour section has no ```bash block');
  return blocks.join('\n');
}

const script = tourScript(readFileSync(join(root, 'README.md'), 'utf8'));

// The tour's own account (it registers, or logs in when the email is taken).
const EMAIL = /^EMAIL=(\S+)$/m.exec(script)?.[1];
const PASSWORD = /^PASSWORD='([^']+)'$/m.exec(script)?.[1];

describe('the tour as written in README.md', () => {
  test('every request goes to $BASE, which defaults to the address `npm start` serves', () => {
    expect(script).toMatch(/^BASE=\$\{BASE:-http:\/\/localhost:3000\}/m);
    // The default is the only host in the tour.
    expect(script.match(/localhost|127\.0\.0\.1/g)).toEqual(['localhost']);
    const curls = script.split('\n').filter((l) => /\bcurl\b/.test(l) && !l.trim().startsWith('#'));
    expect(curls.length).toBeGreaterThan(10);
    for (const line of curls) expect(line).not.toMatch(/https?:\/\//);
  });

  test('it covers the whole walk: account, chat, messages, branch, reads, search, a share link, alternatives, pin, stream, export/import, delete', () => {
    for (const path of [
      '/auth/register',
      '/auth/login',
      '/chats/create-chat',
      '/messages/add-message',
      '/branches/create-branch',
      '/chats/get-chat',
      '/branches/get-branches',
      '/messages/search-messages',
      '/chats/export-chat',
      '/chats/import-chat',
      '/chats/delete-chat',
      '/messages/regenerate',
      '/branches/compare-branches',
      '/chats/fork-chat',
      '/messages/set-feedback',
      '/shares/create-share',
      '/shares/list-shares',
      '/shares/delete-share',
      '/public/shares/',
      '/chats/update-chat',
    ]) {
      expect(script).toContain(`$API${path}`);
    }
    // The shared history is read as anyone with the link reads it: without the token.
    const publicRead = script
      .split('\n')
      .map((l) => l.replace(/\s#.*$/, ''))
      .filter((l) => l.includes('$API/public/shares/'));
    // Twice: the link read, then read again once revoked (404).
    expect(publicRead).toHaveLength(2);
    for (const line of publicRead) expect(line).not.toMatch(/\$\{A\[@\]\}|Authorization|\$TOKEN/);
    expect(script).toMatch(/curl [^\n]*-N[^\n]*add-message/);
    expect(script).toContain("'Accept: text/event-stream'");
  });

  test('the import reads the file the export wrote', () => {
    const written = /export-chat[^\n]*\s-o\s+(\S+)/.exec(script)?.[1];
    const read = /import-chat[^\n]*--data-binary\s+@(\S+)/.exec(script)?.[1];
    expect(written).toBeDefined();
    expect(read).toBe(written as string);
  });

  test('no jq: JSON fields are read with node, which every machine that ran `npm ci` has', () => {
    const code = script.split('\n').map((l) => l.replace(/(^|\s)#.*$/, ''));
    expect(code.filter((l) => /\bjq\b/.test(l))).toEqual([]);
    expect(EMAIL).toBeDefined();
    expect(PASSWORD).toBeDefined();
  });
});

const missing = ['bash', 'curl', 'node'].filter((cmd) => !Bun.which(cmd));
const skipReason = missing.length > 0 ? `${missing.join(', ')} not found on PATH` : await unavailable();
if (skipReason) console.warn(`[e2e/tour] running the tour skipped: ${skipReason}`);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the tour from `cwd` against `base`, with only PATH and HOME of this process's environment. */
async function runTour(base: string, cwd: string): Promise<Run> {
  const file = join(cwd, 'tour.sh');
  writeFileSync(file, script);
  const proc = Bun.spawn(['bash', '-euo', 'pipefail', file], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BASE: base },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  return { code: proc.exitCode, out, err };
}

function explain(run: Run, server: ServerProcess): string {
  return `exit ${run.code}\n--- stdout\n${run.out}\n--- stderr\n${run.err}\n--- server log\n${server.tail()}`;
}

/** The conversations of the tour's account, by name, as list-chats shows them. */
async function conversations(base: string): Promise<string[]> {
  const login = await call(base, 'POST', '/api/v1/auth/login', { body: { email: EMAIL, password: PASSWORD } });
  expect(login.status).toBe(200);
  const list = await call(base, 'GET', '/api/v1/chats/list-chats?limit=100', { token: login.body.token });
  expect(list.status).toBe(200);
  return list.body.chats.map((c: { name: string; branch_count: number }) => `${c.name}/${c.branch_count}`);
}

describe.skipIf(skipReason !== null)('the tour against a real server', () => {
  let server: ServerProcess;
  let cwd: string;

  beforeAll(async () => {
    server = await startServer({
      databaseUrl: await freshDatabase(),
      port: await freePort(),
      jwtSecret: randomSecret(),
    });
    cwd = mkdtempSync(join(tmpdir(), 'branchat-tour-'));
  }, 60_000);

  afterAll(async () => {
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    await cleanup();
  }, 30_000);

  /** What every successful run prints, whatever the account's state. */
  function expectWholeWalk(run: Run): void {
    expect(run.out).toContain('"question":"And in April?"'); // the responder's answer, printed
    expect(run.out).toMatch(/"open_chat_id":"[0-9a-f-]{36}"/); // search found the inherited pair
    expect(run.out).toContain('event: delta');
    expect(run.out).toMatch(/"name":"Trip ideas"[^\n]*"pinned":true/); // update-chat pinned the conversation
    expect(run.out).toMatch(/event: done\ndata: \{"response_id":/);
    expect(run.out).toMatch(/"conversations":\[\{"root_chat_id":[^\]]*"chat_count":4,"pair_count":6\}\]/);
    expect(run.out).toMatch(/"deleted_chat_ids":\["[0-9a-f-]{36}"\]/);
    expect(run.out).toContain('"status":404');
    // The revoked link and the deleted branch.
    expect(run.out.match(/→ HTTP 404/g)).toHaveLength(2);
    expect(run.out).toMatch(/"feedback":\{"rating":"up","comment":null,"updated_at":"[^"]+"\}/); // set-feedback
    // The exported file is a ChatGPT conversation, and stays where the user can open it; the rated answer keeps
    // its thumbs up.
    const exported = JSON.parse(readFileSync(join(cwd, 'tree.json'), 'utf8'));
    expect(exported.title).toBe('Trip ideas');
    expect(Object.keys(exported.mapping).length).toBeGreaterThan(8);
    const rated = Object.values<any>(exported.mapping).filter((n) => n.message?.metadata?.branchat?.feedback);
    expect(rated.map((n) => [n.message.content.parts[0], n.message.metadata.branchat.feedback.rating])).toEqual([
      ['Lisbon: mild and sunny.', 'up'],
    ]);
  }

  test('first run: registers, walks the API, exits 0', async () => {
    const run = await runTour(server.base, cwd);
    if (run.code !== 0) throw new Error(explain(run, server));
    expect(run.out).not.toContain('already registered');
    expectWholeWalk(run);
    // The conversation (its branch deleted; the start fork and the regenerated answer stay), its imported copy (the
    // branch exported with it) and the branch forked into a conversation of its own.
    expect((await conversations(server.base)).sort()).toEqual(['May, on its own/0', 'Trip ideas/2', 'Trip ideas/3']);
  }, 120_000);

  test('second run: the email is taken (409), the tour says so and logs in, exits 0', async () => {
    const run = await runTour(server.base, cwd);
    if (run.code !== 0) throw new Error(explain(run, server));
    expect(run.out).toContain(`${EMAIL} is already registered`);
    expect(run.out).toContain('logging in instead');
    expectWholeWalk(run);
    expect((await conversations(server.base)).sort()).toEqual([
      'May, on its own/0',
      'May, on its own/0',
      'Trip ideas/2',
      'Trip ideas/2',
      'Trip ideas/3',
      'Trip ideas/3',
    ]);
  }, 120_000);
});
