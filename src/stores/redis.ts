/**
 * The Redis connections of the cache and of the rate limits: one server (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES, through ioredis' Cluster client). Either way configured never to be a single point of
 * failure: commands time out quickly, nothing queues while disconnected (a command fails at once instead), no
 * command is retried (nor, on a cluster, re-sent to another node after a connection loss: the caller fails open),
 * and the client reconnects in the background.
 *
 * What works on a cluster: every command branchat sends touches one key (GET and SET of the cache, the limiters'
 * one-key Lua script and one-key MULTIs), so none can cross slots; the cache's keys of one tree carry the tree as
 * hash tag (src/http/cache-keys.ts) so they live on one master. Nothing is found by pattern (versioned keys), and
 * nothing is published: events go through PostgreSQL (src/events/pg.feed.ts).
 */
import { Cluster, Redis } from 'ioredis';

export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; password?: string; username?: string };

export type RedisClient = Redis | Cluster;

/** `host:port` (a name, an IPv4 address, or an IPv6 address in brackets) → its parts; null if it is not one. */
export function parseNode(entry: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** Where Redis is, from the configuration (loadConfig has rejected both being set); null → no Redis. */
export function redisTarget(config: {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES: string[];
  REDIS_CLUSTER_USERNAME?: string;
  REDIS_CLUSTER_PASSWORD?: string;
}): RedisTarget | null {
  if (config.REDIS_CLUSTER_NODES.length > 0) {
    return {
      kind: 'cluster',
      nodes: config.REDIS_CLUSTER_NODES.map((n) => parseNode(n) as { host: string; port: number }),
      ...(config.REDIS_CLUSTER_USERNAME ? { username: config.REDIS_CLUSTER_USERNAME } : {}),
      ...(config.REDIS_CLUSTER_PASSWORD ? { password: config.REDIS_CLUSTER_PASSWORD } : {}),
    };
  }
  return config.REDIS_URL ? { kind: 'server', url: config.REDIS_URL } : null;
}

export interface OpenRedisOptions {
  /** A command not answered within this is abandoned (a miss for the cache, the in-memory count for limits). */
  commandTimeoutMs?: number;
  /** Prepended to every key by the client (CACHE_KEY_PREFIX for the cache). */
  keyPrefix?: string;
}

/** Reconnect forever in the background, backing off to 2 s. */
const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

export function openRedis(target: RedisTarget, options: OpenRedisOptions = {}): RedisClient {
  const perConnection = {
    commandTimeout: options.commandTimeoutMs ?? 150,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  };
  if (target.kind === 'server') {
    return new Redis(target.url, {
      ...perConnection,
      enableOfflineQueue: false,
      retryStrategy: backoff,
      lazyConnect: false,
    });
  }
  return new Cluster(target.nodes, {
    enableOfflineQueue: false,
    // All nodes lost: rediscover the cluster from the startup nodes, backing off to 2 s.
    clusterRetryStrategy: backoff,
    // A node's connection lost (a master killed): no command waits for it. Without these, ioredis would retry a
    // command every 100 ms up to 16 times while a failover runs; here it fails at once (the caller fails open)
    // and the slots are read again below, or at the next MOVED reply, once a replica has taken over.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 0,
    maxRedirections: 4,
    slotsRefreshTimeout: 1000,
    slotsRefreshInterval: 2000,
    redisOptions: {
      ...perConnection,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
    },
  });
}

/** Resolves true once the client is ready, false after `timeoutMs` (it keeps connecting in the background). */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}
