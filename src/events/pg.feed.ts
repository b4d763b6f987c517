/**
 * The change feed on PostgreSQL itself: no Redis, no other broker.
 *
 * Writes append their events to `tree_events` in their own transaction (src/stores/metadata/
 * postgres-metadata.store.ts). As soon as a write has committed, its process calls `committed(root, seq)`: the
 * feed delivers to its own sockets at once and sends `NOTIFY branchat_events, '<root>:<seq>'` to the others,
 * batched (one statement per 10 ms at most, whatever the number of commits) on its dedicated connection. That
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
 * Retention: the last `retention` events per tree (trimmed by the writes) and none older than `maxAgeMs`
 * (pruned here, every `pruneMs`, in batches through the BRIN index on `at`).
 */

import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { Db } from '../stores/pg-tx.js';
import type { EventFeed, EventName, ReplayLimit, TreeEvent } from './events.js';

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
}

/** The NOTIFY channel: payload `<root_chat_id>:<seq>`. */
export const EVENTS_CHANNEL = 'branchat_events';

/**
 * Commits of this process are announced to the others together, at most one NOTIFY statement per this many ms:
 * one per commit (or per tick) cost add-message 15 % of its throughput; this adds at most 10 ms to delivery on
 * other processes (their own process's sockets get events at once).
 */
const NOTIFY_BATCH_MS = 10;
/** A query on the feed's connection that takes longer means the connection is gone: it is replaced. */
const QUERY_TIMEOUT_MS = 5000;
/** Notices waiting to be sent at most (beyond, the oldest are dropped: the others' checks find those events). */
const MAX_OUTBOX = 10_000;

/** Log rows read per query while catching trees up (their data is held until delivered). */
const FETCH_ROWS = 200;
/** Frame bytes around an event's data (type, seq, root, event name, time): what a replay is charged per event. */
const FRAME_OVERHEAD = 140;

interface Followed {
  listeners: Set<(e: TreeEvent) => void>;
  /** The seq delivered up to; -1 until the tree's current seq has been read. */
  position: number;
  /** The highest seq a notice or a check has reported. */
  wanted: number;
  ready: Promise<void>;
}

interface EventRow {
  root_chat_id: string;
  seq: string | number;
  event: string;
  at: Date | string;
  data: string;
}

function toEvent(row: EventRow): TreeEvent {
  return {
    seq: Number(row.seq),
    root_chat_id: row.root_chat_id,
    event: row.event as EventName,
    at: (row.at instanceof Date ? row.at : new Date(row.at)).toISOString(),
    data: JSON.parse(row.data),
  };
}

export class PostgresEventFeed implements EventFeed {
  readonly kind = 'postgresql';
  private client: pg.Client | null = null;
  private closed = false;
  private readonly trees = new Map<string, Followed>();
  private readonly commitFns = new Set<(root: string, seq: number) => void>();
  private flushing = false;
  private flushAgain = false;
  private attempts = 0;
  private lastWarn = 0;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** Notices of this process's commits not sent yet (sent together, once per tick). */
  private outbox: string[] = [];
  private sending = false;
  private polling = false;

  private constructor(private readonly o: PostgresFeedOptions) {}

  /** Connects (or keeps trying in the background, logged) and starts the periodic check and pruning. */
  static async start(o: PostgresFeedOptions): Promise<PostgresEventFeed> {
    const feed = new PostgresEventFeed(o);
    await feed.connect().catch(() => feed.reconnectLater());
    const poll = setInterval(() => void feed.poll(), o.pollMs ?? 1000);
    poll.unref?.();
    feed.timers.push(poll);
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
      // Our own notices come back too: this process handled them when it sent them.
      if (m.processId !== (client as unknown as { processID?: number }).processID) this.notified(m.payload ?? '');
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
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
    // Whatever committed while nobody listened is read from the log now.
    await this.poll();
  }

  /** A query on the feed's connection failed or timed out: the connection is replaced (reconnect, then catch up). */
  private failed(client: pg.Client, e: unknown) {
    this.lost(client, e instanceof Error ? e : new Error(String(e)));
  }

  private lost(client: pg.Client, e: Error) {
    if (this.client !== client) return;
    this.client = null;
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
   * A write of this process has committed: its sockets get the events now, the other processes at their NOTIFY
   * (sent with every other notice of the next NOTIFY_BATCH_MS, in one statement; if the connection is down they
   * are dropped: the others' checks find the events).
   */
  committed(rootChatId: string, seq: number): void {
    const payload = `${rootChatId}:${seq}`;
    this.notified(payload);
    this.outbox.push(payload);
    if (this.outbox.length > MAX_OUTBOX) this.outbox.splice(0, this.outbox.length - MAX_OUTBOX);
    if (!this.sending) {
      this.sending = true;
      setTimeout(() => void this.send(), NOTIFY_BATCH_MS);
    }
  }

  private async send(): Promise<void> {
    try {
      while (this.outbox.length > 0) {
        const batch = this.outbox;
        this.outbox = [];
        const client = this.client;
        if (!client) break;
        await client
          .query('select pg_notify($1, p) from unnest($2::text[]) as p', [EVENTS_CHANNEL, batch])
          .catch((e) => {
            this.warn(e, 'event feed: NOTIFY failed (the others find the events at their next check)');
            this.failed(client, e);
          });
      }
    } finally {
      this.outbox = [];
      this.sending = false;
    }
  }

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
    const t = this.trees.get(root);
    if (t && seq > t.wanted) {
      t.wanted = seq;
      if (t.position >= 0) void this.flush();
    }
  }

  /** Reads and delivers the events of every followed tree that is behind, one query per FETCH_ROWS rows. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        const client = this.client;
        const behind = [...this.trees].filter(([, t]) => t.position >= 0 && t.wanted > t.position);
        if (behind.length === 0 || !client) break;
        const r = await client.query<EventRow>(
          `select e.root_chat_id, e.seq, e.event, e.at, e.data
           from unnest($1::uuid[], $2::bigint[]) as f(root, after)
           join tree_events e on e.root_chat_id = f.root and e.seq > f.after
           order by e.root_chat_id, e.seq
           limit ${FETCH_ROWS}`,
          [behind.map(([root]) => root), behind.map(([, t]) => t.position)],
        );
        const got = new Set<string>();
        const asked = new Map(behind);
        for (const row of r.rows) {
          // Only into the entry this read was for: a tree unfollowed and followed again meanwhile starts anew.
          const t = asked.get(row.root_chat_id);
          const seq = Number(row.seq);
          got.add(row.root_chat_id);
          if (!t || this.trees.get(row.root_chat_id) !== t || t.position < 0 || seq <= t.position) continue;
          t.position = seq;
          t.wanted = Math.max(t.wanted, seq);
          const e = toEvent(row);
          for (const fn of [...t.listeners]) {
            try {
              fn(e);
            } catch (err) {
              this.warn(err, 'event feed: a listener failed');
            }
          }
        }
        if (r.rows.length === FETCH_ROWS) {
          this.flushAgain = true;
          continue;
        }
        // Reported but not in the log (pruned by age since): nothing to read; the next event shows the gap, which the
        // hub fills from the log or answers with resync (so is a follower that fell behind the retention).
        for (const [root, t] of behind) if (!got.has(root)) t.wanted = t.position;
      } while (this.flushAgain);
    } catch (e) {
      this.warn(e, 'event feed: reading the log failed');
      if (this.client) this.failed(this.client, e);
    } finally {
      this.flushing = false;
    }
  }

  /** Checks every followed tree's latest seq (after a reconnect, and periodically) and reads what is new. */
  private async poll(): Promise<void> {
    const client = this.client;
    const roots = [...this.trees].filter(([, t]) => t.position >= 0).map(([root]) => root);
    if (!client || roots.length === 0 || this.polling) return;
    this.polling = true;
    try {
      const r = await client.query<{ chat_id: string; event_seq: string }>(
        'select chat_id, event_seq from conversations where chat_id = any($1::uuid[])',
        [roots],
      );
      for (const row of r.rows) {
        const t = this.trees.get(row.chat_id);
        if (t) t.wanted = Math.max(t.wanted, Number(row.event_seq));
      }
      await this.flush();
    } catch (e) {
      this.warn(e, 'event feed: checking trees failed');
      this.failed(client, e);
    } finally {
      this.polling = false;
    }
  }

  async listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void> {
    let t = this.trees.get(rootChatId);
    if (!t) {
      const created: Followed = { listeners: new Set(), position: -1, wanted: 0, ready: Promise.resolve() };
      created.ready = this.currentSeq(rootChatId).then(
        (seq) => {
          created.position = Math.max(created.position, seq);
          created.wanted = Math.max(created.wanted, seq);
          if (created.wanted > created.position) void this.flush();
        },
        (e) => {
          if (this.trees.get(rootChatId) === created) this.trees.delete(rootChatId);
          throw e;
        },
      );
      this.trees.set(rootChatId, created);
      t = created;
    }
    const followed = t;
    followed.listeners.add(onEvent);
    try {
      await followed.ready;
    } catch (e) {
      followed.listeners.delete(onEvent);
      throw e;
    }
    return () => {
      followed.listeners.delete(onEvent);
      if (followed.listeners.size === 0 && this.trees.get(rootChatId) === followed) this.trees.delete(rootChatId);
    };
  }

  onCommit(fn: (rootChatId: string, seq: number) => void): () => void {
    this.commitFns.add(fn);
    return () => this.commitFns.delete(fn);
  }

  async since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
    const cutoff = new Date(Date.now() - this.o.maxAgeMs);
    const retained = sql`e.root_chat_id = ${rootChatId} and e.seq > ${after} and e.at > ${cutoff}`;
    const r = await sql<{ current: string | null; n: string; bytes: string; first: string | null }>`
      select (select event_seq from conversations where chat_id = ${rootChatId}) as current,
             count(*) as n, coalesce(sum(octet_length(e.data) + ${FRAME_OVERHEAD}), 0) as bytes, min(e.seq) as first
      from tree_events e where ${retained}`.execute(this.o.db());
    const row = r.rows[0];
    const current = Number(row?.current ?? 0);
    if (after > current) return 'gone';
    if (after === current) return [];
    const n = Number(row?.n ?? 0);
    // Not all kept (trimmed by count or age), or `after` is from before the log began.
    if (current - after > this.o.retention || n !== current - after || Number(row?.first) !== after + 1) return 'gone';
    if (limit && (n > limit.maxEvents || Number(row?.bytes) > limit.maxBytes)) return 'over-limit';
    const events = await sql<EventRow>`
      select e.root_chat_id, e.seq, e.event, e.at, e.data from tree_events e
      where ${retained} and e.seq <= ${current} order by e.seq`.execute(this.o.db());
    // Pruned between the two reads (age is stamped by each writer's clock, so not always in seq order): the run
    // must still be whole, after + 1 … current.
    if (
      events.rows.length !== current - after ||
      Number(events.rows[0]?.seq) !== after + 1 ||
      Number(events.rows.at(-1)?.seq) !== current
    )
      return 'gone';
    return events.rows.map(toEvent);
  }

  async currentSeq(rootChatId: string): Promise<number> {
    const r = await sql<{ event_seq: string }>`
      select event_seq from conversations where chat_id = ${rootChatId}`.execute(this.o.db());
    return Number(r.rows[0]?.event_seq ?? 0);
  }

  /** Deletes events older than the retention age, in batches (so no statement holds many locks for long). */
  async prune(): Promise<number> {
    const cutoff = new Date(Date.now() - this.o.maxAgeMs);
    let total = 0;
    for (;;) {
      const r = await sql`
        delete from tree_events
        where ctid in (select ctid from tree_events where at <= ${cutoff} limit 5000 for update skip locked)`.execute(
        this.o.db(),
      );
      const n = Number(r.numAffectedRows ?? 0);
      total += n;
      if (n < 5000 || this.closed) return total;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.trees.clear();
    this.commitFns.clear();
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
