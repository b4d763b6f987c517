/**
 * Migration20261204040000_running_usage: pairs stored before it get their chat's running token totals (the sums
 * over the chat's pairs 1..seq, null counts adding 0), and every pair written after it gets them from the trigger,
 * from its predecessor (or, when that row is missing, from the sum of the earlier ones). Written by SQL on a
 * database migrated up to the migration before it.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import { v7 } from 'uuid';
import { migrate } from '../../src/stores/postgres.js';
import { cleanup, databaseBefore, reasonToSkip, unavailable } from './harness.js';

const why = await reasonToSkip('faults/migrate-running-usage', unavailable());
afterAll(cleanup);

const NAME = 'Migration20261204040000_running_usage';

describe.skipIf(Boolean(why))(NAME, () => {
  test('backfills the totals of existing pairs per chat; later inserts and slot rewrites get theirs', async () => {
    const url = await databaseBefore(NAME);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const account = v7();
      const [chatA, chatB] = [v7(), v7()];
      const pair = (chatId: string, seq: number, prompt: number | null, completion: number | null) =>
        db.query(
          `insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, timestamp, model,
                                 prompt_tokens, completion_tokens, latency_ms, fence)
           values ($1, $2, $3, $4, 'q', 'r', now(), $5, $6, $7, $8, 1)`,
          [v7(), chatId, account, seq, prompt === null ? null : 'm', prompt, completion, prompt === null ? null : 1],
        );
      // Stored out of order on purpose: the backfill orders by seq, not by insertion.
      await pair(chatA, 3, 30, 300);
      await pair(chatA, 1, 10, 100);
      await pair(chatA, 2, null, null); // a response the client gave
      await pair(chatB, 1, 5, 7);

      expect(await migrate(url)).toContain(NAME);
      const totals = async (chatId: string) =>
        (
          await db.query(
            'select seq, prompt_tokens_total::int as p, completion_tokens_total::int as c from qa_pairs where chat_id = $1 order by seq',
            [chatId],
          )
        ).rows;
      expect(await totals(chatA)).toEqual([
        { seq: 1, p: 10, c: 100 },
        { seq: 2, p: 10, c: 100 },
        { seq: 3, p: 40, c: 400 },
      ]);
      expect(await totals(chatB)).toEqual([{ seq: 1, p: 5, c: 7 }]);

      // After it: an insert continues from its predecessor's totals.
      await pair(chatA, 4, 1, 2);
      // A row whose predecessor is missing: the sum of the earlier rows (here seq 1 only).
      await pair(chatB, 3, 100, 100);
      expect((await totals(chatA)).at(-1)).toEqual({ seq: 4, p: 41, c: 402 });
      expect((await totals(chatB)).at(-1)).toEqual({ seq: 3, p: 105, c: 107 });
      // A slot rewritten with other counts (an uncommitted write replaced) gets totals from its new counts.
      await db.query('update qa_pairs set prompt_tokens = 2, completion_tokens = 3 where chat_id = $1 and seq = 4', [
        chatA,
      ]);
      expect((await totals(chatA)).at(-1)).toEqual({ seq: 4, p: 42, c: 403 });
      // The totals cannot be left out.
      await expect(
        db.query('update qa_pairs set prompt_tokens_total = null where chat_id = $1 and seq = 1', [chatA]),
      ).rejects.toThrow(/null/);

      expect(await migrate(url)).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
