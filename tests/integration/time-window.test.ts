/**
 * Times outside what the API can write, put in the stores by hand (SQL, or a MongoDB document) as rows
 * written before the stored-time window existed were (issue 16, defect 1: year 10000 made list-chats, search
 * and every route of the tree answer 500): every read still answers, with ISO 8601 times of years 1 to 9999,
 * list-chats pages over such rows, and the next write moves the tree back into the window. Both content stores.
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

describe('stored times outside years 1..9999 (put there by hand)', () => {
  test('every read answers with readable times; list-chats pages over them; the next write repairs the tree', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2, 'Broken');
    const branch = await a.branch(root, ids[0] as string, { question: 'zebra in a branch', response: 'ok' });
    const { chatId: old, ids: oldIds } = await a.chatWith(1, 'Old');
    const { chatId: older } = await a.chatWith(1, 'Older');
    await a.add(root, 'zebra at the root', 'ok');

    await db.query(
      `update chats set updated_at = '10000-01-01 00:00:00+00', created_at = '0005-06-01 00:00:00+00 BC'
       where chat_id = $1`,
      [root],
    );
    await db.query(`update chats set updated_at = 'infinity' where chat_id = $1`, [branch]);
    await db.query(`update conversations set last_activity_at = 'infinity' where chat_id = $1`, [root]);
    await db.query(
      `update conversations set last_activity_at = '1960-01-01 00:00:00+00', created_at = '-infinity'
       where chat_id = $1`,
      [old],
    );
    await db.query(`update conversations set last_activity_at = '1950-01-01 00:00:00+00' where chat_id = $1`, [older]);
    await setPairTime(ids[1] as string, '10000-01-01 00:00:00+00', new Date(Date.UTC(10_000, 0, 1)));
    await setPairTime(oldIds[0] as string, '0100-01-01 00:00:00+00 BC', new Date('-000100-01-01T00:00:00Z'));

    const list = await ok(a, 'GET', '/api/v1/chats/list-chats', {});
    expect(list.body.chats.map((c: any) => [c.chat_id, c.last_activity_at])).toEqual([
      [root, MAX],
      [old, '1960-01-01T00:00:00.000Z'],
      [older, '1950-01-01T00:00:00.000Z'],
    ]);
    // One per page: the cursor after each of them (years 9999 and 1960) is accepted, and each comes once.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(a, 'GET', '/api/v1/chats/list-chats', { limit: 1, ...(cursor ? { cursor } : {}) });
      paged.push(...page.body.chats.map((c: any) => c.chat_id));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor && paged.length < 5);
    expect(paged).toEqual([root, old, older]);

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
