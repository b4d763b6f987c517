/**
 * Idempotency-Key records in PostgreSQL. A key is claimed atomically (INSERT … ON CONFLICT): the first
 * caller runs the request, concurrent callers see it in flight, later callers get the stored answer.
 * Records expire after 24 hours. A claim in flight holds a lease (`lease_until`) that its owner renews
 * while the request runs (hold()), however long that is; a claim whose owner stopped renewing (a crashed
 * process) is taken over once its lease has run out. Each claim carries its owner's token, so a former
 * owner can neither renew, settle nor release a claim taken over since.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { storeCalls } from './errors.js';
import { type Db, pgDb } from './pg-tx.js';

export type Claim =
  | { kind: 'claimed'; token: string }
  | { kind: 'in_flight'; requestHash: string }
  | { kind: 'done'; requestHash: string; status: number; body: string };

/** A claim being held: renewed until it is completed, released or stopped. */
export interface Lease {
  /** Records the answer (the claim is done); renewals stop. */
  complete(status: number, body: string): Promise<void>;
  /** Forgets the claim (its request failed on the server side) so that a retry runs again; renewals stop. */
  release(): Promise<void>;
  /** Stops renewing and leaves the claim as it is: in flight until its lease runs out. Idempotent. */
  stop(): void;
}

export const KEY_TTL_HOURS = 24;
/** The lease of a claim without one: taken before the lease columns, or by a process still on that version. */
const LEGACY_LEASE_SECONDS = 120;
/** Default lease of a claim in flight (IDEMPOTENCY_LEASE_SECONDS); its holder renews it every third of it. */
export const DEFAULT_LEASE_SECONDS = 30;

export class IdempotencyStore {
  private readonly leaseSeconds: number;

  constructor(
    private readonly orm: MikroORM,
    options: { leaseSeconds?: number } = {},
  ) {
    this.leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  }

  /** Kysely for raw statements (see pg-tx.ts): no EntityManager fork per statement. */
  private db() {
    return pgDb(this.orm);
  }

  /** Every store call goes through this: driver failures become the domain's errors (errors.ts). */
  private readonly run = storeCalls('metadata database');

  claim(accountId: string, key: string, requestHash: string): Promise<Claim> {
    return this.run(async () => {
      const db = this.db();
      const token = randomUUID();
      const claimed = await sql`
        insert into idempotency_keys
          (account_id, key, request_hash, state, created_at, lease_owner, lease_until)
        values (${accountId}, ${key}, ${requestHash}, 'in_flight', now(), ${token},
                now() + make_interval(secs => ${this.leaseSeconds}))
        on conflict (account_id, key) do update
          set request_hash = excluded.request_hash, state = 'in_flight', response_status = null,
              response_body = null, created_at = now(), lease_owner = excluded.lease_owner,
              lease_until = excluded.lease_until
          where (idempotency_keys.state = 'done'
                 and idempotency_keys.created_at < now() - make_interval(hours => ${KEY_TTL_HOURS}))
             or (idempotency_keys.state = 'in_flight'
                 and coalesce(idempotency_keys.lease_until,
                              idempotency_keys.created_at + make_interval(secs => ${LEGACY_LEASE_SECONDS})) < now())
        returning 1`.execute(db);
      if (claimed.rows.length > 0) return { kind: 'claimed', token };
      const r = await sql<{
        request_hash: string;
        state: string;
        response_status: number | null;
        response_body: string | null;
      }>`
        select request_hash, state, response_status, response_body from idempotency_keys
        where account_id = ${accountId} and key = ${key}`.execute(db);
      const row = r.rows[0];
      if (!row) return this.claim(accountId, key, requestHash); // expired and removed meanwhile
      if (row.state === 'in_flight') return { kind: 'in_flight', requestHash: row.request_hash.trim() };
      return {
        kind: 'done',
        requestHash: row.request_hash.trim(),
        status: Number(row.response_status),
        body: row.response_body ?? '',
      };
    });
  }

  /**
   * Holds a claim for as long as its request runs: renews its lease every third of the lease (so two
   * renewals in a row may fail or come late before anyone can take it over) until the returned lease is
   * completed, released or stopped. Renewals go to the pool, never to a transaction of the request.
   */
  hold(accountId: string, key: string, token: string): Lease {
    let stopped = false;
    let renewing = false;
    const timer = setInterval(
      () => {
        if (stopped || renewing) return;
        renewing = true;
        this.renew(accountId, key, token)
          .then((held) => {
            if (!held) stop(); // settled or taken over meanwhile: nothing left to renew
          })
          .catch(() => {}) // the next tick tries again; the lease has room for two misses
          .finally(() => {
            renewing = false;
          });
      },
      (this.leaseSeconds * 1000) / 3,
    );
    // A held claim never keeps a process alive by itself (graceful shutdown waits for requests, not this).
    (timer as { unref?: () => void }).unref?.();
    const stop = () => {
      stopped = true;
      clearInterval(timer);
    };
    return {
      complete: (status, body) => {
        stop();
        return this.complete(accountId, key, token, status, body);
      },
      release: () => {
        stop();
        return this.release(accountId, key, token);
      },
      stop,
    };
  }

  /** Extends the claim's lease from now; false when it is no longer this owner's claim in flight. */
  renew(accountId: string, key: string, token: string): Promise<boolean> {
    return this.run(async () => {
      const r = await sql`
        update idempotency_keys set lease_until = now() + make_interval(secs => ${this.leaseSeconds}),
               -- created_at too: a process of the version before leases (a rolling upgrade) takes an in-flight
               -- claim over once created_at is 120 s old, so a renewed claim must look fresh to it as well.
               created_at = now()
        where account_id = ${accountId} and key = ${key} and state = 'in_flight' and lease_owner = ${token}
        returning 1`.execute(this.pool());
      return r.rows.length > 0;
    });
  }

  complete(accountId: string, key: string, token: string, status: number, body: string): Promise<void> {
    return this.run(async () => {
      await sql`
        update idempotency_keys
        set state = 'done', response_status = ${status}, response_body = ${body}, lease_owner = null,
            lease_until = null
        where account_id = ${accountId} and key = ${key} and state = 'in_flight' and lease_owner = ${token}`.execute(
        this.db(),
      );
    });
  }

  /** Forgets a claim whose request failed on the server side, so a retry runs again. */
  release(accountId: string, key: string, token: string): Promise<void> {
    return this.run(async () => {
      await sql`
        delete from idempotency_keys
        where account_id = ${accountId} and key = ${key} and state = 'in_flight' and lease_owner = ${token}`.execute(
        this.db(),
      );
    });
  }

  private pool(): Db {
    return this.orm.em.getKysely() as Db;
  }
}
