/**
 * MetadataStore over PostgreSQL through MikroORM (entity manager for simple reads and writes, its
 * Kysely instance for locking and set-based statements).
 *
 * Concurrency rule: every method that changes a tree first locks that tree's `conversations` row
 * (SELECT … FOR UPDATE), then touches chat rows. One lock order → no deadlocks; one lock per tree →
 * the active flag, counters and the live-parent check cannot race.
 *
 * Events: every write ends with one statement on the tree's `conversations` row (treeWrite) that also appends
 * the changes the service announced to `tree_events`, numbered by `event_seq` under that same lock (so seq order
 * is commit order), and now and then trims the tree's log to the retention. Once the transaction has committed,
 * `committed(root, seq)` tells the change feed, which delivers locally at once and NOTIFYs the other processes
 * (not NOTIFY inside the write: PostgreSQL serialises the commits of every transaction that notified, which cost
 * add-message about 6 % of its throughput; see BENCHMARKS.md, "Real-time events").
 *
 * Pieces beside it: metadata-sql.ts (SQL texts, row helpers), metadata-tree-writes.ts (tree locks, treeWrite),
 * metadata-one-pass.ts (one-call and grouped writes), metadata-chat-writes.ts (update-chat, automatic titles),
 * metadata-reads.ts and metadata-accounts.ts (queries), metadata-feedback.ts (feedback on answers).
 */

import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { ChatRowMemory } from '../../cache/chat-rows.js';
import { NotFoundError } from '../../domain/errors.js';
import type { SeqRange } from '../../domain/history.js';
import type {
  AccountRecord,
  ChatRecord,
  ConversationSummary,
  Feedback,
  PairFeedback,
  PairLocation,
} from '../../domain/model.js';
import type {
  Announce,
  AppendSlot,
  ArchivedScope,
  ChatChanges,
  EncodedChange,
  FeedbackCounts,
  FeedbackInput,
  ImportedTree,
  ListCursor,
  LiveChat,
  MetadataStore,
  PairExtras,
  SubtreeDeletion,
  TreeChange,
} from '../../domain/ports.js';
import { storeCalls } from '../errors.js';
import type { FastSql } from '../pg-fast.js';
import { toDate } from '../pg-rows.js';
import { type Db, inOpenTransaction, inTransaction, pgDb } from '../pg-tx.js';
import * as accounts from './metadata-accounts.js';
import * as chatWrites from './metadata-chat-writes.js';
import * as feedback from './metadata-feedback.js';
import { OnePassWrites } from './metadata-one-pass.js';
import * as queries from './metadata-reads.js';
import { later, owned, readChats, UUID } from './metadata-sql.js';
import { insertConversation, insertTree, TreeWrites } from './metadata-tree-writes.js';

/** How writes log their events; absent → no event log (EVENTS_ENABLED=false). */
export interface EventLogOptions {
  /** Turns an announced change into the event as sent (src/http/events/event-json.ts). */
  encode: (change: TreeChange) => EncodedChange;
  /** Events kept per tree (older ones are trimmed by writes, every TRIM_EVERY events). */
  retention: number;
  /**
   * Called after a commit with each tree it moved and the tree's new latest seq; the write is answered once the
   * returned promise resolves (the other processes that answer reads from memory have applied it).
   */
  committed?: (rootChatId: string, seq: number) => Promise<void> | void;
}

export class PostgresMetadataStore implements MetadataStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: () => Date = () => new Date(),
    private readonly events: EventLogOptions | null = null,
  ) {
    this.trees = new TreeWrites(clock, events);
    this.onePass = new OnePassWrites(orm, this.run, clock, events, this);
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  /** Kysely for raw statements: the current transaction's connection, or the pool. */
  private db(): Db {
    return pgDb(this.orm);
  }

  /** Every store call goes through this: driver failures become the domain's errors (errors.ts). */
  private readonly run = storeCalls('metadata database');

  /**
   * Chat rows kept current by the change feed while this process holds a read lease (src/cache/chat-rows.ts);
   * null: every read asks PostgreSQL.
   */
  rowMemory: ChatRowMemory | null = null;

  /**
   * With the content in PostgreSQL (its writes can be captured): add-message and create-branch without a first
   * pair write through one server-side function each (migrations/Migration20261203040000_write_functions.ts).
   */
  onePassWrites = false;

  /** Bun's client for the statements that run on their own (src/stores/pg-fast.ts); null: `pg` for them too. */
  fast: FastSql | null = null;

  /** The tree locks of open transactions and the last statement of every write (metadata-tree-writes.ts). */
  private readonly trees: TreeWrites;
  /** The one-call writes (metadata-one-pass.ts), when onePassWrites is on. */
  private readonly onePass: OnePassWrites;

  private tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const moved = new Map<string, number>();
    return this.run(async () => {
      const result = await inTransaction(this.orm, (db) => {
        this.trees.open(db, moved);
        return fn(db);
      });
      const committed = this.events?.committed;
      if (committed && moved.size > 0) await Promise.all([...moved].map(([root, seq]) => committed(root, seq)));
      return result;
    });
  }

  // ---- accounts ---------------------------------------------------------------------------------

  createAccount(account: AccountRecord): Promise<void> {
    return this.run(async () => accounts.createAccount(this.em(), account));
  }

  findAccountByEmail(email: string): Promise<AccountRecord | null> {
    return this.run(async () => accounts.findAccountByEmail(this.em(), email));
  }

  accountExists(accountId: string): Promise<boolean> {
    return this.run(async () => accounts.accountExists(this.db(), accountId));
  }

  // ---- reads ------------------------------------------------------------------------------------

  /**
   * A live chat of the account with its tree's version (the cache keys of its reads). Outside a transaction the
   * reads of one event-loop turn share one query (`chat_id = any(…)`): that query starts after each of their
   * requests did, so it sees every write answered before (reads stay linearizable, tests/e2e/linearizable.test.ts),
   * while concurrent requests divide the round trips (cached get-chat of a small page: 1.9 k → 6.3 k req/s).
   */
  getChat(accountId: string, chatId: string): Promise<ChatRecord | null> {
    if (inOpenTransaction())
      return this.run(async () => readChats([chatId], this.db(), null).then((m) => owned(m, accountId, chatId)));
    if (!UUID.test(chatId)) return Promise.resolve(null);
    const known = this.rowMemory?.get(chatId.toLowerCase());
    if (known) return Promise.resolve(known.accountId === accountId.toLowerCase() ? known : null);
    // The batch is one shared object, mutated in place: a wrapper of this store (tests decorate it with
    // Object.create) must add to the same batch, never shadow it with a copy of its own.
    const reads = this.chatReads;
    return new Promise((resolve, reject) => {
      reads.pending.push({ accountId, chatId, resolve, reject });
      if (reads.pending.length === 1) setImmediate(() => void this.readChatBatch(reads));
    });
  }

  private readonly chatReads: {
    pending: {
      accountId: string;
      chatId: string;
      resolve: (c: ChatRecord | null) => void;
      reject: (e: unknown) => void;
    }[];
  } = { pending: [] };

  private async readChatBatch(reads: PostgresMetadataStore['chatReads']): Promise<void> {
    const batch = reads.pending.splice(0);
    const token = this.rowMemory?.begin();
    try {
      // On the pool, whatever async context the batch happens to run in (never inside a caller's transaction).
      const pool = this.orm.em.getKysely() as Db;
      const ids = [...new Set(batch.map((b) => b.chatId.toLowerCase()))];
      const fast = this.fast;
      const rows = await this.run(() => readChats(ids, pool, fast));
      if (token) for (const row of rows.values()) this.rowMemory?.put(token, row);
      for (const b of batch) b.resolve(owned(rows, b.accountId, b.chatId));
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }

  listTree(accountId: string, rootChatId: string): Promise<ChatRecord[]> {
    return this.run(async () =>
      queries.listTree(this.db(), inOpenTransaction() ? null : this.fast, accountId, rootChatId),
    );
  }

  listConversations(
    accountId: string,
    limit: number,
    cursor: ListCursor | null,
    archived: ArchivedScope,
  ): Promise<ConversationSummary[]> {
    return this.run(async () => queries.listConversations(this.db(), accountId, limit, cursor, archived));
  }

  branchesAfter(accountId: string, responseIds: string[], startOf?: string): Promise<Map<string, string[]>> {
    return this.run(async () => queries.branchesAfter(this.db(), accountId, responseIds, startOf));
  }

  pairExtras(accountId: string, responseIds: string[], startOf?: string): Promise<PairExtras> {
    return this.run(async () => feedback.pairExtras(this.db(), accountId, responseIds, startOf));
  }

  feedbackIn(accountId: string, ranges: SeqRange[]): Promise<Map<string, PairFeedback>> {
    return this.run(async () => feedback.feedbackIn(this.db(), accountId, ranges));
  }

  feedbackCounts(accountId: string, ranges: SeqRange[]): Promise<FeedbackCounts> {
    return this.run(async () => feedback.feedbackCounts(this.db(), accountId, ranges));
  }

  ownCounts(chatIds: string[]): Promise<Map<string, number>> {
    return this.run(async () => queries.ownCounts(this.db(), chatIds));
  }

  liveChats(accountId: string, archived: ArchivedScope = 'include'): Promise<LiveChat[]> {
    return this.run(async () => queries.liveChats(this.db(), accountId, archived));
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await sql`select 1`.execute(this.db());
    });
  }

  // ---- writes -----------------------------------------------------------------------------------

  createConversation(root: ChatRecord, announce: Announce<ChatRecord>): Promise<ChatRecord> {
    return this.tx(async (db) => {
      await insertConversation(db, root);
      const created = { ...root, active: true, ownCount: 0 };
      await this.trees.createdEvent(db, root.chatId, announce(created));
      return created;
    });
  }

  appendPair(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot> {
    if (this.onePassWrites && !inOpenTransaction() && UUID.test(chatId) && UUID.test(accountId)) {
      return this.run(() => this.onePass.append(accountId, chatId, write, announce)).then(
        (slot) => slot ?? this.appendLocked(accountId, chatId, write, announce),
      );
    }
    return this.appendLocked(accountId, chatId, write, announce);
  }

  private appendLocked(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot> {
    return this.tx(async (db) => {
      const { fence, ...chat } = await this.trees.lockTree(db, accountId, chatId, true);
      const now = later(this.clock(), chat.updatedAt);
      const seq = chat.ownCount + 1;
      await write({ chat, seq, now, fence });
      const slot = { chat: { ...chat, ownCount: seq, updatedAt: now }, seq, now, fence };
      // The chat's counters, the tree's activity/version and the event in one statement.
      await this.trees.treeWrite(db, chat.rootChatId, {
        before: sql`update chats set own_count = ${seq}, updated_at = ${now} where chat_id = ${chatId}`,
        set: this.trees.touched(now),
        changes: announce(slot),
      });
      return slot;
    });
  }

  createBranch(
    branch: ChatRecord,
    options: { activate: boolean; writeFirst?: (slot: AppendSlot) => Promise<void> },
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord> {
    if (this.onePassWrites && !options.writeFirst && !inOpenTransaction()) {
      return this.run(() => this.onePass.createBranch(branch, options.activate, announce)).then(
        (created) => created ?? this.createBranchLocked(branch, options, announce),
      );
    }
    return this.createBranchLocked(branch, options, announce);
  }

  private createBranchLocked(
    branch: ChatRecord,
    options: { activate: boolean; writeFirst?: (slot: AppendSlot) => Promise<void> },
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord> {
    return this.tx(async (db) => {
      const settings = await this.trees.lockConversation(db, branch.accountId, branch.rootChatId);
      // The fencing token is taken here, after the tree lock is held.
      const parent = await sql<{ fence: string }>`
        select nextval('content_fence') as fence from chats
        where chat_id = ${branch.parentChatId} and deleted_at is null`.execute(db);
      if (parent.rows.length === 0) throw new NotFoundError(`Chat ${branch.parentChatId} not found`);
      const fence = Number(parent.rows[0]?.fence);
      if (options.activate) {
        await sql`update chats set active = false where root_chat_id = ${branch.rootChatId} and active`.execute(db);
      }
      await sql`
        insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                           created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count)
        values (${branch.chatId}, ${branch.accountId}, ${branch.rootChatId}, ${branch.parentChatId},
                ${branch.forkResponseId}, 'branch', ${branch.name}, ${branch.createdAt}, ${branch.updatedAt},
                ${options.activate}, ${branch.ancestorIds}::uuid[], ${branch.ancestorLimits}::int[], 0)`.execute(db);
      let created: ChatRecord = { ...branch, ...settings, active: options.activate, ownCount: 0 };
      if (options.writeFirst) {
        // Stamped under the lock (not when the request began), like appendPair: the reconciler's grace period
        // is measured from this timestamp.
        await options.writeFirst({ chat: created, seq: 1, now: later(this.clock(), branch.createdAt), fence });
        created = { ...created, ownCount: 1 };
      }
      await this.trees.treeWrite(db, branch.rootChatId, {
        before: options.writeFirst ? sql`update chats set own_count = 1 where chat_id = ${branch.chatId}` : undefined,
        set: this.trees.touched(branch.createdAt, 1),
        changes: announce(created),
      });
      return created;
    });
  }

  setActive(
    accountId: string,
    chatId: string,
    announce: Announce<{ rootChatId: string; activeChatId: string }>,
  ): Promise<{ rootChatId: string; activeChatId: string }> {
    return this.tx(async (db) => {
      const chat = await this.trees.lockTreeOf(db, accountId, chatId);
      const result = { rootChatId: chat.rootChatId, activeChatId: chatId };
      if (!chat.active) {
        // Two statements, not one: the partial unique index is checked row by row.
        await sql`update chats set active = false where root_chat_id = ${chat.rootChatId} and active`.execute(db);
        await sql`update chats set active = true where chat_id = ${chatId}`.execute(db);
      }
      // Activating the active chat changes nothing, yet is announced like any other call (clients re-sync on it).
      await this.trees.treeWrite(db, chat.rootChatId, {
        set: chat.active ? undefined : this.trees.touched(this.clock()),
        changes: announce(result),
      });
      return result;
    });
  }

  softDeleteSubtree(accountId: string, chatId: string, announce: Announce<SubtreeDeletion>): Promise<SubtreeDeletion> {
    return this.tx(async (db) => {
      const chat = await this.trees.lockTreeOf(db, accountId, chatId);
      const now = this.clock();
      const deleted = await sql<{ chat_id: string; created_at: unknown; was_active: boolean }>`
        update chats c set deleted_at = ${now}, active = false
        from chats old
        where old.chat_id = c.chat_id
          and c.root_chat_id = ${chat.rootChatId} and c.deleted_at is null
          and (c.chat_id = ${chatId} or ${chatId}::uuid = any(c.ancestor_ids))
        returning c.chat_id, c.created_at, old.active as was_active`.execute(db);
      const rows = [...deleted.rows].sort(
        (a, b) => toDate(a.created_at).getTime() - toDate(b.created_at).getTime() || a.chat_id.localeCompare(b.chat_id),
      );
      let newActiveChatId: string | null = null;
      const isRoot = chat.parentChatId === null;
      if (!isRoot && rows.some((r) => r.was_active)) {
        await sql`update chats set active = true where chat_id = ${chat.parentChatId}`.execute(db);
        newActiveChatId = chat.parentChatId;
      }
      const result = { rootChatId: chat.rootChatId, deletedChatIds: rows.map((r) => r.chat_id), newActiveChatId };
      await this.trees.treeWrite(db, chat.rootChatId, {
        set: isRoot ? sql`deleted = true, version = version + 1` : this.trees.touched(now, -rows.length),
        changes: announce(result),
      });
      return result;
    });
  }

  updateChat(
    accountId: string,
    chatId: string,
    changes: ChatChanges,
    now: Date,
    check: (current: ChatRecord) => void,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord> {
    return this.tx((db) => chatWrites.updateChat(db, this.trees, { accountId, chatId, changes, now, check, announce }));
  }

  setTitle(
    accountId: string,
    rootChatId: string,
    title: string,
    now: Date,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord | null> {
    return this.tx((db) => chatWrites.setTitle(db, this.trees, { accountId, rootChatId, title, now, announce }));
  }

  setFeedback(
    accountId: string,
    responseId: string,
    at: PairLocation,
    given: FeedbackInput,
    announce: Announce<Feedback | null>,
  ): Promise<Feedback | null> {
    return this.tx((db) =>
      feedback.setFeedbackLocked(db, this.trees, this.clock(), {
        accountId,
        responseId,
        at,
        feedback: given,
        announce,
      }),
    );
  }

  importTrees(
    trees: ImportedTree[],
    write: (fence: number) => Promise<void>,
    announce: Announce<ImportedTree>,
  ): Promise<void> {
    return this.tx(async (db) => {
      for (const tree of trees) {
        await insertTree(db, tree);
        const root = tree.chats[0] as ChatRecord;
        if (tree.feedback?.length) await feedback.insertFeedback(db, root.accountId, root.chatId, tree.feedback);
        await this.trees.createdEvent(db, root.chatId, announce(tree));
      }
      const fence = await sql<{ fence: string }>`select nextval('content_fence') as fence`.execute(db);
      // Content last, in this transaction: with PostgreSQL content it commits or rolls back with the rows.
      await write(Number(fence.rows[0]?.fence));
    });
  }
}
