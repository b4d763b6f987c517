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

/** A rating of an answer (set-feedback): thumbs up or down. */
export const RATINGS = ['up', 'down'] as const;
export type Rating = (typeof RATINGS)[number];

/**
 * An account's feedback on a pair's answer (set-feedback), stored in the metadata per account and pair. The pair
 * never moves, so neither does its feedback: a branch that inherits the pair sees the same feedback.
 */
export interface Feedback {
  rating: Rating;
  /** null: no comment. */
  comment: string | null;
  updatedAt: Date;
}

/** A stored feedback with where its pair is (the storing chat and the pair's seq there). */
export interface PairFeedback extends Feedback {
  responseId: string;
  chatId: string;
  seq: number;
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
 * A share link (docs/api.md, "Shares"): read-only access to one chat's visible history for whoever holds its token.
 * Only the token's SHA-256 is kept. A frozen share (`live` false) shows the first `frozenCount` pairs of the history
 * under `frozenName` (and `frozenSystemPrompt` when the system prompt is included), whatever happens to the chat
 * later; a live one shows the chat as it is. A share ends when revoked, when it expires, or when its chat is deleted.
 */
export interface ShareRecord {
  shareId: string;
  accountId: string;
  chatId: string;
  rootChatId: string;
  /** SHA-256 of the token (32 bytes). */
  tokenHash: Uint8Array;
  live: boolean;
  /** Frozen: the length of the chat's visible history when the share was made; live: null. */
  frozenCount: number | null;
  /** Frozen: the chat's name then; live: null. */
  frozenName: string | null;
  /** Frozen with the system prompt included: the conversation's prompt then (null if it had none); else null. */
  frozenSystemPrompt: string | null;
  includeSystemPrompt: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/**
 * The limits and text rules live in limits.ts (one module for the schemas, the services and the importer);
 * re-exported here for the modules that read them with the records.
 */
export {
  COUNT_MAX,
  FEEDBACK_COMMENT_MAX,
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
