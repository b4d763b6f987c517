/**
 * The writes of a chat's and its conversation's own fields (postgres-metadata.store.ts runs them in its transaction):
 * update-chat (name, system prompt, archive and pin flags) and an automatic title (domain/chats/titles.ts). Both lock
 * the tree first and end with its treeWrite (version, events), like every tree write.
 */

import { sql } from 'kysely';
import { NotFoundError } from '../../domain/errors.js';
import type { ChatRecord } from '../../domain/model.js';
import type { Announce, ChatChanges } from '../../domain/ports.js';
import type { Db } from '../pg-tx.js';
import { later } from './metadata-sql.js';
import type { TreeWrites } from './metadata-tree-writes.js';

/**
 * Renames the chat and/or sets its conversation's system prompt and flags; `check` runs on the locked row first. The
 * chat's updated_at and the tree's activity and version move; renaming the root makes the conversation's name the
 * user's (name_source `user`: a title in flight finds it so and writes nothing).
 */
export async function updateChat(
  db: Db,
  trees: TreeWrites,
  o: {
    accountId: string;
    chatId: string;
    changes: ChatChanges;
    now: Date;
    check: (current: ChatRecord) => void;
    announce: Announce<ChatRecord>;
  },
): Promise<ChatRecord> {
  const { changes } = o;
  const chat = await trees.lockTreeOf(db, o.accountId, o.chatId);
  o.check(chat);
  const updatedAt = later(o.now, chat.updatedAt);
  const name = changes.name ?? chat.name;
  await sql`update chats set name = ${name}, updated_at = ${updatedAt} where chat_id = ${o.chatId}`.execute(db);
  // The conversation's own fields, in the tree's last statement.
  const renamedRoot = chat.parentChatId === null && changes.name !== undefined;
  const systemPrompt = changes.systemPrompt === undefined ? chat.systemPrompt : changes.systemPrompt;
  const archived = changes.archived ?? chat.archived;
  const pinned = changes.pinned ?? chat.pinned;
  // Archiving or pinning files the conversation; it is no activity (list-chats' order by activity stays): only the
  // version moves. A rename or a new system prompt is activity, as before.
  const onlyFlags = changes.name === undefined && changes.systemPrompt === undefined;
  const sets = [onlyFlags ? sql`version = version + 1` : trees.touched(updatedAt)];
  if (renamedRoot) sets.push(sql`name = ${name}, name_source = 'user'`);
  if (changes.systemPrompt !== undefined) sets.push(sql`system_prompt = ${systemPrompt}`);
  if (changes.archived !== undefined) sets.push(sql`archived = ${archived}`);
  if (changes.pinned !== undefined) sets.push(sql`pinned = ${pinned}`);
  const updated: ChatRecord = {
    ...chat,
    name,
    updatedAt,
    systemPrompt,
    archived,
    pinned,
    ...(renamedRoot ? { nameSource: 'user' as const } : {}),
  };
  await trees.treeWrite(db, chat.rootChatId, { set: sql.join(sets), changes: o.announce(updated) });
  return updated;
}

/**
 * Names the conversation with a proposed title if its name is still the default one: under the tree lock (a rename
 * either committed before, and then name_source is `user`, or waits for this write and replaces the title). The
 * root's name and updated_at, name_source `auto`, the tree's version (not its activity: a title is no activity), and
 * the announced events. Null when nothing was written (a name given meanwhile, or the tree deleted).
 */
export async function setTitle(
  db: Db,
  trees: TreeWrites,
  o: { accountId: string; rootChatId: string; title: string; now: Date; announce: Announce<ChatRecord> },
): Promise<ChatRecord | null> {
  let root: ChatRecord;
  try {
    root = await trees.lockTreeOf(db, o.accountId, o.rootChatId);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
  if (root.parentChatId !== null || root.nameSource !== 'default') return null;
  const updatedAt = later(o.now, root.updatedAt);
  await sql`update chats set name = ${o.title}, updated_at = ${updatedAt} where chat_id = ${o.rootChatId}`.execute(db);
  const named: ChatRecord = { ...root, name: o.title, updatedAt, nameSource: 'auto' };
  await trees.treeWrite(db, o.rootChatId, {
    set: sql`name = ${o.title}, name_source = 'auto', version = version + 1`,
    changes: o.announce(named),
  });
  return named;
}
