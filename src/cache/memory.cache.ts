/** In-process LRU with TTLs: the cache of the embedded default (no REDIS_URL). */
import type { CacheStore } from './cache.js';

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly errors = 0;
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  health(): 'ok' {
    return 'ok';
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
