/**
 * Redis through ioredis, configured never to be a single point of failure: commands time out quickly,
 * nothing queues while disconnected (a command fails at once instead), retries are bounded, and the client
 * reconnects in the background. Every failure is a miss for the caller.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { CacheStore } from './cache.js';

export interface RedisCacheOptions {
  url: string;
  log: Logger;
  commandTimeoutMs?: number;
  keyPrefix?: string;
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private lastWarn = 0;
  errors = 0;

  constructor(private readonly options: RedisCacheOptions) {
    this.client = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs ?? 150,
      connectTimeout: 1000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      keyPrefix: options.keyPrefix ?? 'branchat:',
      // Reconnect forever in the background, backing off to 2 s.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      lazyConnect: false,
    });
    // Without a listener ioredis prints every connection error; log them, rate-limited.
    this.client.on('error', (e) => this.warn(e));
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
      this.errors++;
      this.warn(e);
      return null;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.client.set(key, value, 'EX', ttlSeconds);
    } catch (e) {
      this.errors++;
      this.warn(e);
    }
  }

  health(): 'ok' | 'degraded' {
    return this.client.status === 'ready' ? 'ok' : 'degraded';
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
