/**
 * Reads served by a streaming replica (DATABASE_READ_URL) without giving up linearizability: the reads that may
 * go there (search, export, list-chats: the services wrap them in `ReplicaReads.read`) first take the primary's
 * WAL flush position, `pg_current_wal_flush_lsn()`, which is at or past the commit record of every write
 * acknowledged before the read started (writes commit with synchronous_commit on: their commit record is flushed
 * before they are answered). They then run on the replica only once it has replayed that far
 * (`pg_last_wal_replay_lsn()`), waiting at most DATABASE_READ_WAIT_MS; otherwise, and whenever the replica fails
 * (unreachable, a query cancelled by a recovery conflict, not a standby), they run on the primary. So a read that
 * starts after a write's answer sees it, whichever server answers it.
 *
 * On the replica the reads run in one transaction (read committed) whose first statement checks the replay
 * position again: the transaction pins one server connection (also through a pooler, or a balancer over several
 * replicas), and each later statement takes its snapshot after that check. Nothing is written there.
 *
 * Costs per read: one small statement on the primary (no table is read), one or more on the replica while it
 * catches up, the check. Worth it for reads whose work is large (ranking every match, a whole tree); the chat-row
 * reads that every request makes stay on the primary (or in memory under the read lease).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { DomainError, UnavailableError } from '../domain/errors.js';
import type { ReplicaReads } from '../domain/ports.js';
import type { Logger } from '../logger.js';
import { trackReplica } from '../observability/pools.js';
import { type Db, inOpenTransaction, inTransaction, pgDb } from './pg-tx.js';

/** What the replica's reads did, for /metrics (`branchat_replica_reads_total{outcome}`). */
export interface ReplicaCounts {
  /** Served by the replica (it had replayed the primary's position, at once or after waiting). */
  replica: number;
  /** Served by the primary: the replica had not caught up within the wait. */
  lagging: number;
  /** Served by the primary: the replica failed (unreachable, recovery conflict, not a standby). */
  failed: number;
}

type Caught = 'yes' | 'no' | 'not-standby';

export class PostgresReplicaReads implements ReplicaReads {
  readonly counts: ReplicaCounts = { replica: 0, lagging: 0, failed: 0 };
  private lastWarn = 0;
  /**
   * After the replica failed (unreachable, not a standby), reads go straight to the primary until this time: a
   * dead replica costs one failed attempt per SKIP_MS, not a connect timeout on every read.
   */
  private skipUntil = 0;
  static readonly SKIP_MS = 5_000;
  private closed = false;

  constructor(
    private readonly primary: MikroORM,
    private readonly replica: MikroORM,
    private readonly o: { waitMs: number; log: Logger },
  ) {
    trackReplica({ counts: () => this.counts, closed: () => this.closed });
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    // Inside a transaction of ours (an import's checks, say) the reads belong to it.
    if (inOpenTransaction()) return fn();
    if (Date.now() < this.skipUntil) return this.onPrimary('failed', fn);
    let lsn: string;
    try {
      const r = await sql<{ lsn: string }>`select pg_current_wal_flush_lsn()::text as lsn`.execute(pgDb(this.primary));
      lsn = r.rows[0]?.lsn as string;
    } catch {
      return fn(); // the primary's own failure is reported by the read itself
    }
    let caught: Caught;
    try {
      caught = await this.waitFor(lsn);
    } catch (e) {
      return this.onPrimary('failed', fn, e);
    }
    if (caught === 'not-standby') return this.onPrimary('failed', fn, new Error('DATABASE_READ_URL is not a standby'));
    if (caught === 'no') return this.onPrimary('lagging', fn);
    let retry = false;
    try {
      // inTransaction: the replica's transaction becomes the current one (the stores' statements in `fn` go there),
      // with the timeouts set locally behind a pooler.
      return await inTransaction(this.replica, async (trx) => {
        // Pinned to one server connection now: the check again, before any statement of `fn` takes its snapshot.
        if ((await this.check(trx, lsn)) !== 'yes') {
          retry = true;
          throw new Error('the replica is behind the primary');
        }
        const out = await fn();
        this.counts.replica++;
        return out;
      });
    } catch (e) {
      // The service's own answers (not found, invalid input) are answers, not failures of the replica.
      if (e instanceof DomainError && !(e instanceof UnavailableError)) throw e;
      return this.onPrimary(retry ? 'lagging' : 'failed', fn, retry ? undefined : e);
    }
  }

  /** Whether the replica has replayed `lsn`, polled with short sleeps for at most waitMs. */
  private async waitFor(lsn: string): Promise<Caught> {
    const db = this.replica.em.getKysely() as Db;
    const deadline = performance.now() + this.o.waitMs;
    let pause = 2;
    for (;;) {
      const caught = await this.check(db, lsn);
      if (caught !== 'no' || performance.now() + pause > deadline) return caught;
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 20);
    }
  }

  private async check(db: Db, lsn: string): Promise<Caught> {
    const r = await sql<{ standby: boolean; caught: boolean | null }>`
      select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as caught`.execute(db);
    const row = r.rows[0];
    if (!row?.standby) return 'not-standby';
    return row.caught ? 'yes' : 'no';
  }

  private onPrimary<T>(outcome: 'lagging' | 'failed', fn: () => Promise<T>, e?: unknown): Promise<T> {
    this.counts[outcome]++;
    if (outcome === 'failed' && e !== undefined) this.skipUntil = Date.now() + PostgresReplicaReads.SKIP_MS;
    if (outcome === 'failed' && e !== undefined) {
      const now = Date.now();
      if (now - this.lastWarn > 10_000) {
        this.lastWarn = now;
        this.o.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'read replica failed; reading the primary',
        );
      }
    }
    return fn();
  }

  close(): void {
    this.closed = true;
  }
}
