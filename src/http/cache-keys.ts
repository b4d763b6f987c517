/**
 * Cache keys of the cached reads. Every key carries the account and the tree's version (read fresh with the
 * chat row in the same request), so any write to the tree makes every key of the tree new.
 */
import type { GetChatCursor } from '../domain/chats/chats.service.js';
import type { ChatRecord } from '../domain/model.js';

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
  return `chat:${accountId}:${chat.rootChatId}:${chat.treeVersion}:${chat.chatId}:${limit}:${c}${source}`;
}

export function treeKey(accountId: string, chat: ChatRecord): string {
  return `tree:${accountId}:${chat.rootChatId}:${chat.treeVersion}`;
}

/**
 * The usage totals of a chat's visible history. Its chain is fixed at creation and its pairs never change, so the
 * chat and its own pair count identify the history: no tree version in the key (writes elsewhere keep it).
 */
export function usageKey(accountId: string, chat: ChatRecord): string {
  return `usage:${accountId}:${chat.chatId}:${chat.ownCount}`;
}
