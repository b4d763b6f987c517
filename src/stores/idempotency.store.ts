/**
 * Idempotency-Key records in PostgreSQL. A key is claimed atomically (INSERT … ON CONFLICT): the first
 * caller runs the request, concurrent callers see it in flight, later callers get the stored answer.
 * Records expire after 24 hours; a claim left in flight by a crashed process is taken over after a lease.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { translateStoreError } from './errors.js';
import { pgDb } from './pg-tx.js';

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'in_flight'; requestHash: string }
  | { kind: 'done'; requestHash: string; status: number; body: string };

export const KEY_TTL_HOURS = 24;
const LEASE_SECONDS = 120;

export class IdempotencyStore {
  constructor(private readonly orm: MikroORM) {}

  /** Kysely for raw statements (see pg-tx.ts): no EntityManager fork per statement. */
  private db() {
    return pgDb(this.orm);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw translateStoreError(e, 'metadata database');
    }
  }

  claim(accountId: string, key: string, requestHash: string): Promise<Claim> {
    return this.run(async () => {
      const db = this.db();
      const claimed = await sql`
        insert into idempotency_keys (account_id, key, request_hash, state, created_at)
        values (${accountId}, ${key}, ${requestHash}, 'in_flight', now())
        on conflict (account_id, key) do update
          set request_hash = excluded.request_hash, state = 'in_flight', response_status = null,
              response_body = null, created_at = now()
          where idempotency_keys.created_at < now() - make_interval(hours => ${KEY_TTL_HOURS})
             or (idempotency_keys.state = 'in_flight'
                 and idempotency_keys.created_at < now() - make_interval(secs => ${LEASE_SECONDS}))
        returning 1`.execute(db);
      if (claimed.rows.length > 0) return { kind: 'claimed' };
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

  complete(accountId: string, key: string, status: number, body: string): Promise<void> {
    return this.run(async () => {
      await sql`
        update idempotency_keys set state = 'done', response_status = ${status}, response_body = ${body}
        where account_id = ${accountId} and key = ${key}`.execute(this.db());
    });
  }

  /** Forgets a claim whose request failed on the server side, so a retry runs again. */
  release(accountId: string, key: string): Promise<void> {
    return this.run(async () => {
      await sql`delete from idempotency_keys where account_id = ${accountId} and key = ${key} and state = 'in_flight'`.execute(
        this.db(),
      );
    });
  }
}
