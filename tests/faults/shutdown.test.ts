/**
 * Graceful shutdown of the real server process: SIGTERM stops accepting connections, lets the requests in
 * flight finish (bounded by SHUTDOWN_GRACE_MS), closes the pools and exits 0. Background work (an automatic title
 * whose model hangs) is waited for briefly, then abandoned, writing nothing.
 *
 * The request in flight is made slow by its body: it is written on a raw socket with its Content-Length, all
 * but the last bytes, so the handler is running (waiting for the body) when the signal arrives.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { startFakeOpenAI } from '../support/fake-openai.js';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  logsOnFailure,
  randomSecret,
  reasonToSkip,
  register,
  startServer,
  unavailable,
} from './harness.js';

const skipReason = await reasonToSkip('faults/shutdown', unavailable());

afterAll(cleanup, 30_000);

interface RawResponse {
  status: number;
  body: any;
}

/** An HTTP/1.1 request on its own connection, sent up to `holdBack` bytes short of its end. */
class SlowRequest {
  private readonly socket: Socket;
  private readonly rest: Buffer;
  private received = Buffer.alloc(0);
  readonly response: Promise<RawResponse | null>;
  readonly closed: Promise<void>;

  private constructor(socket: Socket, head: Buffer, rest: Buffer) {
    this.socket = socket;
    this.rest = rest;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    this.response = new Promise((resolve) => {
      const tryParse = () => {
        const parsed = parseResponse(this.received);
        if (parsed) resolve(parsed);
      };
      socket.on('data', tryParse);
      socket.once('close', () => resolve(parseResponse(this.received)));
    });
    socket.write(head);
  }

  static open(port: number, path: string, headers: Record<string, string>, body: string, holdBack: number) {
    const payload = Buffer.from(body);
    const lines = [
      `POST ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Content-Type: application/json',
      `Content-Length: ${payload.length}`,
      'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    const head = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload.subarray(0, -holdBack)]);
    return new Promise<SlowRequest>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () =>
        resolve(new SlowRequest(socket, head, payload.subarray(-holdBack))),
      );
      socket.once('error', reject);
    });
  }

  finish(): void {
    this.socket.write(this.rest);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A complete HTTP/1.1 response (Content-Length framed) in `buf`, or null while incomplete. */
function parseResponse(buf: Buffer): RawResponse | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(head.split(' ')[1]);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  const body = buf.subarray(end + 4);
  if (body.length < length) return null;
  const text = body.subarray(0, length).toString('utf8');
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    return { status, body: text };
  }
}

/** What a brand-new connection gets: 'refused', another network error, or the status of GET /healthz. */
function probeNewConnection(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const done = (v: number | string) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(2000, () => done('timeout'));
    socket.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? 'error')));
    socket.on('connect', () =>
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const r = parseResponse(buf);
      if (r) done(r.status);
    });
    socket.on('close', () => done(parseResponse(buf)?.status ?? 'closed'));
  });
}

/** A keep-alive connection for plain GETs, one at a time: the status, or how the connection failed. */
class KeepAlive {
  private buf = Buffer.alloc(0);
  private waiter: ((v: number | string) => void) | null = null;
  private ended: string | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      const r = parseResponse(this.buf);
      if (r) {
        this.buf = Buffer.alloc(0);
        this.settle(r.status);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.end(e.code ?? 'error'));
    socket.on('close', () => this.end('closed'));
  }

  private end(how: string) {
    this.ended ??= how;
    this.settle(this.ended);
  }

  private settle(v: number | string) {
    const w = this.waiter;
    this.waiter = null;
    w?.(v);
  }

  static open(port: number): Promise<KeepAlive> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new KeepAlive(socket)));
      socket.once('error', reject);
    });
  }

  get(path: string): Promise<number | string> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A server on a fresh database, an account and a chat on it. */
async function setUp(logLevel: string, extraEnv: Record<string, string> = {}) {
  const databaseUrl = await freshDatabase();
  const port = await freePort();
  const jwtSecret = randomSecret();
  const server = await startServer({ databaseUrl, port, jwtSecret, logLevel, extraEnv });
  const token = await register(server.base);
  const chat = await call(server.base, 'POST', '/api/v1/chats/create-chat', { body: { name: 'drain' }, token });
  expect(chat.status).toBe(201);
  return { databaseUrl, port, jwtSecret, server, token, chatId: chat.body.chat_id as string };
}

async function slowAddMessage(port: number, token: string, chatId: string, question: string) {
  const body = JSON.stringify({ chat_id: chatId, question, response: 'kept' });
  const req = await SlowRequest.open(
    port,
    '/api/v1/messages/add-message',
    { Authorization: `Bearer ${token}` },
    body,
    7,
  );
  // Let the server take the request into its handler (authenticated, now waiting for the rest of the body).
  await Bun.sleep(300);
  return req;
}

describe.skipIf(skipReason !== null)('SIGTERM', () => {
  test(
    'drains the request in flight: no new connections, the request completes and is kept, exit 0',
    () =>
      logsOnFailure('faults/shutdown drain', async () => {
        const { databaseUrl, port, jwtSecret, server, token, chatId } = await setUp('info');
        const servers = [server];
        try {
          const idle = await KeepAlive.open(port);
          expect(await idle.get('/healthz')).toBe(200);
          const req = await slowAddMessage(port, token, chatId, 'sent across a shutdown');
          expect(server.exitCode).toBeNull();

          server.kill('SIGTERM');
          // New connections are no longer served: refused or reset by the closed listener, or 503 while it closes.
          let probe: number | string = 200;
          for (let i = 0; i < 100 && probe === 200; i++) {
            probe = await probeNewConnection(port);
            if (probe === 200) await Bun.sleep(20);
          }
          expect([503, 'refused', 'ECONNRESET', 'closed']).toContain(probe);
          // A keep-alive connection opened before the signal cannot sneak a new request in either.
          const reused = await idle.get('/healthz');
          expect([503, 'ECONNRESET', 'EPIPE', 'closed']).toContain(reused);
          idle.destroy();
          console.info(
            `[faults/shutdown] while draining: new connection → ${probe}, idle keep-alive connection → ${reused}`,
          );
          // Still draining: the request in flight keeps the process alive.
          await Bun.sleep(200);
          expect(server.exitCode).toBeNull();
          expect(server.log()).toContain('"msg":"shutting down"');
          expect(server.log()).not.toContain('"msg":"stopped"');

          req.finish();
          const res = await withTimeout(req.response, 10_000, 'the drained request');
          expect(res?.status).toBe(201);
          expect(res?.body.chat_id).toBe(chatId);
          expect(res?.body.question).toBe('sent across a shutdown');

          expect(await withTimeout(server.exited, 10_000, 'exit after the drain')).toBe(0);
          expect(server.log()).toContain('"msg":"stopped"');
          expect(server.log()).not.toContain('grace period over');

          // The pair was committed before the answer: a new process on the same database reads it.
          const again = await startServer({ databaseUrl, port, jwtSecret });
          servers.push(again);
          const page = await call(again.base, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, { token, retries: 3 });
          expect(page.status).toBe(200);
          expect(
            page.body.qa_pairs.map((p: { response_id: string; question: string }) => [p.response_id, p.question]),
          ).toEqual([[res!.body.response_id, 'sent across a shutdown']]);
          again.kill('SIGTERM');
          expect(await again.exited).toBe(0);
        } finally {
          for (const s of servers) s.kill('SIGKILL');
        }
      }),
    30_000,
  );

  test(
    'SHUTDOWN_GRACE_MS bounds the wait: a body that never ends does not keep the process alive',
    () =>
      logsOnFailure('faults/shutdown grace', async () => {
        const grace = 1000;
        const { port, server, token, chatId } = await setUp('info', { SHUTDOWN_GRACE_MS: String(grace) });
        try {
          const req = await slowAddMessage(port, token, chatId, 'never finished');
          const t0 = performance.now();
          server.kill('SIGTERM');
          const code = await withTimeout(server.exited, grace + 5000, 'exit after the grace period');
          const waited = performance.now() - t0;
          expect(code).toBe(0);
          // It did wait for the request (the grace), and not much longer.
          expect(waited).toBeGreaterThanOrEqual(grace - 100);
          expect(waited).toBeLessThan(grace + 3000);
          expect(server.log()).toContain('grace period over');
          expect(server.log()).toContain('"msg":"stopped"');
          // The abandoned request got no success; its connection is closed.
          await withTimeout(req.closed, 3000, 'the abandoned connection closing');
          const res = await req.response;
          expect(res === null || res.status >= 500).toBe(true);
          console.info(
            `[faults/shutdown] exited ${Math.round(waited)} ms after SIGTERM (grace ${grace} ms); the abandoned request got ${res ? res.status : 'no answer'}`,
          );
          req.destroy();
        } finally {
          server.kill('SIGKILL');
        }
      }),
    30_000,
  );

  test(
    'a title still being proposed is waited for briefly, then abandoned: exit 0, the name stays "New chat"',
    () =>
      logsOnFailure('faults/shutdown title', async () => {
        // The model never answers the title request (the pair's answer is given, so only the title asks it).
        const fake = await startFakeOpenAI({ kind: 'hang' });
        const { databaseUrl, server, token } = await setUp('info', {
          OPENAI_BASE_URL: fake.url,
          OPENAI_MODEL: 'fake-model',
        });
        try {
          const chat = await call(server.base, 'POST', '/api/v1/chats/create-chat', { body: {}, token });
          expect(chat.status).toBe(201);
          const t0 = performance.now();
          const pair = await call(server.base, 'POST', '/api/v1/messages/add-message', {
            body: { chat_id: chat.body.chat_id, question: 'Where in March?', response: 'Lisbon.' },
            token,
          });
          expect(pair.status).toBe(201);
          expect(performance.now() - t0).toBeLessThan(2000); // not delayed by the hanging title
          for (let i = 0; i < 100 && fake.requests.length === 0; i++) await Bun.sleep(20);
          expect(fake.requests).toHaveLength(1);

          const t1 = performance.now();
          server.kill('SIGTERM');
          expect(await withTimeout(server.exited, 10_000, 'exit with a title in flight')).toBe(0);
          const waited = performance.now() - t1;
          expect(waited).toBeLessThan(6000); // the brief wait (2 s), not the title's own 10 s
          expect(server.log()).toContain('background tasks abandoned at shutdown');
          expect(server.log()).toContain('"msg":"stopped"');
          expect(server.log()).not.toContain('background task failed');
          expect(await fake.requests[0]?.outcome).toBe('cancelled');

          const db = new pg.Client({ connectionString: databaseUrl });
          await db.connect();
          try {
            const row = await db.query('select name, name_source from conversations where chat_id = $1', [
              chat.body.chat_id,
            ]);
            expect(row.rows[0]).toEqual({ name: 'New chat', name_source: 'default' });
          } finally {
            await db.end();
          }
          console.info(`[faults/shutdown] exited ${Math.round(waited)} ms after SIGTERM with a title in flight`);
        } finally {
          server.kill('SIGKILL');
          await fake.stop();
        }
      }),
    30_000,
  );
});
