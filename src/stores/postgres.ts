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
    debug: false,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
