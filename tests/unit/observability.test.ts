/**
 * The pieces of docs/observability.md that need no database: W3C traceparent parsing, the configuration of
 * traces, the route label (templates, never raw paths; middleware-only matches → `unmatched`), the request
 * histogram's exposition, the pool readings, the event hub's counters, and that with tracing off nothing is
 * installed (no middleware, no wrapper, no log field).
 */
import { describe, expect, test } from 'bun:test';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/context.js';
import { EventHub, hubOptions, type SocketPort } from '../../src/events/events.hub.js';
import { createMetrics, requestMetrics, routeTemplate, UNMATCHED_ROUTE } from '../../src/http/ops/metrics.js';
import { serverSpans } from '../../src/http/ops/tracing.js';
import { createLogger } from '../../src/logger.js';
import {
  mongoTracingOptions,
  observeFastSql,
  traceMongoClient,
  traceResponder,
} from '../../src/observability/instrument.js';
import { poolReadings, trackPool } from '../../src/observability/pools.js';
import {
  loggableUrl,
  parseHeaders,
  remoteParent,
  tracingActive,
  tracingSettings,
} from '../../src/observability/tracing.js';
import { LocalResponder } from '../../src/responders/local.responder.js';
import { MemoryEventFeed } from '../support/memory-feed.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  test('a valid header names the caller’s span (sampled flag kept, tracestate carried)', () => {
    expect(remoteParent(`00-${TRACE}-${SPAN}-01`, undefined)).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
      isRemote: true,
    });
    expect(remoteParent(`00-${TRACE}-${SPAN}-00`, undefined)?.traceFlags).toBe(0);
    expect(remoteParent(`00-${TRACE}-${SPAN}-01`, 'vendor=abc')?.traceState?.get('vendor')).toBe('abc');
    // A later version may append fields.
    expect(remoteParent(`01-${TRACE}-${SPAN}-01-more`, undefined)?.traceId).toBe(TRACE);
  });

  test('malformed headers are ignored (the request starts its own trace)', () => {
    for (const bad of [
      '',
      'garbage',
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
    ]) {
      expect(remoteParent(bad, undefined)).toBeNull();
    }
    expect(remoteParent(undefined, 'vendor=abc')).toBeNull();
  });
});

describe('configuration', () => {
  test('off by default; the endpoint turns traces on at <endpoint>/v1/traces, the traces endpoint as is', () => {
    expect(tracingSettings(loadConfig({}))).toBeNull();
    expect(tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: {},
      serviceName: 'branchat',
      sampleRatio: 1,
    });
    const both = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s%3Dcret, x-team = blue',
      OTEL_SERVICE_NAME: 'branchat-eu',
      OTEL_TRACES_SAMPLE_RATIO: '0.25',
    });
    expect(tracingSettings(both)).toEqual({
      url: 'https://traces.example/otlp/v1/traces',
      headers: { 'api-key': 's=cret', 'x-team': 'blue' },
      serviceName: 'branchat-eu',
      sampleRatio: 0.25,
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLE_RATIO: '2' })).toThrow(/OTEL_TRACES_SAMPLE_RATIO/);
  });

  test('what is logged of an endpoint has no credentials or query', () => {
    expect(loggableUrl('https://user:secret@collector.example:4318/v1/traces?key=k')).toBe(
      'https://collector.example:4318/v1/traces',
    );
    expect(parseHeaders('=x,novalue,a=1')).toEqual({ a: '1' });
  });
});

describe('with tracing off nothing is installed', () => {
  test('no middleware, no wrappers, no client options, no log fields', async () => {
    expect(tracingActive()).toBe(false);
    expect(serverSpans()).toBeNull();
    const responder = new LocalResponder();
    expect(traceResponder(responder, 'local')).toBe(responder);
    expect(mongoTracingOptions()).toEqual({});
    let listened = 0;
    traceMongoClient({ on: (() => listened++) as never });
    expect(listened).toBe(0);
    expect(observeFastSql(null, 'bun-sql', 4)).toBeNull();

    const lines: string[] = [];
    const log = createLogger('info', { traceIds: false, destination: { write: (l: string) => void lines.push(l) } });
    log.info({ path: '/x' }, 'request');
    expect(JSON.parse(lines[0] as string)).not.toHaveProperty('trace_id');
    // traceIds on but outside any span: nothing added either.
    const traced = createLogger('info', { traceIds: true, destination: { write: (l: string) => void lines.push(l) } });
    traced.info('outside');
    expect(JSON.parse(lines[1] as string)).not.toHaveProperty('trace_id');
  });
});

describe('route label', () => {
  const app = new Hono();
  const seen: string[] = [];
  app.use(async (c, next) => {
    await next();
    seen.push(routeTemplate(c));
  });
  app.use('/api/*', async (c, next) => (c.req.header('x-deny') ? c.text('no', 401) : next()));
  app.get('/api/items/get-item', (c) => c.text('ok'));
  app.get('/files/:name', (c) => c.text(c.req.param('name')));
  const sub = new Hono();
  sub.get('/:id/detail', (c) => c.text('d'));
  app.route('/things', sub);

  test('the template, whoever answered; unmatched for paths and methods no route has', async () => {
    seen.length = 0;
    await app.request('/api/items/get-item');
    await app.request('/api/items/get-item', { headers: { 'x-deny': '1' } });
    await app.request('/files/a-long-name.txt');
    await app.request('/things/123/detail');
    await app.request('/api/items/other');
    await app.request('/api/items/get-item', { method: 'POST' });
    await app.request('/');
    expect(seen).toEqual([
      '/api/items/get-item',
      '/api/items/get-item',
      '/files/:name',
      '/things/:id/detail',
      UNMATCHED_ROUTE,
      UNMATCHED_ROUTE,
      UNMATCHED_ROUTE,
    ]);
  });
});

describe('request histogram', () => {
  test('Prometheus text and JSON: cumulative buckets up to +Inf, sum and count per route, method and status', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(requestMetrics(registry));
    app.get('/a', (c) => c.text('a'));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_e, c) => c.text('failed', 500));
    for (let i = 0; i < 3; i++) await app.request('/a');
    await app.request('/a', { method: 'HEAD' });
    expect((await app.request('/boom')).status).toBe(500);
    const text = await registry.metrics();
    const name = 'branchat_http_request_duration_seconds';
    expect(text).toContain(`# TYPE ${name} histogram`);
    expect(text).toContain(`${name}_count{method="GET",route="/a",status="200"} 3`);
    expect(text).toContain(`${name}_bucket{le="+Inf",method="GET",route="/a",status="200"} 3`);
    expect(text).toContain(`${name}_count{method="HEAD",route="/a",status="200"} 1`);
    expect(text).toContain(`${name}_count{method="GET",route="/boom",status="500"} 1`);
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith(`${name}_bucket{`) && l.includes('route="/a",status="200"') && l.includes('GET'))
      .map((l) => Number(l.split(' ')[1]));
    expect(buckets.length).toBeGreaterThan(10);
    expect([...buckets].sort((x, y) => x - y)).toEqual(buckets);
    const json = await registry.getMetricsAsJSON();
    const h = json.find((m) => m.name === name);
    expect(h?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.labels).toMatchObject({
      method: 'GET',
      route: '/a',
      status: '200',
    });
  });
});

describe('pools', () => {
  test('summed per kind; a closed pool drops out', () => {
    let closed = false;
    const kind = `test-${Math.random()}`;
    trackPool({
      kind,
      read: () => ({ open: 3, idle: 1, waiting: 0, inFlight: null, max: 5 }),
      closed: () => closed,
    });
    trackPool({ kind, read: () => ({ open: 2, idle: 2, waiting: 4, inFlight: null, max: 5 }), closed: () => false });
    expect(poolReadings().get(kind)).toEqual({ open: 5, idle: 3, waiting: 4, inFlight: null, max: 10 });
    closed = true;
    expect(poolReadings().get(kind)).toEqual({ open: 2, idle: 2, waiting: 4, inFlight: null, max: 5 });
  });

  test('Bun’s client counts its statements in flight', async () => {
    let release: (v: unknown[]) => void = () => {};
    const inner = {
      query: <T>() => new Promise<T[]>((r) => (release = r as (v: unknown[]) => void)),
      close: async () => {},
    };
    const kind = `fast-${Math.random()}`;
    const sql = observeFastSql(inner, kind, 4);
    const pending = sql?.query('select 1', []);
    expect(poolReadings().get(kind)).toMatchObject({ inFlight: 1, max: 4 });
    release([]);
    await pending;
    expect(poolReadings().get(kind)).toMatchObject({ inFlight: 0 });
    await sql?.close();
    expect(poolReadings().has(kind)).toBe(false);
  });
});

describe('event fan-out counters', () => {
  test('events delivered, resyncs and slow consumers are counted and exposed', async () => {
    const hub = new EventHub(new MemoryEventFeed(), {} as Deps, createLogger('silent'), {
      ...hubOptions(loadConfig({})),
      maxBufferedBytes: 100,
    });
    let buffered = 0;
    const socket: SocketPort = { send: () => {}, bufferedAmount: () => buffered, close: () => {} };
    const session = hub.open(socket, 'account', Date.now() + 60_000);
    session.send({ type: 'subscribed', seq: 0 });
    session.send({ type: 'event', seq: 1 });
    session.send({ type: 'event', seq: 2 });
    session.send({ type: 'resync', seq: 2 });
    buffered = 1000;
    session.send({ type: 'event', seq: 3 });
    expect(hub.counts).toEqual({ delivered: 3, resyncs: 1, slowConsumers: 1 });
    const registry = createMetrics(() => ({ hit: 0, miss: 0, error: 0, load: 0 }), undefined, hub);
    const text = await registry.metrics();
    expect(text).toContain('branchat_events_delivered_total 3');
    expect(text).toContain('branchat_events_resync_total 1');
    expect(text).toContain('branchat_events_slow_consumer_closed_total 1');
    expect(text).toContain('branchat_event_sockets 0');
  });
});
