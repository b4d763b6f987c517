/** Applies pending migrations to DATABASE_DIRECT_URL (else DATABASE_URL), or to the embedded database when it is unset (npm run migrate). */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { migrate } from '../src/stores/postgres.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
// Loaded only when needed: an image with DATABASE_URL does not ship the embedded PostgreSQL binaries.
const embedded = config.DATABASE_URL
  ? null
  : await (await import('../src/stores/embedded-postgres.js')).startEmbeddedPostgres({
      dataDir: config.DATA_DIR,
      port: config.EMBEDDED_PG_PORT,
      log,
    });
try {
  // On a direct connection (DATABASE_DIRECT_URL): the advisory lock is session-level, which no transaction-mode pooler keeps.
  const applied = await migrate(config.DATABASE_DIRECT_URL ?? config.DATABASE_URL ?? (embedded?.url as string));
  log.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
} finally {
  await embedded?.stop();
}
