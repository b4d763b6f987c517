/**
 * The "Done when", end to end: the real server process (`npm start`) with OPENAI_BASE_URL pointed at
 * the test's fake OpenAI-compatible server (tests/support/fake-openai.ts); a real `curl -N` with
 * `Accept: text/event-stream` shows the answer streaming (delta events, in order, as the fake sends them
 * 150 ms apart) and then `done`, whose pair is the one get-chat returns afterwards. Also: SIGTERM while a
 * stream runs lets it finish (graceful shutdown waits for streams) and its pair is there after a restart.
 */
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDatabase } from '../support/db.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

const root = join(import.meta.dir, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'branchat-e2e-llm-'));
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
const base = `http://127.0.0.1:${port}`;

interface Server {
  proc: ReturnType<typeof Bun.spawn>;
  log: () => string;
}

let running: Server | undefined;

/** `npm start` on a fresh test database (DATABASE_URL: no embedded PostgreSQL to start), answering via `fake`. */
async function startServer(fake: FakeOpenAI): Promise<Server> {
  const db = await testDatabase();
  const proc = Bun.spawn(['npm', 'start', '--silent'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODEL: 'fake-model',
      LOG_LEVEL: 'info',
    },
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  });
  const out: string[] = [];
  const server = { proc, log: () => out.join('') };
  running = server;
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of s) out.push(decoder.decode(chunk, { stream: true }));
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  for (let i = 0; i < 120; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${server.log()}`);
    const ok = await fetch(`${base}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return server;
    await Bun.sleep(250);
  }
  throw new Error(`server did not become healthy:\n${server.log()}`);
}

function signal(server: Server, s: NodeJS.Signals) {
  try {
    process.kill(-server.proc.pid, s); // the whole group: npm and the server under it
  } catch {
    try {
      server.proc.kill(s); // already gone, or not a group leader
    } catch {}
  }
}

/** SIGTERM, then SIGKILL if it lingers; waits until the server under npm has logged its shutdown. */
async function stopServer(server: Server | undefined = running) {
  if (!server) return;
  if (running === server) running = undefined;
  signal(server, 'SIGTERM');
  const exited = await Promise.race([server.proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
  if (!exited) signal(server, 'SIGKILL');
  // npm may exit before the server under it has finished its graceful shutdown.
  for (let i = 0; i < 100 && !server.log().includes('"msg":"stopped"'); i++) await Bun.sleep(100);
}

afterAll(async () => {
  await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

/** `event`/`data` pairs of an SSE text, comments skipped. */
function parseEvents(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((l) => l !== '' && !l.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const field = (name: string) =>
        lines
          .filter((l) => l.startsWith(`${name}:`))
          .map((l) => l.slice(name.length + 1).replace(/^ /, ''))
          .join('\n');
      return { event: field('event') || 'message', data: JSON.parse(field('data')) };
    });
}

/** `curl -sN` asking add-message for an event stream; its output is read as it comes. */
function curlStream(token: string, body: unknown) {
  const proc = Bun.spawn(
    [
      'curl',
      '-sN',
      '--max-time',
      '30',
      '-X',
      'POST',
      `${base}/api/v1/messages/add-message`,
      '-H',
      'Accept: text/event-stream',
      '-H',
      'Content-Type: application/json',
      '-H',
      `Authorization: Bearer ${token}`,
      '-d',
      JSON.stringify(body),
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  let text = '';
  let firstDeltaAt = -1;
  const t0 = performance.now();
  const onFirstDelta: (() => void)[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const piece of proc.stdout) {
      text += decoder.decode(piece, { stream: true });
      if (firstDeltaAt < 0 && text.includes('event: delta')) {
        firstDeltaAt = performance.now() - t0;
        for (const f of onFirstDelta) f();
      }
    }
    return { text, firstDeltaAt, totalMs: performance.now() - t0, exitCode: await proc.exited };
  })();
  const firstDelta = new Promise<void>((r) => onFirstDelta.push(r));
  return { done, firstDelta };
}

async function register(): Promise<string> {
  const reg = await call('POST', '/api/v1/auth/register', {
    email: `llm-e2e-${crypto.randomUUID()}@example.com`,
    password: 'password123',
  });
  expect(reg.status).toBe(201);
  return reg.body.token;
}

test('curl with Accept: text/event-stream shows the answer streaming, then the stored pair', async () => {
  const fake = await startFakeOpenAI();
  try {
    const server = await startServer(fake);
    const token = await register();
    const chat = await call(
      'POST',
      '/api/v1/chats/create-chat',
      { name: 'streamed', system_prompt: 'Be brief.' },
      token,
    );
    expect(chat.status).toBe(201);
    const chatId = chat.body.chat_id;

    const chunks = ['Streaming ', 'works ', 'end ', 'to ', 'end.'];
    fake.next({ kind: 'stream', chunks, delayMs: 150 });
    const { text, firstDeltaAt, totalMs, exitCode } = await curlStream(token, {
      chat_id: chatId,
      question: 'Does streaming work?',
    }).done;
    expect(exitCode).toBe(0);

    expect(text).toStartWith(': stream open\n\n');
    const events = parseEvents(text);
    expect(events.map((e) => e.event)).toEqual([...chunks.map(() => 'delta'), 'done']);
    expect(events.slice(0, -1).map((e) => e.data.text)).toEqual(chunks);
    // Five chunks 150 ms apart: curl showed the first delta well before the end (~600 ms before).
    expect(firstDeltaAt).toBeGreaterThanOrEqual(0);
    expect(totalMs - firstDeltaAt).toBeGreaterThanOrEqual(400);

    const done = events.at(-1)?.data;
    expect(done.response).toBe(chunks.join(''));
    expect(done.generation.model).toBe('fake-model-fake'); // as the fake's usage report names it
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.body.model).toBe('fake-model');
    expect(fake.requests[0]?.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Does streaming work?' },
    ]);

    const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, token);
    expect(page.status).toBe(200);
    expect(page.body.qa_pairs).toEqual([done]);
    expect(page.body.chat.message_count).toBe(1);

    await stopServer(server);
    expect(server.log()).toContain('"msg":"stopped"');
    expect(server.log()).not.toContain(token);
  } finally {
    await stopServer();
    await fake.stop();
  }
}, 120_000);

test('SIGTERM while a stream runs: the stream finishes with done, and its pair is there after a restart', async () => {
  const fake = await startFakeOpenAI();
  try {
    const first = await startServer(fake);
    const token = await register();
    const chat = await call('POST', '/api/v1/chats/create-chat', { name: 'shutdown' }, token);
    const chatId = chat.body.chat_id;

    const chunks = ['still ', 'streaming ', 'while ', 'stopping.'];
    fake.next({ kind: 'stream', chunks, delayMs: 200 });
    const stream = curlStream(token, { chat_id: chatId, question: 'Will you finish?' });
    await stream.firstDelta;
    signal(first, 'SIGTERM');
    const { text, exitCode } = await stream.done;
    expect(exitCode).toBe(0);
    const events = parseEvents(text);
    expect(events.map((e) => e.event)).toEqual([...chunks.map(() => 'delta'), 'done']);
    const done = events.at(-1)?.data;
    expect(done.response).toBe(chunks.join(''));
    await stopServer(first);
    expect(first.log()).toContain('"msg":"stopped"');
    expect(first.log()).not.toContain('grace period over');

    await startServer(fake);
    const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, token);
    expect(page.status).toBe(200);
    expect(page.body.qa_pairs).toEqual([done]);
  } finally {
    await stopServer();
    await fake.stop();
  }
}, 120_000);
