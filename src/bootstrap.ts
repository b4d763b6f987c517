/**
 * Composition root: builds the long-lived things (database, ORM, stores, services) once, from config.
 * Used by the server process and by the integration tests, so both run the same wiring.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { createPasswordHasher } from './auth/password.js';
import { resolveJwtSecret } from './auth/secret.js';
import { TokenService } from './auth/tokens.js';
import { type CacheStore, ReadThroughCache } from './cache/cache.js';
import { ChatRowMemory } from './cache/chat-rows.js';
import { MemoryCacheStore, TieredCacheStore } from './cache/memory.cache.js';
import { RedisCacheStore } from './cache/redis.cache.js';
import { type Config, responderKind } from './config.js';
import type { Deps } from './domain/context.js';
import type { ContentStore, Responder } from './domain/ports.js';
import type { EventFeed } from './events/events.js';
import { PostgresEventFeed } from './events/pg.feed.js';
import { encodeChange } from './http/events/event-json.js';
import { BackgroundJobs } from './jobs/background.job.js';
import { createLimiters, type LimiterFactory } from './limits/limiters.js';
import type { Logger } from './logger.js';
import { observeFastSql, traceResponder } from './observability/instrument.js';
import { LocalResponder } from './responders/local.responder.js';
import { PostgresContentStore } from './stores/content/postgres-content.store.js';
import { IdempotencyStore } from './stores/idempotency.store.js';
import { PostgresMetadataStore } from './stores/metadata/postgres-metadata.store.js';
import { PostgresShareStore } from './stores/metadata/shares.store.js';
import { openFastSql } from './stores/pg-fast.js';
import { pgDb } from './stores/pg-tx.js';
import { migrate, openPostgres } from './stores/postgres.js';
import { redisTarget } from './stores/redis.js';
import { PostgresReplicaReads } from './stores/replica.js';

export interface Services {
  deps: Deps;
  tokens: TokenService;
  orm: MikroORM;
  cache: ReadThroughCache;
  idempotency: IdempotencyStore;
  /** The change feed of tree events (PostgreSQL LISTEN/NOTIFY over the event log); null with EVENTS=off. */
  events: EventFeed | null;
  /**
   * Where the rate limits count: Redis (shared by every process) when REDIS_URL or REDIS_CLUSTER_NODES is set,
   * else in process.
   */
  limits: LimiterFactory;
  /** Chat rows answered from memory (null: every read asks PostgreSQL): for /metrics. */
  memoryReads: ChatRowMemory | null;
  /** Work after the answer (automatic titles): waited for briefly by close(), then abandoned. */
  background: BackgroundJobs;
  close(): Promise<void>;
}

export async function openServices(config: Config, log: Logger): Promise<Services> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) {
      await fn().catch((e) => log.warn({ err: e }, 'error while closing'));
    }
  };
  try {
    const secret = resolveJwtSecret(config, log);

    let url = config.DATABASE_URL;
    // Sessions of their own (LISTEN, the migrations' advisory lock): never through a transaction-mode pooler.
    let directUrl = config.DATABASE_DIRECT_URL ?? url;
    if (!url) {
      // Loaded only when needed: deployments with DATABASE_URL do not ship the PostgreSQL binaries.
      const { startEmbeddedPostgres } = await import('./stores/embedded-postgres.js');
      const embedded = await startEmbeddedPostgres({
        dataDir: config.DATA_DIR,
        port: config.EMBEDDED_PG_PORT,
        log,
      });
      closers.push(() => embedded.stop());
      url = embedded.url;
      directUrl = url;
    }
    const pooler = config.DATABASE_POOLER === 'transaction';

    const applied = await migrate(directUrl as string);
    const orm = await openPostgres({ url, poolMax: config.DB_POOL_MAX, pooler });
    closers.push(() => orm.close());
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    if (pooler) await warnWithoutTimeouts(orm, log);

    let replica: PostgresReplicaReads | undefined;
    if (config.DATABASE_READ_URL) {
      // The replica's pool: its own size (heavy reads only); no pooler assumptions unless DATABASE_POOLER says so.
      const replicaOrm = await openPostgres({ url: config.DATABASE_READ_URL, poolMax: config.DB_POOL_MAX, pooler });
      closers.push(() => replicaOrm.close());
      replica = new PostgresReplicaReads(orm, replicaOrm, { waitMs: config.DATABASE_READ_WAIT_MS, log });
      closers.push(async () => replica?.close());
    }

    let content: ContentStore;
    if (config.MONGO_URL) {
      // Loaded only when configured (the driver and its ODM take ~45 MB of memory).
      const { MongoContentStore } = await import('./stores/content/mongo-content.store.js');
      const mongo = await MongoContentStore.connect({
        url: config.MONGO_URL,
        dbName: config.MONGO_DB,
        poolMax: config.DB_POOL_MAX,
        serverSelectionTimeoutMs: config.MONGO_TIMEOUT_MS,
        searchLanguage: config.SEARCH_LANGUAGE,
      });
      closers.push(() => mongo.close());
      content = mongo;
    } else {
      content = new PostgresContentStore(orm, config.SEARCH_LANGUAGE);
    }
    log.info(
      {
        metadata: config.DATABASE_URL ? 'postgresql' : 'embedded-postgresql',
        content: content.name,
        ...(pooler ? { pooler: 'transaction' } : {}),
        ...(replica ? { read_replica: true } : {}),
      },
      'stores ready',
    );

    // One Redis server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES); loadConfig refused both.
    const redis = redisTarget(config);
    const cacheStore: CacheStore =
      config.CACHE_MODE === 'off'
        ? new MemoryCacheStore(0) // stores nothing: every read is a load
        : redis
          ? new TieredCacheStore(
              new MemoryCacheStore(10_000, config.CACHE_LOCAL_MAX_MB * 1024 * 1024),
              new RedisCacheStore({ target: redis, log, keyPrefix: config.CACHE_KEY_PREFIX }),
            )
          : new MemoryCacheStore(10_000, config.CACHE_LOCAL_MAX_MB * 1024 * 1024);
    closers.push(() => cacheStore.close());
    const cache = new ReadThroughCache(cacheStore, log, config.CACHE_TTL_SECONDS);
    log.info(
      { cache: config.CACHE_MODE === 'off' ? 'off' : cacheStore.kind, ...(redis ? { redis: redis.kind } : {}) },
      'cache ready',
    );

    let events: EventFeed | null = null;
    if (config.EVENTS === 'on') {
      // NOTIFYs and acks on a connection of their own (Bun's client; none under Node: the LISTEN connection's).
      const notifier = observeFastSql(
        openFastSql(directUrl as string, 1, { synchronous_commit: 'off', application_name: 'branchat-notify' }),
        'bun-sql-notify',
        1,
      );
      if (notifier) closers.push(() => notifier.close());
      const feed = await PostgresEventFeed.start({
        url: directUrl as string,
        db: () => pgDb(orm),
        log,
        retention: config.EVENTS_RETENTION,
        maxAgeMs: config.EVENTS_RETENTION_HOURS * 3_600_000,
        // With the cache on, chat rows are answered from memory under a read lease (src/cache/chat-rows.ts).
        lease: config.CACHE_MODE !== 'off',
        leaseMs: config.READ_LEASE_MS,
        notifier,
      });
      closers.push(() => feed.close());
      events = feed;
    }
    log.info({ events: events ? events.kind : 'off' }, 'events ready');

    const limits = createLimiters(config, log);
    closers.push(() => limits.close());
    // A Redis that does not answer within a second does not hold the start up: limits count in process meanwhile.
    const shared = await limits.ready(1000);
    log.info({ limits: limits.kind, ...(shared ? {} : { connected: false }) }, 'rate limits ready');

    // With tracing on, each answer is a span (observability/instrument.ts).
    const responder = traceResponder(await createResponder(config), responderKind(config));
    log.info(
      { responder: responderKind(config), model: responder.model, context_tokens: config.CONTEXT_TOKEN_BUDGET },
      'responder ready',
    );

    const clock = () => new Date();
    const meta = new PostgresMetadataStore(
      orm,
      clock,
      events instanceof PostgresEventFeed
        ? {
            encode: encodeChange,
            retention: config.EVENTS_RETENTION,
            committed: (root, seq) => (events as PostgresEventFeed).committed(root, seq),
          }
        : null,
    );
    // Content in PostgreSQL: its write joins the metadata's in one server-side function call.
    meta.onePassWrites = content instanceof PostgresContentStore;
    // Under Bun, the hot statements (chat-row reads, the write functions) go through Bun's own client.
    // Half the pool's size: these statements are short (the pool of `pg` keeps the transactions and the rest).
    const fastMax = Math.max(2, Math.ceil(config.DB_POOL_MAX / 2));
    const fast = observeFastSql(openFastSql(url, fastMax, undefined, { prepare: !pooler }), 'bun-sql', fastMax);
    if (fast) {
      meta.fast = fast;
      if (content instanceof PostgresContentStore) content.fast = fast;
      closers.push(() => fast.close());
    }
    let memoryReads: ChatRowMemory | null = null;
    if (events instanceof PostgresEventFeed && config.CACHE_MODE !== 'off') {
      const feed = events;
      const rows = new ChatRowMemory(() => feed.memoryReads());
      feed.onCommit((root, seq) => rows.invalidate(root, seq));
      meta.rowMemory = rows;
      memoryReads = rows;
    }
    // Closed first (closers run in reverse): running titles may still write while the stores are open.
    const background = new BackgroundJobs(log);
    closers.push(() => background.close());
    const deps: Deps = {
      meta,
      content,
      shares: new PostgresShareStore(orm),
      responder,
      generation: { contextTokens: config.CONTEXT_TOKEN_BUDGET, timeoutMs: config.RESPONDER_TIMEOUT_MS },
      imports: {
        maxConversations: config.IMPORT_MAX_CONVERSATIONS,
        maxPairs: config.IMPORT_MAX_PAIRS,
        maxTextBytes: config.IMPORT_MAX_MB * 1024 * 1024,
      },
      hasher: createPasswordHasher(),
      background,
      clock,
      newId: () => uuidv7(),
      replica,
    };
    return {
      deps,
      tokens: new TokenService(secret, config.JWT_TTL_SECONDS),
      orm,
      cache,
      idempotency: new IdempotencyStore(orm, { leaseSeconds: config.IDEMPOTENCY_LEASE_SECONDS }),
      events,
      limits,
      memoryReads,
      background,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The responder chosen by configuration (README, "Model responses"); the OpenAI client is loaded only if chosen. */
export async function createResponder(config: Config): Promise<Responder> {
  if (responderKind(config) === 'local') return new LocalResponder();
  const { OpenAIResponder } = await import('./responders/openai.responder.js');
  return new OpenAIResponder({
    baseURL: config.OPENAI_BASE_URL,
    apiKey: config.OPENAI_API_KEY,
    model: config.OPENAI_MODEL,
    timeoutMs: config.RESPONDER_TIMEOUT_MS,
    maxTokens: config.OPENAI_MAX_TOKENS || undefined,
  });
}

/**
 * Behind a transaction-mode pooler the timeouts are set per transaction (stores/postgres.ts); a statement outside a
 * transaction runs with the server's. Says so when the server's statement_timeout is off (docs/operations.md).
 */
async function warnWithoutTimeouts(orm: MikroORM, log: Logger): Promise<void> {
  const r = await sql<{ t: string }>`select current_setting('statement_timeout') as t`.execute(pgDb(orm));
  if (r.rows[0]?.t === '0') {
    log.warn(
      'DATABASE_POOLER=transaction: statements outside transactions have no statement_timeout; set one on the ' +
        "database role (ALTER ROLE … SET statement_timeout = '30s') or in the pooler's connect_query",
    );
  }
}
