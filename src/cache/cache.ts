/**
 * The read-through cache. Entries are keyed by account, tree and the tree's version (bumped in the same
 * PostgreSQL transaction as every write to the tree), so a write makes the next read a miss without any
 * key hunting, and several processes sharing one Redis agree because the version lives in the database.
 * TTLs are only a backstop for memory.
 *
 * Fail-open: a cache that errors or times out is treated as a miss (and not written); the request is
 * served from the databases. Single-flight: concurrent misses of one key in a process share one load.
 */
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
  /** Of `errors`, the commands that outlived their timeout (a slow or starved server, not a refusal). */
  readonly timeouts: number;
  /** The message of the latest failure, or null (what a test prints when it counts one). */
  readonly lastError: string | null;
  close(): Promise<void>;
}

export interface CacheCounters {
  hit: number;
  miss: number;
  error: number;
  load: number;
}

/** What readers use: the text under `key`, produced by `load` (once per process at a time) on a miss. */
export interface ReadCache {
  text(key: string, load: () => Promise<string>): Promise<string>;
}

/** No caching: every read loads (CACHE_MODE=off, and the "truth" side of cache tests). */
export const noCache: ReadCache = { text: (_key, load) => load() };

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
   * The text under `key`; on a miss, loads it (concurrent callers in this process share one load) and
   * stores it. Values are stored as produced, e.g. a serialised response body, so a hit costs no parsing.
   */
  async text(key: string, load: () => Promise<string>): Promise<string> {
    const cached = await this.store.get(key);
    if (cached !== null) {
      this.counts.hit++;
      this.log.debug({ key, cache: 'hit' }, 'cache');
      return cached;
    }
    this.counts.miss++;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = (async () => {
        this.counts.load++;
        this.log.debug({ key, cache: 'miss' }, 'cache');
        const value = await load();
        if (value.length <= this.maxEntryBytes) await this.store.set(key, value, this.ttlSeconds);
        return value;
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }
}
