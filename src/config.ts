/**
 * Environment → typed configuration, in one place. Everything has an embedded default so that
 * `npm start` works on a machine with nothing but Node and npm.
 */
import { z } from 'zod';

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

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
  /** PostgreSQL for metadata (and content when MONGO_URL is unset). Unset → embedded PostgreSQL. */
  DATABASE_URL: optionalUrl,
  /** MongoDB for message content. Unset → content lives in PostgreSQL. */
  MONGO_URL: optionalUrl,
  MONGO_DB: z.string().default('branchat'),
  /** How long a MongoDB operation waits for a reachable server before the request fails with 503. */
  MONGO_TIMEOUT_MS: int(5_000, 100, 120_000),
  /** Redis for the shared cache. Unset → in-process cache. */
  REDIS_URL: optionalUrl,
  /** auto: Redis when REDIS_URL is set, else in-process. off: no cache (benchmarks, debugging). */
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
  DB_POOL_MAX: int(10, 1, 200),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated list of allowed CORS origins. Empty → no CORS headers at all. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  LOGIN_MAX_FAILURES: int(10, 1, 10_000),
  LOGIN_WINDOW_SECONDS: int(900, 1, 86_400),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 600_000),
  /**
   * Writes (POST, PUT, PATCH, DELETE on the protected routes) allowed per account per
   * WRITE_RATE_WINDOW_SECONDS; past it, 429 with Retry-After. 0 turns the limit off. Counted per process
   * (in memory): N instances allow up to N × the limit.
   */
  WRITE_RATE_LIMIT: int(600, 0, 1_000_000),
  WRITE_RATE_WINDOW_SECONDS: int(60, 1, 86_400),
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
  /** Events kept per conversation tree for resume (Redis stream, or in process without Redis). */
  EVENTS_RETENTION: int(1000, 1, 100_000),
  /** A socket whose unsent events exceed this is disconnected (close 1008): slow consumers. */
  WS_MAX_BUFFER_KB: int(1024, 16, 15_360), // below Bun's own 16 MiB backpressure limit
  /** Trees one socket may subscribe to. */
  WS_MAX_SUBSCRIPTIONS: int(100, 1, 10_000),
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
  /** Mounts GET /bench/ceiling (bench/ only): the framework's limit for a body of a given size. */
  BENCH_ROUTES: z.enum(['0', '1']).default('0'),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The responder configured, by the rule documented on RESPONDER. */
export function responderKind(config: Config): 'local' | 'openai' {
  return config.RESPONDER ?? (config.OPENAI_BASE_URL || config.OPENAI_API_KEY ? 'openai' : 'local');
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
