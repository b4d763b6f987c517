/**
 * Real-time events of conversation trees (README, "Real-time events"; docs/api.md). Every write to a tree appends
 * its events to the tree's log in its own transaction (src/stores/metadata: the services announce them, the store
 * numbers them under the tree lock); the change feed delivers them to every process (pg.feed.ts); the hub sends
 * them to sockets (events.hub.ts).
 */

/** The events sockets receive (subprotocol branchat.v1). The log's entry 0 of a tree, `tree.created`, is not sent. */
export const EVENT_NAMES = [
  'message.added',
  'branch.created',
  'branch.activated',
  'chat.updated',
  'chat.deleted',
  'pair.feedback',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** One event as stored and sent (inside an `event` frame). */
export interface TreeEvent {
  /** Position in the tree's event sequence: 1, 2, 3, … without gaps, in commit order. */
  seq: number;
  root_chat_id: string;
  event: EventName;
  /** When its write stamped it, inside the transaction (ISO 8601 UTC). */
  at: string;
  /**
   * The REST object: QAPair, {chat, qa_pair}, {root_chat_id, active_chat_id}, Chat, {deleted_chat_ids} or
   * {response_id, chat_id, feedback}.
   */
  data: unknown;
}

/** How much one read of the log may return: events, and bytes of their data (as stored and sent). */
export interface ReplayLimit {
  maxEvents: number;
  maxBytes: number;
}

/**
 * The change feed, as its readers see it. One feed per process; each reader is one subscription: the hub
 * follows the trees its sockets watch (`listen`), and any other consumer (a cache learning that a tree changed
 * on another instance) takes every commit's notice (`onCommit`) without reading the log.
 */
export interface EventFeed {
  readonly kind: string;
  /**
   * Calls `onEvent` for every event of the tree committed after the returned promise resolves (by any process),
   * in seq order, each once; resolves to the function that stops it.
   */
  listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void>;
  /**
   * Calls `fn(root, seq)` for each commit notice of any tree (its latest seq), from any process; returns the stop.
   * A notice can be lost with its writer (killed between COMMIT and NOTIFY): a consumer that must not miss a change
   * compares `currentSeq` when it matters (as `listen` does every second for the trees it follows).
   */
  onCommit(fn: (rootChatId: string, seq: number) => void): () => void;
  /**
   * Events after `after`, in order; 'gone' when some of them are no longer retained (or `after` is past the
   * tree's sequence); 'over-limit' when there are more of them than `limit` allows (then none are read).
   */
  since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'>;
  /** The tree's latest seq (0 before its first event). */
  currentSeq(rootChatId: string): Promise<number>;
  close(): Promise<void>;
}
