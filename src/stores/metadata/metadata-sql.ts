/**
 * The SQL texts and row helpers of the PostgreSQL metadata store (postgres-metadata.store.ts): the batched chat
 * reads, the write functions' calls (migrations/Migration20261203040000_write_functions.ts) and their parameters.
 */

import { CompiledQuery } from 'kysely';
import type { ChatRecord } from '../../domain/model.js';
import { windowEnd } from '../../domain/time.js';
import type { FastSql } from '../pg-fast.js';
import { CHAT_COLUMNS, type ChatRow, chatFromRow, columnList } from '../pg-rows.js';
import type { Db } from '../pg-tx.js';

export const cols = columnList(CHAT_COLUMNS);
export const prefixed = (alias: string) => columnList(CHAT_COLUMNS, alias);

/** The chat if the account owns it (another account's chat is as absent as a missing one). */
export function owned(chats: Map<string, ChatRecord>, accountId: string, chatId: string): ChatRecord | null {
  const c = chats.get(chatId.toLowerCase());
  return c && c.accountId === accountId.toLowerCase() ? c : null;
}

/**
 * A UUID in its standard form, the one PostgreSQL returns (the API accepts only that form): anything else matches
 * no chat here, and must not fail a shared query.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A strictly later timestamp than `prev`, so `updated_at` visibly changes on every write; never past the
 * stored-time window (domain/time.ts): after a `prev` at its end, the end itself (so no write ever stores a
 * time that cannot be read back, however late `prev` is).
 */
export function later(now: Date, prev: Date): Date {
  const t = now.getTime() > prev.getTime() ? now : new Date(prev.getTime() + 1);
  return t.getTime() > windowEnd(now).getTime() ? windowEnd(now) : t;
}

/**
 * The chats of `$1` (uuid[]), each with its tree's version, system prompt, flags and name source (the batched reads); deleted ones are
 * left out by the caller. Times as text, parsed like `pg`'s (src/stores/pg-rows.ts: any stored time, 'infinity' or a
 * year past JavaScript's range included, which Bun's own parser refuses). A prepared statement runs a generic plan: with `deleted_at is null` in the WHERE, that plan
 * combined the primary key with a full scan of a partial index on live chats (every live chat read per call).
 */
export const READ_CHATS = `
  select ${CHAT_COLUMNS.split(', ')
    .map((c) => (c === 'created_at' || c === 'updated_at' ? `c.${c}::text` : `c.${c}`))
    .join(', ')}, v.version as tree_version, v.system_prompt, c.deleted_at is not null as deleted,
    v.forked_from_chat_id, v.forked_from_response_id, v.archived, v.pinned, v.name_source
  from chats c join conversations v on v.chat_id = c.root_chat_id
  where c.chat_id = any($1::uuid[])`;

/** The live chats of the tree `$1`, oldest first (chats_tree_idx). Times as text, as in READ_CHATS. */
export const LIST_TREE = `
  select ${CHAT_COLUMNS.split(', ')
    .map((c) => (c === 'created_at' || c === 'updated_at' ? `c.${c}::text` : `c.${c}`))
    .join(', ')}
  from chats c where c.root_chat_id = $1 and c.deleted_at is null
  order by c.created_at, c.chat_id`;
/**
 * LIST_TREE without the chains' ids (each chat's `ancestor_ids` is rebuilt from its parent's, see listTree): a
 * 1,000-branch tree of depth 50 carries ~25,000 of them, most of a tree read's bytes and allocations.
 */
export const LIST_TREE_WITHOUT_CHAINS = LIST_TREE.replace('c.ancestor_ids', "'{}'::uuid[] as ancestor_ids");
/** The stored chains of some chats (where listTree cannot rebuild them). */
export const CHAINS = 'select chat_id, ancestor_ids from chats where chat_id = any($1::uuid[])';

/** One statement's rows: through Bun's client when given, else through Kysely on `db` (a transaction, or the pool). */
export async function rowsOf<R>(text: string, params: unknown[], db: Db, fast: FastSql | null): Promise<R[]> {
  return fast ? fast.query<R>(text, params) : (await db.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

/** The write functions (migrations/Migration20261203040000_write_functions.ts), parameters in their order. */
export const APPEND_PAIR = `select branchat_append_pair($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
  $17, $18, $19::regconfig, $20::text[], $21::text[], $22, $23, $24) as last`;
/** branchat_append_pairs: the items' fields, in APPEND_PAIR's parameter order. */
export const APPEND_ITEM = [
  'account',
  'chat',
  'root',
  'version',
  'own',
  'updated',
  'now',
  'window_end',
  'response_id',
  'question',
  'response',
  'type',
  'language',
  'url',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'latency_ms',
  'search_lang',
  'events',
  'data',
  'at',
  'retention',
  'trim_every',
];
export const APPEND_PAIRS = 'select branchat_append_pairs($1::text::jsonb) as lasts';
/** branchat_create_branches: the items' fields, in CREATE_BRANCH's parameter order. */
export const BRANCH_ITEM = [
  'account',
  'root',
  'chat',
  'parent',
  'fork_response',
  'name',
  'created',
  'updated',
  'activate',
  'ancestor_ids',
  'ancestor_limits',
  'window_end',
  'events',
  'data',
  'at',
  'retention',
  'trim_every',
];
export const CREATE_BRANCHES = 'select branchat_create_branches($1::text::jsonb) as lasts';

export const CREATE_BRANCH = `select branchat_create_branch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid[], $11::int[], $12,
  $13::text[], $14::text[], $15, $16, $17) as last`;

/** A tree's log is trimmed to the retention when its seq passes a multiple of this (one DELETE per 32 events). */
export const TRIM_EVERY = 32;

/** Live chats by id (READ_CHATS), each with its tree's version and system prompt: through Bun's client when given
 * (outside transactions), else on `db`. */
export async function readChats(chatIds: string[], db: Db, fast: FastSql | null): Promise<Map<string, ChatRecord>> {
  const rows = await rowsOf<ChatRow & { deleted: boolean }>(READ_CHATS, [chatIds], db, fast);
  return new Map(rows.filter((r) => !r.deleted).map((row) => [row.chat_id, chatFromRow(row)]));
}
