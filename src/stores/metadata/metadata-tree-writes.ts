/**
 * The locking and the last statement of every write of the PostgreSQL metadata store (postgres-metadata.store.ts):
 * each write locks its tree's `conversations` row first (lockTree, lockConversation), then ends with treeWrite,
 * which moves the tree and appends the announced events numbered after the tree's event_seq (read with its lock).
 * Also the inserts of a new tree.
 */

import { type RawBuilder, sql } from 'kysely';
import { NotFoundError } from '../../domain/errors.js';
import type { ChatRecord, NameSource } from '../../domain/model.js';
import type { ImportedTree, TreeChange } from '../../domain/ports.js';
import { windowEnd } from '../../domain/time.js';
import { type ChatRow, chatFromRow } from '../pg-rows.js';
import type { Db } from '../pg-tx.js';
import { prefixed, TRIM_EVERY } from './metadata-sql.js';
import type { EventLogOptions } from './postgres-metadata.store.js';

/** The trees each open transaction holds locked and moved; one per store. */
export class TreeWrites {
  constructor(
    private readonly clock: () => Date,
    private readonly events: EventLogOptions | null,
  ) {}

  /** Per open transaction: the event_seq of each tree it holds locked (read with the lock), as it moves. */
  private readonly heldSeq = new WeakMap<Db, Map<string, number>>();
  /** The trees each open transaction moved, with their latest seq: announced once it has committed. */
  private readonly moved = new WeakMap<Db, Map<string, number>>();

  /** A new transaction on `db`: it holds no tree yet; the trees it moves go to `moved` (announced after COMMIT). */
  open(db: Db, moved: Map<string, number>): void {
    this.moved.set(db, moved);
    this.heldSeq.set(db, new Map());
  }

  /**
   * Finds the tree of a live chat and locks it (conversation row, then the chat row); returns the chat and
   * a fencing token taken after the tree lock is held (so a later holder of the lock gets a higher one).
   */
  async lockTreeOf(db: Db, accountId: string, chatId: string): Promise<ChatRecord> {
    const { fence: _, ...chat } = await this.lockTree(db, accountId, chatId, false);
    return chat;
  }

  async lockTree(
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
      select ${prefixed('chats')}, ${withFence ? sql`nextval('content_fence')` : sql`0`} as fence,
             v.system_prompt, v.forked_from_chat_id, v.forked_from_response_id, v.archived, v.pinned, v.name_source
      from chats join conversations v on v.chat_id = chats.root_chat_id
      where chats.chat_id = ${chatId} and chats.deleted_at is null for no key update of chats`.execute(db);
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`Chat ${chatId} not found`);
    return { ...chatFromRow(row), fence: Number(row.fence) };
  }

  /**
   * Locks the tree's conversations row; answers the conversation's settings as they are under the lock (a write
   * that began long before, e.g. while a model answered, reports these, not what it read at its start).
   */
  async lockConversation(
    db: Db,
    accountId: string,
    rootChatId: string,
  ): Promise<Pick<ChatRecord, 'systemPrompt' | 'archived' | 'pinned' | 'nameSource'>> {
    const r = await sql<{
      event_seq: string;
      system_prompt: string | null;
      archived: boolean;
      pinned: boolean;
      name_source: NameSource;
    }>`
      select event_seq, system_prompt, archived, pinned, name_source from conversations
      where chat_id = ${rootChatId} and account_id = ${accountId} and not deleted
      for update`.execute(db);
    const locked = r.rows[0];
    if (!locked) throw new NotFoundError(`Chat ${rootChatId} not found`);
    this.heldSeq.get(db)?.set(rootChatId, Number(locked.event_seq));
    return {
      systemPrompt: locked.system_prompt,
      archived: locked.archived,
      pinned: locked.pinned,
      nameSource: locked.name_source,
    };
  }

  /** The tree's activity moves to `now` (never back, and never past the window: a later one is repaired). */
  touched(now: Date, branchDelta = 0): RawBuilder<unknown> {
    return sql`last_activity_at = least(greatest(last_activity_at, ${now}), ${windowEnd(this.clock())}),
               version = version + 1, branch_count = branch_count + ${branchDelta}`;
  }

  /**
   * The last statement of every write, one round trip: runs `before` (a data-modifying statement, optional),
   * updates the tree's conversations row with `set` (optional) and, with the event log on, appends `changes`
   * numbered after its event_seq (under the tree lock the write holds, so seq order is commit order) and, every
   * TRIM_EVERY events, trims the tree's log to the retention. The change feed hears of it after COMMIT (tx()).
   */
  async treeWrite(
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
  createdEvent(db: Db, rootChatId: string, changes: TreeChange[]): Promise<void> {
    this.heldSeq.get(db)?.set(rootChatId, -1);
    return this.treeWrite(db, rootChatId, { changes });
  }
}

/** The rows of a new tree with its root only (create-conversation). */
export async function insertConversation(db: Db, root: ChatRecord): Promise<void> {
  await sql`
    insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                       created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count)
    values (${root.chatId}, ${root.accountId}, ${root.chatId}, null, null, 'main', ${root.name},
            ${root.createdAt}, ${root.updatedAt}, true, '{}', '{}', 0)`.execute(db);
  await sql`
    insert into conversations (chat_id, account_id, name, deleted, created_at, last_activity_at, branch_count, version,
                               system_prompt, name_source)
    values (${root.chatId}, ${root.accountId}, ${root.name}, false, ${root.createdAt}, ${root.createdAt}, 0, 0,
            ${root.systemPrompt}, ${root.nameSource ?? 'user'})`.execute(db);
}

/** The rows of an imported tree (its chats, root first, and its conversation). */
export async function insertTree(db: Db, tree: ImportedTree): Promise<void> {
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
                                 version, system_prompt, forked_from_chat_id, forked_from_response_id)
      values (${root.chatId}, ${root.accountId}, ${root.name}, false, ${root.createdAt}, ${tree.lastActivityAt},
              ${tree.chats.length - 1}, 0, ${tree.systemPrompt}, ${tree.forkedFrom?.chatId ?? null},
              ${tree.forkedFrom?.responseId ?? null})`.execute(db);
  }
}
