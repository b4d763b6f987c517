/**
 * GET /metrics through the real app (docs/observability.md): requests counted per route template, method and
 * status (never per raw URL: an unknown path is one `unmatched` label, ids never appear), a refusal by a
 * middleware counted on the route it was for, the database pool gauges, the event counters, and the cache
 * metrics that other tests rely on.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import type { Services } from '../../src/bootstrap.js';
import { isBun } from '../../src/runtime.js';
import { appFor, testServices } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';

const TOKEN = 'observability-metrics-token-0123456789';
const DURATION = 'branchat_http_request_duration_seconds';

let services: Services;
let app: ReturnType<typeof appFor>;
let user: Client;

beforeAll(async () => {
  services = await testServices();
  app = appFor(services, { metricsToken: TOKEN, events: true });
  user = await newAccount(app);
});

async function scrape(): Promise<string> {
  const r = await app.request('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return r.text();
}

/** Parses `name{a="x",b="y"} value` lines. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** The value of the one sample with these labels (0 when absent). */
function value(text: string, name: string, labels: Record<string, string>): number {
  const hit = samples(text, name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hit.length).toBeLessThanOrEqual(1);
  return hit[0]?.value ?? 0;
}

describe('request metrics', () => {
  test('a request is counted on its route template, method and status, as a histogram', async () => {
    const { chatId } = await user.chatWith(1);
    const ok = { method: 'GET', route: '/api/v1/chats/get-chat', status: '200' };
    const missing = { ...ok, status: '404' };
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await user.getChat(chatId)).status).toBe(200);
    const other = v7();
    expect((await user.getChat(other)).status).toBe(404);
    const after = await scrape();

    expect(value(after, `${DURATION}_count`, ok) - value(before, `${DURATION}_count`, ok)).toBe(3);
    expect(value(after, `${DURATION}_count`, missing) - value(before, `${DURATION}_count`, missing)).toBe(1);
    expect(value(after, `${DURATION}_sum`, ok)).toBeGreaterThan(value(before, `${DURATION}_sum`, ok));
    // Cumulative buckets, the last (+Inf) equal to the count.
    const buckets = samples(after, `${DURATION}_bucket`).filter(
      (s) => s.labels.route === ok.route && s.labels.status === '200' && s.labels.method === 'GET',
    );
    expect(buckets.length).toBeGreaterThan(2);
    for (let i = 1; i < buckets.length; i++) {
      expect((buckets[i] as { value: number }).value).toBeGreaterThanOrEqual(
        (buckets[i - 1] as { value: number }).value,
      );
    }
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(value(after, `${DURATION}_count`, ok));
    expect(after).toContain(`# TYPE ${DURATION} histogram`);
    // The ids of the URLs are in no label.
    expect(after).not.toContain(chatId);
    expect(after).not.toContain(other);
  });

  test('a refusal by a middleware (401 without a token) is counted on the route it was for', async () => {
    const labels = { method: 'GET', route: '/api/v1/chats/list-chats', status: '401' };
    const before = value(await scrape(), `${DURATION}_count`, labels);
    expect((await app.request('/api/v1/chats/list-chats')).status).toBe(401);
    expect(value(await scrape(), `${DURATION}_count`, labels) - before).toBe(1);
  });

  test('unknown paths and methods collapse into one label each: no label per path', async () => {
    const paths = [`/nothing/${v7()}`, `/api/v1/chats/${v7()}`, `/api/v1/${v7()}/get-chat`];
    const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
    const before = await scrape();
    const routesBefore = new Set(samples(before, `${DURATION}_count`).map((s) => s.labels.route));
    for (const p of paths) expect((await app.request(p)).status).toBe(404);
    // A method outside the standard set (WebDAV's): counted as OTHER.
    expect((await app.request(`/nothing/${v7()}`, { method: 'PROPFIND' })).status).toBe(404);
    const after = await scrape();
    expect(value(after, `${DURATION}_count`, unmatched) - value(before, `${DURATION}_count`, unmatched)).toBe(3);
    const other = { method: 'OTHER', route: 'unmatched', status: '404' };
    expect(value(after, `${DURATION}_count`, other) - value(before, `${DURATION}_count`, other)).toBe(1);
    const routesAfter = new Set(samples(after, `${DURATION}_count`).map((s) => s.labels.route));
    expect([...routesAfter].filter((r) => !routesBefore.has(r) && r !== 'unmatched')).toEqual([]);
    for (const p of paths) expect(after).not.toContain(p);
  });
});

describe('process metrics', () => {
  test('the database pool gauges', async () => {
    await user.chatWith(1);
    const text = await scrape();
    expect(text).toContain('# TYPE branchat_db_pool_open gauge');
    expect(value(text, 'branchat_db_pool_max', { pool: 'pg' })).toBeGreaterThanOrEqual(2);
    expect(value(text, 'branchat_db_pool_open', { pool: 'pg' })).toBeGreaterThanOrEqual(1);
    expect(samples(text, 'branchat_db_pool_idle').some((s) => s.labels.pool === 'pg')).toBe(true);
    expect(samples(text, 'branchat_db_pool_waiting').some((s) => s.labels.pool === 'pg')).toBe(true);
    if (isBun) {
      // Bun's client says nothing of its pool: its size and the statements in flight (none between requests).
      expect(value(text, 'branchat_db_pool_max', { pool: 'bun-sql' })).toBeGreaterThanOrEqual(2);
      expect(value(text, 'branchat_db_pool_in_flight', { pool: 'bun-sql' })).toBe(0);
    }
  });

  test('the event fan-out counters (the app serves sockets) and the cache metrics other tests rely on', async () => {
    const text = await scrape();
    for (const name of [
      'branchat_events_delivered_total',
      'branchat_events_resync_total',
      'branchat_events_slow_consumer_closed_total',
      'branchat_event_sockets',
      'branchat_cache_hit_total',
      'branchat_cache_miss_total',
      'branchat_cache_error_total',
      'branchat_cache_load_total',
      'branchat_process_cpu_seconds_total',
    ]) {
      expect(samples(text, name).length).toBe(1);
    }
  });
});
