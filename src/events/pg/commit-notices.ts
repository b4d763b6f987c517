/**
 * The outbox of this process's commit notices (README, "Real-time events" and "Chat rows from memory"): each commit
 * waits here until its `NOTIFY branchat_events, '<root>:<seq>'` is sent, batched (one statement at a time; commits
 * meanwhile go together in the next), retried for up to NOTIFY_RETRY_MS, then until the other lease holders have
 * applied it (src/events/pg/ack-waits.ts). Why NOTIFY is not part of the write's transaction: src/events/pg.feed.ts.
 */

import { sql } from 'kysely';
import type { Db } from '../../stores/pg-tx.js';
import type { AckWaits } from './ack-waits.js';
import { EVENTS_CHANNEL, type FeedLink, MAX_OUTBOX, pack, withTimeout } from './wire.js';

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
/** How long a commit's NOTIFY is retried before its write is answered without it (the others' memory ages out). */
const NOTIFY_RETRY_MS = 5000;

export class CommitNotices {
  /** Notices of this process's commits not sent yet (sent together, once per tick). */
  private outbox: string[] = [];
  /** Commits of this process whose notice is not sent yet, resolved once the lease holders applied them. */
  private notifyWaits: (() => void)[] = [];
  private sending = false;
  /** Notices this process sent through the notifier, until they come back (oldest dropped past MAX_OUTBOX). */
  private readonly sentByMe = new Set<string>();

  /** `db`: the pool (when the feed's connection fails); `holder`: this process, left out of the holders read. */
  constructor(
    private readonly link: FeedLink,
    private readonly db: () => Db,
    private readonly holder: string,
    private readonly acks: AckWaits,
  ) {}

  /**
   * Queues the notice `<root>:<seq>` of a commit; resolves once it is sent and every other lease holder has applied
   * it (acknowledged it, or its lease ran out), or its sending was given up.
   */
  enqueue(payload: string): Promise<void> {
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
   * Whether `payload`, received on the LISTEN connection, is a notice this process sent through the notifier (its
   * own, handled when sent); forgets it if so.
   */
  isEcho(payload: string): boolean {
    return this.sentByMe.delete(payload);
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
        for (const started = Date.now(); holders === null && !this.link.closed(); ) {
          holders = await this.notifyOnce(packed);
          if (holders !== null || Date.now() - started > NOTIFY_RETRY_MS) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        this.acks.awaitAcks(batch, holders, waits);
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
    const client = this.link.client();
    const notifier = this.link.notifier;
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
      if (client && !notifier) this.link.failed(client, e);
      this.link.warn(e, 'event feed: NOTIFY failed; sending it through the pool');
    }
    try {
      const r = await withTimeout(
        sql<{ holders: string }>`
          with n as (select pg_notify(${EVENTS_CHANNEL}, p) from unnest(${packed}::text[]) as p),
          l as (select holder, ceil(extract(epoch from expires_at - clock_timestamp()) * 1000)::int as ms
                from read_leases where expires_at > clock_timestamp() and holder <> ${this.holder} for share)
          select (select count(*) from n) as sent,
                 (select coalesce(json_agg(json_build_array(holder, ms)), '[]') from l)::text as holders`.execute(
          this.db(),
        ),
      );
      return JSON.parse(r.rows[0]?.holders ?? '[]');
    } catch (e) {
      this.link.warn(e, 'event feed: NOTIFY failed through the pool too; retrying');
      return null;
    }
  }
}
