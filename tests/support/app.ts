/**
 * The real application wired to a real PostgreSQL (tests/support/db.ts), shared by the integration
 * tests of one process. Content goes to PostgreSQL, or to MongoDB when MONGO_URL is set.
 */
import { type AppOptions, createApp } from '../../src/app.js';
import { openServices, type Services } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { EventHub, type HubOptions, hubOptions } from '../../src/events/events.hub.js';
import type { HeavyLimits } from '../../src/http/middleware/heavy.js';
import { createLogger } from '../../src/logger.js';
import { pgbouncerRequested, pooledTestDatabase, testDatabase } from './db.js';

export const TEST_JWT_SECRET = `test-secret-${crypto.randomUUID()}-${crypto.randomUUID()}`;

let shared: Promise<Services> | undefined;

export async function testServices(): Promise<Services> {
  if (!shared) {
    shared = openExtraServices();
  }
  return shared;
}

export async function closeTestServices(): Promise<void> {
  if (!shared) return;
  const s = await shared;
  shared = undefined;
  await s.close();
}

export async function testApp(options: { login?: { maxFailures: number; windowSeconds: number } } = {}) {
  const services = await testServices();
  return { app: appFor(services, options), services };
}

/**
 * A set of services (own pools, own cache) on the test database; `env` overrides the configuration. The
 * shared one is testServices(); each further one acts as a second "process".
 */
export async function openExtraServices(env: Record<string, string | undefined> = {}): Promise<Services> {
  const db = await testDatabase();
  // TEST_PGBOUNCER=1: through a PgBouncer in transaction mode (tests/support/db.ts).
  const pooled = pgbouncerRequested() ? await pooledTestDatabase() : null;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: pooled ? pooled.url : db.url,
    ...(pooled ? { DATABASE_DIRECT_URL: pooled.directUrl, DATABASE_POOLER: 'transaction' } : {}),
    MONGO_URL: process.env.MONGO_URL,
    MONGO_DB: `branchat_test_${process.pid}`,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  return openServices(config, createLogger(config.LOG_LEVEL));
}

export function appFor(
  services: Services,
  options: {
    login?: { maxFailures: number; windowSeconds: number };
    bypassCache?: boolean;
    writeLimit?: AppOptions['writeLimit'];
    /** Registrations per client per window (off unless a test asks: in process every client is 'unknown'). */
    registration?: AppOptions['registration'];
    /** Public reads of share links per client per window (off unless a test asks). */
    publicShares?: AppOptions['publicShares'];
    /** PUBLIC_URL: the origin of share links. */
    publicUrl?: string;
    trustedProxies?: string[];
    /** Serve /api/v1/ws through a hub of its own on the services' change feed. */
    events?: boolean;
    /** The hub's limits (default: the configuration's defaults, with a 1 MiB send buffer). */
    hub?: Partial<HubOptions>;
    /** Concurrency bounds of import, export and get-branches (off unless a test asks for them). */
    heavy?: HeavyLimits;
    /** METRICS_TOKEN: GET /metrics needs it (in-process requests have no loopback address). */
    metricsToken?: string;
  } = {},
) {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const feed = services.events;
  const events =
    options.events && feed
      ? {
          feed,
          hub: new EventHub(feed, services.deps, log, {
            ...hubOptions(loadConfig({})),
            maxBufferedBytes: 1 << 20,
            ...options.hub,
          }),
        }
      : undefined;
  return createApp({
    events,
    deps: services.deps,
    tokens: services.tokens,
    cache: services.cache,
    idempotency: services.idempotency,
    metricsToken: options.metricsToken,
    bypassCache: options.bypassCache,
    log,
    login: options.login ?? { maxFailures: 1000, windowSeconds: 60 },
    // Off unless a test asks for it: most suites need volume.
    writeLimit: options.writeLimit,
    registration: options.registration,
    publicShares: options.publicShares,
    publicUrl: options.publicUrl,
    trustedProxies: options.trustedProxies,
    // The services' limiters: Redis-backed (shared by every app on that Redis and prefix) when REDIS_URL is set.
    limits: services.limits,
    heavy: options.heavy,
  });
}
