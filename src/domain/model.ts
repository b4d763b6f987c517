/**
 * The domain's records. A chat is a node of a conversation tree; its visible history is the chain of
 * its ancestors' prefixes followed by its own pairs (see history.ts).
 */
export type ChatType = 'main' | 'branch';

export interface ChatRecord {
  chatId: string;
  accountId: string;
  rootChatId: string;
  parentChatId: string | null;
  /** The pair of the parent after which this branch forks (stored in the parent). */
  forkResponseId: string | null;
  chatType: ChatType;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  active: boolean;
  /** Ancestors from the root down to the parent. Immutable: branches never move. */
  ancestorIds: string[];
  /** For each ancestor, how many of its own pairs are visible here (the last one is the fork seq). */
  ancestorLimits: number[];
  /** Number of this chat's own pairs. */
  ownCount: number;
  /** The tree's version when this record was read; every write to the tree increments it (cache keys). */
  treeVersion: number;
  /**
   * The conversation's system prompt (one per tree, sent to the model before the history), or null. Read
   * with the chat where a request needs it (get-chat, list-chats, writes); null where it was not read.
   */
  systemPrompt: string | null;
  /**
   * On the root of a conversation copied by fork-chat: the chat and pair it was copied from (`responseId` null
   * when the copied history was empty). Null or absent otherwise, and null once that chat is deleted (resolved
   * when read: see chats.service.ts, `withLiveSource`).
   */
  forkedFrom?: ForkedFrom | null;
  /**
   * The conversation's archive and pin flags (one per tree, the same on every chat of it: docs/api.md, "Chats"). Read
   * with the chat wherever its conversation row is (get-chat, list-chats, writes); false where it was not read.
   */
  archived: boolean;
  pinned: boolean;
  /**
   * Where the conversation's name (its root chat's) came from (see NameSource); read with the conversation row,
   * absent where it was not read.
   */
  nameSource?: NameSource;
}

/**
 * Where a conversation's name came from: `user` (given at create-chat, set by update-chat, or brought by an import or
 * a fork), `default` (create-chat without a name: DEFAULT_CHAT_NAME, until a title arrives) or `auto` (the title the
 * responder proposed from the first question and answer). A title replaces only a `default` name.
 */
export type NameSource = 'user' | 'auto' | 'default';

/** The name of a conversation created without one, until its title arrives. */
export const DEFAULT_CHAT_NAME = 'New chat';

export interface ForkedFrom {
  chatId: string;
  responseId: string | null;
}

export interface PairRecord {
  responseId: string;
  /** The chat that stores the pair. */
  chatId: string;
  accountId: string;
  /** 1-based position among the storing chat's own pairs. */
  seq: number;
  question: string;
  response: string;
  /** What the pair holds (README, "Message types"); `language` is set for code only, `url` for link only. */
  type: PairType;
  language: string | null;
  url: string | null;
  timestamp: Date;
  /** How the response was generated (the responder's model, tokens, latency); null when the client gave it. */
  generation: Generation | null;
}

/** What the responder reported for a generated response. Counts are null where the source did not say. */
export interface Generation {
  model: string;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
}

export const PAIR_TYPES = ['text', 'code', 'link'] as const;
export type PairType = (typeof PAIR_TYPES)[number];

/** The kind of a new pair, as validated at the edge: a discriminated union on `type`. */
export type PairKind = { type: 'text' } | { type: 'code'; language: string } | { type: 'link'; url: string };

export function kindFields(kind: PairKind): Pick<PairRecord, 'type' | 'language' | 'url'> {
  return {
    type: kind.type,
    language: kind.type === 'code' ? kind.language : null,
    url: kind.type === 'link' ? kind.url : null,
  };
}

export interface PairLocation {
  chatId: string;
  seq: number;
}

export interface AccountRecord {
  accountId: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

export interface ConversationSummary {
  root: ChatRecord;
  activeChatId: string;
  branchCount: number;
  lastActivityAt: Date;
}

/**
 * A start fork: a branch that forks before the first pair of its tree (create-branch with `response_id` null). It
 * hangs under the root, sees none of the root's pairs (chain `[root]`, limit `[0]`) and has no fork pair.
 */
export function isStartFork(chat: Pick<ChatRecord, 'parentChatId' | 'forkResponseId'>): boolean {
  return chat.parentChatId !== null && chat.forkResponseId === null;
}

/** The chain of a start fork of the tree `rootChatId` (see isStartFork). */
export function startForkChain(rootChatId: string): {
  parentChatId: string;
  ancestorIds: string[];
  ancestorLimits: number[];
} {
  return { parentChatId: rootChatId, ancestorIds: [rootChatId], ancestorLimits: [0] };
}

export function baseCount(chat: Pick<ChatRecord, 'ancestorLimits'>): number {
  let n = 0;
  for (const l of chat.ancestorLimits) n += l;
  return n;
}

export function messageCount(chat: Pick<ChatRecord, 'ancestorLimits' | 'ownCount'>): number {
  return baseCount(chat) + chat.ownCount;
}

/**
 * The limits and text rules live in limits.ts (one module for the schemas, the services and the importer);
 * re-exported here for the modules that read them with the records.
 */
export {
  COUNT_MAX,
  MAX_BRANCH_DEPTH,
  MAX_TIME_MS,
  MIN_TIME_MS,
  MODEL_MAX,
  NAME_MAX,
  QUESTION_MAX,
  RESPONSE_MAX,
  SYSTEM_PROMPT_MAX,
  storableText,
} from './limits.js';
