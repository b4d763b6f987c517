/** Translating driver failures into the domain's vocabulary, so the transport never sees a driver message. */
import { ConnectionException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError, UnavailableError } from '../domain/errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
]);

/** MongoDB driver errors that mean "the server could not be reached or answered in time". */
const MONGO_UNAVAILABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoNotConnectedError',
]);

/** The error and its causes, outermost first (bounded: cause chains can be cyclic). */
function* causeChain(e: unknown): Generator<{ code?: unknown; name?: unknown }> {
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    yield e as { code?: unknown; name?: unknown };
    e = (e as { cause?: unknown }).cause;
  }
}

function codeOf(e: unknown): string | undefined {
  for (const o of causeChain(e)) if (typeof o.code === 'string') return o.code;
  return undefined;
}

export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof ConnectionException) return true;
  for (const o of causeChain(e)) if (typeof o.name === 'string' && MONGO_UNAVAILABLE.has(o.name)) return true;
  const code = codeOf(e);
  if (code && CONNECTION_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|driver has already been destroyed|pool is (?:closed|destroyed)|Client has encountered a connection error|server selection|MongoNetworkError|MongoServerSelectionError|Topology is closed/i.test(
    msg,
  );
}

export function isUniqueViolation(e: unknown): boolean {
  return e instanceof UniqueConstraintViolationException || codeOf(e) === '23505';
}

/** Maps a store failure to UnavailableError when it is a connectivity problem; otherwise returns it unchanged. */
export function translateStoreError(e: unknown, store: string): unknown {
  // Already the domain's own answer (e.g. an UpstreamError whose cause is the model endpoint's refused
  // connection: that is a 502, not a database outage).
  if (e instanceof DomainError) return e;
  if (isConnectionFailure(e)) return new UnavailableError(`The ${store} is unavailable`, 5, { cause: e });
  return e;
}
