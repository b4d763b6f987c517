/**
 * In-process LRU with TTLs, bounded by entries and by bytes. The whole cache of the embedded default (no
 * REDIS_URL), and the first tier in front of Redis (safe because every key carries the tree version read
 * fresh from PostgreSQL: an entry can be evicted or expire, never go stale).
 */
import { LRUCache } from 'lru-cache';
import type { CacheStore } from './cache.js';

/** JavaScript strings are UTF-16: two bytes per code unit is the in-memory cost (at least 1: lru-cache's rule). */
const bytesOf = (value: string) => Math.max(1, value.length * 2);

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly errors = 0;
  readonly timeouts = 0;
  readonly lastError = null;
  /** lru-cache: LRU order, the entry and byte budgets, per-entry TTLs. null: stores nothing (maxEntries 0). */
  private readonly lru: LRUCache<string, string> | null;

  constructor(maxEntries = 10_000, maxBytes = 64 * 1024 * 1024, now?: () => number) {
    this.lru =
      maxEntries > 0 && maxBytes > 0
        ? new LRUCache<string, string>({
            max: maxEntries,
            maxSize: maxBytes,
            sizeCalculation: bytesOf,
            // A test's clock; read at every check (by default lru-cache keeps a reading for 1 ms).
            ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
          })
        : null;
  }

  async get(key: string): Promise<string | null> {
    return this.lru?.get(key) ?? null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!this.lru) return;
    // lru-cache drops (and does not store) an entry larger than the whole budget; one that would expire at once
    // is not stored either (a ttl of 0 is "forever" to lru-cache).
    if (ttlSeconds <= 0) this.lru.delete(key);
    else this.lru.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get sizeBytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  health(): 'ok' {
    return 'ok';
  }

  async close(): Promise<void> {
    this.lru?.clear();
  }
}

/**
 * Two tiers: this process's LRU, then the shared store (Redis). A shared hit fills the local tier; a
 * set writes both. Health and errors are the shared store's.
 */
export class TieredCacheStore implements CacheStore {
  readonly kind: CacheStore['kind'];

  constructor(
    private readonly local: MemoryCacheStore,
    private readonly shared: CacheStore,
    private readonly localTtlSeconds = 60,
  ) {
    this.kind = shared.kind;
  }

  get errors(): number {
    return this.shared.errors;
  }

  get timeouts(): number {
    return this.shared.timeouts;
  }

  get lastError(): string | null {
    return this.shared.lastError;
  }

  async get(key: string): Promise<string | null> {
    const near = await this.local.get(key);
    if (near !== null) return near;
    const far = await this.shared.get(key);
    if (far !== null) await this.local.set(key, far, this.localTtlSeconds);
    return far;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.local.set(key, value, Math.min(ttlSeconds, this.localTtlSeconds));
    await this.shared.set(key, value, ttlSeconds);
  }

  health(): 'ok' | 'degraded' {
    return this.shared.health();
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.shared.close();
  }
}
