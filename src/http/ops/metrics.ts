/**
 * Prometheus metrics (GET /metrics; docs/observability.md lists them): HTTP requests per route template and
 * status, the database pools, event fan-out, cache hit/miss/error/load counts and the process defaults.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheCounters } from '../../cache/cache.js';
import type { ChatRowMemory } from '../../cache/chat-rows.js';
import type { EventHub } from '../../events/events.hub.js';
import { parseIp, TrustedProxies } from '../../limits/client-address.js';
import { type PoolReading, poolReadings, replicaReadings } from '../../observability/pools.js';
import { clientAddress } from '../../runtime.js';
import type { AppBindings } from '../app-types.js';
import { bearerToken } from '../middleware/auth.js';

export function createMetrics(counters: () => CacheCounters, memory?: ChatRowMemory, hub?: EventHub): Registry {
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
  if (hub) eventMetrics(registry, hub);
  poolMetrics(registry);
  new Counter({
    name: 'branchat_replica_reads_total',
    help:
      'Reads that may go to the read replica (DATABASE_READ_URL), by outcome: replica (served there), lagging ' +
      '(it had not replayed the primary position in time: primary), failed (it failed: primary)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const r = replicaReadings();
      if (!r) return;
      for (const outcome of ['replica', 'lagging', 'failed'] as const) this.inc({ outcome }, r[outcome]);
    },
  });
  return registry;
}

/** Event fan-out (events/events.hub.ts): live counts read at scrape time. */
function eventMetrics(registry: Registry, hub: EventHub): void {
  const counts = hub.counts;
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('branchat_events_delivered_total', 'Tree events sent to sockets (live and replayed)', () => counts.delivered);
  counter(
    'branchat_events_resync_total',
    'resync frames sent: events a socket was not sent (not retained, over its replay budget, log unreachable); it reloads',
    () => counts.resyncs,
  );
  counter(
    'branchat_events_slow_consumer_closed_total',
    'Sockets closed (1008) for not reading their events: what was still unsent to them is dropped',
    () => counts.slowConsumers,
  );
  new Gauge({
    name: 'branchat_event_sockets',
    help: 'Event sockets open in this process',
    registers: [registry],
    collect() {
      this.set(hub.size);
    },
  });
}

/** The database pools of the process (observability/pools.ts), per `pool`: pg, bun-sql, bun-sql-notify. */
function poolMetrics(registry: Registry): void {
  const gauge = (name: string, help: string, read: (r: PoolReading) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [pool, reading] of poolReadings()) {
          const v = read(reading);
          if (v !== null) this.set({ pool }, v);
        }
      },
    });
  gauge('branchat_db_pool_max', 'Connections the pool may open', (r) => r.max);
  gauge('branchat_db_pool_open', 'Connections open (pg)', (r) => r.open);
  gauge('branchat_db_pool_idle', 'Open connections not in use (pg)', (r) => r.idle);
  gauge('branchat_db_pool_waiting', 'Requests waiting for a connection (pg)', (r) => r.waiting);
  gauge(
    'branchat_db_pool_in_flight',
    "Statements sent and not answered yet (Bun's client, which reports nothing of its pool)",
    (r) => r.inFlight,
  );
}

// ---- HTTP requests -------------------------------------------------------------------------------------------

/** The `route` of a request that matched no route (any path, any method): one label value for all of them. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route template a request was for (`/api/v1/chats/get-chat`, `/docs/assets/:file`), whichever step answered
 * it (a 401 of the auth middleware is counted on its route); UNMATCHED_ROUTE when no route matched. A middleware
 * (registered with `use`: method ALL and a path ending in `*`) is no route. No string is built.
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i] as { method: string; path: string };
    if (r.method !== 'ALL' || !r.path.endsWith('*')) return r.path;
  }
  return UNMATCHED_ROUTE;
}

/** The `method` label: the request's method when it is a standard one, else OTHER (bounded cardinality). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'] as const;
const OTHER_METHOD = METHODS.length - 1;
function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'PATCH':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return OTHER_METHOD;
  }
}

/**
 * Seconds: the fast reads take tens of microseconds, a write a few milliseconds, a model answer (until its
 * handler returns; a stream goes on after) up to RESPONDER_TIMEOUT_MS.
 */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

class Series {
  /** Per bucket (not cumulative), the last one past the largest bound. */
  readonly counts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
}

type DurationLabel = 'method' | 'route' | 'status' | 'le';

/**
 * A Prometheus histogram whose observation costs a map lookup and an increment: prom-client's own builds a label
 * string and objects per observation (~0.3 µs; this, ~0.01 µs). Series are kept per route (the template strings are
 * the router's own), method and status, and turned into prom-client's values at scrape time.
 */
class RequestDurations extends Histogram<DurationLabel> {
  private readonly series = new Map<string, Map<number, Series>>();

  private readonly metric = 'branchat_http_request_duration_seconds';
  private readonly helpText = 'HTTP requests by route template, method and status: seconds until the handler returned';

  constructor(registry: Registry) {
    super({
      name: 'branchat_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status: seconds until the handler returned',
      registers: [registry],
    });
  }

  record(route: string, method: string, status: number, seconds: number): void {
    let byKey = this.series.get(route);
    if (!byKey) {
      byKey = new Map();
      this.series.set(route, byKey);
    }
    const key = methodIndex(method) * 1000 + (status >= 100 && status <= 999 ? status : 0);
    let s = byKey.get(key);
    if (!s) {
      s = new Series();
      byKey.set(key, s);
    }
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[b] as number)) b++;
    s.counts[b] = (s.counts[b] as number) + 1;
    s.sum += seconds;
  }

  /**
   * What prom-client's registry formats, in the shape its own histogram gives (the series' labels as
   * `sharedLabels`, `le` in `labels`); its `get()` (JSON) derives from this one.
   */
  async getForPromString() {
    const values: {
      labels: { le?: number | string };
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
    }[] = [];
    const bucket = `${this.metric}_bucket`;
    for (const [route, byKey] of this.series) {
      for (const [key, s] of byKey) {
        const sharedLabels = { method: METHODS[Math.floor(key / 1000)] as string, route, status: String(key % 1000) };
        let count = 0;
        for (let b = 0; b < DURATION_BUCKETS.length; b++) {
          count += s.counts[b] as number;
          values.push({
            labels: { le: DURATION_BUCKETS[b] as number },
            sharedLabels,
            value: count,
            metricName: bucket,
          });
        }
        count += s.counts[DURATION_BUCKETS.length] as number;
        values.push({ labels: { le: '+Inf' }, sharedLabels, value: count, metricName: bucket });
        values.push({ labels: {}, sharedLabels, value: s.sum, metricName: `${this.metric}_sum` });
        values.push({ labels: {}, sharedLabels, value: count, metricName: `${this.metric}_count` });
      }
    }
    return { name: this.metric, help: this.helpText, type: 'histogram', values, aggregator: 'sum' };
  }

  override reset(): void {
    // Also called by prom-client's constructor, before this class's fields exist.
    this.series?.clear();
  }
}

/**
 * Counts every request in `registry`'s `branchat_http_request_duration_seconds{method,route,status}` (its
 * `_count` is the request rate, 5xx statuses the errors). Measured until the handler returns: a streamed body
 * goes on after.
 */
export function requestMetrics(registry: Registry): MiddlewareHandler<AppBindings> {
  const durations = new RequestDurations(registry);
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } catch (e) {
      durations.record(routeTemplate(c), c.req.method, 500, (performance.now() - start) / 1000);
      throw e;
    }
    durations.record(routeTemplate(c), c.req.method, c.res.status, (performance.now() - start) / 1000);
  };
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
