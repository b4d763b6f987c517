/** The PostgreSQL side: one MikroORM instance for metadata (and content, when MongoDB is not configured). */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations/index.js';
import { metadataEntities } from './entities/metadata.entities.js';

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
      // …and how long one statement, or a wait for a tree lock, may take (→ 503, retry).
      statement_timeout: 30_000,
      lock_timeout: 15_000,
    },
    debug: false,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
