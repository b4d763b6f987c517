/**
 * Where rate limits count: in Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, so that every process on that
 * Redis shares one budget per key (N replicas allow the limit, not N × it); in process otherwise. On a cluster
 * each key is counted on the master of its slot: the limiter's commands (a one-key Lua script, one-key MULTIs)
 * never span two keys, so no hash tag is needed and the keys spread over every master.
 *
 * Redis must not be a single point of failure for writes: every Redis limiter is insured by an in-memory
 * one with the same points and window. While Redis is down, unreachable or slow (a command is abandoned
 * after 150 ms; while the connection is not ready Redis is not even tried), each process counts on its own,
 * so an outage relaxes a limit to N × it across N replicas for its duration, never to no limit at all.
 * Counts made in memory during an outage are not carried back into Redis.
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';
import { openRedis, type RedisTarget, redisTarget, whenReady } from '../stores/redis.js';

export interface LimiterFactory {
  readonly kind: 'redis' | 'memory';
  /**
   * A fixed-window limiter of `points` per `windowSeconds`. With Redis, every limiter of the same `name`
   * (in any process on that Redis and key prefix) counts in the same keys; in memory, each is its own.
   */
  create(name: string, points: number, windowSeconds: number): RateLimiterAbstract;
  /**
   * Resolves once the store answers, or after `timeoutMs` (then limits count in process until it does). At
   * start, so that the first requests are not counted in process only because the connection was still opening.
   */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function memoryLimiters(): LimiterFactory {
  return {
    kind: 'memory',
    create: (name, points, windowSeconds) =>
      new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix: name }),
    ready: async () => true,
    close: async () => {},
  };
}

export interface RedisLimitersOptions {
  /** A URL (one server) or the target of src/stores/redis.ts (a server or a cluster). */
  target: string | RedisTarget;
  /** CACHE_KEY_PREFIX: keys are `<prefix>limit:<name>:<key>`. */
  keyPrefix: string;
  log: Logger;
  commandTimeoutMs?: number;
}

export function redisLimiters(options: RedisLimitersOptions): LimiterFactory {
  // Its own connection (the cache's commands never queue behind a limit check, nor the other way round),
  // configured like the cache's: nothing queues while disconnected, bounded waits, reconnects forever.
  const target: RedisTarget =
    typeof options.target === 'string' ? { kind: 'server', url: options.target } : options.target;
  const client = openRedis(target, { commandTimeoutMs: options.commandTimeoutMs ?? 150 });
  let lastWarn = 0;
  const warn = (e: unknown) => {
    const now = Date.now();
    if (now - lastWarn < 10_000) return;
    lastWarn = now;
    options.log.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'redis unavailable for rate limits; counting in process until it is back',
    );
  };
  client.on('error', warn);
  client.on('node error', warn);
  return {
    kind: 'redis',
    create: (name, points, windowSeconds) => {
      const keyPrefix = `${options.keyPrefix}limit:${name}`;
      return new RateLimiterRedis({
        storeClient: client,
        points,
        duration: windowSeconds,
        keyPrefix,
        rejectIfRedisNotReady: true,
        // A key over its limit is refused from memory until its window ends: a client hammering past
        // the limit costs no Redis round trip.
        inMemoryBlockOnConsumed: points + 1,
        insuranceLimiter: new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix }),
      });
    },
    ready: (timeoutMs) => whenReady(client, timeoutMs),
    close: async () => {
      client.disconnect();
    },
  };
}

export function createLimiters(
  config: Parameters<typeof redisTarget>[0] & { CACHE_KEY_PREFIX: string },
  log: Logger,
): LimiterFactory {
  const target = redisTarget(config);
  return target ? redisLimiters({ target, keyPrefix: config.CACHE_KEY_PREFIX, log }) : memoryLimiters();
}
