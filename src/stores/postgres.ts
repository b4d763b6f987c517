/** The PostgreSQL side: one MikroORM instance for metadata (and content, when MongoDB is not configured). */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { migrationsList } from '../../migrations/index.js';
import { observePgPool } from '../observability/instrument.js';
import { metadataEntities } from './entities/metadata.entities.js';
import { setTransactionSettings } from './pg-tx.js';

export async function openPostgres(options: {
  url: string;
  poolMax: number;
  /** Off for migrations: rewriting a large table may take longer than any request should. */
  timeouts?: boolean;
  /**
   * `url` is a pooler in transaction mode (DATABASE_POOLER=transaction): the timeouts cannot be startup
   * parameters (PgBouncer refuses those it does not know), so every transaction sets them locally; statements
   * outside a transaction get the server's (set them on the role: docs/operations.md, "PgBouncer").
   */
  pooler?: boolean;
}): Promise<MikroORM> {
  const wanted =
    options.timeouts === false
      ? {}
      : {
          // Bounds how long a write transaction can stay open while the app waits (e.g. on the content store):
          // the reconciler's grace period relies on it (README, "Writes across two stores").
          idle_in_transaction_session_timeout: 60_000,
          // …and how long one statement, or a wait for a tree lock, may take (→ 503, retry).
          statement_timeout: 30_000,
          lock_timeout: 15_000,
        };
  const timeouts = options.pooler ? {} : wanted;
  const orm = await MikroORM.init({
    clientUrl: options.url,
    entities: metadataEntities,
    extensions: [Migrator],
    migrations: { migrationsList, snapshot: false, silent: true, tableName: 'mikro_orm_migrations' },
    pool: { min: 0, max: options.poolMax },
    driverOptions: {
      // The pool's counters for /metrics; with tracing on, a span per statement (observability/instrument.ts).
      onPoolCreated: observePgPool,
      // A dead or unreachable server fails fast (→ 503) instead of queueing requests.
      connectionTimeoutMillis: 5_000,
      ...timeouts,
    },
    debug: false,
  });
  if (options.pooler && options.timeouts !== false) {
    setTransactionSettings(orm, Object.fromEntries(Object.entries(wanted).map(([k, v]) => [k, String(v)])));
  }
  return orm;
}

/**
 * The advisory lock every migrator takes (session level, keyed by `hashtext` of this name). Session level needs a
 * real session: migrations run on DATABASE_DIRECT_URL, never through a transaction-mode pooler (which would hand
 * the lock's session to other clients between statements and release it nowhere).
 */
export const MIGRATION_LOCK = 'branchat:migrations';

/**
 * Applies pending migrations; returns the names applied. On its own connections without statement or lock
 * timeouts (a migration may rewrite a large table), and under a PostgreSQL advisory lock, so that instances
 * starting together migrate one after the other (the later ones find nothing left to do). The lock is held on
 * one dedicated connection for the whole run; the migrator works on the pool's other one and has committed
 * (or rolled back) before the lock is released. Should that connection die, the session ends and PostgreSQL
 * releases the lock itself.
 */
export async function migrate(url: string): Promise<string[]> {
  const orm = await openPostgres({ url, poolMax: 2, timeouts: false });
  try {
    return await orm.em
      .getKysely()
      .connection()
      .execute(async (db) => {
        await sql`select pg_advisory_lock(hashtext(${MIGRATION_LOCK}))`.execute(db);
        try {
          const applied = await orm.migrator.up();
          return applied.map((m) => m.name);
        } finally {
          // A failed unlock must not hide the migration's own error: closing the pool ends the session anyway.
          await sql`select pg_advisory_unlock(hashtext(${MIGRATION_LOCK}))`.execute(db).catch(() => undefined);
        }
      });
  } finally {
    await orm.close();
  }
}
