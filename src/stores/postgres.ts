/** The PostgreSQL side: one MikroORM instance for metadata (and content, when MongoDB is not configured). */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { PostgresDriver } from 'kysely';
import { migrationsList } from '../../migrations/index.js';
import { metadataEntities } from './entities/metadata.entities.js';

/**
 * Kysely 0.29's controlled transactions (what MikroORM 7 runs `em.transactional` on) release their pooled
 * connection only after a *successful* COMMIT or ROLLBACK. When the server kills the connection mid-
 * transaction (restart, failover, pg_terminate_backend, idle_in_transaction_session_timeout), the ROLLBACK
 * fails too and the pool slot is lost for good: after DB_POOL_MAX such failures every request waits for a
 * connection forever (found by tests/faults/dual-write.test.ts). A failed ROLLBACK here means the
 * connection is gone, so it is reported as done: Kysely then releases the connection and pg-pool, seeing
 * a client that is no longer queryable, discards it instead of reusing it.
 */
const rollbackTransaction = PostgresDriver.prototype.rollbackTransaction;
PostgresDriver.prototype.rollbackTransaction = async function (this: PostgresDriver, connection) {
  try {
    await rollbackTransaction.call(this, connection);
  } catch {
    // The transaction cannot outlive its connection: nothing was committed.
  }
};

export async function openPostgres(options: { url: string; poolMax: number }): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: options.url,
    entities: metadataEntities,
    extensions: [Migrator],
    migrations: { migrationsList, snapshot: false, silent: true, tableName: 'mikro_orm_migrations' },
    pool: { min: 0, max: options.poolMax },
    driverOptions: {
      // A dead or unreachable server fails fast (→ 503) instead of queueing requests.
      connectionTimeoutMillis: 5_000,
      // Bounds how long a write transaction can stay open while the app waits (e.g. on the content store):
      // the reconciler's grace period relies on it (README, "Writes that cannot be lost").
      idle_in_transaction_session_timeout: 60_000,
    },
    debug: false,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
