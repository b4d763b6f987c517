/**
 * The event feed in PostgreSQL, seen from outside: real server processes (`bun src/server.ts`) on one fresh
 * database and one JWT secret, and Redis playing no part in events.
 *   1. With REDIS_URL at a port nobody listens on, a socket on process A gets every event of ~30 writes of every
 *      kind made through process B: seq 1..N, no gap, no duplicate, the REST answers as data.
 *   2. Writes racing on one tree from both processes: sockets on A and on B see the same contiguous sequence,
 *      which is the log table `tree_events` row for row, and the commit order (each chat's pairs, as get-chat
 *      lists them, are in event order); `conversations.event_seq` is the last seq.
 *   3. kill -9 of the process that served a write, right after its 201: a socket on the other process still gets
 *      the event, and a client resuming on a restarted process with its last seq gets what it missed, then live.
 *   4. Both processes on a private redis-server that is killed and restarted while writes keep coming: every
 *      write succeeds and its event arrives exactly once, in order, without gap or `resync`.
 * Skipped, with the reason printed, without PostgreSQL (and test 4 without redis-server).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  register,
  type ServerOptions,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';
import { closeSockets, type Frame, FrameSocket } from '../support/frame-socket.js';
import { OwnRedis } from '../support/redis.js';
import { eventsThroughRedisOutage } from './outage-scenario.js';

const noPostgres = await unavailable();
if (noPostgres) console.warn(`[events/feed] skipped: ${noPostgres}`);
const noRedisServer = OwnRedis.available();
if (!noPostgres && noRedisServer) console.warn(`[events/feed] Redis restart test skipped: ${noRedisServer}`);

afterAll(async () => {
  closeSockets();
  await cleanup();
}, 30_000);

// ---- REST ---------------------------------------------------------------------------------------------

async function ok(base: string, status: number, method: string, path: string, token: string, body?: unknown) {
  const r = await call(base, method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (r.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const createChat = (base: string, token: string) =>
  ok(base, 201, 'POST', '/api/v1/chats/create-chat', token, { name: 'feed' }).then((c) => c.chat_id as string);
const addMessage = (base: string, token: string, chatId: string, n: number | string) =>
  ok(base, 201, 'POST', '/api/v1/messages/add-message', token, {
    chat_id: chatId,
    question: `q${n}`,
    response: `a${n}`,
  });
const createBranch = (base: string, token: string, chatId: string, responseId: string, activate = true) =>
  ok(base, 201, 'POST', '/api/v1/branches/create-branch', token, {
    chat_id: chatId,
    response_id: responseId,
    question: 'fork',
    response: 'forked',
    activate,
  });
const pairIds = async (base: string, token: string, chatId: string): Promise<string[]> =>
  (await ok(base, 200, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}&limit=1000`, token)).qa_pairs.map(
    (p: any) => p.response_id,
  );

/** [seq, event, data] of event frames, for comparing with what was expected. */
const triples = (frames: Frame[]) => frames.map((f) => [f.type === 'event' ? f.seq : f.type, f.event, f.data]);

/** The tree's events as the log table holds them (from seq 1: what sockets are sent), and its counter. */
async function logOf(databaseUrl: string, root: string) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const rows = await c.query(
      'select seq, event, data from tree_events where root_chat_id = $1 and seq >= 1 order by seq',
      [root],
    );
    const counter = await c.query('select event_seq from conversations where chat_id = $1', [root]);
    return {
      events: rows.rows.map((r) => [Number(r.seq), r.event, JSON.parse(r.data)]),
      eventSeq: Number(counter.rows[0]?.event_seq),
    };
  } finally {
    await c.end();
  }
}

// ---- two processes, Redis unreachable -----------------------------------------------------------------

describe.skipIf(noPostgres !== null)('event feed in PostgreSQL, Redis unreachable', () => {
  let databaseUrl: string;
  let options: Omit<ServerOptions, 'port'>;
  let A: ServerProcess;
  let B: ServerProcess;

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    // A port nobody listens on: Redis is down for the whole run (cache and limits fail open).
    options = {
      databaseUrl,
      jwtSecret: randomSecret(),
      extraEnv: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    };
    A = await startServer({ ...options, port: await freePort() }); // first: migrates the fresh database
    B = await startServer({ ...options, port: await freePort() });
  }, 60_000);

  test('a socket on A gets every event of ~30 writes of every kind through B, seq 1..N', async () => {
    const token = await register(A.base);
    const root = await createChat(B.base, token);
    const sa = await FrameSocket.open(A.base, token);
    expect(await sa.subscribe(root)).toEqual({ type: 'subscribed', root_chat_id: root, chat_id: root, seq: 0 });

    const expected: [string, unknown][] = [];
    const add = async (chatId: string, n: number) => {
      const m = await addMessage(B.base, token, chatId, n);
      expected.push(['message.added', m]);
      return m;
    };
    const branch = async (chatId: string, responseId: string, activate: boolean) => {
      const b = await createBranch(B.base, token, chatId, responseId, activate);
      expected.push(['branch.created', b]);
      if (activate) expected.push(['branch.activated', { root_chat_id: root, active_chat_id: b.chat.chat_id }]);
      return b.chat.chat_id as string;
    };
    const activate = async (chatId: string) =>
      expected.push([
        'branch.activated',
        await ok(B.base, 200, 'PUT', '/api/v1/branches/set-active-branch', token, { chat_id: chatId }),
      ]);
    const update = async (chatId: string, body: object) =>
      expected.push([
        'chat.updated',
        await ok(B.base, 200, 'PUT', '/api/v1/chats/update-chat', token, { chat_id: chatId, ...body }),
      ]);
    const remove = async (chatId: string, newActive: string | null) => {
      const d = await ok(B.base, 200, 'DELETE', `/api/v1/chats/delete-chat?chat_id=${chatId}`, token);
      expect(d).toEqual({ deleted_chat_ids: [chatId] });
      expected.push(['chat.deleted', d]);
      if (newActive) expected.push(['branch.activated', { root_chat_id: root, active_chat_id: newActive }]);
    };

    const pairs: any[] = [];
    for (let n = 1; n <= 12; n++) pairs.push(await add(root, n));
    const b1 = await branch(root, pairs[2].response_id, true);
    let last: any;
    for (let n = 13; n <= 16; n++) last = await add(b1, n);
    const b2 = await branch(b1, last.response_id, false); // hangs under b1
    await add(b2, 17);
    await add(b2, 18);
    await activate(root);
    await activate(b2);
    await update(root, { name: 'renamed' });
    await update(b1, { name: 'b1 renamed' });
    await remove(b2, b1); // the active chat: its parent b1 becomes active
    const b3 = await branch(root, pairs[4].response_id, true);
    for (let n = 19; n <= 21; n++) await add(b3, n);
    await remove(b1, null); // not active (b3 is)
    await update(root, { system_prompt: 'be brief' });
    await add(root, 22);
    await add(root, 23); // 33 writes

    const events = await sa.next(expected.length);
    expect(triples(events)).toEqual(expected.map(([name, data], i) => [i + 1, name, data]));
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['at', 'data', 'event', 'root_chat_id', 'seq', 'type']);
      expect(e.root_chat_id).toBe(root);
      expect(new Date(e.at).toISOString()).toBe(e.at);
    }
    expect(await sa.drain()).toEqual([]); // no duplicate, nothing extra
  }, 60_000);

  test('writes racing from both processes: one contiguous sequence on both sockets = the log = the commit order', async () => {
    const token = await register(A.base);
    const root = await createChat(A.base, token);
    const seed = await addMessage(A.base, token, root, 'seed');
    const sa = await FrameSocket.open(A.base, token);
    const sb = await FrameSocket.open(B.base, token);
    expect((await sa.subscribe(root)).seq).toBe(1);
    expect((await sb.subscribe(root)).seq).toBe(1);

    const writes = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => addMessage(A.base, token, root, `A${i}`)),
      ...Array.from({ length: 20 }, (_, i) => addMessage(B.base, token, root, `B${i}`)),
      ...[A, B, A, B].map((p, i) => createBranch(p.base, token, root, seed.response_id, i < 2)),
    ]);
    const total = 40 + 4 + 2; // two of the branches are activated
    const onA = await sa.next(total);
    const onB = await sb.next(total);
    expect(onA.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 2));
    expect(onB).toEqual(onA);
    expect(await sa.drain()).toEqual([]);
    expect(await sb.drain()).toEqual([]);

    // Every write's REST answer is one event's data, once.
    const key = (d: any) => d.response_id ?? d.chat?.chat_id ?? `activated ${d.active_chat_id}`;
    expect(onA.map((e) => key(e.data)).sort()).toEqual(
      [...writes.map(key), ...writes.slice(40, 42).map((w) => `activated ${w.chat.chat_id}`)].sort(),
    );
    const byKey = new Map(writes.map((w) => [key(w), w]));
    for (const e of onA) if (e.event !== 'branch.activated') expect(e.data).toEqual(byKey.get(key(e.data)));
    // A branch's activation is appended in the same transaction as the branch: the very next seq.
    onA.forEach((e, i) => {
      if (e.event === 'branch.activated')
        expect(onA[i - 1]).toMatchObject({
          event: 'branch.created',
          data: { chat: { chat_id: e.data.active_chat_id } },
        });
    });

    // The log table, row for row, and its counter.
    const log = await logOf(databaseUrl, root);
    expect(log.events).toEqual([[1, 'message.added', seed], ...triples(onA)]);
    expect(log.eventSeq).toBe(total + 1);

    // Commit order: the root's pairs, as get-chat lists them, are in the order of their events.
    const addedTo = (chatId: string) => onA.filter((e) => e.event === 'message.added' && e.data.chat_id === chatId);
    expect(await pairIds(B.base, token, root)).toEqual([
      seed.response_id,
      ...addedTo(root).map((e) => e.data.response_id),
    ]);
  }, 60_000);

  test('kill -9 right after a 201: the other process delivers the event; a resume on a restarted process replays from the log', async () => {
    const token = await register(B.base);
    const root = await createChat(B.base, token);
    const onA = await FrameSocket.open(A.base, token);
    const onB = await FrameSocket.open(B.base, token);
    await onA.subscribe(root);
    await onB.subscribe(root);
    const answers = [await addMessage(B.base, token, root, 1), await addMessage(B.base, token, root, 2)];
    await onA.next(2);
    await onB.next(2);

    answers.push(await addMessage(A.base, token, root, 3)); // the 201 is here…
    A.kill('SIGKILL'); // …and A dies at once
    await A.exited;
    expect(triples(await onB.next(1))).toEqual([[3, 'message.added', answers[2]]]);
    await onA.until(
      () => onA.closed !== null,
      () => 'the socket on A to close',
    );
    const lastSeen = Math.max(...onA.frames.filter((f) => f.type === 'event').map((f) => f.seq as number));
    expect(lastSeen).toBeGreaterThanOrEqual(2); // 3 only if it got out before the kill

    // Written while A is down.
    for (let n = 4; n <= 6; n++) answers.push(await addMessage(B.base, token, root, n));
    expect(triples(await onB.next(3))).toEqual(answers.slice(3).map((m, i) => [4 + i, 'message.added', m]));

    A = await startServer({ ...options, port: Number(new URL(A.base).port) });
    const back = await FrameSocket.open(A.base, token);
    expect(await back.subscribe(root, lastSeen)).toEqual({
      type: 'subscribed',
      root_chat_id: root,
      chat_id: root,
      seq: 6,
    });
    const missed = answers.slice(lastSeen).map((m, i) => [lastSeen + 1 + i, 'message.added', m]);
    expect(triples(await back.next(missed.length))).toEqual(missed);
    // Then live ones, written through either process.
    const live = [await addMessage(B.base, token, root, 7), await addMessage(A.base, token, root, 8)];
    expect(triples(await back.next(2))).toEqual(live.map((m, i) => [7 + i, 'message.added', m]));
    expect(triples(await onB.next(2))).toEqual(live.map((m, i) => [7 + i, 'message.added', m]));
    expect(await back.drain()).toEqual([]);
    expect(await onB.drain()).toEqual([]);
  }, 60_000);
});

// ---- Redis killed and restarted mid-stream ----------------------------------------------------------------

describe.skipIf(noPostgres !== null || noRedisServer !== null)('event feed while Redis restarts', () => {
  let redis: OwnRedis;
  afterAll(async () => {
    await redis?.kill();
  });

  test('40 paced writes through B while Redis is killed and restarted: all succeed, each event once, in order', async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    const own = redis;
    await eventsThroughRedisOutage({
      extraEnv: { REDIS_URL: own.url },
      keysInRedis: async () => {
        const client = new Redis(own.url, { maxRetriesPerRequest: 1 });
        return client.dbsize().finally(() => client.disconnect());
      },
      down: () => own.kill(),
      up: () => own.start(), // same port
    });
  }, 60_000);
});
