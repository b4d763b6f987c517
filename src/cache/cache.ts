/**
 * The read-through cache. Entries are keyed by account, tree and the tree's version (bumped in the same
 * PostgreSQL transaction as every write to the tree), so a write makes the next read a miss without any
 * key hunting, and several processes sharing one Redis agree because the version lives in the database.
 * TTLs are only a backstop for memory.
 *
 * Fail-open: a cache that errors or times out is treated as a miss (and not written); the request is
 * served from the databases. Single-flight: concurrent misses of one key in a process share one load.
 */
import type { ReadCache } from '../domain/ports.js';
import type { Logger } from '../logger.js';

/** A byte-string key-value store with TTLs: Redis, or an in-process LRU. Never throws. */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** null on a miss and on any error (counted as an error, then treated as a miss). */
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** 'degraded' while the backing server does not answer. */
  health(): 'ok' | 'degraded';
  /** Failed operations so far (each was served as a miss). */
  readonly errors: number;
  close(): Promise<void>;
}

export interface CacheCounters {
  hit: number;
  miss: number;
  error: number;
  load: number;
}

export class ReadThroughCache implements ReadCache {
  private readonly counts = { hit: 0, miss: 0, load: 0 };
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    readonly store: CacheStore,
    private readonly log: Logger,
    private readonly ttlSeconds = 600,
    /** Larger values are served but not stored (a 1,000-pair page can be megabytes). */
    private readonly maxEntryBytes = 1024 * 1024,
  ) {}

  get counters(): CacheCounters {
    return { ...this.counts, error: this.store.errors };
  }

  /**
   * The value under `key`, loading (once per process for concurrent callers) and storing it on a miss.
   * Values are JSON; `revive` restores what JSON cannot carry (dates).
   */
  async get<T>(key: string, load: () => Promise<T>, revive: (raw: unknown) => T): Promise<T> {
    const cached = await this.store.get(key);
    if (cached !== null) {
      this.counts.hit++;
      this.log.debug({ key, cache: 'hit' }, 'cache');
      return revive(JSON.parse(cached));
    }
    this.counts.miss++;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = (async () => {
        this.counts.load++;
        this.log.debug({ key, cache: 'miss' }, 'cache');
        const json = JSON.stringify(await load());
        if (json.length <= this.maxEntryBytes) await this.store.set(key, json, this.ttlSeconds);
        return json;
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return revive(JSON.parse(await pending));
  }
}
