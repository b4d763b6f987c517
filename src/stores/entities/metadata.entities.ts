/**
 * PostgreSQL metadata, as MikroORM entities. The tables themselves are created by the committed
 * migrations in migrations/ (the entities describe them; they never drive schema changes at start).
 *
 * - accounts: who can log in.
 * - chats: the seed's Chat record (chat_id, account_id, chat_type, name, created_at, updated_at, active)
 *   plus what branching needs: root, parent, fork point, the ancestor chain and own pair count.
 * - conversations: the seed's Conversation (chat_id FK → root chat, account_id, name, deleted), one per
 *   tree; its row is the tree's lock and carries tree-wide facts (activity time, branch count, version,
 *   the seq of its latest event).
 * - tree_events: the change feed's log, written by each write in its own transaction.
 */
import { defineEntity, p } from '@mikro-orm/postgresql';

export const AccountEntity = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    accountId: p.uuid().primary().fieldName('account_id'),
    email: p.string().unique('accounts_email_uq'),
    passwordHash: p.text().fieldName('password_hash').hidden(),
    createdAt: p.datetime(3).fieldName('created_at'),
  },
});

export const ChatEntity = defineEntity({
  name: 'Chat',
  tableName: 'chats',
  properties: {
    chatId: p.uuid().primary().fieldName('chat_id'),
    accountId: p.uuid().fieldName('account_id'),
    rootChatId: p.uuid().fieldName('root_chat_id'),
    parentChatId: p.uuid().fieldName('parent_chat_id').nullable(),
    forkResponseId: p.uuid().fieldName('fork_response_id').nullable(),
    chatType: p.enum(['main', 'branch'] as const).fieldName('chat_type'),
    name: p.string().length(200),
    createdAt: p.datetime(3).fieldName('created_at'),
    updatedAt: p.datetime(3).fieldName('updated_at'),
    active: p.boolean(),
    deletedAt: p.datetime(3).fieldName('deleted_at').nullable(),
    ancestorIds: p.array().columnType('uuid[]').fieldName('ancestor_ids'),
    ancestorLimits: p
      .array((v) => Number(v))
      .columnType('int[]')
      .fieldName('ancestor_limits'),
    ownCount: p.integer().fieldName('own_count'),
  },
});

export const ConversationEntity = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    chatId: p.uuid().primary().fieldName('chat_id'),
    accountId: p.uuid().fieldName('account_id'),
    name: p.string().length(200),
    deleted: p.boolean(),
    createdAt: p.datetime(3).fieldName('created_at'),
    lastActivityAt: p.datetime(3).fieldName('last_activity_at'),
    branchCount: p.integer().fieldName('branch_count'),
    version: p.bigint('number'),
    /** The seq of the tree's latest event (tree_events); moved by each write under the tree lock. */
    eventSeq: p.bigint('number').fieldName('event_seq'),
  },
});

/** The change feed's log: a tree's events, numbered per tree in commit order (src/events/pg.feed.ts). */
export const TreeEventEntity = defineEntity({
  name: 'TreeEvent',
  tableName: 'tree_events',
  properties: {
    rootChatId: p.uuid().primary().fieldName('root_chat_id'),
    seq: p.bigint('number').primary(),
    event: p.text(),
    at: p.datetime(3),
    /** The event's JSON text as sent. */
    data: p.text(),
  },
});

/** Content in PostgreSQL (the embedded default): one row per pair, the same shape as the MongoDB documents. */
export const QaPairEntity = defineEntity({
  name: 'QaPair',
  tableName: 'qa_pairs',
  properties: {
    responseId: p.uuid().primary().fieldName('response_id'),
    chatId: p.uuid().fieldName('chat_id'),
    accountId: p.uuid().fieldName('account_id'),
    seq: p.integer(),
    question: p.text(),
    response: p.text(),
    type: p.string().length(16),
    timestamp: p.datetime(3),
  },
});

export const metadataEntities = [AccountEntity, ChatEntity, ConversationEntity, TreeEventEntity, QaPairEntity];
