/**
 * The ChatGPT export format (one conversation of a data export's conversations.json), to and from a
 * TreeSnapshot.
 *
 * ChatGPT stores a conversation as a tree of MESSAGES (`mapping`: node id → {message, parent, children});
 * branchat stores a tree of CHATS, each a list of question/response pairs, a branch forking after a pair of
 * its parent. Export: every pair becomes a user node with its assistant node as child; a chat continues
 * below its previous assistant node and a branch starts below its fork pair's assistant node. Extension keys
 * (`branchat`, at the top level and in message metadata) carry what the ChatGPT shape cannot say (chat ids,
 * names and times, empty chats, the active chat, pair kinds, token counts), so fromChatGpt(toChatGpt(s))
 * gives `s` back exactly.
 *
 * Import also reads real exports, which hold many more node kinds (hidden system messages, tool calls and
 * results, reasoning, attachments, regenerated answers, edited questions): see fromChatGpt.
 */
import type { FieldIssue } from '../errors.js';
import {
  COUNT_MAX,
  type Generation,
  MAX_TIME_MS,
  MIN_TIME_MS,
  MODEL_MAX,
  NAME_MAX,
  PAIR_TYPES,
  type PairType,
  QUESTION_MAX,
  RESPONSE_MAX,
  SYSTEM_PROMPT_MAX,
  storableText,
} from '../model.js';
import { clampMs, type TimeWindow, timeWindow } from '../time.js';
import { groupBy, parentsFirst } from '../tree-order.js';
import type { SnapshotChat, SnapshotPair, TreeSnapshot } from './snapshot.js';

/** The id ChatGPT gives the message-less root node of every conversation. */
export const ROOT_NODE_ID = 'client-created-root';
/** Most messages one imported conversation may hold. */
export const MAX_MESSAGES = 20_000;
/** Most problems one fromChatGpt call lists (a last entry says when there were more). */
export const MAX_ISSUES = 50;
/** Most nodes of one conversation (messages, plus message-less nodes); checked before anything else. */
const MAX_NODES = 2 * MAX_MESSAGES;
const DEFAULT_TITLE = 'Imported conversation';
const LANGUAGE = /^[A-Za-z0-9][A-Za-z0-9_+#.-]*$/;
const LANGUAGE_MAX = 32;
const URL_MAX = 2048;
/**
 * Times that are times at all (years 1 to 9999: what ISO 8601 with four-digit years says), in seconds since
 * 1970; outside → a problem. Inside but outside the stored-time window (domain/time.ts) → moved into it.
 */
const MIN_SECONDS = MIN_TIME_MS / 1000;
const MAX_SECONDS = MAX_TIME_MS / 1000;
const ISO_TIME = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

// ---- the shape we emit -------------------------------------------------------------------------------------

export type ChatGptRole = 'user' | 'assistant' | 'system';

/** `metadata.branchat` of a user message: the chat storing the pair, and the pair's kind. */
export interface BranchatQuestionMeta {
  chat_id: string;
  type: PairType;
  /** code only */
  language?: string;
  /** link only */
  url?: string;
}

/** `metadata.branchat` of an assistant message; the counts are omitted when the pair has no generation. */
export interface BranchatResponseMeta {
  chat_id: string;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  latency_ms?: number | null;
}

export interface ChatGptMessageMetadata {
  /** The generation's model, when there is one. */
  model_slug?: string;
  branchat?: BranchatQuestionMeta | BranchatResponseMeta;
}

export interface ChatGptMessage {
  id: string;
  author: { role: ChatGptRole; name: null; metadata: Record<string, never> };
  /** Seconds since 1970, with millisecond precision. */
  create_time: number;
  update_time: null;
  content: { content_type: 'text'; parts: [string] };
  status: 'finished_successfully';
  /** true for answers, null otherwise. */
  end_turn: true | null;
  weight: 1;
  metadata: ChatGptMessageMetadata;
  recipient: 'all';
}

export interface ChatGptNode {
  id: string;
  message: ChatGptMessage | null;
  /** null for the root node only. */
  parent: string | null;
  children: string[];
}

/** One chat of the tree, as the top-level extension lists it (this is where names and empty chats live). */
export interface BranchatChatMeta {
  chat_id: string;
  name: string;
  parent_chat_id: string | null;
  /** The assistant node id of the pair of the parent after which this branch forks. */
  fork_response_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface BranchatConversationMeta {
  version: 1;
  active_chat_id: string;
  /** In the snapshot's order: root first, every chat after its parent. */
  chats: BranchatChatMeta[];
}

export interface ChatGptConversation {
  title: string;
  create_time: number;
  update_time: number;
  mapping: Record<string, ChatGptNode>;
  /** The last visible message of the active chat. */
  current_node: string;
  conversation_id: string;
  id: string;
  /** The model of the most recent generated answer, when there is one. */
  default_model_slug?: string;
  branchat: BranchatConversationMeta;
}

// ---- export ------------------------------------------------------------------------------------------------

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

function responseMeta(chatId: string, g: Generation | null): ChatGptMessageMetadata {
  if (g === null) return { branchat: { chat_id: chatId } };
  return {
    model_slug: g.model,
    branchat: {
      chat_id: chatId,
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      latency_ms: g.latencyMs,
    },
  };
}

/**
 * A tree as one ChatGPT conversation. Node ids: `q-<responseId>` for a question, `<responseId>` for its
 * answer, `system-<root chat id>` for the system prompt. Throws on a snapshot that is not a tree (a
 * programming error: snapshots come from stored trees).
 */
export function toChatGpt(s: TreeSnapshot): ChatGptConversation {
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
        message: message(p.responseId, 'assistant', p.response, p.timestamp, responseMeta(chat.chatId, p.generation)),
        parent: null,
        children: [],
      };
      add(answer);
      link(q, answer);
      if (previous !== null) link(previous, question);
      previous = p.responseId;
    }
  }

  // Pass 2: every chat's first question below its fork point, in the snapshot's chat order (after the
  // continuations added above).
  const chatIds = new Set<string>();
  for (const chat of s.chats) {
    if (chatIds.has(chat.chatId)) throw new Error(`toChatGpt: chat ${chat.chatId} is listed twice`);
    chatIds.add(chat.chatId);
    let at = top;
    if (chat !== root) {
      const fork = chat.forkResponseId;
      if (chat.parentChatId === null || fork === null || owner.get(fork) !== chat.parentChatId) {
        throw new Error(`toChatGpt: chat ${chat.chatId} does not fork after a pair of its parent`);
      }
      at = fork;
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

// ---- import: problems --------------------------------------------------------------------------------------

export type ParseResult =
  | {
      ok: true;
      snapshots: TreeSnapshot[];
      /** What was left out, one sentence each (e.g. alternative answers to a first question). */
      notes: string[];
    }
  | { ok: false; errors: FieldIssue[] };

/** Every problem of one call, deduplicated, at most MAX_ISSUES (then one entry saying there were more). */
class Problems {
  private readonly list: FieldIssue[] = [];
  private readonly seen = new Set<string>();
  private more = false;

  add(path: string, message: string): void {
    if (this.list.length >= MAX_ISSUES) {
      this.more = true;
      return;
    }
    const key = `${path}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path, message });
  }

  get count(): number {
    return this.list.length;
  }

  result(): FieldIssue[] {
    if (!this.more) return this.list;
    return [
      ...this.list,
      { path: '(input)', message: `more problems were found; only the first ${MAX_ISSUES} are listed` },
    ];
  }
}

/** Reports problems of one conversation: paths relative to it, prefixed with `[i].` inside an array. */
interface Scope {
  issue(path: string, message: string): void;
  /** Problems reported through this scope so far. */
  readonly errors: number;
}

function scope(problems: Problems, prefix: string): Scope {
  let errors = 0;
  return {
    issue(path, message) {
      errors++;
      problems.add(prefix === '' ? path || '(input)' : path === '' ? prefix : `${prefix}.${path}`, message);
    },
    get errors() {
      return errors;
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPairType = (v: unknown): v is PairType => (PAIR_TYPES as readonly unknown[]).includes(v);
const absent = (v: unknown) => v === undefined || v === null;
const plural = (n: number, one: string, many: string) => (n === 1 ? `${n} ${one}` : `${n} ${many}`);

function checkText(text: string, max: number, path: string, what: string, sc: Scope): void {
  if (text.length > max) sc.issue(path, `${what} has ${text.length} characters; at most ${max} (UTF-16 code units)`);
  if (!storableText(text)) sc.issue(path, `${what} contains U+0000 or an unpaired surrogate`);
}

/** The stored-time window of one call, and how many times of the conversation being read were moved into it. */
interface Times {
  readonly window: TimeWindow;
  moved: number;
}

/** `ms` inside the window (counted when moved). */
function within(ms: number, times: Times): number {
  const inside = clampMs(ms, times.window);
  if (inside !== ms) times.moved++;
  return inside;
}

/** Milliseconds since 1970 (from seconds as a float, rounded), inside the window; null when absent. */
function readTime(v: unknown, path: string, sc: Scope, times: Times): number | null {
  if (absent(v)) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v >= MIN_SECONDS && v <= MAX_SECONDS) {
    return within(Math.round(v * 1000), times);
  }
  sc.issue(path, 'must be a time in seconds since 1970 (years 1 to 9999) or null');
  return null;
}

function readIso(v: unknown, path: string, sc: Scope, times: Times): Date | null {
  if (typeof v === 'string' && ISO_TIME.test(v)) {
    const ms = new Date(v).getTime();
    if (ms >= MIN_TIME_MS && ms <= MAX_TIME_MS) return new Date(within(ms, times));
  }
  sc.issue(path, 'must be an ISO 8601 timestamp (years 1 to 9999)');
  return null;
}

function isHttpUrl(s: string): boolean {
  if (s.length > URL_MAX || !storableText(s)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** At most `max` UTF-16 units, never ending inside a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = s.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

// ---- import: messages --------------------------------------------------------------------------------------

/** What a user message's `metadata.branchat` says about its pair. */
interface QuestionExt {
  chatId: string | null;
  type: PairType;
  language: string | null;
  url: string | null;
}

/** A message as the import sees it. */
interface Message {
  /**
   * `question` and `answer` are kept; `system` may give the system prompt; `skip` is transparent (tool
   * output, reasoning, hidden messages, …): its children attach to the nearest kept ancestor.
   */
  kind: 'question' | 'answer' | 'system' | 'skip';
  /** The question, the answer's text, or the system message's text ('' when it has none). */
  text: string;
  /** Milliseconds since 1970, inside the window. */
  createTime: number | null;
  questionExt: QuestionExt | null;
  /** The answer's generation, when it names a model. */
  generation: Generation | null;
}

/**
 * The text of a content object, or null when it has none that a reader would see as text. Text and
 * multimodal parts that are not strings (images, files, audio) become "[<content_type> omitted]"; empty
 * string parts of a multimodal message are left out.
 */
function readContent(raw: unknown, path: string, sc: Scope): { type: string; text: string | null } | null {
  if (!isRecord(raw)) {
    sc.issue(path, 'must be an object');
    return null;
  }
  const type = raw.content_type;
  if (typeof type !== 'string') {
    sc.issue(`${path}.content_type`, 'must be a string');
    return null;
  }
  if (type === 'text' || type === 'multimodal_text') {
    if (!Array.isArray(raw.parts)) {
      sc.issue(`${path}.parts`, 'must be an array');
      return null;
    }
    const parts = raw.parts
      .filter((p) => !(type === 'multimodal_text' && p === ''))
      .map((p) =>
        typeof p === 'string'
          ? p
          : `[${isRecord(p) && typeof p.content_type === 'string' ? p.content_type : 'attachment'} omitted]`,
      );
    return { type, text: parts.join('\n') };
  }
  if (type === 'code') {
    if (typeof raw.text !== 'string') {
      sc.issue(`${path}.text`, 'must be a string');
      return null;
    }
    return { type, text: raw.text };
  }
  return { type, text: null };
}

function readQuestionExt(raw: unknown, path: string, sc: Scope): QuestionExt | null {
  if (absent(raw)) return null;
  if (!isRecord(raw)) {
    sc.issue(path, 'must be an object');
    return null;
  }
  let chatId: string | null = null;
  if (typeof raw.chat_id === 'string' && raw.chat_id !== '') chatId = raw.chat_id;
  else if (!absent(raw.chat_id)) sc.issue(`${path}.chat_id`, 'must be a non-empty string');
  let type: PairType = 'text';
  if (isPairType(raw.type)) type = raw.type;
  else if (raw.type !== undefined) sc.issue(`${path}.type`, `must be one of ${PAIR_TYPES.join(', ')}`);

  let language: string | null = null;
  if (type === 'code') {
    const l = raw.language;
    if (typeof l === 'string' && l.length <= LANGUAGE_MAX && LANGUAGE.test(l)) language = l;
    else sc.issue(`${path}.language`, `a code pair needs a language: 1 to ${LANGUAGE_MAX} letters, digits, _ + # . -`);
  } else if (!absent(raw.language)) sc.issue(`${path}.language`, 'only a code pair has a language');

  let url: string | null = null;
  if (type === 'link') {
    if (typeof raw.url === 'string' && isHttpUrl(raw.url)) url = raw.url;
    else sc.issue(`${path}.url`, `a link pair needs an absolute http(s) URL of at most ${URL_MAX} characters`);
  } else if (!absent(raw.url)) sc.issue(`${path}.url`, 'only a link pair has a url');
  return { chatId, type, language, url };
}

function readCount(v: unknown, path: string, sc: Scope): number | null {
  if (absent(v)) return null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= COUNT_MAX) return v;
  sc.issue(path, `must be an integer from 0 to ${COUNT_MAX}, or null`);
  return null;
}

function readGeneration(meta: Record<string, unknown>, path: string, sc: Scope): Generation | null {
  let model: string | null = null;
  if (typeof meta.model_slug === 'string' && meta.model_slug.length <= MODEL_MAX && storableText(meta.model_slug)) {
    model = meta.model_slug;
  } else if (!absent(meta.model_slug)) {
    sc.issue(`${path}.model_slug`, `must be a string of at most ${MODEL_MAX} characters`);
  }
  const ext = meta.branchat;
  let counts: Omit<Generation, 'model'> = { promptTokens: null, completionTokens: null, latencyMs: null };
  if (isRecord(ext)) {
    if (!absent(ext.chat_id) && typeof ext.chat_id !== 'string')
      sc.issue(`${path}.branchat.chat_id`, 'must be a string');
    counts = {
      promptTokens: readCount(ext.prompt_tokens, `${path}.branchat.prompt_tokens`, sc),
      completionTokens: readCount(ext.completion_tokens, `${path}.branchat.completion_tokens`, sc),
      latencyMs: readCount(ext.latency_ms, `${path}.branchat.latency_ms`, sc),
    };
  } else if (!absent(ext)) sc.issue(`${path}.branchat`, 'must be an object');
  return model ? { model, ...counts } : null;
}

/**
 * A message, validated. Questions and answers are checked against the limits here (they do not depend
 * on the tree); a merged answer is checked again once merged.
 */
function readMessage(raw: Record<string, unknown>, path: string, sc: Scope, times: Times): Message | null {
  const author = raw.author;
  const role = isRecord(author) && typeof author.role === 'string' ? author.role : null;
  if (role === null) sc.issue(`${path}.author.role`, 'is missing (expected a string such as "user" or "assistant")');
  let meta: Record<string, unknown> = {};
  if (isRecord(raw.metadata)) meta = raw.metadata;
  else if (!absent(raw.metadata)) sc.issue(`${path}.metadata`, 'must be an object');
  const createTime = readTime(raw.create_time, `${path}.create_time`, sc, times);
  const content = readContent(raw.content, `${path}.content`, sc);
  if (role === null || content === null) return null;

  const hidden = meta.is_visually_hidden_from_conversation === true;
  const base = { createTime, questionExt: null, generation: null };
  if (role === 'system') return { ...base, kind: 'system', text: content.text ?? '' };
  if (hidden) return { ...base, kind: 'skip', text: '' };
  if (role === 'user') {
    let text = content.text ?? `[${content.type} omitted]`;
    if (text === '') text = '[empty message]';
    checkText(text, QUESTION_MAX, `${path}.content`, 'the question', sc);
    const questionExt = readQuestionExt(meta.branchat, `${path}.metadata.branchat`, sc);
    return { ...base, kind: 'question', text, questionExt };
  }
  if (role === 'assistant' && content.text !== null) {
    checkText(content.text, RESPONSE_MAX, `${path}.content`, 'the answer', sc);
    return { ...base, kind: 'answer', text: content.text, generation: readGeneration(meta, `${path}.metadata`, sc) };
  }
  return { ...base, kind: 'skip', text: '' };
}

// ---- import: the node tree ---------------------------------------------------------------------------------

interface RawNode {
  id: string;
  /** undefined when the node's parent field is invalid (already reported). */
  parent: string | null | undefined;
  children: string[];
  /** The same ids, for lookups. */
  childSet: Set<string>;
  message: Message | null;
}

/** Reads and checks every node: fields, links both ways, one root, no cycle, the message count. */
function readNodes(
  mapping: Record<string, unknown>,
  sc: Scope,
  times: Times,
): { nodes: Map<string, RawNode>; root: string | null } {
  const nodes = new Map<string, RawNode>();
  const keys = Object.keys(mapping);
  const known = new Set(keys);
  let messages = 0;
  for (const key of keys) {
    const raw = mapping[key];
    const path = `mapping.${key}`;
    if (!isRecord(raw)) {
      sc.issue(path, 'must be an object');
      continue;
    }
    if (raw.id !== key) sc.issue(`${path}.id`, `must equal the node's key "${key}"`);
    let parent: string | null | undefined;
    if (raw.parent === null || typeof raw.parent === 'string') parent = raw.parent;
    else sc.issue(`${path}.parent`, 'must be a node id or null');
    if (typeof parent === 'string' && !known.has(parent)) {
      sc.issue(`${path}.parent`, `names "${parent}", which is not a node of the mapping`);
      parent = undefined;
    }
    const children: string[] = [];
    const childSet = new Set<string>();
    if (!Array.isArray(raw.children)) sc.issue(`${path}.children`, 'must be an array of node ids');
    else {
      raw.children.forEach((c, i) => {
        if (typeof c !== 'string') sc.issue(`${path}.children[${i}]`, 'must be a node id');
        else if (!known.has(c)) sc.issue(`${path}.children[${i}]`, `names "${c}", which is not a node of the mapping`);
        else if (childSet.has(c)) sc.issue(`${path}.children[${i}]`, `lists "${c}" twice`);
        else {
          children.push(c);
          childSet.add(c);
        }
      });
    }
    let message: Message | null = null;
    if (!absent(raw.message)) {
      messages++;
      if (isRecord(raw.message)) message = readMessage(raw.message, `${path}.message`, sc, times);
      else sc.issue(`${path}.message`, 'must be an object or null');
    }
    nodes.set(key, { id: key, parent, children, childSet, message });
  }
  if (messages > MAX_MESSAGES) sc.issue('mapping', `holds ${messages} messages; at most ${MAX_MESSAGES} are allowed`);

  // Links both ways: a node's parent lists it, and every listed child names this node as its parent.
  for (const node of nodes.values()) {
    const parent = typeof node.parent === 'string' ? nodes.get(node.parent) : undefined;
    if (parent && !parent.childSet.has(node.id)) {
      sc.issue(`mapping.${node.id}.parent`, `names "${node.parent}", which does not list it among its children`);
    }
    node.children.forEach((c, i) => {
      const child = nodes.get(c);
      if (child && child.parent !== undefined && child.parent !== node.id) {
        sc.issue(`mapping.${node.id}.children[${i}]`, `lists "${c}", whose parent is ${JSON.stringify(child.parent)}`);
      }
    });
  }

  // Exactly one root.
  const roots = [...nodes.values()].filter((n) => n.parent === null).map((n) => n.id);
  if (roots.length === 0) sc.issue('mapping', 'has no root node (a node whose parent is null)');
  for (const extra of roots.slice(1)) {
    sc.issue(`mapping.${extra}.parent`, `is null, but "${roots[0]}" is already the root; there must be only one`);
  }

  // No cycle: follow each node's parents up to the root (or a node already known to reach it).
  const state = new Map<string, 'walking' | 'done'>();
  for (const start of nodes.keys()) {
    const path: string[] = [];
    let id: string | null | undefined = start;
    while (typeof id === 'string' && !state.has(id)) {
      state.set(id, 'walking');
      path.push(id);
      id = nodes.get(id)?.parent;
    }
    if (typeof id === 'string' && state.get(id) === 'walking') {
      const cycle = path.slice(path.indexOf(id));
      sc.issue(`mapping.${id}.parent`, `is part of a cycle: ${[...cycle, id].join(' → ')}`);
    }
    for (const p of path) state.set(p, 'done');
  }
  return { nodes, root: roots.length === 1 ? (roots[0] as string) : null };
}

// ---- import: the top-level extension -----------------------------------------------------------------------

interface ExtChat {
  chatId: string;
  name: string;
  parentChatId: string | null;
  forkResponseId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Position in `branchat.chats` (for error paths and the chat order). */
  index: number;
}

interface Extension {
  activeChatId: string;
  root: ExtChat;
  chats: ExtChat[];
}

function readExtension(raw: unknown, sc: Scope, times: Times): Extension | null {
  const before = sc.errors;
  if (!isRecord(raw)) {
    sc.issue('branchat', 'must be an object');
    return null;
  }
  if (raw.version !== 1) sc.issue('branchat.version', 'must be 1');
  const activeChatId = typeof raw.active_chat_id === 'string' ? raw.active_chat_id : null;
  if (activeChatId === null) sc.issue('branchat.active_chat_id', 'must be a chat id');
  if (!Array.isArray(raw.chats) || raw.chats.length === 0) {
    sc.issue('branchat.chats', 'must be a non-empty array');
    return null;
  }
  const chats: ExtChat[] = [];
  const ids = new Set<string>();
  raw.chats.forEach((c: unknown, index) => {
    const path = `branchat.chats[${index}]`;
    if (!isRecord(c)) {
      sc.issue(path, 'must be an object');
      return;
    }
    const chatId = typeof c.chat_id === 'string' && c.chat_id !== '' ? c.chat_id : null;
    if (chatId === null) sc.issue(`${path}.chat_id`, 'must be a non-empty string');
    else if (ids.has(chatId)) sc.issue(`${path}.chat_id`, `"${chatId}" is listed twice`);
    else ids.add(chatId);
    const name = c.name;
    const nameOk = typeof name === 'string' && name.length >= 1 && name.length <= NAME_MAX && storableText(name);
    if (!nameOk) sc.issue(`${path}.name`, `must be 1 to ${NAME_MAX} characters, without U+0000 or unpaired surrogates`);
    const parentChatId = c.parent_chat_id;
    const forkResponseId = c.fork_response_id;
    const parentOk = parentChatId === null || (typeof parentChatId === 'string' && parentChatId !== '');
    const forkOk = forkResponseId === null || (typeof forkResponseId === 'string' && forkResponseId !== '');
    if (!parentOk) sc.issue(`${path}.parent_chat_id`, 'must be a chat id or null');
    if (!forkOk) sc.issue(`${path}.fork_response_id`, 'must be a node id or null');
    else if (parentOk && (parentChatId === null) !== (forkResponseId === null)) {
      sc.issue(`${path}.fork_response_id`, 'must be null exactly when parent_chat_id is null');
    }
    const createdAt = readIso(c.created_at, `${path}.created_at`, sc, times);
    const updatedAt = readIso(c.updated_at, `${path}.updated_at`, sc, times);
    if (chatId !== null && nameOk && parentOk && forkOk && createdAt && updatedAt) {
      chats.push({
        chatId,
        name: name as string,
        parentChatId: parentChatId as string | null,
        forkResponseId: forkResponseId as string | null,
        createdAt,
        updatedAt,
        index,
      });
    }
  });
  const roots = chats.filter((c) => c.parentChatId === null);
  if (roots.length !== 1)
    sc.issue('branchat.chats', `must list exactly one root chat (parent_chat_id null), not ${roots.length}`);
  for (const c of chats) {
    if (c.parentChatId !== null && !ids.has(c.parentChatId)) {
      sc.issue(`branchat.chats[${c.index}].parent_chat_id`, `names "${c.parentChatId}", which is not listed`);
    }
  }
  if (activeChatId !== null && !ids.has(activeChatId)) {
    sc.issue('branchat.active_chat_id', `names "${activeChatId}", which is not listed in branchat.chats`);
  }
  const root = roots[0];
  if (sc.errors !== before || !root || activeChatId === null) return null;
  return { activeChatId, root, chats };
}

// ---- import: messages → pairs → chats ----------------------------------------------------------------------

/** A question or answer node, with its kept descendants attached through transparent nodes. */
interface Kept {
  id: string;
  message: Message;
  children: Kept[];
}

/**
 * One way a question is answered: a chain of consecutive answers (merged into one response; empty when the
 * question is unanswered) ending at `end`, and the questions that follow it.
 */
interface Variant {
  answers: Kept[];
  end: Kept;
  next: Kept[];
}

/**
 * Every variant of a question, in node order. A question with several answers (regenerations) has one
 * variant per answer; an answer followed by another answer extends the chain; an answer (or the question)
 * followed by questions ends a variant there.
 */
function variantsOf(question: Kept): Variant[] {
  interface Chain {
    node: Kept;
    previous: Chain | null;
  }
  const answersOf = (c: Chain | null) => {
    const out: Kept[] = [];
    for (let at = c; at !== null; at = at.previous) out.push(at.node);
    return out.reverse();
  };
  const out: Variant[] = [];
  // Depth first, node order kept: a task either ends a variant at its chain's last node, or expands it.
  const tasks: { chain: Chain | null; end: boolean }[] = [{ chain: null, end: false }];
  for (let task = tasks.pop(); task; task = tasks.pop()) {
    const last = task.chain?.node ?? question;
    if (task.end) {
      const next = last.children.filter((k) => k.message.kind === 'question');
      out.push({ answers: answersOf(task.chain), end: last, next });
      continue;
    }
    const sub: { chain: Chain | null; end: boolean }[] = [];
    let ended = false;
    for (const k of last.children) {
      if (k.message.kind === 'answer') sub.push({ chain: { node: k, previous: task.chain }, end: false });
      else if (!ended) {
        sub.push({ chain: task.chain, end: true });
        ended = true;
      }
    }
    if (sub.length === 0) sub.push({ chain: task.chain, end: true });
    for (let i = sub.length - 1; i >= 0; i--) tasks.push(sub[i] as (typeof sub)[number]);
  }
  return out;
}

interface DraftPair {
  pair: SnapshotPair;
  chat: DraftChat;
}

interface DraftChat {
  /** The chat id the source gives (metadata.branchat.chat_id, or the extension); null: invented. */
  key: string | null;
  /** Where an invented id starts from. */
  idBase: string;
  /** The final id (set once every chat is known). */
  id: string;
  parent: DraftChat | null;
  fork: DraftPair | null;
  pairs: DraftPair[];
  /** The user node that starts the chat (for error paths), if any. */
  firstNode: string | null;
  ext: ExtChat | null;
  /** Order of discovery (the order of chats the extension does not list). */
  order: number;
}

interface Header {
  title: string;
  /** Milliseconds since 1970, inside the window. */
  createTime: number | null;
  id: string | null;
  currentNode: string | null;
  ext: Extension | null;
}

const keyPath = (nodeId: string) => `mapping.${nodeId}.message.metadata.branchat.chat_id`;

/**
 * Questions and answers attached to their nearest kept ancestor (in node order), through transparent
 * nodes; also the first system message with text, in node order.
 */
function keepTree(nodes: Map<string, RawNode>, rootNode: string, sc: Scope) {
  const top: Kept[] = [];
  let firstSystem: string | null = null;
  const stack: { id: string; above: Kept | null; asked: boolean }[] = [{ id: rootNode, above: null, asked: false }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const n = nodes.get(item.id) as RawNode;
    const m = n.message;
    let { above, asked } = item;
    if (m && (m.kind === 'question' || m.kind === 'answer')) {
      if (m.kind === 'answer' && !asked) sc.issue(`mapping.${n.id}.message`, 'is an answer with no question before it');
      const kept: Kept = { id: n.id, message: m, children: [] };
      (above ? above.children : top).push(kept);
      above = kept;
      asked ||= m.kind === 'question';
    } else if (m?.kind === 'system' && m.text !== '' && firstSystem === null) firstSystem = n.id;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push({ id: n.children[i] as string, above, asked });
  }
  return { top, firstSystem };
}

/** The first non-empty system message on the current path; without a current_node, the first in node order. */
function systemPromptOf(
  nodes: Map<string, RawNode>,
  ancestry: string[] | null,
  firstSystem: string | null,
  sc: Scope,
): string | null {
  const hasPrompt = (id: string) => nodes.get(id)?.message?.kind === 'system' && nodes.get(id)?.message?.text !== '';
  const id = ancestry === null ? firstSystem : (ancestry.find(hasPrompt) ?? null);
  if (id === null) return null;
  const text = nodes.get(id)?.message?.text ?? '';
  checkText(text, SYSTEM_PROMPT_MAX, `mapping.${id}.message.content`, 'the system prompt', sc);
  return text;
}

/**
 * Questions and answers → pairs and chats. Each chat is followed question by question; where the source
 * forks, one way continues the chat and every other way starts a branch (queued, so chats are discovered
 * breadth first).
 */
class ChatWalk {
  readonly chats: DraftChat[] = [];
  readonly byKey = new Map<string, DraftChat>();
  /** Question and answer node → the first pair made from it (to find the pair of current_node). */
  readonly nodePair = new Map<string, DraftPair>();
  readonly byResponse = new Map<string, DraftPair>();
  /** Other answers to the first question, and other first questions: they cannot become branches. */
  droppedAnswers = 0;
  droppedQuestions = 0;
  private readonly queue: { chat: DraftChat; question: Kept; previous: DraftPair | null; variant: Variant | null }[] =
    [];

  constructor(
    private readonly h: Header,
    private readonly onPath: Set<string>,
    private readonly sc: Scope,
  ) {}

  newChat(key: string | null, idBase: string, parent: DraftChat | null, fork: DraftPair | null, first: string | null) {
    const chat: DraftChat = {
      key,
      idBase,
      id: '',
      parent,
      fork,
      pairs: [],
      firstNode: first,
      ext: null,
      order: this.chats.length,
    };
    if (key !== null) {
      if (this.byKey.has(key)) {
        this.sc.issue(first === null ? 'branchat.chats' : keyPath(first), `the chat id "${key}" is used by two chats`);
        chat.key = null;
      } else this.byKey.set(key, chat);
    }
    this.chats.push(chat);
    return chat;
  }

  /** The root chat, starting at the first question (the one on the current path if there are several). */
  start(top: Kept[]): DraftChat {
    const questions = top.filter((k) => k.message.kind === 'question');
    const first = questions.find((k) => this.onPath.has(k.id)) ?? questions[0] ?? null;
    this.droppedQuestions = questions.length - (first ? 1 : 0);
    const key = first?.message.questionExt?.chatId ?? null;
    const listedRoot = this.h.ext?.root.chatId ?? null;
    if (first && key !== null && listedRoot !== null && key !== listedRoot) {
      this.sc.issue(keyPath(first.id), `is "${key}", but branchat.chats makes "${listedRoot}" the root`);
    }
    const root = this.newChat(key ?? listedRoot, this.h.id ?? 'root', null, null, first?.id ?? null);
    if (first) this.queue.push({ chat: root, question: first, previous: null, variant: null });
    for (let i = 0; i < this.queue.length; i++) this.follow(this.queue[i] as (typeof this.queue)[number]);
    return root;
  }

  /** One chat, from its first question to its last pair. */
  private follow(from: (typeof this.queue)[number]): void {
    const { chat } = from;
    let { question, previous, variant } = from;
    for (;;) {
      const variants = variant ? [variant] : variantsOf(question);
      const main = variant ?? variants.find((v) => this.onPath.has(v.end.id)) ?? (variants[0] as Variant);
      const pair = this.makePair(question, main, chat);
      // Other answers to this question (regenerations): branches after the previous pair, repeating it.
      for (const alt of variant ? [] : variants) {
        if (alt === main) continue;
        if (previous === null) this.droppedAnswers++;
        else {
          const branch = this.newChat(null, alt.end.id, previous.chat, previous, question.id);
          this.queue.push({ chat: branch, question, previous, variant: alt });
        }
      }
      // Other questions after this pair (edits): branches after it.
      const next = this.continuation(main.next, chat);
      for (const kid of main.next) {
        if (kid === next) continue;
        const key = kid.message.questionExt?.chatId ?? null;
        if (key !== null && key === chat.key) {
          this.sc.issue(keyPath(kid.id), `continues chat "${key}", which already continues with "${next?.id}"`);
          continue;
        }
        const branch = this.newChat(key, kid.id, chat, pair, kid.id);
        this.queue.push({ chat: branch, question: kid, previous: pair, variant: null });
      }
      if (!next) return;
      previous = pair;
      question = next;
      variant = null;
    }
  }

  /**
   * Which following question continues `chat`: with chat ids in the metadata, the one carrying this chat's
   * id; without, the one on the current path, else the first.
   */
  private continuation(kids: Kept[], chat: DraftChat): Kept | null {
    if (kids.some((k) => (k.message.questionExt?.chatId ?? null) !== null)) {
      return chat.key === null ? null : (kids.find((k) => k.message.questionExt?.chatId === chat.key) ?? null);
    }
    return kids.find((k) => this.onPath.has(k.id)) ?? kids[0] ?? null;
  }

  private makePair(question: Kept, v: Variant, chat: DraftChat): DraftPair {
    const response = v.answers
      .map((a) => a.message.text)
      .filter((t) => t !== '')
      .join('\n\n');
    if (response.length > RESPONSE_MAX) {
      // Each answer was checked alone; merged ones can still be too long together.
      this.sc.issue(
        `mapping.${v.end.id}.message.content`,
        `the merged answer has ${response.length} characters; at most ${RESPONSE_MAX}`,
      );
    }
    const time =
      v.answers.find((a) => a.message.createTime !== null)?.message.createTime ??
      question.message.createTime ??
      this.h.createTime ??
      0;
    const ext = question.message.questionExt;
    const pair: SnapshotPair = {
      responseId: v.end.id,
      question: question.message.text,
      response,
      timestamp: new Date(time),
      type: ext?.type ?? 'text',
      language: ext?.language ?? null,
      url: ext?.url ?? null,
      generation: v.answers.findLast((a) => a.message.generation !== null)?.message.generation ?? null,
    };
    const draft = { pair, chat };
    chat.pairs.push(draft);
    this.byResponse.set(pair.responseId, draft);
    for (const id of [question.id, ...v.answers.map((a) => a.id)]) {
      if (!this.nodePair.has(id)) this.nodePair.set(id, draft);
    }
    return draft;
  }

  /** Final ids: the source's where it gives them, else invented (unique, and unlike every listed id). */
  assignIds(): void {
    const used = new Set<string>([...this.byKey.keys(), ...(this.h.ext?.chats.map((c) => c.chatId) ?? [])]);
    for (const chat of this.chats) {
      if (chat.key !== null) {
        chat.id = chat.key;
        continue;
      }
      let id = chat.idBase;
      for (let n = 2; used.has(id); n++) id = `${chat.idBase}-${n}`;
      used.add(id);
      chat.id = id;
    }
  }
}

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
    // A chat without pairs: a branch after a pair of a chat that has some.
    const parent = e.parentChatId === null ? undefined : byId.get(e.parentChatId);
    const fork = e.forkResponseId === null ? undefined : walk.byResponse.get(e.forkResponseId);
    if (!parent || !fork || fork.chat !== parent) {
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
 * discards the result); what had to be left out is said in `notes`.
 */
function buildTree(nodes: Map<string, RawNode>, rootNode: string, h: Header, sc: Scope, notes: string[]): TreeSnapshot {
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

  const left = (n: number, one: string, many: string, what: string) =>
    `conversation '${h.title}': ${plural(n, one, many)} ${what} ${n === 1 ? 'was' : 'were'} not imported ` +
    '(a conversation cannot fork before its first pair)';
  if (walk.droppedAnswers > 0) {
    notes.push(left(walk.droppedAnswers, 'alternative answer', 'alternative answers', 'to the first question'));
  }
  if (walk.droppedQuestions > 0) {
    notes.push(left(walk.droppedQuestions, 'other version', 'other versions', 'of the first question'));
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
  const branchName = cut(`${h.title} (branch)`, NAME_MAX);
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

// ---- import: entry points ----------------------------------------------------------------------------------

function readConversation(raw: unknown, sc: Scope, notes: string[], window: TimeWindow): TreeSnapshot | null {
  const times: Times = { window, moved: 0 };
  if (!isRecord(raw)) {
    sc.issue('', 'must be a conversation object');
    return null;
  }
  let title = DEFAULT_TITLE;
  if (typeof raw.title === 'string') {
    if (!storableText(raw.title)) sc.issue('title', 'contains U+0000 or an unpaired surrogate');
    title = cut(raw.title.trim(), NAME_MAX).trim() || DEFAULT_TITLE;
  } else if (!absent(raw.title)) sc.issue('title', 'must be a string or null');
  const createTime = readTime(raw.create_time, 'create_time', sc, times);
  let id: string | null = null;
  for (const field of ['id', 'conversation_id'] as const) {
    const v = raw[field];
    if (typeof v === 'string' && v !== '') id ??= v;
    else if (!absent(v) && typeof v !== 'string') sc.issue(field, 'must be a string');
  }
  let currentNode: string | null = null;
  if (typeof raw.current_node === 'string') currentNode = raw.current_node;
  else if (!absent(raw.current_node)) sc.issue('current_node', 'must be a node id or null');
  const ext = absent(raw.branchat) ? null : readExtension(raw.branchat, sc, times);

  const mapping = raw.mapping;
  if (!isRecord(mapping)) {
    sc.issue('mapping', 'must be an object of nodes keyed by their id');
    return null;
  }
  const size = Object.keys(mapping).length;
  if (size > MAX_NODES) {
    sc.issue('mapping', `holds ${size} nodes; at most ${MAX_NODES} are allowed`);
    return null;
  }
  const { nodes, root } = readNodes(mapping, sc, times);
  if (currentNode !== null && !nodes.has(currentNode)) {
    sc.issue('current_node', `names "${currentNode}", which is not a node of the mapping`);
  }
  if (sc.errors > 0 || root === null) return null;
  const found: string[] = [];
  const snapshot = buildTree(nodes, root, { title, createTime, id, currentNode, ext }, sc, found);
  if (sc.errors > 0) return null;
  notes.push(...found);
  if (times.moved > 0) {
    const range = `${new Date(window.min).toISOString()} … ${new Date(window.max).toISOString()}`;
    notes.push(
      `conversation '${title}': ${plural(times.moved, 'time', 'times')} outside ${range} (the times this service ` +
        `stores) ${times.moved === 1 ? 'was' : 'were'} moved to the nearest end of that range`,
    );
  }
  return snapshot;
}

/**
 * Reads one ChatGPT conversation, or an array of them (a conversations.json). Everything is checked first:
 * on any problem the result lists them all (at most MAX_ISSUES), with paths such as `mapping.<id>.parent`
 * (`[2].mapping.<id>.parent` in an array), and no snapshot is returned.
 *
 * Real exports: message-less nodes, system and tool messages, hidden messages and answers without text
 * (browsing displays, reasoning) are transparent; consecutive answers merge; an edited question or a
 * regenerated answer becomes a branch, the current path (`current_node`) staying in the chat it continues.
 * The `branchat` extension keys written by toChatGpt, when present, give chat ids, names, times, empty
 * chats, the active chat and pair kinds back exactly.
 *
 * Times: years 1 to 9999 are read; those outside the stored-time window of a write at `now` (1970 … now + 1
 * day, domain/time.ts) are moved to its nearest end, with a note per conversation.
 */
export function fromChatGpt(input: unknown, options: { now?: Date } = {}): ParseResult {
  const window = timeWindow(options.now ?? new Date());
  const problems = new Problems();
  const notes: string[] = [];
  const snapshots: TreeSnapshot[] = [];
  if (Array.isArray(input)) {
    if (input.length === 0) problems.add('(input)', 'is an empty array; expected at least one conversation');
    input.forEach((c: unknown, i) => {
      const s = readConversation(c, scope(problems, `[${i}]`), notes, window);
      if (s) snapshots.push(s);
    });
  } else if (isRecord(input)) {
    const s = readConversation(input, scope(problems, ''), notes, window);
    if (s) snapshots.push(s);
  } else problems.add('(input)', 'must be a conversation object or an array of them');
  return problems.count > 0 ? { ok: false, errors: problems.result() } : { ok: true, snapshots, notes };
}
