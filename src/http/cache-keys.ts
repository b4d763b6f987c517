/**
 * Cache keys of the cached reads. Every key carries the account and the tree's version (read fresh with the
 * chat row in the same request), so any write to the tree makes every key of the tree new.
 *
 * The tree's root in braces is the key's Redis Cluster hash tag: every key of one tree hashes to one slot (so one
 * master holds a tree's entries, and a future multi-key command on one tree stays within a slot), while trees
 * spread over the masters. CACHE_KEY_PREFIX may not contain braces on a cluster (src/config.ts), so this is the
 * key's first `{…}`.
 */
import type { GetChatCursor } from '../domain/chats/chats.service.js';
import type { ChatRecord } from '../domain/model.js';

/** `{root}`: the Redis Cluster hash tag of a tree's keys. */
export function treeTag(chat: Pick<ChatRecord, 'rootChatId'>): string {
  return `{${chat.rootChatId}}`;
}

export function chatPageKey(accountId: string, chat: ChatRecord, limit: number, cursor: GetChatCursor): string {
  const c = !cursor
    ? '-'
    : 'beforeEnd' in cursor
      ? 'end'
      : 'after' in cursor
        ? `a${cursor.after}`
        : `b${cursor.before}`;
  // A forked root shows where it came from until that chat is deleted (another tree's write): part of the key.
  const source = chat.forkedFrom ? `:f${chat.forkedFrom.chatId}` : '';
  return `chat:${accountId}:${treeTag(chat)}:${chat.treeVersion}:${chat.chatId}:${limit}:${c}${source}`;
}

export function treeKey(accountId: string, chat: ChatRecord): string {
  return `tree:${accountId}:${treeTag(chat)}:${chat.treeVersion}`;
}

/**
 * The usage totals of a chat's visible history. Its chain is fixed at creation and its pairs never change, so the
 * chat and its own pair count identify the history: no tree version in the key (writes elsewhere keep it).
 */
export function usageKey(accountId: string, chat: ChatRecord): string {
  return `usage:${accountId}:${treeTag(chat)}:${chat.chatId}:${chat.ownCount}`;
}
