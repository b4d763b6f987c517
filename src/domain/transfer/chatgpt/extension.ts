/**
 * Import: the top-level `branchat` extension (every chat with its name and times, the active chat). A chat with a
 * parent and `fork_response_id` null is a start fork: it forks before the first pair, under the root.
 */
import { objectFor, readFields, type Scope, type Times, within } from './problems.js';
import { BranchatChatMetaSchema, BranchatConversationMetaSchema } from './schema.js';

export interface ExtChat {
  chatId: string;
  name: string;
  parentChatId: string | null;
  /** null for the root and for a start fork (parent = the root). */
  forkResponseId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Position in `branchat.chats` (for error paths and the chat order). */
  index: number;
}

export interface Extension {
  activeChatId: string;
  root: ExtChat;
  chats: ExtChat[];
}

/** An ISO time as the schema checked it, moved inside the window. */
const dateOf = (iso: string | undefined, times: Times) =>
  iso === undefined ? null : new Date(within(new Date(iso).getTime(), times));

/** One listed chat; null when a field is wrong (reported). `ids`: the chat ids listed before it. */
function readChat(value: unknown, index: number, ids: Set<string>, sc: Scope, times: Times): ExtChat | null {
  const path = `branchat.chats[${index}]`;
  const c = objectFor(BranchatChatMetaSchema, value, path, sc);
  if (c === null) return null;
  // Who the chat is and where it forks; then its times.
  const f = readFields(BranchatChatMetaSchema, c, ['chat_id', 'name', 'parent_chat_id', 'fork_response_id'], path, sc);
  const { chat_id: chatId, name, parent_chat_id: parentChatId, fork_response_id: forkResponseId } = f;
  if (chatId !== undefined) {
    if (ids.has(chatId)) sc.issue(`${path}.chat_id`, `"${chatId}" is listed twice`);
    ids.add(chatId);
  }
  // A branch forks after a pair of its parent, or (fork_response_id null) before the first pair: a start fork.
  if (parentChatId === null && forkResponseId !== undefined && forkResponseId !== null) {
    sc.issue(`${path}.fork_response_id`, 'must be null when parent_chat_id is null');
  }
  const t = readFields(BranchatChatMetaSchema, c, ['created_at', 'updated_at'], path, sc);
  const createdAt = dateOf(t.created_at, times);
  const updatedAt = dateOf(t.updated_at, times);
  if (chatId === undefined || name === undefined || parentChatId === undefined || forkResponseId === undefined) {
    return null;
  }
  if (createdAt === null || updatedAt === null) return null;
  return { chatId, name, parentChatId, forkResponseId, createdAt, updatedAt, index };
}

/** The extension, checked on its own (whether it agrees with the messages is applyExtension's). */
export function readExtension(value: unknown, sc: Scope, times: Times): Extension | null {
  const before = sc.errors;
  const raw = objectFor(BranchatConversationMetaSchema, value, 'branchat', sc);
  if (raw === null) return null;
  const { active_chat_id: activeChatId } = readFields(
    BranchatConversationMetaSchema,
    raw,
    ['version', 'active_chat_id'],
    'branchat',
    sc,
  );
  if (!Array.isArray(raw.chats) || raw.chats.length === 0) {
    readFields(BranchatConversationMetaSchema, raw, ['chats'], 'branchat', sc);
    return null;
  }
  const chats: ExtChat[] = [];
  const ids = new Set<string>();
  raw.chats.forEach((c: unknown, index) => {
    const chat = readChat(c, index, ids, sc, times);
    if (chat) chats.push(chat);
  });
  const roots = chats.filter((c) => c.parentChatId === null);
  if (roots.length !== 1) {
    sc.issue('branchat.chats', `must list exactly one root chat (parent_chat_id null), not ${roots.length}`);
  }
  for (const c of chats) {
    if (c.parentChatId !== null && !ids.has(c.parentChatId)) {
      sc.issue(`branchat.chats[${c.index}].parent_chat_id`, `names "${c.parentChatId}", which is not listed`);
    } else if (c.parentChatId !== null && c.forkResponseId === null && roots.length === 1) {
      const root = (roots[0] as ExtChat).chatId;
      if (c.parentChatId !== root) {
        const message = `names "${c.parentChatId}", but a start fork (fork_response_id null) hangs under the root "${root}"`;
        sc.issue(`branchat.chats[${c.index}].parent_chat_id`, message);
      }
    }
  }
  if (activeChatId !== undefined && !ids.has(activeChatId)) {
    sc.issue('branchat.active_chat_id', `names "${activeChatId}", which is not listed in branchat.chats`);
  }
  const root = roots[0];
  if (sc.errors !== before || !root || activeChatId === undefined) return null;
  return { activeChatId, root, chats };
}
