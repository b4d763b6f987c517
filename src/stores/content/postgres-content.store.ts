/**
 * ContentStore over a PostgreSQL table (qa_pairs), through MikroORM. Used by the embedded default and
 * whenever MONGO_URL is unset. Same document shape as the MongoDB adapter: one row per pair.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { SeqRange } from '../../domain/history.js';
import type { PairLocation, PairRecord } from '../../domain/model.js';
import type { ContentStore } from '../../domain/ports.js';
import { translateStoreError } from '../errors.js';
import { toDate } from '../pg-rows.js';
import { orderByRanges } from './ranges.js';

interface PairRow {
  response_id: string;
  chat_id: string;
  account_id: string;
  seq: number;
  question: string;
  response: string;
  type: 'text';
  timestamp: unknown;
}

export class PostgresContentStore implements ContentStore {
  readonly name = 'postgresql';

  constructor(private readonly orm: MikroORM) {}

  /**
   * Kysely for raw statements: the global EntityManager's (no fork per call: raw statements never touch an
   * identity map). Inside a transaction it resolves to the transaction's connection.
   */
  private db() {
    return this.orm.em.getKysely();
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw translateStoreError(e, 'content store');
    }
  }

  append(pair: PairRecord): Promise<void> {
    return this.run(async () => {
      await sql`
        insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, type, timestamp)
        values (${pair.responseId}, ${pair.chatId}, ${pair.accountId}, ${pair.seq}, ${pair.question},
                ${pair.response}, ${pair.type}, ${pair.timestamp})
        on conflict (chat_id, seq) do update set
          response_id = excluded.response_id, account_id = excluded.account_id, question = excluded.question,
          response = excluded.response, type = excluded.type, timestamp = excluded.timestamp`.execute(
        // Called inside the metadata store's transaction (appendPair/createBranch): db() joins it on the
        // connection that transaction already holds. A second pool connection per locked transaction would
        // deadlock the pool once DB_POOL_MAX writes run at once.
        this.db(),
      );
    });
  }

  readRanges(accountId: string, ranges: SeqRange[]): Promise<PairRecord[]> {
    return this.run(async () => {
      if (ranges.length === 0) return [];
      const conditions = sql.join(
        ranges.map((r) => sql`(chat_id = ${r.chatId} and seq between ${r.fromSeq} and ${r.toSeq})`),
        sql` or `,
      );
      const r = await sql<PairRow>`
        select response_id, chat_id, account_id, seq, question, response, type, timestamp
        from qa_pairs where account_id = ${accountId} and (${conditions})`.execute(this.db());
      return orderByRanges(
        ranges,
        r.rows.map((row) => ({
          responseId: row.response_id,
          chatId: row.chat_id,
          accountId: row.account_id,
          seq: Number(row.seq),
          question: row.question,
          response: row.response,
          type: row.type,
          timestamp: toDate(row.timestamp),
        })),
      );
    });
  }

  locate(accountId: string, responseId: string): Promise<PairLocation | null> {
    return this.run(async () => {
      const r = await sql<{ chat_id: string; seq: number }>`
        select chat_id, seq from qa_pairs where response_id = ${responseId} and account_id = ${accountId}`.execute(
        this.db(),
      );
      const row = r.rows[0];
      return row ? { chatId: row.chat_id, seq: Number(row.seq) } : null;
    });
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await sql`select 1 from qa_pairs limit 0`.execute(this.db());
    });
  }

  async close(): Promise<void> {
    // The ORM is shared with the metadata store and closed by its owner.
  }
}
