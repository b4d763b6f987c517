/**
 * Redis (one server or a cluster) through ioredis, configured never to be a single point of failure
 * (src/stores/redis.ts): commands time out quickly, nothing queues while disconnected (a command fails at once
 * instead), nothing is retried, and the client reconnects in the background. Every failure is a miss for the
 * caller. Only GET and SET of one key: nothing here can cross a cluster's slots.
 */
import type { Logger } from '../logger.js';
import { openRedis, type RedisClient, type RedisTarget } from '../stores/redis.js';
import type { CacheStore } from './cache.js';

export interface RedisCacheOptions {
  /** A URL (one server) or the target of src/stores/redis.ts (a server or a cluster). */
  target: string | RedisTarget;
  log: Logger;
  commandTimeoutMs?: number;
  keyPrefix?: string;
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: RedisClient;
  private lastWarn = 0;
  errors = 0;
  /** Of `errors`, the commands that outlived the command timeout (a slow or starved server, not a refusal). */
  timeouts = 0;
  /** The message of the latest failure (what a test prints when it counts one). */
  lastError: string | null = null;

  constructor(private readonly options: RedisCacheOptions) {
    const target: RedisTarget =
      typeof options.target === 'string' ? { kind: 'server', url: options.target } : options.target;
    this.client = openRedis(target, {
      commandTimeoutMs: options.commandTimeoutMs ?? 150,
      keyPrefix: options.keyPrefix ?? 'branchat:',
    });
    // Without a listener ioredis prints every connection error; log them, rate-limited.
    this.client.on('error', (e: unknown) => this.warn(e));
    // A cluster's node lost (its slots fail over to a replica meanwhile): the same warning.
    this.client.on('node error', (e: unknown) => this.warn(e));
  }

  private failed(e: unknown) {
    this.errors++;
    this.lastError = e instanceof Error ? e.message : String(e);
    if (/timed out/i.test(this.lastError)) this.timeouts++;
    this.warn(e);
  }

  private warn(e: unknown) {
    const now = Date.now();
    if (now - this.lastWarn > 10_000) {
      this.lastWarn = now;
      this.options.log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'redis cache unavailable; serving from the databases',
      );
    }
  }

  async get(key: string): Promise<string | null> {
    try {
      return await this.client.get(key);
    } catch (e) {
      this.failed(e);
      return null;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.client.set(key, value, 'EX', ttlSeconds);
    } catch (e) {
      this.failed(e);
    }
  }

  health(): 'ok' | 'degraded' {
    return this.client.status === 'ready' ? 'ok' : 'degraded';
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
