/**
 * Hooks where the clients are created (docs/observability.md, "Spans"): PostgreSQL (`pg`'s pool, Bun's client),
 * MongoDB (the driver's command monitoring), Redis (ioredis's diagnostics channel) and the model (the
 * responder). Each is installed only when tracing is on at the time (tracing.ts), so off they cost nothing;
 * the pools also register for /metrics (pools.ts), which costs nothing per statement for `pg`.
 *
 * Spans carry the statement's text as sent (parameters are never in it), a MongoDB command's name and
 * collection, a Redis command's name: never parameter values, documents, keys or prompts.
 */
import dc from 'node:diagnostics_channel';
import type { Span } from '@opentelemetry/api';
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';
import type { Responder, ResponderChunk } from '../domain/ports.js';
import type { FastSql } from '../stores/pg-fast.js';
import { trackPool } from './pools.js';
import { childSpan, endSpan, failSpan, onTracing, tracingActive } from './tracing.js';

/** The longest statement text kept on a span. */
const MAX_QUERY_TEXT = 2048;

/** The statement's first keyword (SELECT, INSERT, BEGIN, WITH…): the span's name. */
function sqlOperation(text: string): string {
  const m = /^\s*([A-Za-z]+)/.exec(text);
  return m ? (m[1] as string).toUpperCase() : 'SQL';
}

function sqlSpan(text: string, client: string): Span | null {
  const operation = sqlOperation(text);
  return childSpan(operation, {
    'db.system.name': 'postgresql',
    'db.operation.name': operation,
    'db.query.text': text.length > MAX_QUERY_TEXT ? `${text.slice(0, MAX_QUERY_TEXT)}…` : text,
    'branchat.db.client': client,
  });
}

// ---- PostgreSQL through `pg` (MikroORM, Kysely) ---------------------------------------------------------------

/** What is read of a `pg` Pool (pg-pool's public counters). */
interface PgPoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  ending?: boolean;
  ended?: boolean;
  options: { max?: number };
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
}

interface PgClientLike {
  query: (...args: unknown[]) => unknown;
}

/**
 * For MikroORM's `driverOptions.onPoolCreated` (stores/postgres.ts): the pool's counters go to /metrics, and with
 * tracing on each of its connections makes a span per statement.
 */
export function observePgPool(pool: PgPoolLike): void {
  trackPool({
    kind: 'pg',
    read: () => ({
      open: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      inFlight: null,
      max: pool.options.max ?? 10,
    }),
    closed: () => pool.ending === true || pool.ended === true,
  });
  if (tracingActive()) pool.on('connect', tracePgClient);
}

function tracePgClient(client: PgClientLike): void {
  const query = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as { text?: unknown; submit?: unknown } | string | null | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    // Only the promise form (Kysely's): cursors (submittables) and callbacks go through untouched.
    if (
      typeof text !== 'string' ||
      typeof args[args.length - 1] === 'function' ||
      (typeof first === 'object' && typeof first?.submit === 'function')
    ) {
      return query.apply(this, args);
    }
    const span = sqlSpan(text, 'pg');
    if (!span) return query.apply(this, args);
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (e) {
      endSpan(span, e);
      throw e;
    }
    if (result instanceof Promise) {
      result.then(
        () => span.end(),
        (e) => endSpan(span, e),
      );
    } else span.end();
    return result;
  };
}

// ---- PostgreSQL through Bun's client --------------------------------------------------------------------------

/**
 * Bun's client (stores/pg-fast.ts) counted for /metrics: Bun.SQL tells nothing about its pool, so this counts the
 * statements in flight; with tracing on (when wrapped) each statement makes a span. `kind`: the `pool` label.
 */
export function observeFastSql(sql: FastSql | null, kind: string, max: number): FastSql | null {
  if (!sql) return null;
  let inFlight = 0;
  let closed = false;
  trackPool({
    kind,
    read: () => ({ open: null, idle: null, waiting: null, inFlight, max }),
    closed: () => closed,
  });
  const traced = tracingActive();
  const settle = () => {
    inFlight--;
  };
  return {
    query<T>(text: string, params: unknown[]): Promise<T[]> {
      inFlight++;
      const span = traced ? sqlSpan(text, 'bun-sql') : null;
      const p = sql.query<T>(text, params);
      if (span) {
        p.then(
          () => {
            inFlight--;
            span.end();
          },
          (e) => {
            inFlight--;
            endSpan(span, e);
          },
        );
      } else p.then(settle, settle);
      return p;
    },
    close() {
      closed = true;
      return sql.close();
    },
  };
}

// ---- MongoDB ----------------------------------------------------------------------------------------------------

/** The MongoDB client options that tracing needs (command monitoring), or none when it is off. */
export function mongoTracingOptions(): { monitorCommands?: boolean } {
  return tracingActive() ? { monitorCommands: true } : {};
}

/** With tracing on: a span per MongoDB command (the client was made with mongoTracingOptions()). */
export function traceMongoClient(client: Pick<MongoClient, 'on'>): void {
  if (!tracingActive()) return;
  const spans = new Map<number, Span>();
  client.on('commandStarted', (e: CommandStartedEvent) => {
    const target = e.command?.[e.commandName];
    const collection = typeof target === 'string' ? target : undefined;
    const span = childSpan(collection ? `${e.commandName} ${collection}` : e.commandName, {
      'db.system.name': 'mongodb',
      'db.operation.name': e.commandName,
      'db.namespace': e.databaseName,
      ...(collection ? { 'db.collection.name': collection } : {}),
    });
    if (!span) return;
    // Bounded whatever happens to the driver's events.
    if (spans.size > 10_000) spans.clear();
    spans.set(e.requestId, span);
  });
  const finish = (requestId: number, error?: unknown) => {
    const span = spans.get(requestId);
    if (!span) return;
    spans.delete(requestId);
    endSpan(span, error);
  };
  client.on('commandSucceeded', (e: CommandSucceededEvent) => finish(e.requestId));
  client.on('commandFailed', (e: CommandFailedEvent) => finish(e.requestId, e.failure));
}

// ---- Redis (ioredis's diagnostics channel: every client in the process, nothing to wrap) -----------------------

interface RedisCommandContext {
  command?: string;
  database?: number;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
}

const redisSpans = new WeakMap<object, Span>();
const redisHandlers = {
  start(message: unknown) {
    const m = message as RedisCommandContext;
    const command = String(m.command ?? 'command').toUpperCase();
    const span = childSpan(command, {
      'db.system.name': 'redis',
      'db.operation.name': command,
      'db.namespace': String(m.database ?? 0),
      ...(m.serverAddress ? { 'server.address': m.serverAddress } : {}),
      ...(m.serverPort ? { 'server.port': m.serverPort } : {}),
    });
    if (span) redisSpans.set(message as object, span);
  },
  end() {},
  asyncStart() {},
  asyncEnd(message: unknown) {
    const span = redisSpans.get(message as object);
    if (!span) return;
    redisSpans.delete(message as object);
    span.end();
  },
  error(message: unknown) {
    // A failed command: asyncEnd follows (ioredis hands the channel its command's promise).
    const span = redisSpans.get(message as object);
    if (span) failSpan(span, (message as RedisCommandContext).error);
  },
};

const redisChannel = typeof dc.tracingChannel === 'function' ? dc.tracingChannel('ioredis:command') : null;
if (redisChannel) {
  onTracing({
    start: () => redisChannel.subscribe(redisHandlers),
    stop: () => redisChannel.unsubscribe(redisHandlers),
  });
}

// ---- The model ----------------------------------------------------------------------------------------------------

/**
 * With tracing on, `responder` with a span per answer: from the request to the model until its stream ends
 * (`chat <model>`, with the token counts it reports); the same responder otherwise.
 */
export function traceResponder(responder: Responder, provider: string): Responder {
  if (!tracingActive()) return responder;
  return {
    get model() {
      return responder.model;
    },
    async start(request) {
      const span = childSpan(`chat ${responder.model}`, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider,
        'gen_ai.request.model': responder.model,
        'gen_ai.usage.input_tokens': request.promptTokens,
      });
      if (!span) return responder.start(request);
      let stream: AsyncIterable<ResponderChunk>;
      try {
        stream = await responder.start(request);
      } catch (e) {
        endSpan(span, e);
        throw e;
      }
      return (async function* () {
        let failed: unknown;
        try {
          for await (const chunk of stream) {
            if (chunk.kind === 'usage') {
              span.setAttribute('gen_ai.response.model', chunk.model);
              if (chunk.promptTokens !== null) span.setAttribute('gen_ai.usage.input_tokens', chunk.promptTokens);
              if (chunk.completionTokens !== null) {
                span.setAttribute('gen_ai.usage.output_tokens', chunk.completionTokens);
              }
            }
            yield chunk;
          }
        } catch (e) {
          failed = e;
          throw e;
        } finally {
          endSpan(span, failed);
        }
      })();
    },
    // Titles are not traced: a short request off the request path (domain/chats/titles.ts).
    proposeTitle: responder.proposeTitle
      ? (request) => responder.proposeTitle?.(request) ?? Promise.resolve('')
      : undefined,
  };
}
