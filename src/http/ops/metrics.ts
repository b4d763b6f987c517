/** Prometheus metrics: cache hit/miss/error/load counts and the process defaults (GET /metrics). */
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { CacheCounters } from '../../cache/cache.js';

export function createMetrics(counters: () => CacheCounters): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'branchat_' });
  for (const outcome of ['hit', 'miss', 'error', 'load'] as const) {
    new Counter({
      name: `branchat_cache_${outcome}_total`,
      help: {
        hit: 'Cache reads answered from the cache',
        miss: 'Cache reads not found in the cache',
        error: 'Cache operations that failed (served from the databases)',
        load: 'Loads from the databases after a miss (one per key per process under concurrency)',
      }[outcome],
      registers: [registry],
      // Read the live count at scrape time.
      collect() {
        this.reset();
        this.inc(counters()[outcome]);
      },
    });
  }
  return registry;
}
