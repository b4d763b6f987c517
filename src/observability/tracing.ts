/**
 * OpenTelemetry traces (docs/observability.md). Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; then startTracing() loads the SDK (never loaded otherwise),
 * registers an AsyncLocalStorage context manager and exports spans over OTLP/HTTP (JSON) in batches.
 *
 * Off, every hook is a test of one module variable: the instrumentation is installed only where tracing was on
 * when a client was created (stores/…, bootstrap.ts), and the helpers here return null at once.
 *
 * Client spans (PostgreSQL, MongoDB, Redis, the model) are made only within a request's (sampled) trace:
 * background work (lease renewals, the reconciler) makes no root spans of its own.
 */
import {
  type Attributes,
  type Context,
  context,
  createTraceState,
  type DiagLogger,
  DiagLogLevel,
  diag,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Where and how spans are exported, from the configuration (null: tracing off). */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  /** Sent with every export (OTEL_EXPORTER_OTLP_HEADERS; may hold a secret: never logged). */
  headers: Record<string, string>;
  serviceName: string;
  /** Share of new traces recorded (a request with a traceparent follows its sampled flag). */
  sampleRatio: number;
  /** Longest wait before a batch is sent (the SDK's default 5 s; tests use less). */
  scheduledDelayMillis?: number;
}

/** The configured traces endpoint, or null when tracing is off. */
export function tracingSettings(config: Config): TracingSettings | null {
  const url =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT ? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : null);
  if (!url) return null;
  return {
    url,
    headers: parseHeaders(config.OTEL_EXPORTER_OTLP_HEADERS ?? ''),
    serviceName: config.OTEL_SERVICE_NAME,
    sampleRatio: config.OTEL_TRACES_SAMPLE_RATIO,
  };
}

/** `k1=v1,k2=v2` (values percent-decoded), as the OpenTelemetry environment variables spell headers. */
export function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!key) continue;
    try {
      headers[key] = decodeURIComponent(value);
    } catch {
      headers[key] = value;
    }
  }
  return headers;
}

/** The URL without user info, query or fragment: what may be logged of an endpoint. */
export function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

export interface Tracing {
  /** Exports what is pending now. */
  flush(): Promise<void>;
  /** Exports what is pending, then turns tracing off (instrumented clients stop making spans). */
  shutdown(): Promise<void>;
}

interface Active {
  tracer: Tracer;
  shutdown(): Promise<void>;
  flush(): Promise<void>;
}

let active: Active | null = null;

/** Whether spans are being made (decides, when a client is created, whether to instrument it). */
export function tracingActive(): boolean {
  return active !== null;
}

/** Spans for the ones who subscribe when tracing starts (Redis's diagnostics channel) and leave when it stops. */
const lifecycle: { start(): void; stop(): void }[] = [];
export function onTracing(hooks: { start(): void; stop(): void }): void {
  lifecycle.push(hooks);
  if (active) hooks.start();
}

/**
 * Starts exporting spans (null settings: does nothing and returns null). One at a time per process: a second
 * call while one runs throws.
 */
export async function startTracing(settings: TracingSettings | null, log: Logger): Promise<Tracing | null> {
  if (!settings) return null;
  if (active) throw new Error('tracing is already started in this process');
  // Loaded only here: a process without tracing never loads the SDK.
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { resourceFromAttributes }, sdk, semconv] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  if (!context.setGlobalContextManager(manager)) {
    manager.disable();
    throw new Error('another OpenTelemetry context manager is registered in this process');
  }
  diag.setLogger(rateLimitedDiag(log), DiagLogLevel.WARN);
  const processor = new sdk.BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url: settings.url, headers: settings.headers, timeoutMillis: 10_000 }),
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: settings.scheduledDelayMillis ?? 5000,
  });
  const ratio = Math.min(1, Math.max(0, settings.sampleRatio));
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: new sdk.ParentBasedSampler({
      root: ratio >= 1 ? new sdk.AlwaysOnSampler() : new sdk.TraceIdRatioBasedSampler(ratio),
    }),
    spanProcessors: [processor],
  });
  const self: Active = {
    tracer: provider.getTracer('branchat'),
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (active !== self) return;
      active = null;
      for (const h of lifecycle) h.stop();
      try {
        await provider.shutdown();
      } finally {
        context.disable();
        diag.disable();
      }
    },
  };
  active = self;
  for (const h of lifecycle) h.start();
  log.info({ traces: loggableUrl(settings.url), sample_ratio: ratio }, 'tracing on');
  return { flush: () => self.flush(), shutdown: () => self.shutdown() };
}

/** The SDK's own warnings (a collector that does not answer…) in the log, at most one a minute. */
function rateLimitedDiag(log: Logger): DiagLogger {
  let last = 0;
  const warn = (message: string, ...args: unknown[]) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    const detail = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : '')).join(' ');
    log.warn({ detail: detail.slice(0, 300) || undefined }, `tracing: ${briefly(message)}`);
  };
  const quiet = () => {};
  return { error: warn, warn, info: quiet, debug: quiet, verbose: quiet };
}

/** The SDK reports an export's failure as the error serialised to JSON (stack included): its message and code. */
function briefly(message: string): string {
  try {
    const e = JSON.parse(message) as { message?: unknown; code?: unknown };
    if (typeof e?.message === 'string') {
      return `export failed: ${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`.slice(0, 300);
    }
  } catch {
    // Not JSON: a message of its own.
  }
  return message.slice(0, 300);
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/** The caller's span from W3C `traceparent` (and `tracestate`); null when absent or malformed. */
export function remoteParent(traceparent: string | undefined, tracestate: string | undefined): SpanContext | null {
  if (!traceparent) return null;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return null;
  const parent: SpanContext = {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16) & 1,
    isRemote: true,
  };
  if (tracestate) {
    try {
      parent.traceState = createTraceState(tracestate.slice(0, 512));
    } catch {
      // A malformed tracestate is dropped; the traceparent still counts.
    }
  }
  return isSpanContextValid(parent) ? parent : null;
}

/**
 * A request's server span, child of the caller's span when `traceparent` names one; null when tracing is off.
 * Run the request in `ctx` so that its client spans and log lines belong to it.
 */
export function startServerSpan(
  name: string,
  attributes: Attributes,
  traceparent: string | undefined,
  tracestate: string | undefined,
): { span: Span; ctx: Context } | null {
  const t = active?.tracer;
  if (!t) return null;
  const remote = remoteParent(traceparent, tracestate);
  const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
  const span = t.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/**
 * A client span under the current one: none outside a sampled trace (background work, a caller's unsampled
 * trace) or with tracing off. The current span may have ended (a streamed answer stored after its handler
 * returned): its children still belong to its trace.
 */
export function childSpan(name: string, attributes: Attributes, parent: Context = context.active()): Span | null {
  const t = active?.tracer;
  if (!t) return null;
  const current = trace.getSpan(parent)?.spanContext();
  if (!current || !isSpanContextValid(current) || (current.traceFlags & TraceFlags.SAMPLED) === 0) return null;
  return t.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
}

/** Ends `span`, marked as failed with `error`'s kind and message when there is one (never its stack's data). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** Marks `span` as failed (the error's name and message only: they never carry statement values here). */
export function failSpan(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException({ name: e.name, message: e.message.slice(0, 500) });
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message.slice(0, 200) });
}

/** For log lines (logger.ts, with tracing on): the current trace and span ids, or nothing. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
