/**
 * Real-time events through the whole stack in one process: the app served by Bun with its WebSocket
 * handler, the in-process event bus (no REDIS_URL), real PostgreSQL, and the content store of the run
 * (test:pg, test:mongo). Across processes on Redis: tests/events/cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { bunWebSocketHandler } from '../../src/http/events/events.ws.js';
import { appFor, testServices } from '../support/app.js';

type Frame = Record<string, any>;

let server: ReturnType<typeof Bun.serve>;
let base: string;

beforeAll(async () => {
  const app = appFor(await testServices(), { events: true });
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch, websocket: await bunWebSocketHandler() });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

async function call(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

async function account(): Promise<string> {
  const r = await call(null, 'POST', '/api/v1/auth/register', {
    email: `ev${crypto.randomUUID()}@example.com`,
    password: 'correct horse battery',
  });
  expect(r.status).toBe(201);
  return r.body.token;
}

/** A socket that collects frames and can wait for a number of them. */
async function socket(token: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${token}`]);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.onmessage = (m) => {
    frames.push(JSON.parse(String(m.data)));
    for (const w of waiters.splice(0)) w();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('socket failed to open'));
  });
  return {
    ws,
    frames,
    send: (f: unknown) => ws.send(JSON.stringify(f)),
    async until(n: number, timeoutMs = 5000): Promise<Frame[]> {
      const deadline = Date.now() + timeoutMs;
      while (frames.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} frames, got ${JSON.stringify(frames)}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), Bun.sleep(50)]);
      }
      return frames;
    },
  };
}

describe('events in one process', () => {
  test('every write of a tree arrives once, in order, carrying the REST answer', async () => {
    const token = await account();
    const root = (await call(token, 'POST', '/api/v1/chats/create-chat', { name: 'live' })).body;
    const s = await socket(token);
    expect(s.ws.protocol).toBe('branchat.v1');
    s.send({ type: 'subscribe', chat_id: root.chat_id, id: 'sub' });
    expect((await s.until(1))[0]).toEqual({
      type: 'subscribed',
      root_chat_id: root.chat_id,
      chat_id: root.chat_id,
      seq: 0,
      id: 'sub',
    });

    const p1 = await call(token, 'POST', '/api/v1/messages/add-message', {
      chat_id: root.chat_id,
      question: 'q1',
      response: 'a1',
    });
    const br = await call(token, 'POST', '/api/v1/branches/create-branch', {
      chat_id: root.chat_id,
      response_id: p1.body.response_id,
      question: 'on the branch',
      response: 'ok',
    });
    const rename = await call(token, 'PUT', '/api/v1/chats/update-chat', { chat_id: root.chat_id, name: 'renamed' });
    const del = await call(token, 'DELETE', `/api/v1/chats/delete-chat?chat_id=${br.body.chat.chat_id}`);
    const back = await call(token, 'PUT', '/api/v1/branches/set-active-branch', { chat_id: root.chat_id });
    expect([p1.status, br.status, rename.status, del.status, back.status]).toEqual([201, 201, 200, 200, 200]);

    const events = (await s.until(8)).slice(1);
    expect(events.map((e) => [e.seq, e.event])).toEqual([
      [1, 'message.added'],
      [2, 'branch.created'],
      [3, 'branch.activated'],
      [4, 'chat.updated'],
      [5, 'chat.deleted'],
      [6, 'branch.activated'], // the deleted branch was active: its parent is now
      [7, 'branch.activated'],
    ]);
    expect(events.map((e) => e.data)).toEqual([
      p1.body,
      br.body,
      { root_chat_id: root.chat_id, active_chat_id: br.body.chat.chat_id },
      rename.body,
      del.body,
      { root_chat_id: root.chat_id, active_chat_id: root.chat_id },
      back.body,
    ]);
    for (const e of events) expect(e.root_chat_id).toBe(root.chat_id);
    s.ws.close();
  });

  test('a refused write publishes nothing; an idempotent replay publishes nothing again', async () => {
    const token = await account();
    const root = (await call(token, 'POST', '/api/v1/chats/create-chat', { name: 'quiet' })).body;
    const s = await socket(token);
    s.send({ type: 'subscribe', chat_id: root.chat_id });
    await s.until(1);
    const body = { chat_id: root.chat_id, question: 'once', response: 'x' };
    expect((await call(token, 'POST', '/api/v1/messages/add-message', { ...body, extra: 1 })).status).toBe(422);
    expect(
      (await call(token, 'PUT', '/api/v1/chats/update-chat', { chat_id: crypto.randomUUID(), name: 'x' })).status,
    ).toBe(404);
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    expect((await call(token, 'POST', '/api/v1/messages/add-message', body, key)).status).toBe(201);
    expect((await call(token, 'POST', '/api/v1/messages/add-message', body, key)).status).toBe(201);
    // A marker write: everything before it has been published by the time its event arrives.
    await call(token, 'PUT', '/api/v1/chats/update-chat', { chat_id: root.chat_id, name: 'marker' });
    const frames = await s.until(3);
    await Bun.sleep(100);
    expect(frames.slice(1).map((f) => [f.seq, f.event])).toEqual([
      [1, 'message.added'],
      [2, 'chat.updated'],
    ]);
    s.ws.close();
  });

  test('the socket refuses what it must: no token, a bad token, not an upgrade', async () => {
    const upgrade = {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
    };
    const none = await fetch(`${base}/api/v1/ws`, { headers: upgrade });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    const bad = await fetch(`${base}/api/v1/ws?token=a.b.c`, { headers: upgrade });
    expect(bad.status).toBe(401);
    const plain = await fetch(`${base}/api/v1/ws?token=${await account()}`);
    expect(plain.status).toBe(426);
    // A bearer subprotocol without branchat.v1 to select: refused, so the token can never be echoed back.
    const echo = await fetch(`${base}/api/v1/ws`, {
      headers: { ...upgrade, 'Sec-WebSocket-Protocol': `bearer.${await account()}` },
    });
    expect(echo.status).toBe(400);
  });
});
