/**
 * createApp(): the HTTP application. Middleware order matters and is the contract of docs/api.md:
 * request id → log → security headers → (CORS) → auth on protected routes → body rules → validation.
 * No business logic here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { TokenService } from './auth/tokens.js';
import { noCache, type ReadThroughCache } from './cache/cache.js';
import type { ChatRowMemory } from './cache/chat-rows.js';
import { LoginThrottle, RegistrationThrottle } from './domain/accounts/login-throttle.js';
import type { Deps } from './domain/context.js';
import type { EventHub } from './events/events.hub.js';
import type { EventFeed } from './events/events.js';
import { type AppBindings, createRouter } from './http/app-types.js';
import { authRouter } from './http/auth/auth.index.js';
import { branchesRouter } from './http/branches/branches.index.js';
import { getBranches } from './http/branches/branches.routes.js';
import { compareBranches } from './http/branches/compare.routes.js';
import { chatsRouter } from './http/chats/chats.index.js';
import { forkChat } from './http/chats/fork.routes.js';
import { exportChat, importChat } from './http/chats/transfer.routes.js';
import { errorToResponse, HttpProblem, problemResponse } from './http/errors.js';
import { documentConditionalReads } from './http/etags.js';
import { eventSocket, registerEventSocketDoc } from './http/events/events.ws.js';
import { messagesRouter } from './http/messages/messages.index.js';
import { searchMessages } from './http/messages/messages.routes.js';
import { requireAuth } from './http/middleware/auth.js';
import { type HeavyLimits, heavyOperations } from './http/middleware/heavy.js';
import { idempotency } from './http/middleware/idempotency.js';
import { requestRules } from './http/middleware/json-body.js';
import { publicReads } from './http/middleware/public-reads.js';
import { storableQuery } from './http/middleware/query-text.js';
import { requestLog } from './http/middleware/request-log.js';
import { RouteSecurity } from './http/middleware/route-security.js';
import {
  accountRateLimit,
  DEFAULT_RATE_COSTS,
  importRateCharge,
  type RateCosts,
} from './http/middleware/write-limit.js';
import { docsHandlers } from './http/ops/docs.js';
import { favicon, home } from './http/ops/home.js';
import { createMetrics, metricsAccess, requestMetrics } from './http/ops/metrics.js';
import { opsRouter } from './http/ops/ops.routes.js';
import { serverSpans } from './http/ops/tracing.js';
import { webApp } from './http/ops/web.js';
import { sharesRouter } from './http/shares/shares.index.js';
import { createShare, getPublicShare } from './http/shares/shares.routes.js';
import { clientKey, TrustedProxies } from './limits/client-address.js';
import { type LimiterFactory, memoryLimiters } from './limits/limiters.js';
import type { Logger } from './logger.js';
import { clientAddress } from './runtime.js';
import { translateStoreError } from './stores/errors.js';
import type { IdempotencyStore } from './stores/idempotency.store.js';

export interface AppOptions {
  deps: Deps;
  tokens: TokenService;
  log: Logger;
  corsOrigins?: string[];
  login?: { maxFailures: number; windowSeconds: number };
  /**
   * Points per account per window: a write costs 1, heavy operations their weight (`costs`, default
   * DEFAULT_RATE_COSTS); absent or 0 points → no limit.
   */
  writeLimit?: { points: number; windowSeconds: number; costs?: Partial<RateCosts> };
  /** Registration attempts per client address per window; absent or 0 → no limit. */
  registration?: { maxPerWindow: number; windowSeconds: number };
  /** Public reads of share links per client address per window (PUBLIC_SHARE_RATE); absent or 0 → no limit. */
  publicShares?: { maxPerWindow: number; windowSeconds: number };
  /** PUBLIC_URL: the origin of the links create-share answers; absent → the request's own origin. */
  publicUrl?: string;
  /** Addresses/CIDRs whose X-Forwarded-For is believed (TRUSTED_PROXIES); absent → none. */
  trustedProxies?: readonly string[];
  /** Where the limits count (Services.limits: Redis or memory); absent → in this app's memory. */
  limits?: LimiterFactory;
  /** The read-through cache (also for readiness and /metrics); absent → no caching. */
  cache?: ReadThroughCache;
  /** Chat rows answered from memory under a read lease, for /metrics; absent → none. */
  memoryReads?: ChatRowMemory;
  /** METRICS_TOKEN: /metrics needs it as a Bearer token; absent → /metrics answers loopback only. */
  metricsToken?: string;
  /** Serve reads uncached even though `cache` is given (the reference side of cache tests). */
  bypassCache?: boolean;
  /** Mount the bench-only ceiling route (never in production). */
  /** Body limit of import-chat, in MiB (every other JSON route: 1 MiB). */
  importMaxMb?: number;
  benchRoutes?: boolean;
  /** Concurrency bounds of heavy operations (import, export, get-branches); absent → none. */
  heavy?: HeavyLimits;
  /** Idempotency-Key records; absent (document generation only) → the header is ignored. */
  idempotency?: IdempotencyStore;
  /** Serve the built demo app (web/dist) at /app from this directory; absent → no /app. */
  webDir?: string;
  /** Real-time events: the change feed and the hub of sockets; absent → no /api/v1/ws. */
  events?: { feed: EventFeed; hub: EventHub };
}

const REQUEST_ID_RE = /^[A-Za-z0-9._~:-]{1,128}$/;

/** The security headers of every answer (hono/secure-headers' defaults, same-origin resources). */
const SECURE_HEADERS = { crossOriginResourcePolicy: 'same-origin' } as const;

/** The last resort (the listener's error handler): a 500 problem with the headers every answer carries. */
const lastResort = new Hono().use(requestId({ headerName: 'X-Request-Id' }), secureHeaders(SECURE_HEADERS));
lastResort.all('*', (c) => problemResponse(c, 500, 'An unexpected error occurred.'));
export const lastResortResponse = (): Response | Promise<Response> =>
  lastResort.fetch(new Request('http://localhost/'));

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  servers: [
    { url: '/', description: 'this server: the one serving this document (and /docs)' },
    { url: 'http://localhost:3000', description: 'npm start (embedded defaults)' },
  ],
  info: {
    title: 'branchat',
    version: '1.0.0',
    description:
      'A chat backend where any conversation can branch from any message. Errors are RFC 9457 problem details; ' +
      'every response carries X-Request-Id.',
  },
};

/** The event socket: a declared operation (events.ws.ts) that authenticates itself. */
const EVENT_SOCKET_PATH = '/api/v1/ws';
/** The public read of a share link, as Hono routes it (`{token}` → `:token`). */
const PUBLIC_SHARE_PATH = getPublicShare.path.replace('{token}', ':token');
/** The route with its own body limit. */
const IMPORT_PATH = importChat.path;
/** Heavy operations: their work grows with the tree or the import (http/middleware/heavy.ts). */
const HEAVY_PATHS = [
  importChat.path,
  exportChat.path,
  forkChat.path,
  getBranches.path,
  compareBranches.path,
  searchMessages.path,
];

export function createApp(options: AppOptions): OpenAPIHono<AppBindings> {
  const app = createRouter();
  const limits = options.limits ?? memoryLimiters();
  const throttle = new LoginThrottle(
    limits.create('login', options.login?.maxFailures ?? 10, options.login?.windowSeconds ?? 900),
  );
  const registration = new RegistrationThrottle(
    options.registration && options.registration.maxPerWindow > 0
      ? limits.create('register', options.registration.maxPerWindow, options.registration.windowSeconds)
      : undefined,
  );
  const proxies = new TrustedProxies(options.trustedProxies ?? []);

  app.use(
    requestId({
      headerName: 'X-Request-Id',
      generator: (c) => {
        const given = c.req.header('X-Request-Id');
        return given && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
      },
    }),
  );
  // Tracing (on with OTEL_EXPORTER_OTLP_ENDPOINT) wraps the log line, so that it carries the trace id.
  const spans = serverSpans();
  if (spans) app.use(spans);
  app.use(requestLog(options.log));
  const cache = options.cache;
  const registry = cache ? createMetrics(() => cache.counters, options.memoryReads, options.events?.hub) : undefined;
  if (registry) app.use(requestMetrics(registry));
  app.use(secureHeaders(SECURE_HEADERS));
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    app.use(
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Request-Id'],
        exposeHeaders: [
          'ETag',
          'X-Request-Id',
          'Retry-After',
          'Idempotent-Replayed',
          'RateLimit-Limit',
          'RateLimit-Remaining',
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(async (c, next) => {
    c.set('deps', options.deps);
    c.set('tokens', options.tokens);
    c.set('throttle', throttle);
    c.set('registration', registration);
    c.set('client', async () => clientKey(proxies.client(await clientAddress(c), c.req.header('X-Forwarded-For'))));
    c.set('cache', options.cache && !options.bypassCache ? options.cache : noCache);
    if (options.publicUrl) c.set('publicUrl', options.publicUrl);
    if (options.cache) {
      const store = options.cache.store;
      c.set('cacheHealth', () => store.health());
    }
    await next();
  });

  // Protection is each operation's own declaration (its OpenAPI `security`), read once every route is registered
  // (security.seal below: an undeclared operation refuses the start). The bearer check, the account's rate budget
  // and Idempotency-Key run on the protected operations only, each in its place in this chain.
  const security = new RouteSecurity();
  app.use(security.protectedOnly(requireAuth()));
  // The one public read of account data (a share link's): its own budget per client, and headers that keep it
  // out of caches.
  app.use(
    PUBLIC_SHARE_PATH,
    publicReads(
      options.publicShares && options.publicShares.maxPerWindow > 0
        ? limits.create('public-share', options.publicShares.maxPerWindow, options.publicShares.windowSeconds)
        : undefined,
    ),
  );
  // Order (each step refuses before the next costs anything): the per-account heavy bound → the account's rate
  // budget (refunded when a later step refuses: 429/499/503, or an Idempotency-Key replay) → body rules →
  // Idempotency-Key (a replay or a 409 answers here, before any slot or weight) → the rest of an import's weight →
  // a process-wide heavy slot → the handler.
  const heavy = options.heavy ? heavyOperations(options.heavy) : undefined;
  if (heavy) for (const path of HEAVY_PATHS) app.use(path, heavy.admit);
  const accountLimit =
    options.writeLimit && options.writeLimit.points > 0
      ? {
          points: options.writeLimit.points,
          windowSeconds: options.writeLimit.windowSeconds,
          limiter: limits.create('write', options.writeLimit.points, options.writeLimit.windowSeconds),
          costs: { ...DEFAULT_RATE_COSTS, ...options.writeLimit.costs },
          paths: {
            importChat: importChat.path,
            exportChat: exportChat.path,
            forkChat: forkChat.path,
            getBranches: getBranches.path,
            compareBranches: compareBranches.path,
            searchMessages: searchMessages.path,
          },
        }
      : undefined;
  if (accountLimit) {
    app.use(security.protectedOnly(accountRateLimit(accountLimit)));
  }
  app.use(
    '/api/v1/*',
    requestRules({ paths: [IMPORT_PATH], bytes: (options.importMaxMb ?? 32) * 1024 * 1024 }, storableQuery()),
  );
  if (options.idempotency) {
    app.use(security.protectedOnly(idempotency(options.idempotency, { refuse: [createShare.path] })));
  }
  // The rest of an import's weight, once its body says how big it is.
  if (accountLimit) app.use(IMPORT_PATH, importRateCharge(accountLimit));
  if (heavy) for (const path of HEAVY_PATHS) app.use(path, heavy.slot);

  if (options.events) app.get(EVENT_SOCKET_PATH, eventSocket(options.events.hub));
  registerEventSocketDoc(app);
  app.route('/', opsRouter);
  if (options.webDir) {
    const web = webApp(options.webDir);
    app.get('/app', web);
    app.get('/app/*', web);
  }
  app.route('/', authRouter);
  app.route('/', chatsRouter);
  app.route('/', messagesRouter);
  app.route('/', branchesRouter);
  app.route('/', sharesRouter);

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'From register or login.',
  });
  // Generated once, on first request (the routes are all registered by then).
  let openApiJson: string | null = null;
  app.get('/openapi.json', (c) => {
    openApiJson ??= JSON.stringify(openApiDocument(app));
    return c.body(openApiJson, 200, { 'Content-Type': 'application/json' });
  });
  // First contact: `/` leads a browser to /app/ (or /docs), and lists the entry points as JSON otherwise.
  // A browser is sent to the demo only when it is built (else to /docs): a fresh clone before build:web.
  const appBuilt = Boolean(options.webDir) && existsSync(join(options.webDir as string, 'index.html'));
  app.get('/', home({ app: appBuilt, metrics: Boolean(options.cache) }));
  app.get('/favicon.ico', favicon());
  const docs = docsHandlers(options.webDir);
  app.get('/docs', docs.page);
  app.get('/docs/assets/:file', docs.assets);
  if (registry) {
    app.get('/metrics', async (c) => {
      const access = await metricsAccess(c, options.metricsToken);
      if (access === 401) {
        throw new HttpProblem(401, 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', {
          'WWW-Authenticate': 'Bearer',
        });
      }
      if (access === 404) return problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}`);
      return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
    });
  }

  if (options.benchRoutes) {
    // Pre-serialised JSON of the requested size: what the framework can serve with no work at all.
    const bodies = new Map<number, string>();
    app.get('/bench/ceiling', (c) => {
      const bytes = Math.min(Math.max(Number(c.req.query('bytes')) || 1024, 16), 8 * 1024 * 1024);
      let body = bodies.get(bytes);
      if (!body) {
        body = JSON.stringify({ pad: 'x'.repeat(bytes - 10) });
        bodies.set(bytes, body);
      }
      return c.body(body, 200, { 'Content-Type': 'application/json' });
    });
  }

  // Every route is registered: read the declarations (throws on an undeclared operation). The event socket takes
  // its token from a header, a subprotocol or the query, and checks it itself.
  security.seal(app, { ownAuthentication: [`GET ${EVENT_SOCKET_PATH}`] });
  app.notFound((c) => problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorToResponse(c, err, (e) => translateStoreError(e, 'database')));
  return app;
}

/** The OpenAPI document as served at /openapi.json. */
export function openApiDocument(app: OpenAPIHono<AppBindings>) {
  return documentConditionalReads(app.getOpenAPI31Document(OPENAPI_INFO));
}
