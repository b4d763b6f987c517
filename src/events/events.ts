import type { Logger } from '../logger.js';

/**
 * Real-time events of conversation trees (README, "Real-time events"). Every write to a tree publishes one
 * or two events carrying the objects the REST API answered, numbered by a per-tree sequence, kept for
 * resume (the last EVENTS_RETENTION per tree). Delivery: events.hub.ts; transport: http/events.
 */
export const EVENT_NAMES = [
  'message.added',
  'branch.created',
  'branch.activated',
  'chat.updated',
  'chat.deleted',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** One event as stored and sent (inside an `event` frame). */
export interface TreeEvent {
  /** Position in the tree's event sequence: 1, 2, 3, … without gaps. */
  seq: number;
  root_chat_id: string;
  event: EventName;
  /** When it was published (ISO 8601 UTC). */
  at: string;
  /** The REST object: QAPair, {chat, qa_pair}, {root_chat_id, active_chat_id}, Chat or {deleted_chat_ids}. */
  data: unknown;
}

/** How much one read of the log may return: events, and bytes of their JSON (as stored and sent). */
export interface ReplayLimit {
  maxEvents: number;
  maxBytes: number;
}

/** The write side, as the HTTP handlers see it. */
export interface EventPublisher {
  /** Publishes after a committed write; never throws (a failure is logged, the write stands). */
  publish(rootChatId: string, event: EventName, data: unknown): Promise<void>;
}

export interface EventBus {
  readonly kind: 'memory' | 'redis';
  /** Appends an event to the tree's sequence and fans it out; returns its seq. */
  publish(rootChatId: string, event: EventName, data: unknown): Promise<number>;
  /**
   * Calls `onEvent` for every event of the tree published once the returned promise resolves (from any
   * process); resolves to the function that stops it.
   */
  listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void>;
  /**
   * Events after `after`, in order; 'gone' when some of them are no longer retained (or never existed);
   * 'over-limit' when there are more of them than `limit` allows (then none are read into memory beyond
   * about the limit, whatever the log holds).
   */
  since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'>;
  /** The tree's latest seq (0 before its first event). */
  currentSeq(rootChatId: string): Promise<number>;
  /** Called after a lost connection to the fan-out comes back (events may have been missed meanwhile). */
  onReconnect(fn: () => void): void;
  close(): Promise<void>;
}

/** The handlers' publisher over a bus: failures are logged, never thrown (the write has committed). */
export function eventPublisher(bus: EventBus | undefined, log: Logger): EventPublisher {
  if (!bus) return { publish: async () => {} };
  return {
    async publish(rootChatId, event, data) {
      try {
        await bus.publish(rootChatId, event, data);
      } catch (e) {
        log.warn(
          { err: e instanceof Error ? e.message : String(e), event, root_chat_id: rootChatId },
          'event not published',
        );
      }
    },
  };
}
