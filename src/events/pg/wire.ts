/**
 * What the parts of the PostgreSQL change feed (src/events/pg.feed.ts) share: its two NOTIFY channels and how
 * payloads are packed into them, the bounds of its queries and bookkeeping, and the feed's LISTEN connection as
 * the parts see it (`FeedLink`; the feed alone connects, replaces and closes it).
 */

import type pg from 'pg';
import type { FastSql } from '../../stores/pg-fast.js';

/** The NOTIFY channel: payload `<root_chat_id>:<seq>`, several of them comma-separated. */
export const EVENTS_CHANNEL = 'branchat_events';
/** Lease holders acknowledge each notice they applied here: payload `<holder>:<root_chat_id>:<seq>`, comma-separated. */
export const ACKS_CHANNEL = 'branchat_acks';

/** A query on the feed's connection that takes longer means the connection is gone: it is replaced. */
export const QUERY_TIMEOUT_MS = 5000;
/** Bound of the feed's bookkeeping (sent payloads awaiting their echo, remembered acks, acks to send). */
export const MAX_OUTBOX = 10_000;

/** `p`, or a rejection after QUERY_TIMEOUT_MS. */
export function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Notices (or acks) packed into as few NOTIFY payloads as fit (`a,b,c`, under PostgreSQL's 8,000-byte limit): a
 * NOTIFY per write cost PostgreSQL a queue entry and every listener a message per write.
 */
export function pack(items: string[]): string[] {
  const out: string[] = [];
  let cur = '';
  for (const item of items) {
    if (cur && cur.length + 1 + item.length > 7900) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur},${item}` : item;
  }
  if (cur) out.push(cur);
  return out;
}

/** The feed's connection and state, as its parts use them (read at each use: the connection is replaced). */
export interface FeedLink {
  /** The LISTEN connection while it is up, else null. */
  client(): pg.Client | null;
  /** True once the feed is closing. */
  closed(): boolean;
  /**
   * Where this process's NOTIFYs and acks are sent (Bun's client on a connection of their own); absent: on the
   * LISTEN connection.
   */
  readonly notifier: PostgresNotifier;
  /** A query on `client` failed or timed out: the connection is replaced (reconnect, then catch up). */
  failed(client: pg.Client, e: unknown): void;
  /** Logs a warning (at most one per 10 s for the whole feed). */
  warn(e: unknown, msg: string): void;
}

/** PostgresFeedOptions.notifier. */
export type PostgresNotifier = FastSql | null | undefined;
