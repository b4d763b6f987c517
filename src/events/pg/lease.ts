/**
 * This process's read lease (table `read_leases`; README, "Chat rows from memory"): while it holds one, it may
 * answer reads from memory (src/cache/chat-rows.ts), and it acknowledges on ACKS_CHANNEL each commit notice it has
 * applied, since the writer waits for that (src/events/pg/ack-waits.ts) before answering. Renewed on the feed's
 * LISTEN connection every leaseMs / 4 (src/events/pg.feed.ts runs the timer).
 */

import type pg from 'pg';
import { ACKS_CHANNEL, type FeedLink, MAX_OUTBOX, pack, withTimeout } from './wire.js';

/** A holder stops answering from memory this long before its lease ends in the database (clock rates, delays). */
const LEASE_MARGIN_MS = 250;

export class ReadLease {
  /** performance.now() until which reads may be answered from memory (0: no lease). */
  private leaseUntil = 0;
  /** Bumped each time a lease starts after none: memory of an earlier lease is not used again. */
  private leaseGeneration = 0;
  private renewing = false;
  private acksOut: string[] = [];
  private sendingAcks = false;

  /** `holder`: this process, as a lease holder and as the sender of its acks; `leaseMs`: the lease's length. */
  constructor(
    private readonly link: FeedLink,
    private readonly holder: string,
    private readonly leaseMs: number,
  ) {}

  /**
   * Takes or extends this process's read lease, on the LISTEN connection itself: PostgreSQL sends a session the
   * notices committed before its statement ran ahead of that statement's result, so once the renewal has
   * answered, every notice of a write that could not see this renewal (writers read the leases FOR SHARE with
   * their NOTIFY) has been applied. The lease in memory ends LEASE_MARGIN_MS before the one in the database,
   * counted from before the statement was sent.
   */
  async renew(): Promise<void> {
    const client = this.link.client();
    if (!client || this.renewing || this.link.closed()) return;
    this.renewing = true;
    const sent = performance.now();
    try {
      await client.query(
        `insert into read_leases (holder, expires_at)
         values ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
         on conflict (holder) do update set expires_at = excluded.expires_at`,
        [this.holder, this.leaseMs],
      );
      if (this.link.client() !== client || this.link.closed()) return;
      if (performance.now() >= this.leaseUntil) this.leaseGeneration++;
      this.leaseUntil = sent + this.leaseMs - LEASE_MARGIN_MS;
    } catch (e) {
      this.link.warn(e, 'event feed: renewing the read lease failed');
      this.link.failed(client, e);
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

  /** Notices may be missed from now on (connection lost, closing): no more answers from memory until a new lease. */
  end(): void {
    this.leaseUntil = 0;
  }

  /** Deletes this process's lease row on `client` (closing): writers need not wait for this process any more. */
  async release(client: pg.Client): Promise<void> {
    await client.query('delete from read_leases where holder = $1', [this.holder]).catch(() => {});
  }

  /** Acknowledges a notice this process applied (sent with the others waiting, one statement at a time). */
  ack(payload: string): void {
    this.acksOut.push(`${this.holder}:${payload}`);
    if (this.acksOut.length > MAX_OUTBOX) this.acksOut.splice(0, this.acksOut.length - MAX_OUTBOX);
    if (this.sendingAcks) return;
    this.sendingAcks = true;
    setImmediate(async () => {
      try {
        while (this.acksOut.length > 0) {
          const batch = pack(this.acksOut);
          this.acksOut = [];
          const client = this.link.client();
          if (this.link.notifier) {
            await withTimeout(
              this.link.notifier.query('select pg_notify($1, p) from unnest($2::text[]) as p', [ACKS_CHANNEL, batch]),
            ).catch((e) => this.link.warn(e, 'event feed: sending acks failed'));
            continue;
          }
          if (!client) break;
          await client
            .query('select pg_notify($1, p) from unnest($2::text[]) as p', [ACKS_CHANNEL, batch])
            .catch((e) => this.link.failed(client, e));
        }
      } finally {
        this.acksOut = [];
        this.sendingAcks = false;
      }
    });
  }
}
