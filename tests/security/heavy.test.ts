/**
 * Heavy operations (import-chat, export-chat, get-branches) cannot starve the connection pool (issue 16,
 * defect 2): concurrent imports of many tiny conversations made another account's get-chat answer 503 once
 * every pooled connection was held by an import's transaction. Here the services have their own pool of 4.
 *
 * Imports are made to overlap deterministically, not by timing: a connection outside the pool holds a SHARE
 * lock on `chats`, so every import that reaches its transaction waits there, holding its pooled connection,
 * until the lock is released (reads are not blocked by it). Before the fix, 4 such imports took the whole
 * pool and every other request waited for a connection until the pool's 5 s acquire timeout (503).
 * Runs on both content stores (TEST_CONTENT_STORE=mongo-double for MongoDB content).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import type { Services } from '../../src/bootstrap.js';
import { heavySlots, loadConfig } from '../../src/config.js';
import type { HeavyLimits } from '../../src/http/middleware/heavy.js';
import { appFor, openExtraServices } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';
import { testDatabase } from '../support/db.js';
import { expectProblem } from '../support/problem.js';

const POOL = 4;
const IMPORT = '/api/v1/chats/import-chat';
const EXPORT = '/api/v1/chats/export-chat';
/**
 * Conversations per import: each one a few statements in the import's transaction. The lock, not the size,
 * makes imports overlap, so a few dozen keep the file fast.
 */
const PER_IMPORT = 60;

let services: Services;
let db: pg.Client;
beforeAll(async () => {
  services = await openExtraServices({ DB_POOL_MAX: String(POOL) });
  db = new pg.Client({ connectionString: (await testDatabase()).url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await services?.close();
});

/** The bounds the server derives from DB_POOL_MAX=4 (2 slots), with waits long enough never to run out. */
const limits = (over: Partial<HeavyLimits> = {}): HeavyLimits => ({
  perAccount: 2,
  slots: heavySlots(loadConfig({ DB_POOL_MAX: String(POOL) })),
  queue: 10,
  queueTimeoutMs: 60_000,
  ...over,
});

/** `n` tiny ChatGPT conversations (one pair each): what a conversations.json of small chats looks like. */
function conversations(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({
    title: `${tag} ${i}`,
    create_time: 1_764_090_184,
    current_node: 'a',
    mapping: {
      root: { id: 'root', message: null, parent: null, children: ['q'] },
      q: {
        id: 'q',
        message: { id: 'q', author: { role: 'user' }, content: { content_type: 'text', parts: [`q${i}`] } },
        parent: 'root',
        children: ['a'],
      },
      a: {
        id: 'a',
        message: { id: 'a', author: { role: 'assistant' }, content: { content_type: 'text', parts: [`a${i}`] } },
        parent: 'q',
        children: [],
      },
    },
  }));
}

function importOf(a: Client, tag: string, headers: Record<string, string> = {}): Promise<Res> {
  return a.call('POST', IMPORT, { body: conversations(PER_IMPORT, tag), headers });
}

/** Conversations listed for the account (all pages). */
async function conversationCount(a: Client): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const r = await a.listChats({ limit: 100, cursor });
    expect(r.status).toBe(200);
    n += r.body.chats.length;
    cursor = r.body.next_cursor ?? undefined;
  } while (cursor);
  return n;
}

/** Backends of the test database waiting for a lock: the imports holding a pooled connection. */
async function blockedImports(): Promise<number> {
  const r = await db.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
  );
  return r.rows[0]?.n ?? 0;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Runs `fn` while imports cannot insert chats (they wait in their transaction, holding their connection). */
async function withImportsBlocked<T>(fn: () => Promise<T>): Promise<T> {
  await db.query('begin');
  try {
    await db.query('lock table chats in share mode');
    return await fn();
  } finally {
    await db.query('commit');
  }
}

/** Settles promises into an array as they finish (to watch how many have answered). */
function track(calls: Promise<Res>[]) {
  const done: Res[] = [];
  for (const p of calls) void p.then((r) => done.push(r));
  return { done, all: Promise.all(calls) };
}

function expectRetryAfter(r: Res) {
  const retry = Number(r.headers.get('Retry-After'));
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(60);
}

describe('heavy operations and the connection pool', () => {
  test('concurrent imports from several accounts never take every connection: another account keeps reading', async () => {
    const app = appFor(services, { bypassCache: true, heavy: limits() });
    const [reader, a1, a2, a3] = await Promise.all([0, 1, 2, 3].map(() => newAccount(app)));
    const attackers = [a1, a2, a3] as Client[];
    if (!reader) throw new Error('no reader account');
    const { chatId } = await reader.chatWith(2, 'reader');

    const { calls, reads, blocked } = await withImportsBlocked(async () => {
      // The reproduction was 11 imports from one account; here 6 from each of three accounts.
      const calls = attackers.flatMap((a, i) => Array.from({ length: 6 }, (_, j) => importOf(a, `a${i}-${j}`)));
      const t = track(calls);
      await until('imports holding connections', async () => (await blockedImports()) >= 2);
      // Every request refused at the door (the per-account bound) has answered by now, or the pool is full.
      await until('the excess answered', async () => t.done.length >= 12 || (await blockedImports()) >= POOL);
      const reads: number[] = [];
      for (let i = 0; i < 3; i++) {
        reads.push((await reader.getChat(chatId)).status);
        reads.push((await reader.listChats()).status);
      }
      return { calls: t.all, reads, blocked: await blockedImports() };
    });

    // Other accounts' reads were answered while the imports were in flight, and imports held at most the
    // heavy slots (2 of 4 connections).
    expect(reads).toEqual([200, 200, 200, 200, 200, 200]);
    expect(blocked).toBeLessThanOrEqual(2);

    const results = await calls;
    for (let i = 0; i < attackers.length; i++) {
      const mine = results.slice(i * 6, i * 6 + 6);
      const statuses = mine.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 429, 429, 429, 429]);
      for (const r of mine.filter((r) => r.status === 429)) {
        expectProblem(r, 429);
        expectRetryAfter(r);
      }
      // The refused imports stored nothing.
      expect(await conversationCount(attackers[i] as Client)).toBe(2 * PER_IMPORT);
    }
    expect(await reader.questions(chatId)).toEqual(['q1', 'q2']);
  });

  test('per account: beyond 2 heavy requests in flight → 429 + Retry-After (imports, exports, tree reads, searches); nothing stored; afterwards it imports again', async () => {
    const app = appFor(services, { bypassCache: true, heavy: limits() });
    const [a, other] = await Promise.all([newAccount(app), newAccount(app)]);
    const { chatId } = await a.chatWith(1, 'existing');
    const { chatId: otherChat } = await other.chatWith(1, 'other');

    const { first, refused, otherRead } = await withImportsBlocked(async () => {
      const first = Promise.all([importOf(a, 'first'), importOf(a, 'second')]);
      await until('both imports in their transaction', async () => (await blockedImports()) >= 2);
      const refused = {
        import: await importOf(a, 'third', { 'Idempotency-Key': 'heavy-third' }),
        export: await a.call('GET', EXPORT, { query: { chat_id: chatId, format: 'json' } }),
        tree: await a.getBranches(chatId),
        search: await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'anything' } }),
      };
      const otherRead = (await other.getChat(otherChat)).status;
      return { first, refused, otherRead };
    });

    for (const r of Object.values(refused)) {
      expectProblem(r, 429);
      expectRetryAfter(r);
    }
    expect(otherRead).toBe(200);
    expect((await first).map((r) => r.status)).toEqual([201, 201]);
    expect(await conversationCount(a)).toBe(1 + 2 * PER_IMPORT);

    // The refused import claimed no Idempotency-Key: the same key now runs it (not a replayed 429).
    const again = await importOf(a, 'third', { 'Idempotency-Key': 'heavy-third' });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBeNull();
    expect(again.body.conversations).toHaveLength(PER_IMPORT);
    expect(await conversationCount(a)).toBe(1 + 3 * PER_IMPORT);
    expect((await a.call('GET', EXPORT, { query: { chat_id: chatId, format: 'json' } })).status).toBe(200);
    expect((await a.getBranches(chatId)).status).toBe(200);
    expect((await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'anything' } })).status).toBe(200);
  });

  test('process-wide: heavy requests beyond the slots wait in a bounded queue; a full queue or a wait that runs out → 503 + Retry-After, nothing stored', async () => {
    const app = appFor(services, { bypassCache: true, heavy: limits({ slots: 1, queue: 1, queueTimeoutMs: 300 }) });
    const [x1, x2, x3, reader] = await Promise.all([
      newAccount(app),
      newAccount(app),
      newAccount(app),
      newAccount(app),
    ]);
    const { chatId } = await reader.chatWith(1, 'reader');

    const { running, waited, read } = await withImportsBlocked(async () => {
      const running = importOf(x1, 'running');
      await until('the first import in its transaction', async () => (await blockedImports()) >= 1);
      // One of these finds the queue full, the other waits its 300 ms: both are refused while x1 runs.
      const waited = await Promise.all([importOf(x2, 'queued'), importOf(x3, 'queued')]);
      const read = (await reader.getChat(chatId)).status;
      return { running, waited, read };
    });

    for (const r of waited) {
      expectProblem(r, 503);
      expectRetryAfter(r);
    }
    expect(read).toBe(200);
    expect((await running).status).toBe(201);
    expect(await conversationCount(x1)).toBe(PER_IMPORT);
    expect(await conversationCount(x2)).toBe(0);
    expect(await conversationCount(x3)).toBe(0);
    expect((await importOf(x2, 'later')).status).toBe(201);
    expect(await conversationCount(x2)).toBe(PER_IMPORT);
  });

  test('refusals cost nothing: an import refused per account (429) or for a busy server (503), and a replay, take no points; the key stays free', async () => {
    const writeLimit = { points: 100, windowSeconds: 60 };
    const app = appFor(services, {
      bypassCache: true,
      writeLimit,
      heavy: limits({ perAccount: 1, slots: 1, queue: 0 }),
    });
    const [x1, x2] = await Promise.all([newAccount(app), newAccount(app)]);
    const remaining = async (a: Client) => Number((await a.createChat('probe')).headers.get('RateLimit-Remaining'));

    const { running, perAccount, busy } = await withImportsBlocked(async () => {
      const running = importOf(x1, 'running');
      await until('the first import in its transaction', async () => (await blockedImports()) >= 1);
      const perAccount = await importOf(x1, 'second'); // x1 already has one in flight
      const busy = await importOf(x2, 'busy', { 'Idempotency-Key': 'busy-key' }); // the only slot is taken
      return { running, perAccount, busy };
    });
    expectProblem(perAccount, 429);
    expectProblem(busy, 503);
    expect((await running).status).toBe(201);

    // x1 paid for its import (10) and this write (1), not for the refused import; x2 only for this write.
    expect(await remaining(x1)).toBe(100 - 10 - 1);
    expect(await remaining(x2)).toBe(100 - 1);

    // The 503 left the key free: the same key runs the import now (10 points); its replay costs nothing.
    const ran = await importOf(x2, 'busy', { 'Idempotency-Key': 'busy-key' });
    expect(ran.status).toBe(201);
    expect(ran.headers.get('Idempotent-Replayed')).toBeNull();
    const replay = await importOf(x2, 'busy', { 'Idempotency-Key': 'busy-key' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await remaining(x2)).toBe(100 - 1 - 10 - 1);
    expect(await conversationCount(x2)).toBe(PER_IMPORT + 2);
  });
});
