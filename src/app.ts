/**
 * createApp(): the HTTP application. Middleware order matters and is the contract of API.md:
 * request id → log → security headers → (CORS) → auth on protected routes → body rules → validation.
 * No business logic here.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { TokenService } from './auth/tokens.js';
import { noCache, type ReadThroughCache } from './cache/cache.js';
import { LoginThrottle } from './domain/accounts/login-throttle.js';
import type { Deps } from './domain/context.js';
import type { EventHub } from './events/events.hub.js';
import { type EventBus, eventPublisher } from './events/events.js';
import { type AppBindings, createRouter } from './http/app-types.js';
import { authRouter } from './http/auth/auth.index.js';
import { branchesRouter } from './http/branches/branches.index.js';
import { chatsRouter } from './http/chats/chats.index.js';
import { importChat } from './http/chats/transfer.routes.js';
import { errorToResponse, problemResponse } from './http/errors.js';
import { eventSocket, registerEventSocketDoc } from './http/events/events.ws.js';
import { messagesRouter } from './http/messages/messages.index.js';
import { requireAuth } from './http/middleware/auth.js';
import { idempotency } from './http/middleware/idempotency.js';
import { limitBody, requireJsonBody } from './http/middleware/json-body.js';
import { requestLog } from './http/middleware/request-log.js';
import { writeRateLimit } from './http/middleware/write-limit.js';
import { createMetrics } from './http/ops/metrics.js';
import { docsPage, opsRouter } from './http/ops/ops.routes.js';
import { webApp } from './http/ops/web.js';
import type { Logger } from './logger.js';
import { translateStoreError } from './stores/errors.js';
import type { IdempotencyStore } from './stores/idempotency.store.js';

export interface AppOptions {
  deps: Deps;
  tokens: TokenService;
  log: Logger;
  corsOrigins?: string[];
  login?: { maxFailures: number; windowSeconds: number };
  /** Writes per account per window; absent or 0 points → no limit. */
  writeLimit?: { points: number; windowSeconds: number };
  /** The read-through cache (also for readiness and /metrics); absent → no caching. */
  cache?: ReadThroughCache;
  /** Serve reads uncached even though `cache` is given (the reference side of cache tests). */
  bypassCache?: boolean;
  /** Mount the bench-only ceiling route (never in production). */
  /** Body limit of import-chat, in MiB (every other JSON route: 1 MiB). */
  importMaxMb?: number;
  benchRoutes?: boolean;
  /** Idempotency-Key records; absent (document generation only) → the header is ignored. */
  idempotency?: IdempotencyStore;
  /** Serve the built demo app (web/dist) at /app from this directory; absent → no /app. */
  webDir?: string;
  /** Real-time events: the bus writes publish to and the hub of sockets; absent → no events, no /api/v1/ws. */
  events?: { bus: EventBus; hub: EventHub };
}

const REQUEST_ID_RE = /^[A-Za-z0-9._~:-]{1,128}$/;

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

/** The route with its own body limit. */
const IMPORT_PATH = importChat.path;

export function createApp(options: AppOptions): OpenAPIHono<AppBindings> {
  const app = createRouter();
  const throttle = new LoginThrottle(options.login?.maxFailures ?? 10, options.login?.windowSeconds ?? 900);
  const events = eventPublisher(options.events?.bus, options.log);

  app.use(
    requestId({
      headerName: 'X-Request-Id',
      generator: (c) => {
        const given = c.req.header('X-Request-Id');
        return given && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
      },
    }),
  );
  app.use(requestLog(options.log));
  app.use(secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
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
    c.set('events', events);
    c.set('cache', options.cache && !options.bypassCache ? options.cache : noCache);
    if (options.cache) {
      const store = options.cache.store;
      c.set('cacheHealth', () => store.health());
    }
    await next();
  });

  const auth = requireAuth();
  for (const prefix of ['/api/v1/chats/*', '/api/v1/messages/*', '/api/v1/branches/*']) app.use(prefix, auth);
  if (options.writeLimit && options.writeLimit.points > 0) {
    const limit = writeRateLimit(options.writeLimit);
    for (const prefix of ['/api/v1/chats/*', '/api/v1/messages/*', '/api/v1/branches/*']) app.use(prefix, limit);
  }
  app.use(
    '/api/v1/*',
    limitBody({ paths: [IMPORT_PATH], bytes: (options.importMaxMb ?? 32) * 1024 * 1024 }),
    requireJsonBody(),
  );
  if (options.idempotency) {
    const keys = idempotency(options.idempotency);
    for (const prefix of ['/api/v1/chats/*', '/api/v1/messages/*', '/api/v1/branches/*']) app.use(prefix, keys);
  }

  if (options.events) app.get('/api/v1/ws', eventSocket(options.events.hub));
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

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'From register or login.',
  });
  app.doc31('/openapi.json', OPENAPI_INFO);
  app.get('/docs', docsPage());
  if (options.cache) {
    const cache = options.cache;
    const registry = createMetrics(() => cache.counters);
    app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
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

  app.notFound((c) => problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorToResponse(c, err, (e) => translateStoreError(e, 'database')));
  return app;
}

/** The OpenAPI document as served at /openapi.json. */
export function openApiDocument(app: OpenAPIHono<AppBindings>) {
  return app.getOpenAPI31Document(OPENAPI_INFO);
}
