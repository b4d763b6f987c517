/**
 * Feedback on answers in the PostgreSQL metadata store (table `pair_feedback`,
 * migrations/Migration20261204020000_feedback.ts): the page reads' extras (a page's branches and feedback in one
 * statement), the reads over seq ranges (export, fork-chat) and their counts (compare-branches), the write of
 * set-feedback (under the tree lock, ending with the tree's statement) and the rows of an import.
 */

import { sql } from 'kysely';
import { NotFoundError } from '../../domain/errors.js';
import type { SeqRange } from '../../domain/history.js';
import type { Feedback, PairFeedback, PairLocation, Rating } from '../../domain/model.js';
import {
  type Announce,
  type FeedbackCounts,
  type FeedbackInput,
  type PairExtras,
  START_FORKS,
} from '../../domain/ports.js';
import { toDate } from '../pg-rows.js';
import type { Db } from '../pg-tx.js';
import type { TreeWrites } from './metadata-tree-writes.js';

/** Feedback rows per insert statement (an import). */
const ROWS_PER_INSERT = 1000;

/**
 * The live branches forking right after each of these pairs (oldest first), with `startOf` the tree's start forks
 * (under START_FORKS), and the account's feedback on each pair: one round trip (chats_fork_idx, chats_start_idx and
 * pair_feedback's primary key).
 */
export async function pairExtras(
  db: Db,
  accountId: string,
  responseIds: string[],
  startOf?: string,
): Promise<PairExtras> {
  const out: PairExtras = { branches: new Map(), feedback: new Map() };
  if (responseIds.length === 0 && startOf === undefined) return out;
  const start = startOf
    ? sql`union all
      select 0, ${START_FORKS}::text, chat_id::text, created_at, null::text from chats
      where root_chat_id = ${startOf} and parent_chat_id is not null and fork_response_id is null
        and deleted_at is null and account_id = ${accountId}`
    : sql``;
  const r = await sql<{ kind: number; key: string; value: string; at: unknown; comment: string | null }>`
    select 0 as kind, fork_response_id::text as key, chat_id::text as value, created_at as at, null::text as comment
    from chats
    where fork_response_id = any(${responseIds}::uuid[]) and account_id = ${accountId} and deleted_at is null
    ${start}
    union all
    select 1, response_id::text, rating, updated_at, comment from pair_feedback
    where account_id = ${accountId} and response_id = any(${responseIds}::uuid[])
    order by kind, at, value`.execute(db);
  for (const row of r.rows) {
    if (Number(row.kind) === 1) {
      out.feedback.set(row.key, { rating: row.value as Rating, comment: row.comment, updatedAt: toDate(row.at) });
      continue;
    }
    const list = out.branches.get(row.key);
    if (list) list.push(row.value);
    else out.branches.set(row.key, [row.value]);
  }
  return out;
}

/** The ranges as three parallel arrays (unnest'ed by the range queries). */
function rangeArrays(ranges: SeqRange[]) {
  return {
    chats: ranges.map((r) => r.chatId),
    froms: ranges.map((r) => r.fromSeq),
    tos: ranges.map((r) => r.toSeq),
  };
}

/** The account's feedback on the pairs of `ranges`, by response id (pair_feedback_slot_idx, one query). */
export async function feedbackIn(db: Db, accountId: string, ranges: SeqRange[]): Promise<Map<string, PairFeedback>> {
  const out = new Map<string, PairFeedback>();
  if (ranges.length === 0) return out;
  const { chats, froms, tos } = rangeArrays(ranges);
  const r = await sql<{
    response_id: string;
    chat_id: string;
    seq: number;
    rating: Rating;
    comment: string | null;
    updated_at: unknown;
  }>`
    select f.response_id, f.chat_id, f.seq, f.rating, f.comment, f.updated_at
    from unnest(${chats}::uuid[], ${froms}::int[], ${tos}::int[]) as r (chat_id, from_seq, to_seq)
    join pair_feedback f on f.chat_id = r.chat_id and f.seq between r.from_seq and r.to_seq
    where f.account_id = ${accountId}`.execute(db);
  for (const row of r.rows) {
    out.set(row.response_id, {
      responseId: row.response_id,
      chatId: row.chat_id,
      seq: Number(row.seq),
      rating: row.rating,
      comment: row.comment,
      updatedAt: toDate(row.updated_at),
    });
  }
  return out;
}

/** How many pairs of `ranges` (which must not overlap) the account rated up and down: one aggregate. */
export async function feedbackCounts(db: Db, accountId: string, ranges: SeqRange[]): Promise<FeedbackCounts> {
  if (ranges.length === 0) return { up: 0, down: 0 };
  const { chats, froms, tos } = rangeArrays(ranges);
  const r = await sql<{ up: string | number; down: string | number }>`
    select count(*) filter (where f.rating = 'up') as up, count(*) filter (where f.rating = 'down') as down
    from unnest(${chats}::uuid[], ${froms}::int[], ${tos}::int[]) as r (chat_id, from_seq, to_seq)
    join pair_feedback f on f.chat_id = r.chat_id and f.seq between r.from_seq and r.to_seq
    where f.account_id = ${accountId}`.execute(db);
  const row = r.rows[0];
  return { up: Number(row?.up ?? 0), down: Number(row?.down ?? 0) };
}

/**
 * set-feedback inside a transaction: locks the tree of the chat at `at`, checks that the pair is committed there,
 * then in the tree's last statement upserts (or deletes) the row, bumps the tree's version and appends the event.
 * The tree's activity time does not move: rating an answer is no new content (list-chats keeps its order).
 */
export async function setFeedbackLocked(
  db: Db,
  trees: TreeWrites,
  now: Date,
  o: {
    accountId: string;
    responseId: string;
    at: PairLocation;
    feedback: FeedbackInput;
    announce: Announce<Feedback | null>;
  },
): Promise<Feedback | null> {
  const chat = await trees.lockTreeOf(db, o.accountId, o.at.chatId);
  if (o.at.seq > chat.ownCount) throw new NotFoundError(`Pair ${o.responseId} not found`);
  const stored: Feedback | null = o.feedback ? { ...o.feedback, updatedAt: now } : null;
  const before = o.feedback
    ? sql`insert into pair_feedback (account_id, response_id, root_chat_id, chat_id, seq, rating, comment, updated_at)
          values (${o.accountId}, ${o.responseId}, ${chat.rootChatId}, ${o.at.chatId}, ${o.at.seq},
                  ${o.feedback.rating}, ${o.feedback.comment}, ${now})
          on conflict (account_id, response_id) do update
            set rating = excluded.rating, comment = excluded.comment, updated_at = excluded.updated_at`
    : sql`delete from pair_feedback where account_id = ${o.accountId} and response_id = ${o.responseId}`;
  await trees.treeWrite(db, chat.rootChatId, {
    before,
    set: sql`version = version + 1`,
    changes: o.announce(stored),
  });
  return stored;
}

/** The feedback rows of an imported tree (its new pairs), in batches. */
export async function insertFeedback(
  db: Db,
  accountId: string,
  rootChatId: string,
  rows: readonly PairFeedback[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map(
      (f) =>
        sql`(${accountId}, ${f.responseId}, ${rootChatId}, ${f.chatId}, ${f.seq}, ${f.rating}, ${f.comment},
               ${f.updatedAt})`,
    );
    await sql`
      insert into pair_feedback (account_id, response_id, root_chat_id, chat_id, seq, rating, comment, updated_at)
      values ${sql.join(values)}`.execute(db);
  }
}
