/**
 * Environment → typed configuration, in one place. Everything has an embedded default so that
 * `npm start` works on a machine with nothing but Node and npm.
 */
import { z } from 'zod';
import { isProxyEntry } from './limits/client-address.js';
import { parseNode } from './stores/redis.js';

export const SEARCH_LANGUAGES = [
  'simple',
  'danish',
  'dutch',
  'english',
  'finnish',
  'french',
  'german',
  'hungarian',
  'italian',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'spanish',
  'swedish',
  'turkish',
] as const;
export type SearchLanguage = (typeof SEARCH_LANGUAGES)[number];

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** Like optionalUrl, and it must parse as an http(s) URL. */
const optionalHttpUrl = optionalUrl.refine((v) => v === undefined || /^https?:\/\/[^/]/i.test(v), {
  message: 'not an http(s) URL',
});

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** A comma-separated list (empty by default), entries trimmed, empty ones dropped. */
const commaList = () =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
  /** PostgreSQL for metadata (and content when MONGO_URL is unset). Unset → embedded PostgreSQL. */
  DATABASE_URL: optionalUrl,
  /**
   * A direct connection to the same primary (not through a pooler): the change feed's LISTEN and NOTIFY
   * connections and the migrations (session-level advisory lock) use it. Unset → DATABASE_URL.
   */
  DATABASE_DIRECT_URL: optionalUrl,
  /**
   * `transaction`: DATABASE_URL is a pooler in transaction mode (PgBouncer `pool_mode = transaction`): no named
   * prepared statements, no startup parameters (the timeouts are set per transaction), no session state.
   * `none`: a direct connection (or a session-mode pooler).
   */
  DATABASE_POOLER: z.enum(['none', 'transaction']).default('none'),
  /**
   * A streaming replica for the reads that may be served by one (search, export, list-chats): each such read
   * waits until the replica has replayed every commit acknowledged before it started, else reads the primary
   * (src/stores/replica.ts). Unset → every read on the primary.
   */
  DATABASE_READ_URL: optionalUrl,
  /** How long such a read waits for the replica to catch up before it reads the primary instead. */
  DATABASE_READ_WAIT_MS: int(200, 0, 10_000),
  /** MongoDB for message content. Unset → content lives in PostgreSQL. */
  MONGO_URL: optionalUrl,
  MONGO_DB: z.string().default('branchat'),
  /** How long a MongoDB operation waits for a reachable server before the request fails with 503. */
  MONGO_TIMEOUT_MS: int(5_000, 100, 120_000),
  /** One Redis server for the shared cache and rate limits. Unset (and no cluster) → in-process cache and limits. */
  REDIS_URL: optionalUrl,
  /**
   * A Redis Cluster instead (ioredis' Cluster client): some of its nodes, `host:port,host:port,…` (the rest are
   * discovered). Not together with REDIS_URL. Credentials, if the cluster needs them, in the two below (secret).
   */
  REDIS_CLUSTER_NODES: commaList().pipe(
    z.array(z.string().refine((v) => parseNode(v) !== null, { message: 'not host:port' })),
  ),
  REDIS_CLUSTER_USERNAME: optionalUrl,
  REDIS_CLUSTER_PASSWORD: optionalUrl,
  /** auto: Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else in-process. off: no cache (benchmarks, debugging). */
  CACHE_MODE: z.enum(['auto', 'off']).default('auto'),
  CACHE_TTL_SECONDS: int(600, 1, 86_400),
  /** Memory budget of the in-process cache tier (in front of Redis, or alone without it). */
  CACHE_LOCAL_MAX_MB: int(64, 0, 4096),
  /** Prefix of every Redis key (several deployments can share one Redis). */
  CACHE_KEY_PREFIX: z.string().default('branchat:'),
  JWT_SECRET: optionalUrl,
  JWT_TTL_SECONDS: int(86_400, 60, 31_536_000),
  /** Where the embedded defaults keep their state (embedded PostgreSQL, the development JWT secret). */
  DATA_DIR: z.string().default('./.data'),
  EMBEDDED_PG_PORT: int(54329, 1, 65535),
  /** At least 2: heavy operations may hold all but one connection (HEAVY_MAX_CONCURRENT), never the last. */
  DB_POOL_MAX: int(10, 2, 200),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Logs are JSON lines on stdout. auto: once listening, a terminal (stdout a TTY) gets one human line (the URL,
   * /app, /docs, the database) instead of the JSON record; json: always the JSON record.
   */
  LOG_FORMAT: z.enum(['auto', 'json']).default('auto'),
  /**
   * Secret of GET /metrics (at least 16 characters; never logged). Set: a scrape sends `Authorization: Bearer
   * <METRICS_TOKEN>` (compared in constant time), anything else → 401. Unset or empty: /metrics answers only
   * requests from a loopback address without forwarding headers (a scraper on the same host), 404 to others.
   */
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().min(16).optional()),
  /**
   * Traces (docs/observability.md): the OTLP/HTTP collector's base URL (e.g. http://localhost:4318); spans go to
   * `<it>/v1/traces` as JSON. Unset (the default): no tracing at all, and the SDK is never loaded.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl,
  /** The full traces URL, instead of `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` (either one turns tracing on). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalHttpUrl,
  /** Headers sent with each export, `key=value,key2=value2` (e.g. a collector's API key). Secret: never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: optionalUrl,
  /** The traces' resource `service.name`. */
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('branchat'),
  /**
   * Share of new traces recorded (0–1): a request without a sampled `traceparent` starts one with this
   * probability; a request with one follows its caller's decision.
   */
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  /** Comma-separated list of allowed CORS origins. Empty → no CORS headers at all. */
  CORS_ORIGINS: commaList(),
  /** Failed logins per email, and per client address, per LOGIN_WINDOW_SECONDS; then 429 until it ends. */
  LOGIN_MAX_FAILURES: int(10, 1, 10_000),
  LOGIN_WINDOW_SECONDS: int(900, 1, 86_400),
  /**
   * Registration attempts per client address (an IPv6 client: per /64) per REGISTER_WINDOW_SECONDS; then
   * 429 with Retry-After and no account. 0 turns the limit off.
   */
  REGISTER_MAX_PER_WINDOW: int(30, 0, 1_000_000),
  REGISTER_WINDOW_SECONDS: int(600, 1, 86_400),
  /**
   * Public reads of share links (GET /api/v1/public/shares/{token}) per client address per minute; then 429 with
   * Retry-After. Every read counts, a 404 too. 0 turns the limit off.
   */
  PUBLIC_SHARE_RATE: int(120, 0, 1_000_000),
  /**
   * The origin readers reach the service at (e.g. https://chat.example.org), used in the `url` create-share answers
   * (`<PUBLIC_URL>/app/s/<token>`); a trailing slash is dropped. Unset: the origin of the create-share request
   * itself (behind a proxy that rewrites the host, set it).
   */
  PUBLIC_URL: optionalHttpUrl.transform((v) => v?.replace(/\/+$/, '')),
  /**
   * Comma-separated addresses or CIDRs of reverse proxies (e.g. `10.0.0.0/8,::1`) whose X-Forwarded-For is
   * believed: when the direct peer is one of them, the client is the right-most forwarded address that is
   * not. Empty (the default) → the header is ignored and the peer is the client.
   */
  TRUSTED_PROXIES: commaList().pipe(z.array(z.string().refine(isProxyEntry, { message: 'not an IP address or CIDR' }))),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 600_000),
  /**
   * Seconds an idle HTTP connection (keep-alive, between requests) stays open. Bun counts in 4 s ticks, so
   * it closes within the next tick after. Lifted while an answer waits for the model, restored when it ends.
   */
  HTTP_IDLE_TIMEOUT_SECONDS: int(10, 1, 255), // 255: Bun's maximum
  /**
   * 1: listen with SO_REUSEPORT, so several processes on one machine share PORT and the kernel spreads new
   * connections over them (bench/processes.ts). Every process sharing the port must set it.
   */
  REUSE_PORT: z.enum(['0', '1']).default('0'),
  /**
   * Lease of an Idempotency-Key whose first request is still running: its process renews it every third
   * of this while the request runs (however long), so a retry gets 409; a claim left by a crashed process
   * is taken over once its lease runs out.
   */
  IDEMPOTENCY_LEASE_SECONDS: int(30, 1, 3600),
  /**
   * Writes (POST, PUT, PATCH, DELETE on the protected routes) allowed per account per
   * WRITE_RATE_WINDOW_SECONDS; past it, 429 with Retry-After. 0 turns the limit off. Heavy operations
   * take more of this budget (the RATE_COST_* weights). Counted in Redis (one budget across every
   * instance) when REDIS_URL is set, else per process; while Redis is down, each process counts alone.
   */
  WRITE_RATE_LIMIT: int(600, 0, 1_000_000),
  WRITE_RATE_WINDOW_SECONDS: int(60, 1, 86_400),
  /** import-chat's weight: points per started 1,000 messages in the body (never more than the budget). */
  RATE_COST_IMPORT: int(10, 1, 1_000_000),
  /** export-chat's weight, and get-branches' (0: not counted). */
  RATE_COST_EXPORT: int(10, 0, 1_000_000),
  RATE_COST_GET_BRANCHES: int(5, 0, 1_000_000),
  /** search-messages' weight (a ranked full-text query; 0: not counted). */
  RATE_COST_SEARCH: int(1, 0, 1_000_000),
  /**
   * The content reconciler (MongoDB content only): every RECONCILE_INTERVAL_SECONDS (0 = never) it removes
   * content whose metadata never committed, once it is older than RECONCILE_GRACE_SECONDS (longer than any
   * write transaction can stay open). At start it looks back RECONCILE_LOOKBACK_HOURS.
   */
  RECONCILE_INTERVAL_SECONDS: int(300, 0, 86_400),
  RECONCILE_GRACE_SECONDS: int(600, 1, 86_400),
  RECONCILE_LOOKBACK_HOURS: int(24, 1, 24 * 365),
  /**
   * Language of full-text search (stemming and stop words): a PostgreSQL text-search configuration that
   * MongoDB's text index also knows; `simple` (MongoDB: none) only lowercases. Applies to pairs written
   * from then on (README, "Search" says how to re-index).
   */
  SEARCH_LANGUAGE: z.enum(SEARCH_LANGUAGES).default('english'),
  /**
   * The tree event log (PostgreSQL, written by each write in its transaction) and /api/v1/ws: `on`, or `off`
   * (no event rows, no socket route; for measuring what the log costs).
   */
  EVENTS: z.enum(['on', 'off']).default('on'),
  /** Events kept per conversation tree for resume: the last EVENTS_RETENTION, none older than the hours. */
  EVENTS_RETENTION: int(1000, 1, 100_000),
  EVENTS_RETENTION_HOURS: int(24, 1, 24 * 365),
  /**
   * With the cache on: how long a process's read lease lasts (renewed every quarter of it). A write waits for the
   * other processes to apply it, at most this long for one that stopped answering (killed, cut off).
   */
  READ_LEASE_MS: int(2000, 1000, 60_000),
  /** A socket whose unsent events exceed this is disconnected (close 1008): slow consumers. */
  WS_MAX_BUFFER_KB: int(1024, 16, 15_360), // below Bun's own 16 MiB backpressure limit
  /** Trees one socket may subscribe to. */
  WS_MAX_SUBSCRIPTIONS: int(100, 1, 10_000),
  /** Event sockets one account may have open per process; beyond → 429 before the upgrade. */
  WS_MAX_SOCKETS_PER_ACCOUNT: int(20, 1, 100_000),
  /**
   * Frames a socket has sent and the server has not handled yet (and their KiB); beyond either, the socket
   * is closed with 4429. Room for a client that resubscribes to all its trees at once.
   */
  WS_MAX_PENDING_FRAMES: int(128, 1, 10_000),
  WS_MAX_PENDING_KB: int(64, 4, 16_384),
  /** Frames a socket may send: WS_FRAME_BURST at once, then WS_FRAMES_PER_SECOND; beyond, close 4429. */
  WS_FRAME_BURST: int(128, 1, 100_000),
  WS_FRAMES_PER_SECOND: int(10, 1, 10_000),
  /** One resume (or gap fill) replays at most this many events and KiB; beyond, `resync` instead. */
  WS_REPLAY_MAX_EVENTS: int(500, 1, 100_000),
  WS_REPLAY_MAX_KB: int(512, 1, 1_048_576),
  /**
   * Bytes of replay a socket, and all sockets of one account, may receive: a burst in KiB, refilled at
   * KiB per second; beyond, `resync` instead of the events. Counted per process (N instances allow N times).
   */
  WS_REPLAY_SOCKET_BURST_KB: int(2048, 1, 1_048_576),
  WS_REPLAY_SOCKET_KB_PER_SECOND: int(128, 1, 1_048_576),
  WS_REPLAY_ACCOUNT_BURST_KB: int(8192, 1, 1_048_576),
  WS_REPLAY_ACCOUNT_KB_PER_SECOND: int(512, 1, 1_048_576),
  /** The built demo app served at /app (`npm run build:web`, run by `npm ci`). */
  WEB_DIR: z.string().default('web/dist'),
  /**
   * Who answers a question sent without a response (README, "Model responses"): `local` (deterministic, no
   * network) or `openai` (any OpenAI-compatible Chat Completions endpoint). Unset: `openai` when
   * OPENAI_BASE_URL or OPENAI_API_KEY is set, else `local`.
   */
  RESPONDER: z.enum(['local', 'openai']).optional(),
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama). Unset: OpenAI's. */
  OPENAI_BASE_URL: optionalUrl,
  /** Secret: never logged. A local endpoint usually needs none. */
  OPENAI_API_KEY: optionalUrl,
  OPENAI_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  /** Upper bound of an answer's tokens (sent as max_tokens); 0: the endpoint's default. */
  OPENAI_MAX_TOKENS: int(0, 0, 1_000_000),
  /** Largest prompt sent to the model, in tokens: system prompt + newest history pairs that fit + question. */
  CONTEXT_TOKEN_BUDGET: int(8192, 256, 2_000_000),
  /** Longest wait for the model to accept a request, and between two chunks of its answer (→ 504). */
  RESPONDER_TIMEOUT_MS: int(30_000, 100, 600_000),
  /** Body limit of import-chat (a ChatGPT conversations.json), in MiB. Other JSON bodies: 1 MiB. */
  IMPORT_MAX_MB: int(32, 1, 1024),
  /**
   * What one import-chat call may hold, whatever its size: conversations (the length of a conversations.json
   * array) and pairs summed over them. It is stored in one transaction; beyond either → 422, nothing stored
   * (import a larger file in parts). A year of heavy use is a few hundred to a few thousand conversations.
   */
  IMPORT_MAX_CONVERSATIONS: int(1_000, 1, 1_000_000),
  IMPORT_MAX_PAIRS: int(100_000, 1, 10_000_000),
  /**
   * Heavy operations (import-chat, export-chat, get-branches, search-messages): at most HEAVY_MAX_PER_ACCOUNT in flight per
   * account (the next → 429 with Retry-After); at most HEAVY_MAX_CONCURRENT running in the process (0: half
   * of DB_POOL_MAX; never more than DB_POOL_MAX - 1, so other requests always find a pooled connection), the
   * next HEAVY_QUEUE_MAX waiting up to HEAVY_QUEUE_TIMEOUT_MS, beyond that → 503 with Retry-After. Per
   * process, like the pools they protect.
   */
  HEAVY_MAX_PER_ACCOUNT: int(2, 1, 1000),
  HEAVY_MAX_CONCURRENT: int(0, 0, 200),
  HEAVY_QUEUE_MAX: int(10, 0, 10_000),
  HEAVY_QUEUE_TIMEOUT_MS: int(10_000, 0, 600_000),
  /** Mounts GET /bench/ceiling (bench/ only): the framework's limit for a body of a given size. */
  BENCH_ROUTES: z.enum(['0', '1']).default('0'),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The responder configured, by the rule documented on RESPONDER. */
export function responderKind(config: Config): 'local' | 'openai' {
  return config.RESPONDER ?? (config.OPENAI_BASE_URL || config.OPENAI_API_KEY ? 'openai' : 'local');
}

/** Heavy operations running at once, by the rule documented on HEAVY_MAX_CONCURRENT. */
export function heavySlots(config: Config): number {
  const ceiling = config.DB_POOL_MAX - 1; // DB_POOL_MAX ≥ 2
  const wanted = config.HEAVY_MAX_CONCURRENT || Math.floor(config.DB_POOL_MAX / 2);
  return Math.min(ceiling, Math.max(1, wanted));
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  const lines = parsed.success
    ? [...redisProblems(parsed.data), ...poolerProblems(parsed.data)]
    : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (!parsed.success || lines.length > 0) throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  return parsed.data;
}

/**
 * A transaction-mode pooler needs a direct connection beside it: the migrations' session-level advisory lock and
 * the change feed's LISTEN cannot go through it (docs/operations.md, "PostgreSQL behind PgBouncer").
 */
function poolerProblems(config: Config): string[] {
  if (config.DATABASE_POOLER !== 'transaction' || !config.DATABASE_URL || config.DATABASE_DIRECT_URL) return [];
  return [
    'DATABASE_DIRECT_URL: required with DATABASE_POOLER=transaction (migrations and the change feed need a direct connection to the primary, not the pooler in DATABASE_URL)',
  ];
}

/** What the Redis settings cannot mean together. */
function redisProblems(config: Config): string[] {
  if (config.REDIS_CLUSTER_NODES.length === 0) return [];
  const problems: string[] = [];
  if (config.REDIS_URL) {
    problems.push(
      'REDIS_URL, REDIS_CLUSTER_NODES: both are set; set REDIS_URL for one Redis server or REDIS_CLUSTER_NODES for a Redis Cluster, not both',
    );
  }
  if (/[{}]/.test(config.CACHE_KEY_PREFIX)) {
    problems.push(
      'CACHE_KEY_PREFIX: must not contain { or } on a Redis Cluster (a hash tag in the prefix would put every key in one slot)',
    );
  }
  return problems;
}
