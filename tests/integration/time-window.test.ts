/**
 * Times at the ends of what the API can write, put in the stores by hand (issue 16, defect 1: year 10000 made
 * list-chats, search and every route of the tree answer 500; issue 19: two such rows read as one time but sorted
 * apart, and list-chats' cursor skipped one). PostgreSQL now refuses a time outside years 1..9999; MongoDB pair
 * times are read clamped. Every read answers with ISO 8601 times of years 1 to 9999, list-chats pages over rows
 * that share an instant, and the next write moves the tree back into the window. Both content stores.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { testDatabase } from '../support/db.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let db: pg.Client;
/** Set when content lives in MongoDB (TEST_CONTENT_STORE=mongo-double, or MONGO_URL). */
let mongo: MongoClient | null = null;

beforeAll(async () => {
  ({ app } = await testApp());
  db = new pg.Client({ connectionString: (await testDatabase()).url });
  await db.connect();
  if (process.env.MONGO_URL) {
    mongo = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
    await mongo.connect();
  }
});
afterAll(async () => {
  await db?.end();
  await mongo?.close();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MIN = '0001-01-01T00:00:00.000Z';
const MAX = '9999-12-31T23:59:59.999Z';
const DAY_MS = 86_400_000;

/** A pair's stored time, set by hand where the content lives (SQL text for PostgreSQL, a Date for MongoDB). */
async function setPairTime(responseId: string, sqlText: string, date: Date) {
  if (mongo) {
    // The test harness's database (tests/support/app.ts).
    const r = await mongo
      .db(`branchat_test_${process.pid}`)
      .collection('qa_pairs')
      .updateOne({ response_id: responseId }, { $set: { timestamp: date } });
    expect(r.matchedCount).toBe(1);
  } else {
    const r = await db.query('update qa_pairs set timestamp = $1 where response_id = $2', [sqlText, responseId]);
    expect(r.rowCount).toBe(1);
  }
}

/** Every string field named like a time, anywhere in a JSON body. */
function timesIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) timesIn(x, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (/(_at|^timestamp)$/.test(k) && typeof x === 'string') out.push(x);
      else timesIn(x, out);
    }
  }
  return out;
}

async function ok(a: Client, method: string, path: string, query: Record<string, string | number>) {
  const r = await a.call(method, path, { query });
  expect(r.status).toBe(200);
  return r;
}

describe('stored times at and beyond the ends of years 1..9999 (put there by hand)', () => {
  test('every read answers with readable times; list-chats pages over them; the next write repairs the tree', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2, 'Broken');
    const branch = await a.branch(root, ids[0] as string, { question: 'zebra in a branch', response: 'ok' });
    const { chatId: old, ids: oldIds } = await a.chatWith(1, 'Old');
    const { chatId: older } = await a.chatWith(1, 'Older');
    await a.add(root, 'zebra at the root', 'ok');

    // PostgreSQL refuses a time it could not give back (Migration20261203050000_readable_times): nothing changes.
    for (const [q, id] of [
      [`update chats set updated_at = '10000-01-01 00:00:00+00' where chat_id = $1`, root],
      [`update chats set created_at = '0005-06-01 00:00:00+00 BC' where chat_id = $1`, root],
      [`update chats set updated_at = 'infinity' where chat_id = $1`, branch],
      [`update conversations set last_activity_at = 'infinity' where chat_id = $1`, root],
      [`update conversations set created_at = '-infinity' where chat_id = $1`, old],
      // Pairs live in PostgreSQL only with the PostgreSQL content store.
      ...(mongo ? [] : [[`update qa_pairs set timestamp = '10000-01-01 00:00:00+00' where response_id = $1`, ids[1]]]),
    ] as [string, string][]) {
      const err = await db.query(q, [id]).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect(err?.code).toBe('23514'); // check_violation
    }
    // The extremes it accepts, by hand: two conversations at the very same last instant (only the id orders them).
    await db.query(
      `update chats set updated_at = '9999-12-31 23:59:59.999+00', created_at = '0001-01-01 00:00:00+00'
       where chat_id = $1`,
      [root],
    );
    await db.query(`update chats set updated_at = '9999-12-31 23:59:59.999+00' where chat_id = $1`, [branch]);
    for (const id of [root, older]) {
      await db.query(`update conversations set last_activity_at = '9999-12-31 23:59:59.999+00' where chat_id = $1`, [
        id,
      ]);
    }
    await db.query(
      `update conversations set last_activity_at = '1960-01-01 00:00:00+00', created_at = '0001-01-01 00:00:00+00'
       where chat_id = $1`,
      [old],
    );
    // Pair times: MongoDB has no such constraint (year 10000 and a BC date are stored, and read clamped).
    await setPairTime(ids[1] as string, '9999-12-31 23:59:59.999+00', new Date(Date.UTC(10_000, 0, 1)));
    await setPairTime(oldIds[0] as string, '0001-01-01 00:00:00+00', new Date('-000100-01-01T00:00:00Z'));

    const top = [root, older].sort().reverse();
    const list = await ok(a, 'GET', '/api/v1/chats/list-chats', {});
    expect(list.body.chats.map((c: any) => [c.chat_id, c.last_activity_at])).toEqual([
      [top[0], MAX],
      [top[1], MAX],
      [old, '1960-01-01T00:00:00.000Z'],
    ]);
    // One per page: the cursor after each of them (the shared last instant, then 1960) is accepted, each comes once.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(a, 'GET', '/api/v1/chats/list-chats', { limit: 1, ...(cursor ? { cursor } : {}) });
      paged.push(...page.body.chats.map((c: any) => c.chat_id));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor && paged.length < 5);
    expect(paged).toEqual([...top, old]);

    const reads = [
      list,
      await ok(a, 'GET', '/api/v1/chats/get-chat', { chat_id: root, limit: 100 }),
      await ok(a, 'GET', '/api/v1/chats/get-chat', { chat_id: branch, limit: 100 }),
      await ok(a, 'GET', '/api/v1/chats/get-chat', { chat_id: old, limit: 100 }),
      await ok(a, 'GET', '/api/v1/messages/search-messages', { q: 'q2' }),
      await ok(a, 'GET', '/api/v1/messages/search-messages', { q: 'q1' }),
      await ok(a, 'GET', '/api/v1/branches/get-branches', { chat_id: root }),
      await ok(a, 'GET', '/api/v1/chats/export-chat', { chat_id: root, format: 'json' }),
      await ok(a, 'GET', '/api/v1/chats/export-chat', { chat_id: old, format: 'json' }),
    ];
    await ok(a, 'GET', '/api/v1/chats/export-chat', { chat_id: root, format: 'chatgpt' });
    await ok(a, 'GET', '/api/v1/chats/export-chat', { chat_id: branch, format: 'markdown' });
    const times = reads.flatMap((r) => timesIn(r.body));
    expect(times).toContain(MAX);
    expect(times).toContain(MIN);
    for (const t of times) {
      expect(t).toMatch(ISO);
      expect(t >= MIN && t <= MAX).toBe(true);
    }
    const hits = reads[4]?.body.hits as { response_id: string; timestamp: string }[];
    expect(hits.map((h) => [h.response_id, h.timestamp])).toEqual([[ids[1] as string, MAX]]);

    // A write stamps inside the window, and repairs the tree's activity time.
    await a.add(root, 'after the repair', 'ok');
    const bound = Date.now() + DAY_MS;
    const after = await ok(a, 'GET', '/api/v1/chats/list-chats', {});
    const entry = after.body.chats.find((c: any) => c.chat_id === root);
    expect(Date.parse(entry.last_activity_at)).toBeLessThanOrEqual(bound);
    expect(Date.parse(entry.updated_at)).toBeLessThanOrEqual(bound);
    const page = await ok(a, 'GET', '/api/v1/chats/get-chat', { chat_id: root, limit: 100 });
    expect(Date.parse(page.body.qa_pairs.at(-1).timestamp)).toBeLessThanOrEqual(bound);
  });
});
