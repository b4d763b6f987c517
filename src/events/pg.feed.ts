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
 * Reads from memory (src/cache/hot-reads.ts): a process that answers reads without asking PostgreSQL holds a read
 * lease (table `read_leases`, renewed on this connection every leaseMs / 4). The NOTIFY statement of a commit also
 * reads the other live holders FOR SHARE; the write is answered only once each has acknowledged the notice on
 * `branchat_acks` (it applies it synchronously, then acks) or its lease has run out (a holder that lost its
 * connection stops answering from memory at once, and one that is stuck stops when its lease ends). So a read
 * that starts after a write's answer sees it on every process, from memory too. With one process, or no other
 * holder, nothing waits: the statement finds no holder.
 *
 * Retention: the last `retention` events per tree (trimmed by the writes) and none older than `maxAgeMs`
 * (pruned here, every `pruneMs`, in batches through the BRIN index on `at`).
 */

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { FastSql } from '../stores/pg-fast.js';
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
  /** Hold a read lease: this process answers reads from memory (src/cache/hot-reads.ts). Default false. */
  lease?: boolean;
  /** Lease length (default 2 s; renewed every quarter of it). */
  leaseMs?: number;
  /**
   * Where this process's NOTIFYs and acks are sent (Bun's client on a connection of their own, with
   * synchronous_commit off); absent: on the LISTEN connection.
   */
  notifier?: FastSql | null;
}

/** The NOTIFY channel: payload `<root_chat_id>:<seq>`, several of them comma-separated. */
export const EVENTS_CHANNEL = 'branchat_events';
/** Lease holders acknowledge each notice they applied here: payload `<holder>:<root_chat_id>:<seq>`, comma-separated. */
export const ACKS_CHANNEL = 'branchat_acks';
/** A holder stops answering from memory this long before its lease ends in the database (clock rates, delays). */
const LEASE_MARGIN_MS = 250;

/**
 * The notices of the commits waiting, and the other live lease holders, read FOR SHARE in the same statement (so
 * a holder's renewal, which is an UPDATE of its row, waits until these notices are committed, hence sent to it).
 */
const NOTIFY_SQL = `
  with n as (select pg_notify($1, p) from unnest($2::text[]) as p),
  l as (select holder, ceil(extract(epoch from expires_at - clock_timestamp()) * 1000)::int as ms
        from read_leases where expires_at > clock_timestamp() and holder <> $3 for share)
  select (select count(*) from n) as sent,
         (select coalesce(json_agg(json_build_array(holder, ms)), '[]') from l)::text as holders`;
/** A query on the feed's connection that takes longer means the connection is gone: it is replaced. */
const QUERY_TIMEOUT_MS = 5000;
/** Bound of the feed's bookkeeping (sent payloads awaiting their echo, remembered acks, acks to send). */
const MAX_OUTBOX = 10_000;
/** How long a commit's NOTIFY is retried before its write is answered without it (the others' memory ages out). */
const NOTIFY_RETRY_MS = 5000;

/** `p`, or a rejection after QUERY_TIMEOUT_MS. */
function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

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

/**
 * Notices (or acks) packed into as few NOTIFY payloads as fit (`a,b,c`, under PostgreSQL's 8,000-byte limit): a
 * NOTIFY per write cost PostgreSQL a queue entry and every listener a message per write.
 */
function pack(items: string[]): string[] {
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

/** A commit of this process waiting for the other lease holders to apply it. */
interface AckWaiter {
  seq: number;
  pending: Set<string>;
  done: () => void;
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
  /** Commits of this process whose notice is not sent yet, resolved once the lease holders applied them. */
  private notifyWaits: (() => void)[] = [];
  /** This process, as a lease holder (and as the sender of its acks). */
  readonly holder = randomUUID();
  /** performance.now() until which reads may be answered from memory (0: no lease). */
  private leaseUntil = 0;
  /** Bumped each time a lease starts after none: memory of an earlier lease is not used again. */
  private leaseGeneration = 0;
  private renewing = false;
  private readonly ackWaits = new Map<string, AckWaiter[]>();
  /** The highest seq each holder acknowledged per tree (`<holder>:<root>`), the most recent MAX_OUTBOX. */
  private readonly recentAcks = new Map<string, number>();
  /** Notices this process sent through the notifier, until they come back (oldest dropped past MAX_OUTBOX). */
  private readonly sentByMe = new Set<string>();
  private acksOut: string[] = [];
  private sendingAcks = false;

  private constructor(private readonly o: PostgresFeedOptions) {}

  private get leaseMs(): number {
    return this.o.leaseMs ?? 2000;
  }

  /** Connects (or keeps trying in the background, logged) and starts the periodic check and pruning. */
  static async start(o: PostgresFeedOptions): Promise<PostgresEventFeed> {
    const feed = new PostgresEventFeed(o);
    await feed.connect().catch(() => feed.reconnectLater());
    const poll = setInterval(() => void feed.poll(), o.pollMs ?? 1000);
    poll.unref?.();
    feed.timers.push(poll);
    if (o.lease) {
      const renew = setInterval(() => void feed.renew(), Math.max(50, Math.floor(feed.leaseMs / 4)));
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
      if (m.channel === ACKS_CHANNEL) for (const a of payload.split(',')) this.acked(a);
      else if (this.sentByMe.delete(payload)) return;
      else {
        const notices = payload.split(',');
        for (const n of notices) this.notified(n);
        // Applied (the readers above ran synchronously): tell the writer, which waits for it before answering.
        if (this.o.lease) for (const n of notices) this.ack(n);
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
    if (this.o.lease) await this.renew();
    // Whatever committed while nobody listened is read from the log now.
    await this.poll();
  }

  /**
   * Takes or extends this process's read lease, on the LISTEN connection itself: PostgreSQL sends a session the
   * notices committed before its statement ran ahead of that statement's result, so once the renewal has
   * answered, every notice of a write that could not see this renewal (writers read the leases FOR SHARE with
   * their NOTIFY) has been applied. The lease in memory ends LEASE_MARGIN_MS before the one in the database,
   * counted from before the statement was sent.
   */
  private async renew(): Promise<void> {
    const client = this.client;
    if (!client || this.renewing || this.closed) return;
    this.renewing = true;
    const sent = performance.now();
    try {
      await client.query(
        `insert into read_leases (holder, expires_at)
         values ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
         on conflict (holder) do update set expires_at = excluded.expires_at`,
        [this.holder, this.leaseMs],
      );
      if (this.client !== client || this.closed) return;
      if (performance.now() >= this.leaseUntil) this.leaseGeneration++;
      this.leaseUntil = sent + this.leaseMs - LEASE_MARGIN_MS;
    } catch (e) {
      this.warn(e, 'event feed: renewing the read lease failed');
      this.failed(client, e);
    } finally {
      this.renewing = false;
    }
  }

  /**
   * The generation of the current read lease while this process may answer reads from memory, else null. What
   * was kept in memory under another generation is not to be used (changes may have been missed meanwhile).
   */
  memoryReads(): number | null {
    return this.leaseUntil > 0 && performance.now() < this.leaseUntil ? this.leaseGeneration : null;
  }

  /** A query on the feed's connection failed or timed out: the connection is replaced (reconnect, then catch up). */
  private failed(client: pg.Client, e: unknown) {
    this.lost(client, e instanceof Error ? e : new Error(String(e)));
  }

  private lost(client: pg.Client, e: Error) {
    if (this.client !== client) return;
    this.client = null;
    // Notices may be missed from now on: no more answers from memory until a new lease.
    this.leaseUntil = 0;
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
    return new Promise<void>((resolve) => {
      // Never dropped: each is a write waiting for it.
      this.outbox.push(payload);
      this.notifyWaits.push(resolve);
      if (!this.sending) {
        this.sending = true;
        setImmediate(() => void this.send());
      }
    });
  }

  /**
   * Sends the waiting notices in one statement, which also reads the other live lease holders FOR SHARE (none of
   * them can extend its lease until this has committed, and so until its session has these notices). Each commit
   * then waits for their acks, at most until their leases end. On the feed's connection; on the pool when that
   * is down; if both fail, each commit waits out the longest lease any holder can have.
   */
  private async send(): Promise<void> {
    try {
      while (this.outbox.length > 0 || this.notifyWaits.length > 0) {
        const batch = this.outbox;
        const waits = this.notifyWaits;
        this.outbox = [];
        this.notifyWaits = [];
        const packed = pack(batch);
        // Until it is sent (or, after NOTIFY_RETRY_MS of failures, given up: the others' memory then sees the commit
        // when its rows age out, at most 5 s, and their sockets at their next check).
        let holders: [string, number][] | null = null;
        for (const started = Date.now(); holders === null && !this.closed; ) {
          holders = await this.notifyOnce(packed);
          if (holders !== null || Date.now() - started > NOTIFY_RETRY_MS) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        this.awaitAcks(batch, holders, waits);
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * One attempt at NOTIFY_SQL: on the notifier (Bun's client), else the LISTEN connection, then the pool; each
   * bounded by QUERY_TIMEOUT_MS (a half-open connection must not hold every write up). The live holders, or null.
   */
  private async notifyOnce(packed: string[]): Promise<[string, number][] | null> {
    const client = this.client;
    const notifier = this.o.notifier;
    try {
      if (notifier) {
        // Their echo on the LISTEN connection is recognised by the payload (it may come before the result).
        for (const p of packed) {
          this.sentByMe.add(p);
          if (this.sentByMe.size > MAX_OUTBOX) this.sentByMe.delete(this.sentByMe.values().next().value as string);
        }
        const r = await withTimeout(
          notifier.query<{ holders: string }>(NOTIFY_SQL, [EVENTS_CHANNEL, packed, this.holder]),
        );
        return JSON.parse(r[0]?.holders ?? '[]');
      }
      if (!client) throw new Error('no feed connection');
      const r = await client.query<{ holders: string }>(NOTIFY_SQL, [EVENTS_CHANNEL, packed, this.holder]);
      return JSON.parse(r.rows[0]?.holders ?? '[]');
    } catch (e) {
      if (client && !notifier) this.failed(client, e);
      this.warn(e, 'event feed: NOTIFY failed; sending it through the pool');
    }
    try {
      const r = await withTimeout(
        sql<{ holders: string }>`
          with n as (select pg_notify(${EVENTS_CHANNEL}, p) from unnest(${packed}::text[]) as p),
          l as (select holder, ceil(extract(epoch from expires_at - clock_timestamp()) * 1000)::int as ms
                from read_leases where expires_at > clock_timestamp() and holder <> ${this.holder} for share)
          select (select count(*) from n) as sent,
                 (select coalesce(json_agg(json_build_array(holder, ms)), '[]') from l)::text as holders`.execute(
          this.o.db(),
        ),
      );
      return JSON.parse(r.rows[0]?.holders ?? '[]');
    } catch (e) {
      this.warn(e, 'event feed: NOTIFY failed through the pool too; retrying');
      return null;
    }
  }

  /** Resolves `waits` once every holder acknowledged every notice of `batch`, or its lease ran out. */
  private awaitAcks(batch: string[], holders: [string, number][] | null, waits: (() => void)[]) {
    const release = () => {
      for (const w of waits) w();
    };
    if (holders === null) {
      // Who holds a lease is unknown: wait out the longest one (not when shutting down: nobody reads from here).
      if (this.closed) return release();
      setTimeout(release, this.leaseMs).unref?.();
      return;
    }
    if (holders.length === 0 || batch.length === 0) return release();
    let open = batch.length;
    const longest = Math.max(...holders.map(([, ms]) => ms));
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const p of batch) {
        const root = p.slice(0, p.lastIndexOf(':'));
        const list = this.ackWaits.get(root)?.filter((w) => !mine.has(w));
        if (list && list.length > 0) this.ackWaits.set(root, list);
        else this.ackWaits.delete(root);
      }
      release();
    };
    const timer = setTimeout(finish, longest + 1);
    timer.unref?.();
    const mine = new Set<AckWaiter>();
    for (const p of batch) {
      const at = p.lastIndexOf(':');
      const root = p.slice(0, at);
      const w: AckWaiter = {
        seq: Number(p.slice(at + 1)),
        pending: new Set(holders.map(([h]) => h)),
        done: () => {
          if (--open === 0) finish();
        },
      };
      for (const [h] of holders) if ((this.recentAcks.get(`${h}:${root}`) ?? -1) >= w.seq) w.pending.delete(h);
      mine.add(w);
      const list = this.ackWaits.get(root);
      if (list) list.push(w);
      else this.ackWaits.set(root, [w]);
      if (w.pending.size === 0) w.done();
    }
  }

  /** Acks of other holders: `<holder>:<root>:<seq>`; one covers every wait of that tree up to its seq. */
  private acked(payload: string) {
    const first = payload.indexOf(':');
    const last = payload.lastIndexOf(':');
    if (first <= 0 || last <= first) return;
    const holder = payload.slice(0, first);
    const root = payload.slice(first + 1, last);
    const seq = Number(payload.slice(last + 1));
    if (!Number.isSafeInteger(seq)) return;
    // Kept a while: an ack can arrive before its writer has read whom to wait for (the NOTIFY's result comes back
    // on another connection than the acks).
    const key = `${holder}:${root}`;
    const seen = this.recentAcks.get(key) ?? -1;
    this.recentAcks.delete(key);
    this.recentAcks.set(key, Math.max(seen, seq));
    if (this.recentAcks.size > MAX_OUTBOX) this.recentAcks.delete(this.recentAcks.keys().next().value as string);
    const list = this.ackWaits.get(root);
    if (!list) return;
    for (const w of list) {
      if (w.seq <= seq && w.pending.delete(holder) && w.pending.size === 0) w.done();
    }
  }

  /** Acknowledges a notice this process applied (sent with the others waiting, one statement at a time). */
  private ack(payload: string) {
    this.acksOut.push(`${this.holder}:${payload}`);
    if (this.acksOut.length > MAX_OUTBOX) this.acksOut.splice(0, this.acksOut.length - MAX_OUTBOX);
    if (this.sendingAcks) return;
    this.sendingAcks = true;
    setImmediate(async () => {
      try {
        while (this.acksOut.length > 0) {
          const batch = pack(this.acksOut);
          this.acksOut = [];
          const client = this.client;
          if (this.o.notifier) {
            await withTimeout(
              this.o.notifier.query('select pg_notify($1, p) from unnest($2::text[]) as p', [ACKS_CHANNEL, batch]),
            ).catch((e) => this.warn(e, 'event feed: sending acks failed'));
            continue;
          }
          if (!client) break;
          await client
            .query('select pg_notify($1, p) from unnest($2::text[]) as p', [ACKS_CHANNEL, batch])
            .catch((e) => this.failed(client, e));
        }
      } finally {
        this.acksOut = [];
        this.sendingAcks = false;
      }
    });
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
      if (n < 5000 || this.closed) {
        // Leases of processes gone without a goodbye (killed): long expired, nobody waits for them.
        await sql`delete from read_leases where expires_at < clock_timestamp() - interval '1 minute'`.execute(
          this.o.db(),
        );
        return total;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.trees.clear();
    this.commitFns.clear();
    const client = this.client;
    this.client = null;
    this.leaseUntil = 0;
    if (client) {
      // Writers need not wait for this process any more.
      if (this.o.lease) await client.query('delete from read_leases where holder = $1', [this.holder]).catch(() => {});
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
