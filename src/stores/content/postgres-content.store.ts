/**
 * ContentStore over a PostgreSQL table (qa_pairs), through MikroORM. Used by the embedded default and
 * whenever MONGO_URL is unset. Same document shape as the MongoDB adapter: one row per pair.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { SearchLanguage } from '../../config.js';
import { StaleWriteError } from '../../domain/errors.js';
import type { SeqRange } from '../../domain/history.js';
import type { PairLocation, PairRecord, PairType } from '../../domain/model.js';
import type {
  ContentHit,
  ContentSearch,
  ContentSlot,
  ContentStore,
  ScanSlotsOptions,
  UsageTotals,
} from '../../domain/ports.js';
import { storeCalls } from '../errors.js';
import type { FastSql } from '../pg-fast.js';
import { columnList, toDate } from '../pg-rows.js';
import { inOpenTransaction, pgDb } from '../pg-tx.js';
import { orderByRanges, runningPoints } from './ranges.js';
import { pairSnippet, searchTerms } from './snippet.js';

interface PairRow {
  response_id: string;
  chat_id: string;
  account_id: string;
  seq: number;
  question: string;
  response: string;
  type: PairType;
  language: string | null;
  url: string | null;
  timestamp: unknown;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number | null;
}

const PAIR_COLUMN_NAMES =
  'response_id, chat_id, account_id, seq, question, response, type, language, url, timestamp, model, prompt_tokens, completion_tokens, latency_ms';
const PAIR_COLUMNS = columnList(PAIR_COLUMN_NAMES);
const P_PAIR_COLUMNS = columnList(PAIR_COLUMN_NAMES, 'p');
const num = (v: number | null) => (v === null ? null : Number(v));

function pairFromRow(row: PairRow): PairRecord {
  return {
    responseId: row.response_id,
    chatId: row.chat_id,
    accountId: row.account_id,
    seq: Number(row.seq),
    question: row.question,
    response: row.response,
    type: row.type,
    language: row.language,
    url: row.url,
    timestamp: toDate(row.timestamp),
    generation:
      row.model === null
        ? null
        : {
            model: row.model,
            promptTokens: num(row.prompt_tokens),
            completionTokens: num(row.completion_tokens),
            latencyMs: num(row.latency_ms),
          },
  };
}

/** A pair's values in PAIR_COLUMNS order, then fence and search language. */
function pairValues(pair: PairRecord, fence: number, language: SearchLanguage) {
  const g = pair.generation;
  return sql`(${pair.responseId}, ${pair.chatId}, ${pair.accountId}, ${pair.seq}, ${pair.question}, ${pair.response},
              ${pair.type}, ${pair.language}, ${pair.url}, ${pair.timestamp}, ${g?.model ?? null},
              ${g?.promptTokens ?? null}, ${g?.completionTokens ?? null}, ${g?.latencyMs ?? null}, ${fence},
              ${language}::regconfig)`;
}

/** A pair's content write, captured instead of run (see captureAppends). */
export interface CapturedAppend {
  pair: PairRecord;
  searchLanguage: SearchLanguage;
}

const capturing = new AsyncLocalStorage<CapturedAppend[]>();

/**
 * Runs `fn` with this store's appends captured, not executed: the metadata store then writes the pair together
 * with its own rows in one statement (branchat_append_pair, migrations/Migration20261203040000_write_functions.ts).
 */
export async function captureAppends(fn: () => Promise<void>): Promise<CapturedAppend[]> {
  const captured: CapturedAppend[] = [];
  await capturing.run(captured, fn);
  return captured;
}

const LOCATE = 'select chat_id, seq from qa_pairs where response_id = $1 and account_id = $2';

export class PostgresContentStore implements ContentStore {
  readonly name = 'postgresql';
  readonly atomicWithMetadata = true;
  /** Bun's client for statements outside transactions (src/stores/pg-fast.ts); null: `pg`. */
  fast: FastSql | null = null;

  constructor(
    private readonly orm: MikroORM,
    /** The text-search configuration new pairs are indexed with, and queries parsed with. */
    private readonly searchLanguage: SearchLanguage = 'english',
  ) {}

  /** Kysely for raw statements: the current transaction's connection (see pg-tx.ts), or the pool. */
  private db() {
    return pgDb(this.orm);
  }

  /** Every store call goes through this: driver failures become the domain's errors (errors.ts). */
  private readonly run = storeCalls('content store');

  append(pair: PairRecord, fence: number): Promise<void> {
    const captured = capturing.getStore();
    if (captured) {
      captured.push({ pair, searchLanguage: this.searchLanguage });
      return Promise.resolve();
    }
    return this.run(async () => {
      const r = await sql`
        insert into qa_pairs (${PAIR_COLUMNS}, fence, search_lang)
        values ${pairValues(pair, fence, this.searchLanguage)}
        on conflict (chat_id, seq) do update set
          response_id = excluded.response_id, account_id = excluded.account_id, question = excluded.question,
          response = excluded.response, type = excluded.type, language = excluded.language, url = excluded.url,
          timestamp = excluded.timestamp, model = excluded.model, prompt_tokens = excluded.prompt_tokens,
          completion_tokens = excluded.completion_tokens, latency_ms = excluded.latency_ms, fence = excluded.fence,
          search_lang = excluded.search_lang
        where qa_pairs.fence < excluded.fence
        returning 1`.execute(
        // Called inside the metadata store's transaction (appendPair/createBranch): db() joins it on the
        // connection that transaction already holds. A second pool connection per locked transaction would
        // deadlock the pool once DB_POOL_MAX writes run at once.
        this.db(),
      );
      if (r.rows.length === 0) throw new StaleWriteError(pair.chatId, pair.seq);
    });
  }

  appendMany(pairs: PairRecord[], fence: number): Promise<void> {
    return this.run(async () => {
      // In the metadata transaction (see append); batches keep each statement's parameters under the limit. In
      // (chat, seq) order: the running-usage trigger reads each pair's predecessor, inserted just before it.
      const ordered = [...pairs].sort((a, b) => (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : a.seq - b.seq));
      for (let i = 0; i < ordered.length; i += 1000) {
        const rows = ordered.slice(i, i + 1000).map((p) => pairValues(p, fence, this.searchLanguage));
        await sql`insert into qa_pairs (${PAIR_COLUMNS}, fence, search_lang) values ${sql.join(rows)}`.execute(
          this.db(),
        );
      }
    });
  }

  removeChats(accountId: string, chatIds: string[], fence: number): Promise<number> {
    return this.run(async () => {
      if (chatIds.length === 0) return 0;
      const r = await sql`
        delete from qa_pairs
        where account_id = ${accountId} and chat_id = any(${chatIds}::uuid[]) and fence = ${fence} returning 1`.execute(
        this.db(),
      );
      return r.rows.length;
    });
  }

  removeSlot(accountId: string, chatId: string, seq: number, fence: number): Promise<boolean> {
    return this.run(async () => {
      const r = await sql`
        delete from qa_pairs
        where account_id = ${accountId} and chat_id = ${chatId} and seq = ${seq} and fence = ${fence} returning 1`.execute(
        this.db(),
      );
      return r.rows.length > 0;
    });
  }

  scanSlots(options: ScanSlotsOptions): Promise<ContentSlot[]> {
    return this.run(async () => {
      const after = options.after
        ? sql`and (timestamp, response_id) > (${options.after.timestamp}, ${options.after.responseId}::uuid)`
        : sql``;
      const r = await sql<{
        account_id: string;
        chat_id: string;
        seq: number;
        fence: string;
        response_id: string;
        timestamp: unknown;
      }>`
        select account_id, chat_id, seq, fence, response_id, timestamp from qa_pairs
        where timestamp >= ${options.from} and timestamp < ${options.to} ${after}
        order by timestamp, response_id limit ${options.limit}`.execute(this.db());
      return r.rows.map((row) => ({
        accountId: row.account_id,
        chatId: row.chat_id,
        seq: Number(row.seq),
        fence: Number(row.fence),
        responseId: row.response_id,
        timestamp: toDate(row.timestamp),
      }));
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
        select ${PAIR_COLUMNS}
        from qa_pairs where account_id = ${accountId} and (${conditions})`.execute(this.db());
      return orderByRanges(ranges, r.rows.map(pairFromRow));
    });
  }

  /**
   * Each range is the difference of two running totals (migrations/Migration20261204040000_running_usage.ts): the
   * row at its end minus the row before its start (none for a range from seq 1). One primary-key probe per point.
   */
  usage(accountId: string, ranges: SeqRange[]): Promise<UsageTotals> {
    return this.run(async () => {
      const points = runningPoints(ranges);
      if (points.length === 0) return { promptTokens: 0, completionTokens: 0 };
      const r = await sql<{ prompt_tokens: string; completion_tokens: string }>`
        select coalesce(sum(e.sign * p.prompt_tokens_total), 0) as prompt_tokens,
               coalesce(sum(e.sign * p.completion_tokens_total), 0) as completion_tokens
        from unnest(${points.map((x) => x.chatId)}::uuid[], ${points.map((x) => x.seq)}::int[],
                    ${points.map((x) => x.sign)}::int[]) as e(chat_id, seq, sign)
        join qa_pairs p on p.chat_id = e.chat_id and p.seq = e.seq
        where p.account_id = ${accountId}`.execute(this.db());
      const row = r.rows[0];
      return { promptTokens: Number(row?.prompt_tokens ?? 0), completionTokens: Number(row?.completion_tokens ?? 0) };
    });
  }

  /** The running totals at the prefixes' ends: one primary-key probe each. A prefix of seq 0 sums to 0. */
  usagePrefixes(accountId: string, prefixes: PairLocation[]): Promise<UsageTotals[]> {
    return this.run(async () => {
      const ends = prefixes.filter((x) => x.seq > 0);
      if (ends.length === 0) return prefixes.map(() => ({ promptTokens: 0, completionTokens: 0 }));
      const r = await sql<{
        chat_id: string;
        seq: number;
        prompt_tokens_total: string;
        completion_tokens_total: string;
      }>`
        select p.chat_id, p.seq, p.prompt_tokens_total, p.completion_tokens_total
        from unnest(${ends.map((x) => x.chatId)}::uuid[], ${ends.map((x) => x.seq)}::int[]) as e(chat_id, seq)
        join qa_pairs p on p.chat_id = e.chat_id and p.seq = e.seq
        where p.account_id = ${accountId}`.execute(this.db());
      const sums = new Map(
        r.rows.map((row) => [
          `${row.chat_id}:${Number(row.seq)}`,
          { promptTokens: Number(row.prompt_tokens_total), completionTokens: Number(row.completion_tokens_total) },
        ]),
      );
      return prefixes.map(
        (x) => sums.get(`${x.chatId.toLowerCase()}:${x.seq}`) ?? { promptTokens: 0, completionTokens: 0 },
      );
    });
  }

  /**
   * The query goes through the same punctuation folding (branchat_search_text, see the migration), parser
   * and stemmer as the pairs; each resulting lexeme becomes a prefix term and all are AND-ed: `conn err`
   * finds "connection errors". The tsquery is built as a value from lexemes, never parsed from user text, so
   * no input can inject tsquery syntax. Stop words leave no lexeme: such a search finds nothing.
   */
  search(q: ContentSearch): Promise<ContentHit[]> {
    return this.run(async () => {
      if (q.ranges.length === 0) return [];
      const after = q.after
        ? sql`where m.score < ${q.after.score}::float8
                 or (m.score = ${q.after.score}::float8 and m.response_id < ${q.after.responseId}::uuid)`
        : sql``;
      // The tsquery is computed first and sent as a value, so the planner sees it and can estimate how many
      // pairs match (a rare word: the GIN index; a word in every pair: the account's chats).
      const built = await sql<{ query: string | null }>`
        select string_agg(quote_literal(lexeme) || ':*', ' & ') as query
        from unnest(to_tsvector(${this.searchLanguage}::regconfig, branchat_search_text(${q.text})))`.execute(
        this.db(),
      );
      const tsquery = built.rows[0]?.query;
      if (!tsquery) return [];
      const r = await sql<PairRow & { score: number }>`
        with r as (
          select * from unnest(${q.ranges.map((x) => x.chatId)}::uuid[], ${q.ranges.map((x) => x.fromSeq)}::int[],
                               ${q.ranges.map((x) => x.toSeq)}::int[]) as r(chat_id, lo, hi)),
        m as (
          select p.response_id, ts_rank(p.search_vector, ${tsquery}::tsquery)::float8 as score
          from qa_pairs p join r on p.chat_id = r.chat_id and p.seq between r.lo and r.hi
          where p.account_id = ${q.accountId} and p.search_vector @@ ${tsquery}::tsquery),
        top as (select * from m ${after} order by m.score desc, m.response_id desc limit ${q.limit})
        -- Ranked on (response id, score) alone, so sorting many matches never moves their text around;
        -- only the page's rows are read in full.
        select ${P_PAIR_COLUMNS}, top.score
        from top join qa_pairs p on p.response_id = top.response_id
        order by top.score desc, top.response_id desc`.execute(this.db());
      // Snippets are cut here rather than by ts_headline, which drops anything shaped like an HTML tag
      // (`Vec<String>` in code) and cannot mark the parts of `json.loads`.
      const terms = searchTerms(q.text);
      return r.rows.map((row) => {
        const pair = pairFromRow(row);
        return { pair, score: Number(row.score), snippet: pairSnippet(pair, terms) };
      });
    });
  }

  /**
   * Where pairs are, as found (response id → account, chat, seq; the most recent 100,000). A row here never moves:
   * it exists only once its write committed (one transaction with the metadata), and its slot is never written
   * again. It may be deleted with its chat; callers check the location against a live chat's history (a deleted
   * chat's pairs are in no live chat's history), which they do for a location read from the table too.
   */
  private readonly located = new Map<string, { accountId: string; at: PairLocation }>();

  locate(accountId: string, responseId: string): Promise<PairLocation | null> {
    const known = this.located.get(responseId);
    if (known) return Promise.resolve(known.accountId === accountId ? known.at : null);
    return this.run(async () => {
      const fast = this.fast;
      if (fast && !inOpenTransaction()) {
        const [row] = await fast.query<{ chat_id: string; seq: number }>(LOCATE, [responseId, accountId]);
        if (!row) return null;
        const at = { chatId: row.chat_id, seq: Number(row.seq) };
        if (this.located.size >= 100_000) this.located.delete(this.located.keys().next().value as string);
        this.located.set(responseId, { accountId, at });
        return at;
      }
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
