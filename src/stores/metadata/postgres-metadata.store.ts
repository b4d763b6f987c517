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
 */

import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery, type RawBuilder, sql } from 'kysely';
import type { ChatRowMemory } from '../../cache/chat-rows.js';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.js';
import type { AccountRecord, ChatRecord, ConversationSummary } from '../../domain/model.js';
import type {
  Announce,
  AppendSlot,
  ChatChanges,
  EncodedChange,
  ImportedTree,
  ListCursor,
  LiveChat,
  MetadataStore,
  SubtreeDeletion,
  TreeChange,
} from '../../domain/ports.js';
import { windowEnd } from '../../domain/time.js';
import { captureAppends } from '../content/postgres-content.store.js';
import { AccountEntity } from '../entities/metadata.entities.js';
import { isUniqueViolation, storeCalls } from '../errors.js';
import type { FastSql } from '../pg-fast.js';
import { CHAT_COLUMNS, type ChatRow, chatFromRow, columnList, toDate } from '../pg-rows.js';
import { type Db, inOpenTransaction, inTransaction, pgDb } from '../pg-tx.js';

const cols = columnList(CHAT_COLUMNS);
const prefixed = (alias: string) => columnList(CHAT_COLUMNS, alias);

/** The chat if the account owns it (another account's chat is as absent as a missing one). */
function owned(chats: Map<string, ChatRecord>, accountId: string, chatId: string): ChatRecord | null {
  const c = chats.get(chatId.toLowerCase());
  return c && c.accountId === accountId.toLowerCase() ? c : null;
}

/**
 * A UUID in its standard form, the one PostgreSQL returns (the API accepts only that form): anything else matches
 * no chat here, and must not fail a shared query.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A strictly later timestamp than `prev`, so `updated_at` visibly changes on every write; never past the
 * stored-time window (domain/time.ts): after a `prev` at its end, the end itself (so no write ever stores a
 * time that cannot be read back, however late `prev` is).
 */
function later(now: Date, prev: Date): Date {
  const t = now.getTime() > prev.getTime() ? now : new Date(prev.getTime() + 1);
  return t.getTime() > windowEnd(now).getTime() ? windowEnd(now) : t;
}

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

/**
 * The chats of `$1` (uuid[]), each with its tree's version and system prompt (the batched reads); deleted ones are
 * left out by the caller. Times as text, parsed like `pg`'s (src/stores/pg-rows.ts: any stored time, 'infinity' or a
 * year past JavaScript's range included, which Bun's own parser refuses). A prepared statement runs a generic plan: with `deleted_at is null` in the WHERE, that plan
 * combined the primary key with a full scan of a partial index on live chats (every live chat read per call).
 */
const READ_CHATS = `
  select ${CHAT_COLUMNS.split(', ')
    .map((c) => (c === 'created_at' || c === 'updated_at' ? `c.${c}::text` : `c.${c}`))
    .join(', ')}, v.version as tree_version, v.system_prompt, c.deleted_at is not null as deleted
  from chats c join conversations v on v.chat_id = c.root_chat_id
  where c.chat_id = any($1::uuid[])`;

/** The live chats of the tree `$1`, oldest first (chats_tree_idx). Times as text, as in READ_CHATS. */
const LIST_TREE = `
  select ${CHAT_COLUMNS.split(', ')
    .map((c) => (c === 'created_at' || c === 'updated_at' ? `c.${c}::text` : `c.${c}`))
    .join(', ')}
  from chats c where c.root_chat_id = $1 and c.deleted_at is null
  order by c.created_at, c.chat_id`;

/** One statement's rows: through Bun's client when given, else through Kysely on `db` (a transaction, or the pool). */
async function rowsOf<R>(text: string, params: unknown[], db: Db, fast: FastSql | null): Promise<R[]> {
  return fast ? fast.query<R>(text, params) : (await db.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

/** The write functions (migrations/Migration20261203040000_write_functions.ts), parameters in their order. */
const APPEND_PAIR = `select branchat_append_pair($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
  $17, $18, $19::regconfig, $20::text[], $21::text[], $22, $23, $24) as last`;
/** branchat_append_pairs: the items' fields, in APPEND_PAIR's parameter order. */
const APPEND_ITEM = [
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
const APPEND_PAIRS = 'select branchat_append_pairs($1::text::jsonb) as lasts';
/** branchat_create_branches: the items' fields, in CREATE_BRANCH's parameter order. */
const BRANCH_ITEM = [
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
const CREATE_BRANCHES = 'select branchat_create_branches($1::text::jsonb) as lasts';

/** Writes of one kind waiting for their group's call (see PostgresMetadataStore.grouped). */
interface WriteGroup {
  pending: { args: unknown[]; root: string; resolve: (last: string | null) => void; reject: (e: unknown) => void }[];
  /** The function for one item, and for several (a jsonb array of items with `fields` as keys). */
  one: string;
  many: string;
  fields: string[];
}
const CREATE_BRANCH = `select branchat_create_branch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid[], $11::int[], $12,
  $13::text[], $14::text[], $15, $16, $17) as last`;

/** A tree's log is trimmed to the retention when its seq passes a multiple of this (one DELETE per 32 events). */
const TRIM_EVERY = 32;

export class PostgresMetadataStore implements MetadataStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: () => Date = () => new Date(),
    private readonly events: EventLogOptions | null = null,
  ) {}

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

  /** Per open transaction: the event_seq of each tree it holds locked (read with the lock), as it moves. */
  private readonly heldSeq = new WeakMap<Db, Map<string, number>>();
  /** The trees each open transaction moved, with their latest seq: announced once it has committed. */
  private readonly moved = new WeakMap<Db, Map<string, number>>();

  private tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const moved = new Map<string, number>();
    return this.run(async () => {
      const result = await inTransaction(this.orm, (db) => {
        this.moved.set(db, moved);
        this.heldSeq.set(db, new Map());
        return fn(db);
      });
      const committed = this.events?.committed;
      if (committed && moved.size > 0) await Promise.all([...moved].map(([root, seq]) => committed(root, seq)));
      return result;
    });
  }

  // ---- accounts ---------------------------------------------------------------------------------

  createAccount(account: AccountRecord): Promise<void> {
    return this.run(async () => {
      try {
        await this.em().insert(AccountEntity, {
          accountId: account.accountId,
          email: account.email,
          passwordHash: account.passwordHash,
          createdAt: account.createdAt,
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError('An account with this email already exists');
        throw e;
      }
    });
  }

  findAccountByEmail(email: string): Promise<AccountRecord | null> {
    return this.run(async () => {
      const a = await this.em().findOne(AccountEntity, { email });
      return a
        ? { accountId: a.accountId, email: a.email, passwordHash: a.passwordHash, createdAt: a.createdAt }
        : null;
    });
  }

  accountExists(accountId: string): Promise<boolean> {
    return this.run(async () => {
      const r = await sql`select 1 from accounts where account_id = ${accountId}`.execute(this.db());
      return r.rows.length > 0;
    });
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
      return this.run(async () => this.readChats([chatId], this.db(), null).then((m) => owned(m, accountId, chatId)));
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
      const rows = await this.run(() => this.readChats(ids, pool, fast));
      if (token) for (const row of rows.values()) this.rowMemory?.put(token, row);
      for (const b of batch) b.resolve(owned(rows, b.accountId, b.chatId));
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }

  /** Live chats by id, each with its tree's version and system prompt. */
  /** Live chats by id (READ_CHATS): through Bun's client when given (outside transactions), else on `db`. */
  private async readChats(chatIds: string[], db: Db, fast: FastSql | null): Promise<Map<string, ChatRecord>> {
    const rows = await rowsOf<ChatRow & { deleted: boolean }>(READ_CHATS, [chatIds], db, fast);
    return new Map(rows.filter((r) => !r.deleted).map((row) => [row.chat_id, chatFromRow(row)]));
  }

  listTree(accountId: string, rootChatId: string): Promise<ChatRecord[]> {
    return this.run(async () => {
      if (!UUID.test(rootChatId)) return [];
      const fast = inOpenTransaction() ? null : this.fast;
      const rows = await rowsOf<ChatRow>(LIST_TREE, [rootChatId], this.db(), fast);
      // A tree's chats all belong to its root's account: checked on the rows, not in the WHERE (generic plan).
      const account = accountId.toLowerCase();
      return rows.some((r) => r.account_id !== account) ? [] : rows.map(chatFromRow);
    });
  }

  listConversations(accountId: string, limit: number, cursor: ListCursor | null): Promise<ConversationSummary[]> {
    return this.run(async () => {
      const after = cursor
        ? sql`and (v.last_activity_at, v.chat_id) < (${cursor.lastActivityAt}, ${cursor.chatId})`
        : sql``;
      const r = await sql<ChatRow & { last_activity_at: unknown; branch_count: number; active_chat_id: string }>`
        select ${prefixed('c')},
               v.last_activity_at, v.branch_count, v.system_prompt,
               (select a.chat_id from chats a where a.root_chat_id = v.chat_id and a.active) as active_chat_id
        from conversations v join chats c on c.chat_id = v.chat_id
        where v.account_id = ${accountId} and not v.deleted ${after}
        order by v.last_activity_at desc, v.chat_id desc
        limit ${limit}`.execute(this.db());
      return r.rows.map((row) => ({
        root: chatFromRow(row),
        activeChatId: row.active_chat_id,
        branchCount: Number(row.branch_count),
        lastActivityAt: toDate(row.last_activity_at),
      }));
    });
  }

  branchesAfter(accountId: string, responseIds: string[]): Promise<Map<string, string[]>> {
    return this.run(async () => {
      const out = new Map<string, string[]>();
      if (responseIds.length === 0) return out;
      const r = await sql<{ fork_response_id: string; chat_id: string }>`
        select fork_response_id, chat_id from chats
        where fork_response_id = any(${responseIds}::uuid[]) and account_id = ${accountId} and deleted_at is null
        order by created_at, chat_id`.execute(this.db());
      for (const row of r.rows) {
        const list = out.get(row.fork_response_id);
        if (list) list.push(row.chat_id);
        else out.set(row.fork_response_id, [row.chat_id]);
      }
      return out;
    });
  }

  ownCounts(chatIds: string[]): Promise<Map<string, number>> {
    return this.run(async () => {
      if (chatIds.length === 0) return new Map();
      const r = await sql<{ chat_id: string; own_count: number }>`
        select chat_id, own_count from chats where chat_id = any(${chatIds}::uuid[])`.execute(this.db());
      return new Map(r.rows.map((row) => [row.chat_id, Number(row.own_count)]));
    });
  }

  liveChats(accountId: string): Promise<LiveChat[]> {
    return this.run(async () => {
      const r = await sql<{ chat_id: string; root_chat_id: string; own_count: number }>`
        select chat_id, root_chat_id, own_count from chats
        where account_id = ${accountId} and deleted_at is null`.execute(this.db());
      return r.rows.map((row) => ({
        chatId: row.chat_id,
        rootChatId: row.root_chat_id,
        ownCount: Number(row.own_count),
      }));
    });
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await sql`select 1`.execute(this.db());
    });
  }

  // ---- writes -----------------------------------------------------------------------------------

  createConversation(root: ChatRecord, announce: Announce<ChatRecord>): Promise<ChatRecord> {
    return this.tx(async (db) => {
      await sql`
        insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                           created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count)
        values (${root.chatId}, ${root.accountId}, ${root.chatId}, null, null, 'main', ${root.name},
                ${root.createdAt}, ${root.updatedAt}, true, '{}', '{}', 0)`.execute(db);
      await sql`
        insert into conversations (chat_id, account_id, name, deleted, created_at, last_activity_at, branch_count, version,
                                   system_prompt)
        values (${root.chatId}, ${root.accountId}, ${root.name}, false, ${root.createdAt}, ${root.createdAt}, 0, 0,
                ${root.systemPrompt})`.execute(db);
      const created = { ...root, active: true, ownCount: 0 };
      await this.createdEvent(db, root.chatId, announce(created));
      return created;
    });
  }

  /**
   * Finds the tree of a live chat and locks it (conversation row, then the chat row); returns the chat and
   * a fencing token taken after the tree lock is held (so a later holder of the lock gets a higher one).
   */
  private async lockTreeOf(db: Db, accountId: string, chatId: string): Promise<ChatRecord> {
    const { fence: _, ...chat } = await this.lockTree(db, accountId, chatId, false);
    return chat;
  }

  private async lockTree(
    db: Db,
    accountId: string,
    chatId: string,
    withFence: boolean,
  ): Promise<ChatRecord & { fence: number }> {
    // One round trip: resolve the tree of the chat and lock its conversation row.
    const tree = await sql<{ chat_id: string; event_seq: string }>`
      select chat_id, event_seq from conversations
      where chat_id = (select root_chat_id from chats
                       where chat_id = ${chatId} and account_id = ${accountId} and deleted_at is null)
        and account_id = ${accountId} and not deleted
      for update`.execute(db);
    const locked = tree.rows[0];
    if (!locked) throw new NotFoundError(`Chat ${chatId} not found`);
    this.heldSeq.get(db)?.set(locked.chat_id, Number(locked.event_seq));
    // Re-read under the lock (a concurrent delete may have won). Every writer of a chat row holds the
    // tree lock first, so this row lock never waits; it makes the read see the latest committed row.
    const r = await sql<ChatRow & { fence: string }>`
      select ${cols}, ${withFence ? sql`nextval('content_fence')` : sql`0`} as fence,
             (select v.system_prompt from conversations v where v.chat_id = chats.root_chat_id) as system_prompt
      from chats where chat_id = ${chatId} and deleted_at is null for no key update`.execute(db);
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`Chat ${chatId} not found`);
    return { ...chatFromRow(row), fence: Number(row.fence) };
  }

  private async lockConversation(db: Db, accountId: string, rootChatId: string): Promise<void> {
    const r = await sql<{ event_seq: string }>`
      select event_seq from conversations where chat_id = ${rootChatId} and account_id = ${accountId} and not deleted
      for update`.execute(db);
    const locked = r.rows[0];
    if (!locked) throw new NotFoundError(`Chat ${rootChatId} not found`);
    this.heldSeq.get(db)?.set(rootChatId, Number(locked.event_seq));
  }

  /** The tree's activity moves to `now` (never back, and never past the window: a later one is repaired). */
  private touched(now: Date, branchDelta = 0): RawBuilder<unknown> {
    return sql`last_activity_at = least(greatest(last_activity_at, ${now}), ${windowEnd(this.clock())}),
               version = version + 1, branch_count = branch_count + ${branchDelta}`;
  }

  /**
   * The last statement of every write, one round trip: runs `before` (a data-modifying statement, optional),
   * updates the tree's conversations row with `set` (optional) and, with the event log on, appends `changes`
   * numbered after its event_seq (under the tree lock the write holds, so seq order is commit order) and, every
   * TRIM_EVERY events, trims the tree's log to the retention. The change feed hears of it after COMMIT (tx()).
   */
  private async treeWrite(
    db: Db,
    rootChatId: string,
    o: { set?: RawBuilder<unknown>; before?: RawBuilder<unknown>; changes: TreeChange[] },
  ): Promise<void> {
    const changes = this.events ? o.changes.map(this.events.encode) : [];
    const n = changes.length;
    if (n === 0 && !o.set && !o.before) return;
    const before = o.before ? sql`b as (${o.before}),` : sql``;
    const set = o.set ?? sql`version = version`;
    if (n === 0) {
      await sql`with ${before} v as (update conversations set ${set} where chat_id = ${rootChatId} returning 1)
                select count(*) from v`.execute(db);
      return;
    }
    // The tree's seq as read with its lock (every write takes the lock first): the new events follow it.
    const held = this.heldSeq.get(db);
    const from = held?.get(rootChatId);
    if (from === undefined) throw new Error(`tree ${rootChatId} is not locked by this transaction`);
    const last = from + n;
    const at = this.clock();
    const rows = changes.map((c, i) => sql`(${rootChatId}, ${from + 1 + i}, ${c.event}, ${at}, ${c.data})`);
    // Past a multiple of TRIM_EVERY, the tree's log is cut back to the retention (resume reads enforce it exactly).
    const trim =
      from >= 0 && Math.floor(last / TRIM_EVERY) > Math.floor(from / TRIM_EVERY)
        ? sql`, t as (delete from tree_events
                      where root_chat_id = ${rootChatId} and seq <= ${last - (this.events?.retention ?? 0)})`
        : sql``;
    await sql`
      with ${before}
      v as (update conversations set ${set}, event_seq = ${last} where chat_id = ${rootChatId} returning 1),
      e as (insert into tree_events (root_chat_id, seq, event, at, data) values ${sql.join(rows)} returning 1)
      ${trim}
      select (select count(*) from v) + (select count(*) from e)`.execute(db);
    held?.set(rootChatId, last);
    this.moved.get(db)?.set(rootChatId, last);
  }

  /**
   * A new tree's first events (seq 0 …): the tree was created by this transaction, which therefore holds it; its
   * log starts before seq 0.
   */
  private createdEvent(db: Db, rootChatId: string, changes: TreeChange[]): Promise<void> {
    this.heldSeq.get(db)?.set(rootChatId, -1);
    return this.treeWrite(db, rootChatId, { changes });
  }

  appendPair(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot> {
    if (this.onePassWrites && !inOpenTransaction() && UUID.test(chatId) && UUID.test(accountId)) {
      return this.run(() => this.appendOnePass(accountId, chatId, write, announce)).then(
        (slot) => slot ?? this.appendLocked(accountId, chatId, write, announce),
      );
    }
    return this.appendLocked(accountId, chatId, write, announce);
  }

  /**
   * add-message in two round trips, no transaction of ours: the chat row (with the tree's version and event_seq),
   * then branchat_append_pair, which writes the content, the counters, the tree and the events only if nothing
   * of the tree changed in between (else null: the caller takes the locking path). The content write is captured
   * (PostgreSQL content only), so the domain's write callback runs as it does under the lock.
   */
  private async appendOnePass(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot | null> {
    const pool = this.orm.em.getKysely() as Db;
    // From memory when this process holds a read lease (the row PostgreSQL has now), else read.
    let read = this.rowMemory?.get(chatId.toLowerCase());
    if (read && read.accountId !== accountId.toLowerCase()) return null;
    if (!read) {
      const rows = await this.readChats([chatId], pool, this.fast);
      read = owned(rows, accountId, chatId) ?? undefined;
      if (!read) return null; // the locking path answers 404
    }
    const now = later(this.clock(), read.updatedAt);
    const seq = read.ownCount + 1;
    // As the locking path returns it: the row as locked (no tree version), with the new counters.
    const chat = { ...read, treeVersion: -1 };
    const captured = await captureAppends(() => write({ chat, seq, now, fence: 0 }));
    const c = captured[0];
    if (captured.length !== 1 || !c) throw new Error(`one content write expected, got ${captured.length}`);
    const slot = { chat: { ...chat, ownCount: seq, updatedAt: now }, seq, now, fence: 0 };
    const changes = this.events ? announce(slot).map(this.events.encode) : [];
    const p = c.pair;
    const g = p.generation;
    const at = this.clock();
    const args = [
      accountId,
      chatId,
      read.rootChatId,
      read.treeVersion,
      read.ownCount,
      read.updatedAt,
      now,
      windowEnd(this.clock()),
      p.responseId,
      p.question,
      p.response,
      p.type,
      p.language,
      p.url,
      g?.model ?? null,
      g?.promptTokens ?? null,
      g?.completionTokens ?? null,
      g?.latencyMs ?? null,
      c.searchLanguage,
      changes.map((e) => e.event),
      changes.map((e) => e.data),
      at,
      this.events?.retention ?? 0,
      TRIM_EVERY,
    ];
    const token = this.rowMemory?.begin();
    const last = this.fast
      ? await this.grouped(this.fast, this.appends, args, read.rootChatId)
      : await this.callWrite(APPEND_PAIR, args, pool);
    if (last === null || last === undefined) return null;
    if (changes.length > 0) {
      await this.events?.committed?.(read.rootChatId, Number(last));
      // The row as this write left it: the next write to the chat needs no read (unless the tree moved since).
      const after = { ...read, ownCount: seq, updatedAt: now, treeVersion: read.treeVersion + 1 };
      if (token) this.rowMemory?.putWritten(token, after, Number(last));
    }
    return slot;
  }

  /** Appends (new branches) waiting for the next call of branchat_append_pairs (…create_branches), one per turn. */
  private readonly appends: WriteGroup = { pending: [], one: APPEND_PAIR, many: APPEND_PAIRS, fields: APPEND_ITEM };
  private readonly branches: WriteGroup = {
    pending: [],
    one: CREATE_BRANCH,
    many: CREATE_BRANCHES,
    fields: BRANCH_ITEM,
  };

  /**
   * The appends of one event-loop turn go together: one call, one transaction, one commit for all of them (a lone
   * one is a plain branchat_append_pair call). Sorted by tree, so concurrent groups lock trees in one order. If the
   * group's call fails as a whole (40001 from one item, or a deadlock), each of its items answers null and takes
   * the locking transaction on its own.
   */
  private grouped(fast: FastSql, group: WriteGroup, args: unknown[], root: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      group.pending.push({ args, root, resolve, reject });
      if (group.pending.length === 1) setImmediate(() => void this.sendGroup(fast, group));
    });
  }

  private async sendGroup(fast: FastSql, group: WriteGroup): Promise<void> {
    const items = group.pending.splice(0);
    const [only] = items;
    if (items.length === 1 && only) {
      await this.run(() => this.callWrite(group.one, only.args, this.orm.em.getKysely() as Db)).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    items.sort((x, y) => (x.root < y.root ? -1 : x.root > y.root ? 1 : 0));
    try {
      const json = JSON.stringify(items.map((i) => Object.fromEntries(group.fields.map((k, n) => [k, i.args[n]]))));
      const r = await this.run(() => fast.query<{ lasts: (string | null)[] }>(group.many, [json]));
      const lasts = r[0]?.lasts ?? [];
      for (const [n, item] of items.entries()) item.resolve(lasts[n] ?? null);
    } catch (e) {
      // A statement error (a SQLSTATE: one item's 40001 or constraint, a deadlock…) rolled the whole group back:
      // each item then takes the locking transaction on its own (and gets its own answer). A lost connection
      // leaves it open whether the group committed: those are refused (503), like any write in that case.
      const code = (e as { code?: unknown }).code;
      const statementError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !(e instanceof UnavailableError);
      if (statementError) for (const item of items) item.resolve(null);
      else for (const item of items) item.reject(e);
    }
  }

  /**
   * Calls one of the write functions (Bun's client when there is one): the tree's new event_seq, or null when the
   * function changed nothing (the tree moved since it was read, or is gone) or rolled back (40001: a check after
   * the tree moved); the caller then writes through the locking transaction.
   */
  private async callWrite(text: string, args: unknown[], pool: Db): Promise<string | null> {
    try {
      return (await rowsOf<{ last: string | null }>(text, args, pool, this.fast))[0]?.last ?? null;
    } catch (e) {
      if ((e as { code?: unknown }).code === '40001') return null;
      throw e;
    }
  }

  private appendLocked(
    accountId: string,
    chatId: string,
    write: (slot: AppendSlot) => Promise<void>,
    announce: Announce<AppendSlot>,
  ): Promise<AppendSlot> {
    return this.tx(async (db) => {
      const { fence, ...chat } = await this.lockTree(db, accountId, chatId, true);
      const now = later(this.clock(), chat.updatedAt);
      const seq = chat.ownCount + 1;
      await write({ chat, seq, now, fence });
      const slot = { chat: { ...chat, ownCount: seq, updatedAt: now }, seq, now, fence };
      // The chat's counters, the tree's activity/version and the event in one statement.
      await this.treeWrite(db, chat.rootChatId, {
        before: sql`update chats set own_count = ${seq}, updated_at = ${now} where chat_id = ${chatId}`,
        set: this.touched(now),
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
      return this.run(() => this.createBranchOnePass(branch, options.activate, announce)).then(
        (created) => created ?? this.createBranchLocked(branch, options, announce),
      );
    }
    return this.createBranchLocked(branch, options, announce);
  }

  /**
   * create-branch without a first pair in one round trip (branchat_create_branch): the branch's record is complete
   * before the write, so the function only has to lock the tree and check the parent. null when the tree or the
   * parent is gone (the locking path then answers with the precise 404).
   */
  private async createBranchOnePass(
    branch: ChatRecord,
    activate: boolean,
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord | null> {
    const created: ChatRecord = { ...branch, active: activate, ownCount: 0 };
    const changes = this.events ? announce(created).map(this.events.encode) : [];
    const args = [
      branch.accountId,
      branch.rootChatId,
      branch.chatId,
      branch.parentChatId,
      branch.forkResponseId,
      branch.name,
      branch.createdAt,
      branch.updatedAt,
      activate,
      branch.ancestorIds,
      branch.ancestorLimits,
      windowEnd(this.clock()),
      changes.map((e) => e.event),
      changes.map((e) => e.data),
      this.clock(),
      this.events?.retention ?? 0,
      TRIM_EVERY,
    ];
    const last = this.fast
      ? await this.grouped(this.fast, this.branches, args, branch.rootChatId)
      : await this.callWrite(CREATE_BRANCH, args, this.orm.em.getKysely() as Db);
    if (last === null || last === undefined) return null;
    if (changes.length > 0) await this.events?.committed?.(branch.rootChatId, Number(last));
    return created;
  }

  private createBranchLocked(
    branch: ChatRecord,
    options: { activate: boolean; writeFirst?: (slot: AppendSlot) => Promise<void> },
    announce: Announce<ChatRecord>,
  ): Promise<ChatRecord> {
    return this.tx(async (db) => {
      await this.lockConversation(db, branch.accountId, branch.rootChatId);
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
      let created: ChatRecord = { ...branch, active: options.activate, ownCount: 0 };
      if (options.writeFirst) {
        // Stamped under the lock (not when the request began), like appendPair: the reconciler's grace period
        // is measured from this timestamp.
        await options.writeFirst({ chat: created, seq: 1, now: later(this.clock(), branch.createdAt), fence });
        created = { ...created, ownCount: 1 };
      }
      await this.treeWrite(db, branch.rootChatId, {
        before: options.writeFirst ? sql`update chats set own_count = 1 where chat_id = ${branch.chatId}` : undefined,
        set: this.touched(branch.createdAt, 1),
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
      const chat = await this.lockTreeOf(db, accountId, chatId);
      const result = { rootChatId: chat.rootChatId, activeChatId: chatId };
      if (!chat.active) {
        // Two statements, not one: the partial unique index is checked row by row.
        await sql`update chats set active = false where root_chat_id = ${chat.rootChatId} and active`.execute(db);
        await sql`update chats set active = true where chat_id = ${chatId}`.execute(db);
      }
      // Activating the active chat changes nothing, yet is announced like any other call (clients re-sync on it).
      await this.treeWrite(db, chat.rootChatId, {
        set: chat.active ? undefined : this.touched(this.clock()),
        changes: announce(result),
      });
      return result;
    });
  }

  softDeleteSubtree(accountId: string, chatId: string, announce: Announce<SubtreeDeletion>): Promise<SubtreeDeletion> {
    return this.tx(async (db) => {
      const chat = await this.lockTreeOf(db, accountId, chatId);
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
      await this.treeWrite(db, chat.rootChatId, {
        set: isRoot ? sql`deleted = true, version = version + 1` : this.touched(now, -rows.length),
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
    return this.tx(async (db) => {
      const chat = await this.lockTreeOf(db, accountId, chatId);
      check(chat);
      const updatedAt = later(now, chat.updatedAt);
      const name = changes.name ?? chat.name;
      await sql`update chats set name = ${name}, updated_at = ${updatedAt} where chat_id = ${chatId}`.execute(db);
      if (chat.parentChatId === null && changes.name !== undefined) {
        await sql`update conversations set name = ${name} where chat_id = ${chatId}`.execute(db);
      }
      const systemPrompt = changes.systemPrompt === undefined ? chat.systemPrompt : changes.systemPrompt;
      const updated = { ...chat, name, updatedAt, systemPrompt };
      await this.treeWrite(db, chat.rootChatId, {
        set:
          changes.systemPrompt !== undefined
            ? sql`${this.touched(updatedAt)}, system_prompt = ${systemPrompt}`
            : this.touched(updatedAt),
        changes: announce(updated),
      });
      return updated;
    });
  }

  importTrees(
    trees: ImportedTree[],
    write: (fence: number) => Promise<void>,
    announce: Announce<ImportedTree>,
  ): Promise<void> {
    return this.tx(async (db) => {
      for (const tree of trees) {
        await this.insertTree(db, tree);
        await this.createdEvent(db, (tree.chats[0] as ChatRecord).chatId, announce(tree));
      }
      const fence = await sql<{ fence: string }>`select nextval('content_fence') as fence`.execute(db);
      // Content last, in this transaction: with PostgreSQL content it commits or rolls back with the rows.
      await write(Number(fence.rows[0]?.fence));
    });
  }

  private async insertTree(db: Db, tree: ImportedTree): Promise<void> {
    {
      const root = tree.chats[0];
      if (!root || root.parentChatId !== null) throw new Error('an imported tree starts with its root');
      // Parents before children, so each row's foreign keys are satisfied as it is inserted.
      for (let i = 0; i < tree.chats.length; i += 500) {
        const rows = tree.chats.slice(i, i + 500).map(
          (c) => sql`(${c.chatId}, ${c.accountId}, ${c.rootChatId}, ${c.parentChatId}, ${c.forkResponseId},
                      ${c.chatType}, ${c.name}, ${c.createdAt}, ${c.updatedAt}, ${c.active},
                      ${c.ancestorIds}::uuid[], ${c.ancestorLimits}::int[], ${c.ownCount})`,
        );
        await sql`
          insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                             created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count)
          values ${sql.join(rows)}`.execute(db);
      }
      await sql`
        insert into conversations (chat_id, account_id, name, deleted, created_at, last_activity_at, branch_count,
                                   version, system_prompt)
        values (${root.chatId}, ${root.accountId}, ${root.name}, false, ${root.createdAt}, ${tree.lastActivityAt},
                ${tree.chats.length - 1}, 0, ${tree.systemPrompt})`.execute(db);
    }
  }
}
