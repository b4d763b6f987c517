/** Applies pending migrations to DATABASE_URL, or to the embedded database when it is unset (npm run migrate). */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startEmbeddedPostgres } from '../src/stores/embedded-postgres.js';
import { migrate, openPostgres } from '../src/stores/postgres.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
const embedded = config.DATABASE_URL
  ? null
  : await startEmbeddedPostgres({ dataDir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT, log });
const orm = await openPostgres({ url: config.DATABASE_URL ?? (embedded?.url as string), poolMax: 2 });
try {
  const applied = await migrate(orm);
  log.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
} finally {
  await orm.close();
  await embedded?.stop();
}
