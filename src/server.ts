/**
 * Process entry: config → stores → app → listen; SIGTERM/SIGINT → stop accepting, finish in-flight
 * requests (bounded by SHUTDOWN_GRACE_MS), close pools and the embedded database, exit 0.
 */
import { createApp } from './app.js';
import { openServices } from './bootstrap.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);

let services: Awaited<ReturnType<typeof openServices>>;
try {
  services = await openServices(config, log);
} catch (e) {
  log.fatal({ err: e instanceof Error ? { message: e.message } : String(e) }, 'startup failed');
  process.exit(1);
}

const app = createApp({
  deps: services.deps,
  tokens: services.tokens,
  cache: services.cache,
  log,
  corsOrigins: config.CORS_ORIGINS,
  login: { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS },
});

const server = Bun.serve({ hostname: config.HOST, port: config.PORT, fetch: app.fetch });
log.info({ url: `http://${config.HOST}:${server.port}`, docs: '/docs' }, 'branchat listening');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const grace = new Promise<void>((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_MS).unref());
  // stop(false): stop listening now, let in-flight requests finish.
  await Promise.race([server.stop(false), grace]);
  await server.stop(true);
  await services.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
