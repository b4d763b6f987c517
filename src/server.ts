/**
 * Process entry: config → stores → app → listen; SIGTERM/SIGINT → stop accepting, finish in-flight
 * requests (bounded by SHUTDOWN_GRACE_MS), close pools and the embedded database, exit 0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, lastResortResponse } from './app.js';
import { openServices } from './bootstrap.js';
import { heavySlots, loadConfig } from './config.js';
import { CLOSE_GOING_AWAY, EventHub, hubOptions } from './events/events.hub.js';
import { bunWebSocketHandler } from './http/events/events.ws.js';
import { activeStreams } from './http/sse.js';
import { startReconciler } from './jobs/reconciler.job.js';
import { createLogger } from './logger.js';
import { startTracing, tracingSettings } from './observability/tracing.js';
import {
  databaseSummary,
  isBun,
  type Listener,
  listen,
  listenFailure,
  probePort,
  sleep,
  startLine,
} from './runtime.js';

const config = loadConfig();
/** Traces (OTEL_EXPORTER_OTLP_ENDPOINT): log lines then carry the trace id. */
const traces = tracingSettings(config);
const log = createLogger(config.LOG_LEVEL, { traceIds: traces !== null });
/** A person at a terminal: the start (or a failure to listen) is one human line rather than a JSON record. */
const human = config.LOG_FORMAT === 'auto' && process.stdout.isTTY === true;

/** A port in use (or refused): one line on stderr, not a stack trace; the JSON log gets the same as a record. */
function cannotListen(e: unknown): void {
  const line = listenFailure(e, config.HOST, config.PORT);
  if (!human) log.fatal({ port: config.PORT, host: config.HOST, code: (e as { code?: string }).code }, line);
  process.stderr.write(`${line}\n`);
}

try {
  await probePort(config.HOST, config.PORT, config.REUSE_PORT === '1');
} catch (e) {
  cannotListen(e);
  process.exit(1);
}

// Before the stores: their clients are instrumented when they are created.
const tracing = await startTracing(traces, log);

let services: Awaited<ReturnType<typeof openServices>>;
try {
  services = await openServices(config, log);
} catch (e) {
  log.fatal({ err: e instanceof Error ? { message: e.message } : String(e) }, 'startup failed');
  process.exit(1);
}

const hub = services.events ? new EventHub(services.events, services.deps, log, hubOptions(config)) : null;
const app = createApp({
  events: services.events && hub ? { feed: services.events, hub } : undefined,
  webDir: config.WEB_DIR,
  importMaxMb: config.IMPORT_MAX_MB,
  heavy: {
    perAccount: config.HEAVY_MAX_PER_ACCOUNT,
    slots: heavySlots(config),
    queue: config.HEAVY_QUEUE_MAX,
    queueTimeoutMs: config.HEAVY_QUEUE_TIMEOUT_MS,
  },
  deps: services.deps,
  tokens: services.tokens,
  cache: services.cache,
  memoryReads: services.memoryReads ?? undefined,
  metricsToken: config.METRICS_TOKEN,
  idempotency: services.idempotency,
  benchRoutes: config.BENCH_ROUTES === '1',
  log,
  corsOrigins: config.CORS_ORIGINS,
  login: { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS },
  writeLimit: {
    points: config.WRITE_RATE_LIMIT,
    windowSeconds: config.WRITE_RATE_WINDOW_SECONDS,
    costs: {
      importPer1000Messages: config.RATE_COST_IMPORT,
      exportChat: config.RATE_COST_EXPORT,
      getBranches: config.RATE_COST_GET_BRANCHES,
      searchMessages: config.RATE_COST_SEARCH,
    },
  },
  registration: { maxPerWindow: config.REGISTER_MAX_PER_WINDOW, windowSeconds: config.REGISTER_WINDOW_SECONDS },
  publicShares: { maxPerWindow: config.PUBLIC_SHARE_RATE, windowSeconds: 60 },
  publicUrl: config.PUBLIC_URL,
  trustedProxies: config.TRUSTED_PROXIES,
  limits: services.limits,
});

// In-flight accounting for graceful shutdown. Keep-alive connections can carry new requests after the
// listener stops, so once draining they get 503 + Connection: close instead of reaching closed pools.
let inflight = 0;
let draining = false;
let server: Listener;
try {
  server = await listen(
    async (req, srv) => {
      if (draining) {
        return new Response(
          JSON.stringify({
            type: '/problems/unavailable',
            title: 'Service Unavailable',
            status: 503,
            detail: 'The server is shutting down',
            instance: '',
          }),
          {
            status: 503,
            headers: { 'Content-Type': 'application/problem+json', Connection: 'close', 'Retry-After': '1' },
          },
        );
      }
      inflight++;
      try {
        return await app.fetch(req, srv);
      } finally {
        inflight--;
      }
    },
    {
      hostname: config.HOST,
      port: config.PORT,
      websocket: isBun ? await bunWebSocketHandler() : undefined,
      idleTimeoutSeconds: config.HTTP_IDLE_TIMEOUT_SECONDS,
      reusePort: config.REUSE_PORT === '1',
      onError: (err) => {
        log.error({ err }, 'unhandled error outside the app');
        return lastResortResponse();
      },
    },
  );
} catch (e) {
  // Taken since the probe above.
  cannotListen(e);
  await Promise.race([services.close(), sleep(10_000)]);
  process.exit(1);
}
const reconciler = startReconciler(services.deps, config, log);
const runtime = isBun ? `bun ${Bun.version}` : `node ${process.version}`;
if (human) {
  const line = startLine({
    host: config.HOST,
    port: server.port,
    web: existsSync(join(config.WEB_DIR, 'index.html')),
    database: databaseSummary(config),
    mongo: Boolean(config.MONGO_URL),
    runtime,
  });
  process.stdout.write(`${line}\n`);
} else {
  log.info({ url: `http://${config.HOST}:${server.port}`, app: '/app/', docs: '/docs', runtime }, 'branchat listening');
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  draining = true;
  // Stop listening now; let in-flight requests finish, within the grace period.
  void server.stop(false);
  const deadline = Date.now() + config.SHUTDOWN_GRACE_MS;
  // Streamed answers count too: their handler returned, their pair is stored when the stream completes.
  const busy = () => inflight > 0 || activeStreams() > 0;
  while (busy() && Date.now() < deadline) await sleep(20);
  if (busy()) {
    log.warn({ inflight, streams: activeStreams() }, 'grace period over; closing with requests in flight');
  }
  hub?.closeAll(CLOSE_GOING_AWAY, 'server shutting down');
  await server.stop(true);
  await reconciler.stop();
  await services.close();
  // The spans still pending are sent (bounded: a collector that does not answer cannot hold the exit).
  await Promise.race([tracing?.shutdown().catch(() => undefined), sleep(5000)]);
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
