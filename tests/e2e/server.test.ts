/**
 * The real server process, started with the README's start command (`npm start`) and no database
 * configuration: embedded PostgreSQL in a temporary DATA_DIR. Called over HTTP, stopped with SIGTERM,
 * restarted on the same DATA_DIR to show the data is kept.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dir, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'branchat-e2e-'));
// As root, PostgreSQL runs as the `postgres` user, which must be able to enter the data directory.
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
const pgPort = 30000 + Math.floor(Math.random() * 10000);
const base = `http://127.0.0.1:${port}`;

function start() {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'info',
  };
  const proc = Bun.spawn(['npm', 'start', '--silent'], {
    cwd: root,
    env,
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  });
  const out: string[] = [];
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out.push(new TextDecoder().decode(chunk));
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  return { proc, log: () => out.join('') };
}

async function waitHealthy(log: () => string) {
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {}
    await Bun.sleep(250);
  }
  throw new Error(`server did not become healthy:\n${log()}`);
}

async function stop(server: ReturnType<typeof start>) {
  try {
    process.kill(-server.proc.pid, 'SIGTERM'); // the whole group: npm and the server under it
  } catch {
    server.proc.kill('SIGTERM'); // already gone, or not a group leader
  }
  await server.proc.exited;
  // npm may exit before the server under it has finished its graceful shutdown.
  for (let i = 0; i < 100 && !server.log().includes('"msg":"stopped"'); i++) await Bun.sleep(100);
}

async function call(method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: (await r.json().catch(() => null)) as any };
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the server process', () => {
  let token = '';
  let chatId = '';

  test('starts on its embedded defaults and serves the API over HTTP', async () => {
    const server = start();
    try {
      await waitHealthy(server.log);
      expect((await call('GET', '/readyz')).status).toBe(200);

      const reg = await call('POST', '/api/v1/auth/register', { email: 'e2e@example.com', password: 'password123' });
      expect(reg.status).toBe(201);
      token = reg.body.token;
      const chat = await call('POST', '/api/v1/chats/create-chat', { name: 'e2e' }, token);
      expect(chat.status).toBe(201);
      chatId = chat.body.chat_id;
      const m = await call('POST', '/api/v1/messages/add-message', { chat_id: chatId, question: 'hi' }, token);
      expect(m.status).toBe(201);
      const b = await call(
        'POST',
        '/api/v1/branches/create-branch',
        { chat_id: chatId, response_id: m.body.response_id, question: 'fork' },
        token,
      );
      expect(b.status).toBe(201);
      const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${b.body.chat.chat_id}`, undefined, token);
      expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['hi', 'fork']);
      expect(page.headers.get('x-request-id')).toBeTruthy();

      const doc = await fetch(`${base}/openapi.json`).then((r) => r.json());
      expect(doc).toEqual(JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')));
      const docs = await fetch(`${base}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('/openapi.json');
    } finally {
      await stop(server);
    }
    expect(server.log()).toContain('"msg":"stopped"');
    expect(server.log()).not.toContain(token);
  }, 120_000);

  test('keeps its data across a restart', async () => {
    const server = start();
    try {
      await waitHealthy(server.log);
      const login = await call('POST', '/api/v1/auth/login', { email: 'e2e@example.com', password: 'password123' });
      expect(login.status).toBe(200);
      const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, login.body.token);
      expect(page.status).toBe(200);
      expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['hi']);
      expect(page.body.qa_pairs[0].branches).toHaveLength(1);
    } finally {
      await stop(server);
    }
  }, 120_000);
});
