/**
 * A whole conversation tree as one value: what export-chat reads and import-chat writes. Formats
 * (branchat JSON, ChatGPT, Markdown) convert from and to this; the services read and store it.
 */
import type { Feedback, Generation, PairType } from '../model.js';

export interface SnapshotPair {
  /** In an imported snapshot: the source's id (e.g. a ChatGPT node id); the import gives fresh ids. */
  responseId: string;
  question: string;
  response: string;
  timestamp: Date;
  type: PairType;
  /** Set for `code` only. */
  language: string | null;
  /** Set for `link` only. */
  url: string | null;
  /** How the response was generated, when a model wrote it; null for a response given by the client. */
  generation: Generation | null;
  /** The account's feedback on the answer (set-feedback), or null. */
  feedback: Feedback | null;
}

export interface SnapshotChat {
  /** In an imported snapshot: the source's id; the import gives fresh ids. */
  chatId: string;
  /** null for the root (the first chat of the list). */
  parentChatId: string | null;
  /** The pair of the parent chat (one of ITS OWN pairs) after which this branch forks; null for the root. */
  forkResponseId: string | null;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  /** The chat's own pairs, in order. */
  pairs: SnapshotPair[];
}

export interface TreeSnapshot {
  /** The conversation's name (the root chat's name). */
  title: string;
  systemPrompt: string | null;
  /** One of `chats[].chatId`. */
  activeChatId: string;
  /** Root first; every chat after its parent; siblings oldest first. */
  chats: SnapshotChat[];
}
