/**
 * Real-time events through the whole stack in one process: the app served by Bun with its WebSocket
 * handler, the change feed on real PostgreSQL (the event log and LISTEN/NOTIFY), and the content store of the
 * run (test:pg, test:mongo); and, on a second server with tight limits, the frame and replay bounds over a real
 * socket. Across processes: tests/events/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CLOSE_FRAME_TOO_LARGE, CLOSE_TOO_MANY_FRAMES } from '../../src/events/events.hub.js';
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

/** A socket that collects frames and can wait for a number of them, or for its close. */
async function socket(token: string, at = base) {
  const ws = new WebSocket(`${at.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${token}`]);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.onmessage = (m) => {
    frames.push(JSON.parse(String(m.data)));
    for (const w of waiters.splice(0)) w();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('socket failed to open'));
  });
  return {
    ws,
    frames,
    closed,
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

  test('start forks, regenerate and fork-chat: events on the tree they write, none on the source of a fork', async () => {
    const token = await account();
    const root = (await call(token, 'POST', '/api/v1/chats/create-chat', { name: 'alternatives' })).body;
    const s = await socket(token);
    s.send({ type: 'subscribe', chat_id: root.chat_id });
    await s.until(1);

    const p1 = await call(token, 'POST', '/api/v1/messages/add-message', {
      chat_id: root.chat_id,
      question: 'first',
      response: 'a1',
    });
    const start = await call(token, 'POST', '/api/v1/branches/create-branch', {
      chat_id: root.chat_id,
      response_id: null,
      question: 'first, asked differently',
      response: 'a2',
      activate: false,
    });
    const regen = await call(token, 'POST', '/api/v1/messages/regenerate', { response_id: p1.body.response_id });
    const fork = await call(token, 'POST', '/api/v1/chats/fork-chat', { chat_id: root.chat_id });
    expect([p1.status, start.status, regen.status, fork.status]).toEqual([201, 201, 201, 201]);

    // A second socket follows the fork's tree: subscribed at seq 0 (its tree.created is the log's entry 0).
    const f = await socket(token);
    f.send({ type: 'subscribe', chat_id: fork.body.chat.chat_id });
    expect((await f.until(1))[0]).toMatchObject({ type: 'subscribed', root_chat_id: fork.body.chat.chat_id, seq: 0 });

    const events = (await s.until(5)).slice(1);
    expect(events.map((e) => [e.seq, e.event])).toEqual([
      [1, 'message.added'],
      [2, 'branch.created'], // the start fork, not activated
      [3, 'branch.created'], // the regenerated answer: a start fork too (the first pair's question)
      [4, 'branch.activated'],
    ]);
    expect(events[1]?.data).toEqual(start.body);
    expect(events[1]?.data.chat.fork_response_id).toBeNull();
    expect(events[2]?.data).toEqual(regen.body);
    expect(events[3]?.data).toEqual({ root_chat_id: root.chat_id, active_chat_id: regen.body.chat.chat_id });
    // fork-chat wrote nothing to the source tree: no fifth event arrives there.
    await Bun.sleep(300);
    expect(s.frames.length).toBe(5);
    s.ws.close();
    f.ws.close();
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

describe('what a client can make the server hold or send is bounded (a real socket)', () => {
  const LIMITS = {
    frameBurst: 20,
    framesPerSecond: 1,
    maxPendingFrames: 10,
    replayMaxEvents: 50,
    replayMaxBytes: 40_000,
    replaySocketBurstBytes: 80_000,
    replaySocketBytesPerSecond: 1,
    replayAccountBurstBytes: 120_000,
    replayAccountBytesPerSecond: 1,
    maxSocketsPerAccount: 3,
  };
  let tight: ReturnType<typeof Bun.serve>;
  let at: string;

  beforeAll(async () => {
    const app = appFor(await testServices(), { events: true, hub: LIMITS });
    tight = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch, websocket: await bunWebSocketHandler() });
    at = `http://127.0.0.1:${tight.port}`;
  });
  afterAll(() => tight.stop(true));

  test('a flood of frames is closed with 4429 after at most burst + pending answers; the server keeps serving', async () => {
    const token = await account();
    const root = (await call(token, 'POST', '/api/v1/chats/create-chat', { name: 'flooded' })).body;
    const flood = await socket(token, at);
    for (let i = 0; i < 5000; i++) flood.send({ type: 'subscribe', chat_id: root.chat_id, id: String(i) });
    const close = await flood.closed;
    expect(close).toEqual({ code: CLOSE_TOO_MANY_FRAMES, reason: expect.stringContaining('too many frames') });
    expect(flood.frames.length).toBeLessThanOrEqual(LIMITS.frameBurst + LIMITS.maxPendingFrames);

    // The same account, right after: a new socket is served, and so is REST.
    const next = await socket(token, at);
    next.send({ type: 'subscribe', chat_id: root.chat_id, id: 'after' });
    expect((await next.until(1))[0]).toMatchObject({ type: 'subscribed', id: 'after' });
    expect((await call(token, 'GET', `/api/v1/chats/get-chat?chat_id=${root.chat_id}`)).status).toBe(200);
    next.ws.close();
  });

  test('sockets per account: one past the bound → 429 before the upgrade; a closed one gives its place back', async () => {
    const token = await account();
    const open = [await socket(token, at), await socket(token, at), await socket(token, at)];
    const refused = await fetch(`${at}/api/v1/ws`, {
      headers: {
        Authorization: `Bearer ${token}`,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    await expect(socket(token, at)).rejects.toThrow('socket failed to open');
    // Another account is unaffected; closing one socket lets the account open another.
    const other = await socket(await account(), at);
    other.ws.close();
    open[0]?.ws.close();
    await open[0]?.closed;
    // The server forgets the socket when its close reaches it, which may be a moment after the client's.
    let again: Awaited<ReturnType<typeof socket>> | undefined;
    for (let i = 0; !again && i < 50; i++)
      again = await socket(token, at).catch(() => Bun.sleep(50).then(() => undefined));
    if (!again) throw new Error('no place given back after a close');
    again.send({ type: 'ping', id: 'p' });
    expect((await again.until(1))[0]).toMatchObject({ type: 'pong', id: 'p' });
    for (const s of [again, ...open.slice(1)]) s.ws.close();
  });

  test('a frame larger than any valid one is refused with 1009', async () => {
    const s = await socket(await account(), at);
    s.send({ type: 'ping', id: 'x'.repeat(60_000) });
    expect((await s.closed).code).toBe(CLOSE_FRAME_TOO_LARGE);
    expect(s.frames).toEqual([]);
  });

  test('a normal client (a few subscribes, pings, live events) is never affected', async () => {
    const token = await account();
    const roots = await Promise.all(
      [1, 2, 3].map(async (i) => (await call(token, 'POST', '/api/v1/chats/create-chat', { name: `n${i}` })).body),
    );
    const s = await socket(token, at);
    for (const r of roots) s.send({ type: 'subscribe', chat_id: r.chat_id });
    s.send({ type: 'ping', id: 'p1' });
    await s.until(4);
    for (const r of roots) {
      await call(token, 'POST', '/api/v1/messages/add-message', { chat_id: r.chat_id, question: 'q', response: 'a' });
    }
    await s.until(7);
    s.send({ type: 'ping', id: 'p2' });
    const frames = await s.until(8);
    expect(frames.map((f) => f.type)).toEqual([
      'subscribed',
      'subscribed',
      'subscribed',
      'pong',
      'event',
      'event',
      'event',
      'pong',
    ]);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
  });

  test('replay: beyond the per-resume bound, then past the socket’s and the account’s byte budgets → resync; another account is unaffected', async () => {
    /** An account with a tree of 12 events of ~8.4 KB. */
    const tree = async () => {
      const token = await account();
      const root = (await call(token, 'POST', '/api/v1/chats/create-chat', { name: 'replayed' })).body.chat_id;
      for (let i = 1; i <= 12; i++) {
        const r = await call(token, 'POST', '/api/v1/messages/add-message', {
          chat_id: root,
          question: `q${i}`,
          response: 'x'.repeat(8000),
        });
        expect(r.status).toBe(201);
      }
      return { token, root: root as string };
    };
    /** Resumes after `lastSeq`: the events replayed (their seqs), or 'resync'. */
    const resume = async (s: Awaited<ReturnType<typeof socket>>, root: string, lastSeq: number) => {
      const from = s.frames.length;
      s.send({ type: 'subscribe', chat_id: root, last_seq: lastSeq, id: `r${from}` });
      s.send({ type: 'ping', id: `end${from}` }); // answered after the replay: frames are handled in order
      const frames = await (async () => {
        for (;;) {
          const got = s.frames.slice(from);
          if (got.some((f) => f.type === 'pong')) return got;
          await s.until(s.frames.length + 1);
        }
      })();
      expect(frames[0]).toMatchObject({ type: 'subscribed', root_chat_id: root, seq: 12 });
      const rest = frames.slice(1, -1);
      return rest.map((f) => (f.type === 'event' ? f.seq : f.type)).join(',');
    };

    const a = await tree();
    const s1 = await socket(a.token, at);
    // The whole log (~100 KB) is over the bound of one resume: resync, none of the data.
    expect(await resume(s1, a.root, 0)).toBe('resync');
    // 4 events (~34 KB) are within it, twice; the third time the socket's 80 KB budget is spent.
    expect(await resume(s1, a.root, 8)).toBe('9,10,11,12');
    expect(await resume(s1, a.root, 8)).toBe('9,10,11,12');
    expect(await resume(s1, a.root, 8)).toBe('resync');
    // A second socket of the account has a budget of its own, but the account's 120 KB runs out.
    const s2 = await socket(a.token, at);
    expect(await resume(s2, a.root, 8)).toBe('9,10,11,12');
    expect(await resume(s2, a.root, 8)).toBe('resync');
    s1.ws.close();
    s2.ws.close();
    await s1.closed;
    await s2.closed;
    // Reconnecting does not reset the account's budget.
    const s3 = await socket(a.token, at);
    expect(await resume(s3, a.root, 8)).toBe('resync');
    // A small resume that misses nothing is never refused.
    expect(await resume(s3, a.root, 12)).toBe('');
    s3.ws.close();

    // Another account: unaffected.
    const b = await tree();
    const sb = await socket(b.token, at);
    expect(await resume(sb, b.root, 8)).toBe('9,10,11,12');
    sb.ws.close();
  });
});
