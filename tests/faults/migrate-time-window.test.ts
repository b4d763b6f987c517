/**
 * Migration20261203000000_time_window (issue 16, defect 1): rows written before the stored-time window existed
 * (imports of any time of years 1 to 9999, a write 1 ms after 9999-12-31T23:59:59.999Z storing year 10000, or
 * anything put there by hand: `infinity`, BC dates) are moved into 1970-01-01 … now + 1 day; rows inside it
 * are left alone. Written by SQL on a database migrated up to the migration before it.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import { migrate } from '../../src/stores/postgres.js';
import { cleanup, databaseBefore, reasonToSkip, unavailable } from './harness.js';

const why = await reasonToSkip('faults/migrate-time-window', unavailable());
afterAll(cleanup);

const NAME = 'Migration20261203000000_time_window';
const DAY_MS = 86_400_000;

describe.skipIf(Boolean(why))(NAME, () => {
  test('moves every out-of-range time of chats, conversations and pairs into the window; keeps the others', async () => {
    const url = await databaseBefore(NAME);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const account = '00000000-0000-4000-8000-000000000001';
      const id = (n: number) => `00000000-0000-4000-8000-0000000000${n}`;
      const [root, branch, old] = [id(10), id(11), id(12)];
      const pairs = [id(20), id(21), id(22), id(23)] as const;
      const recent = new Date(Date.now() - 3_600_000).toISOString();
      await db.query(`insert into accounts values ($1, 'a@example.com', 'x', now())`, [account]);
      const chat = (
        id: string,
        rootId: string,
        parent: string | null,
        fork: string | null,
        created: string,
        updated: string,
        deleted: string | null,
      ) =>
        db.query(
          `insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                              created_at, updated_at, active, deleted_at, ancestor_ids, ancestor_limits, own_count)
           values ($1, $2, $3, $4, $5, $6, 'c', $7, $8, $9, $10, $11::uuid[], $12::int[], 1)`,
          [
            id,
            account,
            rootId,
            parent,
            fork,
            parent ? 'branch' : 'main',
            created,
            updated,
            parent === null,
            deleted,
            parent ? [parent] : [],
            parent ? [1] : [],
          ],
        );
      await chat(root, root, null, null, '9999-12-31 23:59:59.999+00', '10000-01-01 00:00:00+00', null);
      await chat(branch, root, root, pairs[0], recent, 'infinity', '0044-03-15 00:00:00+00 BC');
      await chat(old, old, null, null, '1960-01-01 00:00:00+00', recent, null);
      const conversation = (id: string, created: string, last: string) =>
        db.query(
          `insert into conversations (chat_id, account_id, name, created_at, last_activity_at) values ($1, $2, 'c', $3, $4)`,
          [id, account, created, last],
        );
      await conversation(root, '-infinity', '10000-01-01 00:00:00+00');
      await conversation(old, '1960-01-01 00:00:00+00', recent);
      const pair = (id: string, chatId: string, seq: number, at: string) =>
        db.query(
          `insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, timestamp)
           values ($1, $2, $3, $4, 'q', 'r', $5)`,
          [id, chatId, account, seq, at],
        );
      await pair(pairs[0], root, 1, '10000-01-01 00:00:00+00');
      await pair(pairs[1], branch, 1, 'infinity');
      await pair(pairs[2], old, 1, '0001-01-01 00:00:00+00 BC');
      await pair(pairs[3], old, 2, recent);

      const applied = await migrate(url);
      expect(applied).toContain(NAME);
      const end = Date.now() + DAY_MS;

      /** A stored time (`table.column` of the row keyed `id`) in ms since 1970, or null. */
      const ms = async (q: string, id: string) => {
        const [table, column] = q.split('.') as [string, string];
        const key = table === 'qa_pairs' ? 'response_id' : 'chat_id';
        const r = await db.query(`select extract(epoch from ${column}) * 1000 as ms from ${table} where ${key} = $1`, [
          id,
        ]);
        return r.rows[0]?.ms === null ? null : Number(r.rows[0]?.ms);
      };
      const near = (v: number | null) => {
        // now() + 1 day at the migration: within the minute before this read's bound.
        expect(v).not.toBeNull();
        expect(v as number).toBeLessThanOrEqual(end);
        expect(v as number).toBeGreaterThan(end - 60_000);
      };
      near(await ms('chats.created_at', root)); // year 9999 → the end
      near(await ms('chats.updated_at', root));
      near(await ms('chats.updated_at', branch));
      expect(await ms('chats.deleted_at', branch)).toBe(0); // BC → the start
      expect(await ms('chats.created_at', branch)).toBe(Date.parse(recent));
      expect(await ms('chats.created_at', old)).toBe(0);
      expect(await ms('chats.updated_at', old)).toBe(Date.parse(recent));
      expect(await ms('chats.deleted_at', old)).toBeNull();
      expect(await ms('conversations.created_at', root)).toBe(0);
      near(await ms('conversations.last_activity_at', root));
      expect(await ms('conversations.created_at', old)).toBe(0);
      expect(await ms('conversations.last_activity_at', old)).toBe(Date.parse(recent));
      near(await ms('qa_pairs.timestamp', pairs[0]));
      near(await ms('qa_pairs.timestamp', pairs[1]));
      expect(await ms('qa_pairs.timestamp', pairs[2])).toBe(0);
      expect(await ms('qa_pairs.timestamp', pairs[3])).toBe(Date.parse(recent));

      expect(await migrate(url)).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
