/**
 * One full reconciler pass over all content (npm run reconcile): removes content whose metadata never
 * committed, older than RECONCILE_GRACE_SECONDS. Only MongoDB content can have any; with PostgreSQL content
 * the pass is a no-op. The server runs the same pass in the background (RECONCILE_INTERVAL_SECONDS).
 */
import { openServices } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { reconcileContent } from '../src/domain/reconcile.js';
import { createLogger } from '../src/logger.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
const services = await openServices({ ...config, RECONCILE_INTERVAL_SECONDS: 0 }, log);
try {
  const report = await reconcileContent(services.deps, {
    since: new Date(0),
    graceMs: config.RECONCILE_GRACE_SECONDS * 1000,
  });
  log.info({ content: services.deps.content.name, ...report }, 'reconcile finished');
} finally {
  await services.close();
}
