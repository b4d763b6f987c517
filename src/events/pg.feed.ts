/**
 * The change feed on PostgreSQL itself: no Redis, no other broker.
 *
 * Writes append their events to `tree_events` in their own transaction (src/stores/metadata/
 * postgres-metadata.store.ts). As soon as a write has committed, its process calls `committed(root, seq)`: the
 * feed delivers to its own sockets at once and sends `NOTIFY branchat_events, '<root>:<seq>'` to the others,
 * batched (one statement at a time; commits meanwhile go together in the next) on its dedicated connection. That
 * connection also LISTENs (outside the pool, so a busy pool never delays delivery). Per tree it follows, a process
 * keeps the seq it has delivered up to (`position`): a notice only says "this tree is at seq N now"; the events
 * themselves are read from the log after `position`, for all trees that are behind in one query. So what a process
 * delivers is a run of the log in seq (= commit) order, gap-free whatever notices it missed (only a follower that
 * fell behind the retention sees a gap, which the hub answers with `resync`):
 *
 * - the LISTEN connection drops (restart, failover, network): it reconnects with backoff, then checks every
 *   followed tree against `conversations.event_seq` and reads what it missed;
 * - the writing process dies between its COMMIT and its NOTIFY (kill -9): the others see the event at their
 *   next check, every `pollMs` (1 s), which is one indexed query per process over the trees it follows;
 * - a process that was down starts with no positions; a client resuming with `last_seq` is replayed from the
 *   log (`since`), bounded by the caller's limit; beyond retention → 'gone' (the client resyncs).
 *
 * Why NOTIFY is not part of the write's transaction: PostgreSQL takes one database-wide lock from a notifying
 * transaction's pre-commit to its end, so every write's commit (WAL flush included) would wait for the others';
 * measured, NOTIFY in every write cost add-message about 6 % of its throughput (BENCHMARKS.md, "Real-time events").
 *
 * Reads from memory (src/cache/chat-rows.ts): a process that answers reads without asking PostgreSQL holds a read
 * lease (table `read_leases`, renewed on this connection every leaseMs / 4). The NOTIFY statement of a commit also
 * reads the other live holders FOR SHARE; the write is answered only once each has acknowledged the notice on
 * `branchat_acks` (it applies it synchronously, then acks) or its lease has run out (a holder that lost its
 * connection stops answering from memory at once, and one that is stuck stops when its lease ends). So a read
 * that starts after a write's answer sees it on every process, from memory too. With one process, or no other
 * holder, nothing waits: the statement finds no holder.
 *
 * Retention: the last `retention` events per tree (trimmed by the writes) and none older than `maxAgeMs`
 * (pruned here, every `pruneMs`, in batches through the BRIN index on `at`).
 *
 * This module keeps the LISTEN connection (connect, reconnect with backoff, close) and dispatches what arrives on
 * it; its parts are in src/events/pg/: the followed trees and their catching up (followed.ts), the reads of the
 * log (log.ts), the outbox of commit notices (commit-notices.ts), this process's read lease and its acks
 * (lease.ts), the commits waiting for the other holders' acks (ack-waits.ts), and what they share (wire.ts).
 */

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { FastSql } from '../stores/pg-fast.js';
import type { Db } from '../stores/pg-tx.js';
import type { EventFeed, ReplayLimit, TreeEvent } from './events.js';
import { AckWaits } from './pg/ack-waits.js';
import { CommitNotices } from './pg/commit-notices.js';
import { FollowedTrees } from './pg/followed.js';
import { ReadLease } from './pg/lease.js';
import * as eventLog from './pg/log.js';
import { ACKS_CHANNEL, EVENTS_CHANNEL, type FeedLink, QUERY_TIMEOUT_MS } from './pg/wire.js';

export { ACKS_CHANNEL, EVENTS_CHANNEL };

export interface PostgresFeedOptions {
  /** The database, for the dedicated LISTEN connection. */
  url: string;
  /** The pool (resume reads, current seqs, pruning). */
  db: () => Db;
  log: Logger;
  /** Events kept per tree. */
  retention: number;
  /** Events older than this are no longer kept. */
  maxAgeMs: number;
  /** How often followed trees are checked without a notice (default 1 s). */
  pollMs?: number;
  /** How often old events are pruned (default 60 s; 0 = never, for tests). */
  pruneMs?: number;
  /** Hold a read lease: this process answers reads from memory (src/cache/chat-rows.ts). Default false. */
  lease?: boolean;
  /** Lease length (default 2 s; renewed every quarter of it). */
  leaseMs?: number;
  /**
   * Where this process's NOTIFYs and acks are sent (Bun's client on a connection of their own, with
   * synchronous_commit off); absent: on the LISTEN connection.
   */
  notifier?: FastSql | null;
}

export class PostgresEventFeed implements EventFeed {
  readonly kind = 'postgresql';
  private client: pg.Client | null = null;
  private closed = false;
  private readonly commitFns = new Set<(root: string, seq: number) => void>();
  private attempts = 0;
  private lastWarn = 0;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** This process, as a lease holder (and as the sender of its acks). */
  readonly holder = randomUUID();
  private readonly followed: FollowedTrees;
  private readonly lease: ReadLease;
  private readonly acks: AckWaits;
  private readonly notices: CommitNotices;

  private constructor(private readonly o: PostgresFeedOptions) {
    // What the parts see of this feed: read at each use (the connection is replaced when it fails).
    const link: FeedLink = {
      client: () => this.client,
      closed: () => this.closed,
      notifier: o.notifier,
      failed: (client, e) => this.failed(client, e),
      warn: (e, msg) => this.warn(e, msg),
    };
    this.followed = new FollowedTrees(link, (root) => this.currentSeq(root));
    this.lease = new ReadLease(link, this.holder, this.leaseMs);
    this.acks = new AckWaits(link, this.leaseMs);
    this.notices = new CommitNotices(link, o.db, this.holder, this.acks);
  }

  private get leaseMs(): number {
    return this.o.leaseMs ?? 2000;
  }

  /** Connects (or keeps trying in the background, logged) and starts the periodic check and pruning. */
  static async start(o: PostgresFeedOptions): Promise<PostgresEventFeed> {
    const feed = new PostgresEventFeed(o);
    await feed.connect().catch(() => feed.reconnectLater());
    const poll = setInterval(() => void feed.followed.poll(), o.pollMs ?? 1000);
    poll.unref?.();
    feed.timers.push(poll);
    if (o.lease) {
      const renew = setInterval(() => void feed.lease.renew(), Math.max(50, Math.floor(feed.leaseMs / 4)));
      renew.unref?.();
      feed.timers.push(renew);
    }
    if ((o.pruneMs ?? 60_000) > 0) {
      const prune = setInterval(
        () => void feed.prune().catch((e) => feed.warn(e, 'event pruning failed')),
        o.pruneMs ?? 60_000,
      );
      prune.unref?.();
      feed.timers.push(prune);
    }
    return feed;
  }

  /** True while the LISTEN connection is up (readiness, metrics). */
  get connected(): boolean {
    return this.client !== null;
  }

  private warn(e: unknown, msg: string) {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, msg);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.o.url,
      application_name: 'branchat-feed',
      keepAlive: true,
      // A connection that died silently (failover, a dropped NAT entry) is noticed in seconds, not hours.
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5000,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    client.on('notification', (m) => {
      // Our own notices come back too: this process handled them when it sent them (from this connection, or
      // from the notifier's: those are known by their payload, `<root>:<seq>` being unique).
      if (m.processId === (client as unknown as { processID?: number }).processID) return;
      const payload = m.payload ?? '';
      if (m.channel === ACKS_CHANNEL) for (const a of payload.split(',')) this.acks.acked(a);
      else if (this.notices.isEcho(payload)) return;
      else {
        const notices = payload.split(',');
        for (const n of notices) this.notified(n);
        // Applied (the readers above ran synchronously): tell the writer, which waits for it before answering.
        if (this.o.lease) for (const n of notices) this.lease.ack(n);
      }
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
      await client.query(`listen ${ACKS_CHANNEL}`);
      // This connection's own transactions are NOTIFYs only: no need to wait for their WAL flush (a notice lost in
      // a crash of PostgreSQL is made up by the checks every pollMs).
      await client.query('set synchronous_commit = off');
    } catch (e) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
      this.warn(e, 'event feed: cannot listen; retrying');
      throw e;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    if (this.attempts > 0) this.o.log.info('event feed: listening again');
    this.attempts = 0;
    if (this.o.lease) await this.lease.renew();
    // Whatever committed while nobody listened is read from the log now.
    await this.followed.poll();
  }

  /**
   * The generation of the current read lease while this process may answer reads from memory, else null. What
   * was kept in memory under another generation is not to be used (changes may have been missed meanwhile).
   */
  memoryReads(): number | null {
    return this.lease.memoryReads();
  }

  /** A query on the feed's connection failed or timed out: the connection is replaced (reconnect, then catch up). */
  private failed(client: pg.Client, e: unknown) {
    this.lost(client, e instanceof Error ? e : new Error(String(e)));
  }

  private lost(client: pg.Client, e: Error) {
    if (this.client !== client) return;
    this.client = null;
    // Notices may be missed from now on: no more answers from memory until a new lease.
    this.lease.end();
    client.removeAllListeners();
    client.on('error', () => {});
    client.end().catch(() => {});
    this.warn(e, 'event feed: connection lost; reconnecting');
    this.reconnectLater();
  }

  private reconnectLater() {
    if (this.closed) return;
    const delay = Math.min(50 * 2 ** Math.min(this.attempts++, 6), 2000);
    const t = setTimeout(() => {
      if (!this.closed && !this.client) this.connect().catch(() => this.reconnectLater());
    }, delay);
    t.unref?.();
  }

  /**
   * A write of this process has committed: its sockets get the events now, the other processes at its NOTIFY
   * (sent with the other commits waiting, one statement at a time). Resolves once every other lease holder has
   * applied it (acknowledged it, or its lease ran out): only then may the write be answered, so that a read that
   * starts afterwards on any process sees it, from memory too.
   */
  committed(rootChatId: string, seq: number): Promise<void> {
    const payload = `${rootChatId}:${seq}`;
    this.notified(payload);
    if (this.closed) return Promise.resolve(); // shutting down: the others find it at their next check
    return this.notices.enqueue(payload);
  }

  /** A commit notice `<root>:<seq>` (of any process): to every onCommit reader, then to the followed trees. */
  private notified(payload: string) {
    const at = payload.lastIndexOf(':');
    const root = payload.slice(0, at);
    const seq = Number(payload.slice(at + 1));
    if (at <= 0 || !Number.isSafeInteger(seq)) return;
    for (const fn of this.commitFns) {
      try {
        fn(root, seq);
      } catch (e) {
        this.warn(e, 'event feed: a commit reader failed');
      }
    }
    this.followed.reported(root, seq);
  }

  listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void> {
    return this.followed.listen(rootChatId, onEvent);
  }

  onCommit(fn: (rootChatId: string, seq: number) => void): () => void {
    this.commitFns.add(fn);
    return () => this.commitFns.delete(fn);
  }

  since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
    return eventLog.since(this.o.db, this.o, rootChatId, after, limit);
  }

  currentSeq(rootChatId: string): Promise<number> {
    return eventLog.currentSeq(this.o.db, rootChatId);
  }

  /** Deletes events older than the retention age, in batches (so no statement holds many locks for long). */
  prune(): Promise<number> {
    return eventLog.prune(this.o.db, this.o.maxAgeMs, () => this.closed);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.followed.clear();
    this.commitFns.clear();
    const client = this.client;
    this.client = null;
    this.lease.end();
    if (client) {
      // Writers need not wait for this process any more.
      if (this.o.lease) await this.lease.release(client);
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
