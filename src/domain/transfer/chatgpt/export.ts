/**
 * Export: a tree as one ChatGPT conversation. Every pair becomes a user node with its assistant node as
 * child; a chat continues below its previous assistant node and a branch starts below its fork pair's
 * assistant node. A start fork (a branch forking before the first pair) starts where the root does: its first
 * question is another child of the root node (of the system node, when there is a system prompt), after the
 * root's, as ChatGPT shows an edited first question. The `branchat` keys carry what the ChatGPT shape cannot
 * say (chat ids, names and times, empty chats, the active chat, pair kinds, token counts, feedback), so
 * fromChatGpt(toChatGpt(s)) gives `s` back.
 */
import type { Feedback, Generation } from '../../model.js';
import type { SnapshotPair, TreeSnapshot } from '../snapshot.js';
import {
  type BranchatFeedback,
  type BranchatQuestionMeta,
  type ChatGptMessage,
  type ChatGptMessageMetadata,
  type ChatGptNode,
  type ExportedConversation,
  ROOT_NODE_ID,
} from './schema.js';

type ChatGptRole = 'user' | 'assistant' | 'system';
const seconds = (d: Date) => d.getTime() / 1000;

function message(
  id: string,
  role: ChatGptRole,
  text: string,
  at: Date,
  metadata: ChatGptMessageMetadata,
): ChatGptMessage {
  return {
    id,
    author: { role, name: null, metadata: {} },
    create_time: seconds(at),
    update_time: null,
    content: { content_type: 'text', parts: [text] },
    status: 'finished_successfully',
    end_turn: role === 'assistant' ? true : null,
    weight: 1,
    metadata,
    recipient: 'all',
  };
}

function questionMeta(chatId: string, p: SnapshotPair): BranchatQuestionMeta {
  const meta: BranchatQuestionMeta = { chat_id: chatId, type: p.type };
  if (p.type === 'code' && p.language !== null) meta.language = p.language;
  if (p.type === 'link' && p.url !== null) meta.url = p.url;
  return meta;
}

function feedbackMeta(f: Feedback | null): { feedback?: BranchatFeedback } {
  if (f === null) return {};
  return { feedback: { rating: f.rating, comment: f.comment, updated_at: f.updatedAt.toISOString() } };
}

function responseMeta(chatId: string, g: Generation | null, f: Feedback | null): ChatGptMessageMetadata {
  if (g === null) return { branchat: { chat_id: chatId, ...feedbackMeta(f) } };
  return {
    model_slug: g.model,
    branchat: {
      chat_id: chatId,
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      latency_ms: g.latencyMs,
      ...feedbackMeta(f),
    },
  };
}

/**
 * A tree as one ChatGPT conversation. Node ids: `q-<responseId>` for a question, `<responseId>` for its
 * answer, `system-<root chat id>` for the system prompt. Throws on a snapshot that is not a tree (a
 * programming error: snapshots come from stored trees).
 */
export function toChatGpt(s: TreeSnapshot): ExportedConversation {
  const root = s.chats[0];
  if (!root || root.parentChatId !== null) throw new Error('toChatGpt: the first chat of a snapshot must be its root');
  const nodes = new Map<string, ChatGptNode>();
  const add = (node: ChatGptNode) => {
    if (nodes.has(node.id)) throw new Error(`toChatGpt: two nodes would have the id ${node.id}`);
    nodes.set(node.id, node);
  };
  const link = (parent: string, child: ChatGptNode) => {
    child.parent = parent;
    nodes.get(parent)?.children.push(child.id);
  };

  add({ id: ROOT_NODE_ID, message: null, parent: null, children: [] });
  let top = ROOT_NODE_ID;
  if (s.systemPrompt !== null) {
    const id = `system-${root.chatId}`;
    add({ id, message: message(id, 'system', s.systemPrompt, root.createdAt, {}), parent: null, children: [] });
    link(ROOT_NODE_ID, nodes.get(id) as ChatGptNode);
    top = id;
  }

  // Pass 1: every chat's pairs as a chain question → answer → question → …, so that an answer's
  // continuation in its own chat is its first child.
  const owner = new Map<string, string>(); // responseId → the chat storing the pair
  for (const chat of s.chats) {
    let previous: string | null = null;
    for (const p of chat.pairs) {
      owner.set(p.responseId, chat.chatId);
      const q = `q-${p.responseId}`;
      const question: ChatGptNode = {
        id: q,
        message: message(q, 'user', p.question, p.timestamp, { branchat: questionMeta(chat.chatId, p) }),
        parent: null,
        children: [],
      };
      add(question);
      const answer: ChatGptNode = {
        id: p.responseId,
        message: message(
          p.responseId,
          'assistant',
          p.response,
          p.timestamp,
          responseMeta(chat.chatId, p.generation, p.feedback),
        ),
        parent: null,
        children: [],
      };
      add(answer);
      link(q, answer);
      if (previous !== null) link(previous, question);
      previous = p.responseId;
    }
  }

  // Pass 2: every chat's first question below its fork point (a start fork's below the root's start), in the
  // snapshot's chat order (after the continuations added above).
  const chatIds = new Set<string>();
  for (const chat of s.chats) {
    if (chatIds.has(chat.chatId)) throw new Error(`toChatGpt: chat ${chat.chatId} is listed twice`);
    chatIds.add(chat.chatId);
    let at = top;
    if (chat !== root) {
      const fork = chat.forkResponseId;
      if (fork === null) {
        if (chat.parentChatId !== root.chatId) {
          throw new Error(`toChatGpt: start fork ${chat.chatId} is not the root's`);
        }
      } else if (owner.get(fork) !== chat.parentChatId) {
        throw new Error(`toChatGpt: chat ${chat.chatId} does not fork after a pair of its parent`);
      } else at = fork;
    }
    const first = chat.pairs[0];
    if (first) link(at, nodes.get(`q-${first.responseId}`) as ChatGptNode);
  }

  const active = s.chats.find((c) => c.chatId === s.activeChatId);
  if (!active) throw new Error(`toChatGpt: the active chat ${s.activeChatId} is not in the snapshot`);
  const currentNode = active.pairs.at(-1)?.responseId ?? active.forkResponseId ?? top;

  let updated = root.createdAt.getTime();
  let latest: { at: number; model: string } | null = null;
  for (const chat of s.chats) {
    updated = Math.max(updated, chat.updatedAt.getTime());
    for (const p of chat.pairs) {
      const at = p.timestamp.getTime();
      updated = Math.max(updated, at);
      if (p.generation && (latest === null || at >= latest.at)) latest = { at, model: p.generation.model };
    }
  }

  return {
    title: s.title,
    create_time: seconds(root.createdAt),
    update_time: updated / 1000,
    // fromEntries defines own properties: a node id such as "__proto__" stays a key.
    mapping: Object.fromEntries(nodes),
    current_node: currentNode,
    conversation_id: root.chatId,
    id: root.chatId,
    ...(latest ? { default_model_slug: latest.model } : {}),
    branchat: {
      version: 1,
      active_chat_id: s.activeChatId,
      chats: s.chats.map((c) => ({
        chat_id: c.chatId,
        name: c.name,
        parent_chat_id: c.parentChatId,
        fork_response_id: c.forkResponseId,
        created_at: c.createdAt.toISOString(),
        updated_at: c.updatedAt.toISOString(),
      })),
    },
  };
}
