/**
 * In-process LRU with TTLs, bounded by entries and by bytes. The whole cache of the embedded default (no
 * REDIS_URL), and the first tier in front of Redis (safe because every key carries the tree version read
 * fresh from PostgreSQL: an entry can be evicted or expire, never go stale).
 */
import type { CacheStore } from './cache.js';

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly errors = 0;
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expires <= this.now()) {
      this.remove(key);
      return null;
    }
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.remove(key);
    // JavaScript strings are UTF-16: two bytes per code unit is the in-memory cost.
    const size = value.length * 2;
    if (size > this.maxBytes || this.maxEntries === 0) return;
    this.entries.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
    this.bytes += size;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  private remove(key: string) {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.value.length * 2;
  }

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  health(): 'ok' {
    return 'ok';
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
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
