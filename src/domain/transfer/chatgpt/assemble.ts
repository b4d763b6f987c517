/**
 * Import: the walk's chats as a TreeSnapshot, with the top-level extension applied (chat ids, names, times,
 * empty chats and empty start forks, the active chat) and the chats in order.
 */
import { NAME_MAX, truncate } from '../../limits.js';
import { groupBy, parentsFirst } from '../../tree-order.js';
import type { SnapshotChat, TreeSnapshot } from '../snapshot.js';
import type { Extension } from './extension.js';
import { keepTree, systemPromptOf } from './kept.js';
import type { RawNode } from './nodes.js';
import type { Scope } from './problems.js';
import { ChatWalk, type DraftChat, type Header, keyPath } from './walk.js';

/**
 * The top-level extension against the walk: every chat it names agrees with the messages, the chats it
 * lists without pairs are added. Returns the active chat it names.
 */
function applyExtension(walk: ChatWalk, ext: Extension, sc: Scope): DraftChat | undefined {
  const listed = new Map(ext.chats.map((c) => [c.chatId, c]));
  for (const chat of walk.chats) {
    if (chat.key === null) continue;
    const e = listed.get(chat.key);
    if (!e) {
      const path = chat.firstNode === null ? 'branchat.chats' : keyPath(chat.firstNode);
      sc.issue(path, `names chat "${chat.key}", which branchat.chats does not list`);
      continue;
    }
    chat.ext = e;
    const parentId = chat.parent?.id ?? null;
    const forkId = chat.fork?.pair.responseId ?? null;
    const path = `branchat.chats[${e.index}]`;
    const says = (listedValue: string | null, actual: string | null) =>
      `is ${JSON.stringify(listedValue)}, but the messages make it ${JSON.stringify(actual)}`;
    if (e.parentChatId !== parentId) sc.issue(`${path}.parent_chat_id`, says(e.parentChatId, parentId));
    else if (e.forkResponseId !== forkId) sc.issue(`${path}.fork_response_id`, says(e.forkResponseId, forkId));
  }
  const byId = new Map(walk.chats.map((c) => [c.id, c]));
  for (const e of ext.chats) {
    if (byId.has(e.chatId)) continue;
    // A chat without pairs: a branch after a pair of a chat that has some, or a start fork (under the root; that
    // it names the root is readExtension's to check).
    const parent = e.parentChatId === null ? undefined : byId.get(e.parentChatId);
    const startFork = e.forkResponseId === null && parent !== undefined && parent === walk.root;
    const fork = e.forkResponseId === null ? null : (walk.byResponse.get(e.forkResponseId) ?? null);
    if (!parent || (!startFork && fork?.chat !== parent)) {
      const message = `must name the answer of a pair of chat "${e.parentChatId}"`;
      sc.issue(`branchat.chats[${e.index}].fork_response_id`, message);
      continue;
    }
    const chat = walk.newChat(e.chatId, e.chatId, parent, fork, null);
    chat.id = e.chatId;
    chat.ext = e;
    byId.set(chat.id, chat);
  }
  return byId.get(ext.activeChatId);
}

/**
 * The pairs and chats of a validated node tree. Problems found on the way are reported (the caller then
 * discards the result). Nothing is left out: alternatives of the first question or answer become start forks.
 */
export function buildTree(nodes: Map<string, RawNode>, rootNode: string, h: Header, sc: Scope): TreeSnapshot {
  // The path from the root to current_node: preferred wherever the source branches.
  const ancestry: string[] = [];
  for (let id: string | null | undefined = h.currentNode; typeof id === 'string'; id = nodes.get(id)?.parent) {
    ancestry.push(id);
  }
  ancestry.reverse();

  const { top, firstSystem } = keepTree(nodes, rootNode, sc);
  const systemPrompt = systemPromptOf(nodes, h.currentNode === null ? null : ancestry, firstSystem, sc);
  const walk = new ChatWalk(h, new Set(ancestry), sc);
  const root = walk.start(top);
  walk.assignIds();

  let active: DraftChat | undefined;
  if (h.ext) active = applyExtension(walk, h.ext, sc);
  else {
    // The chat holding current_node's pair (the nearest one above it).
    const holder = ancestry.findLast((id) => walk.nodePair.has(id));
    active = holder === undefined ? undefined : walk.nodePair.get(holder)?.chat;
  }

  return snapshotOf(walk.chats, root, active ?? root, systemPrompt, h);
}

/** The snapshot: names and times from the extension, else from the title and the pairs; chats in order. */
function snapshotOf(
  chats: DraftChat[],
  root: DraftChat,
  active: DraftChat,
  systemPrompt: string | null,
  h: Header,
): TreeSnapshot {
  const branchName = truncate(`${h.title} (branch)`, NAME_MAX);
  const out = new Map<DraftChat, SnapshotChat>();
  for (const chat of chats) {
    const firstTime = chat.pairs[0]?.pair.timestamp ?? new Date(0);
    const createdAt =
      chat.ext?.createdAt ?? (chat === root && h.createTime !== null ? new Date(h.createTime) : firstTime);
    out.set(chat, {
      chatId: chat.id,
      parentChatId: chat.parent?.id ?? null,
      forkResponseId: chat.fork?.pair.responseId ?? null,
      name: chat.ext?.name ?? (chat === root ? h.title : branchName),
      createdAt,
      updatedAt: chat.ext?.updatedAt ?? chat.pairs.at(-1)?.pair.timestamp ?? createdAt,
      pairs: chat.pairs.map((p) => p.pair),
    });
  }
  const snapshot = (c: DraftChat) => out.get(c) as SnapshotChat;
  return {
    title: snapshot(root).name,
    systemPrompt,
    activeChatId: active.id,
    chats: orderChats(chats, root, (c) => snapshot(c).createdAt.getTime()).map(snapshot),
  };
}

/**
 * Root first, every chat after its parent, siblings by creation time then source order (the extension's
 * list, then discovery). When the extension lists every chat in an order that satisfies this, that order
 * is kept (so a round trip keeps the snapshot's order); otherwise depth first, like exportTree.
 */
function orderChats(chats: DraftChat[], root: DraftChat, time: (c: DraftChat) => number): DraftChat[] {
  const rank = (c: DraftChat) => (c.ext ? c.ext.index : 1e9 + c.order);
  const source = [...chats].sort((a, b) => rank(a) - rank(b));
  const seen = new Set<DraftChat>();
  const lastSibling = new Map<DraftChat, number>();
  let valid = source[0] === root && source.every((c) => c.ext !== null);
  for (const c of source) {
    if (!valid) break;
    if (c.parent) {
      const t = time(c);
      valid = seen.has(c.parent) && t >= (lastSibling.get(c.parent) ?? Number.NEGATIVE_INFINITY);
      lastSibling.set(c.parent, t);
    }
    seen.add(c);
  }
  if (valid) return source;

  const children = groupBy(source, (c) => c.parent);
  return parentsFirst(root, (c) => [...(children.get(c) ?? [])].sort((a, b) => time(a) - time(b) || rank(a) - rank(b)));
}
