/** Prometheus metrics: cache hit/miss/error/load counts and the process defaults (GET /metrics). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CacheCounters } from '../../cache/cache.js';
import type { ChatRowMemory } from '../../cache/chat-rows.js';
import { parseIp, TrustedProxies } from '../../limits/client-address.js';
import { clientAddress } from '../../runtime.js';
import type { AppBindings } from '../app-types.js';
import { bearerToken } from '../middleware/auth.js';

export function createMetrics(counters: () => CacheCounters, memory?: ChatRowMemory): Registry {
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
  if (memory) {
    new Counter({
      name: 'branchat_chat_rows_memory_hits_total',
      help: 'Chat rows answered from memory under the read lease (no PostgreSQL round trip)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(memory.hits);
      },
    });
    new Gauge({
      name: 'branchat_read_lease',
      help: '1 while this process holds a read lease (answers chat rows from memory), else 0',
      registers: [registry],
      collect() {
        this.set(memory.leased() ? 1 : 0);
      },
    });
  }
  return registry;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Loopback, by the address parser the rate limits use (every spelling, IPv4-mapped included). */
const LOOPBACK = new TrustedProxies(['127.0.0.0/8', '::1']);
const isLoopback = (address: string) => {
  const ip = parseIp(address);
  return ip !== null && LOOPBACK.trusts(ip);
};

/** A proxy on the same host would make every outside scrape look local: a forwarded request is never. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Who may read /metrics (METRICS_TOKEN in config.ts): with a token, only a request bearing it (401 otherwise);
 * without one, only a direct request from loopback (404 otherwise, as if there were no such route).
 */
export async function metricsAccess(c: Context<AppBindings>, token: string | undefined): Promise<401 | 404 | 'ok'> {
  if (token !== undefined) {
    const given = bearerToken(c.req.header('Authorization'));
    // Hashes have one length, so the comparison takes the same time whatever was sent.
    return given !== undefined && timingSafeEqual(digest(given), digest(token)) ? 'ok' : 401;
  }
  if (FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined)) return 404;
  return isLoopback(await clientAddress(c)) ? 'ok' : 404;
}
