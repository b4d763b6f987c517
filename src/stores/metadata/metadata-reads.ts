/**
 * The listing and lookup queries of the PostgreSQL metadata store (postgres-metadata.store.ts), as plain functions
 * on a database handle (a transaction, or the pool); the store runs them through its error wrapper.
 */

import { sql } from 'kysely';
import type { ChatRecord, ConversationSummary } from '../../domain/model.js';
import { type ArchivedScope, type ListCursor, type LiveChat, START_FORKS } from '../../domain/ports.js';
import type { FastSql } from '../pg-fast.js';
import { type ChatRow, chatFromRow, toDate } from '../pg-rows.js';
import type { Db } from '../pg-tx.js';
import { CHAINS, LIST_TREE_WITHOUT_CHAINS, prefixed, rowsOf, UUID } from './metadata-sql.js';

/** The live chats of a tree, oldest first; none if the tree is another account's (or the id is no UUID). */
export async function listTree(
  db: Db,
  fast: FastSql | null,
  accountId: string,
  rootChatId: string,
): Promise<ChatRecord[]> {
  if (!UUID.test(rootChatId)) return [];
  const rows = await rowsOf<ChatRow>(LIST_TREE_WITHOUT_CHAINS, [rootChatId], db, fast);
  // A tree's chats all belong to its root's account: checked on the rows, not in the WHERE (generic plan).
  const account = accountId.toLowerCase();
  if (rows.some((r) => r.account_id !== account)) return [];
  const chats = rows.map(chatFromRow);
  const unresolved = rebuildChains(chats);
  if (unresolved.length > 0) {
    const stored = await rowsOf<{ chat_id: string; ancestor_ids: string[] }>(CHAINS, [unresolved], db, fast);
    const byId = new Map(stored.map((r) => [r.chat_id, r.ancestor_ids]));
    for (const c of chats) if (byId.has(c.chatId)) c.ancestorIds = byId.get(c.chatId) as string[];
  }
  return chats;
}

/**
 * Sets each chat's `ancestorIds` from its parent's: a branch's chain is always its parent's chain followed by the
 * parent, cut to the branch's own number of ancestors (`ancestorLimits.length`: it forks at a pair of the chain
 * member where the cut ends). Shares the parent's ids instead of a copy of each read from the database. Returns the
 * chats it could not rebuild that way (a parent not among the chats, or a chain longer than the parent's allows),
 * whose stored chains the caller reads instead.
 */
export function rebuildChains(chats: ChatRecord[]): string[] {
  const byId = new Map(chats.map((c) => [c.chatId, c]));
  const state = new Map<string, 'done' | 'unresolved'>();
  const resolve = (c: ChatRecord, depth: number): boolean => {
    const known = state.get(c.chatId);
    if (known) return known === 'done';
    const n = c.ancestorLimits.length;
    let chain: string[] | null = null;
    if (c.parentChatId === null) chain = n === 0 ? [] : null;
    else {
      const parent = byId.get(c.parentChatId);
      // depth: a cycle (impossible in a tree) ends here instead of in a stack overflow.
      if (parent && depth <= chats.length && resolve(parent, depth + 1)) {
        const above = parent.ancestorIds;
        if (n >= 1 && n <= above.length) chain = above.slice(0, n);
        else if (n === above.length + 1) chain = [...above, parent.chatId];
      }
    }
    if (chain) c.ancestorIds = chain;
    state.set(c.chatId, chain ? 'done' : 'unresolved');
    return chain !== null;
  };
  const unresolved: string[] = [];
  for (const c of chats) if (!resolve(c, 0)) unresolved.push(c.chatId);
  return unresolved;
}

/**
 * The account's live conversations in `archived` scope, pinned first, then by latest activity (then id), after the
 * cursor. Each scope is served by conversations_order_idx (account, archived, pinned desc, last_activity_at desc,
 * chat_id desc): `exclude` and `only` are one index scan from the cursor on; `include` is two of them (archived and
 * not), each stopping after `limit` rows, merged (Merge Append): the cost follows the page, not the account.
 */
export async function listConversations(
  db: Db,
  accountId: string,
  limit: number,
  cursor: ListCursor | null,
  archived: ArchivedScope,
): Promise<ConversationSummary[]> {
  const after = cursor
    ? sql`and (v.pinned, v.last_activity_at, v.chat_id) < (${cursor.pinned}, ${cursor.lastActivityAt}, ${cursor.chatId})`
    : sql``;
  const scan = (isArchived: boolean) => sql`(
    select v.chat_id, v.last_activity_at, v.branch_count, v.system_prompt, v.forked_from_chat_id,
           v.forked_from_response_id, v.archived, v.pinned, v.name_source
    from conversations v
    where v.account_id = ${accountId} and not v.deleted and v.archived = ${isArchived} ${after}
    order by v.pinned desc, v.last_activity_at desc, v.chat_id desc
    limit ${limit})`;
  const page = archived === 'include' ? sql`${scan(false)} union all ${scan(true)}` : scan(archived === 'only');
  const r = await sql<ChatRow & { last_activity_at: unknown; branch_count: number; active_chat_id: string }>`
    select ${prefixed('c')},
           v.last_activity_at, v.branch_count, v.system_prompt, v.archived, v.pinned, v.name_source,
           -- The source of a forked conversation while it is live (null once deleted).
           (select s.chat_id from chats s where s.chat_id = v.forked_from_chat_id and s.deleted_at is null)
             as forked_from_chat_id,
           v.forked_from_response_id,
           (select a.chat_id from chats a where a.root_chat_id = v.chat_id and a.active) as active_chat_id
    from (${page}) v join chats c on c.chat_id = v.chat_id
    order by v.pinned desc, v.last_activity_at desc, v.chat_id desc
    limit ${limit}`.execute(db);
  return r.rows.map((row) => ({
    root: chatFromRow(row),
    activeChatId: row.active_chat_id,
    branchCount: Number(row.branch_count),
    lastActivityAt: toDate(row.last_activity_at),
  }));
}

/**
 * The live branches forking right after each of these pairs, oldest first; with `startOf` (a root), also the tree's
 * start forks, under the key START_FORKS. One round trip: two index scans (chats_fork_idx, chats_start_idx).
 */
export async function branchesAfter(
  db: Db,
  accountId: string,
  responseIds: string[],
  startOf?: string,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (responseIds.length === 0 && startOf === undefined) return out;
  const start = startOf
    ? sql`union all
      select ${START_FORKS}::text, chat_id, created_at from chats
      where root_chat_id = ${startOf} and parent_chat_id is not null and fork_response_id is null
        and deleted_at is null and account_id = ${accountId}`
    : sql``;
  const r = await sql<{ fork_response_id: string; chat_id: string }>`
    select fork_response_id::text, chat_id, created_at from chats
    where fork_response_id = any(${responseIds}::uuid[]) and account_id = ${accountId} and deleted_at is null
    ${start}
    order by created_at, chat_id`.execute(db);
  for (const row of r.rows) {
    const list = out.get(row.fork_response_id);
    if (list) list.push(row.chat_id);
    else out.set(row.fork_response_id, [row.chat_id]);
  }
  return out;
}

export async function ownCounts(db: Db, chatIds: string[]): Promise<Map<string, number>> {
  if (chatIds.length === 0) return new Map();
  const r = await sql<{ chat_id: string; own_count: number }>`
    select chat_id, own_count from chats where chat_id = any(${chatIds}::uuid[])`.execute(db);
  return new Map(r.rows.map((row) => [row.chat_id, Number(row.own_count)]));
}

/** The account's live chats; outside the `include` scope, only those of conversations (not) archived. */
export async function liveChats(db: Db, accountId: string, archived: ArchivedScope): Promise<LiveChat[]> {
  const r =
    archived === 'include'
      ? await sql<{ chat_id: string; root_chat_id: string; own_count: number }>`
          select chat_id, root_chat_id, own_count from chats
          where account_id = ${accountId} and deleted_at is null`.execute(db)
      : await sql<{ chat_id: string; root_chat_id: string; own_count: number }>`
          select c.chat_id, c.root_chat_id, c.own_count
          from chats c join conversations v on v.chat_id = c.root_chat_id
          where c.account_id = ${accountId} and c.deleted_at is null and v.archived = ${archived === 'only'}`.execute(
          db,
        );
  return r.rows.map((row) => ({
    chatId: row.chat_id,
    rootChatId: row.root_chat_id,
    ownCount: Number(row.own_count),
  }));
}
