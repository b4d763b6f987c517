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

/**
 * MongoDB server errors that mean "this node cannot serve the operation now, another attempt may succeed":
 * the retryable codes of the driver specifications (retryable reads and writes), which a mongod answers while
 * it shuts down, steps down or loses its primary, plus time limits and ingress overload.
 */
const MONGO_RETRYABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired (like PostgreSQL's statement_timeout)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  462, // IngressRequestRateLimitExceeded
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the server or the driver puts on errors whose operation may simply be tried again. */
const MONGO_RETRYABLE_LABELS = [
  'RetryableWriteError',
  'TransientTransactionError',
  'ResetPool',
  'PoolRequestedRetry',
  'RetryableError',
  'SystemOverloadedError',
];

/** The error and its causes, outermost first (bounded: cause chains can be cyclic). */
interface ErrorFields {
  code?: unknown;
  name?: unknown;
  codeName?: unknown;
  errorLabelSet?: unknown;
  errorResponse?: { errorLabels?: unknown; writeConcernError?: { code?: unknown } };
}

function* causeChain(e: unknown): Generator<ErrorFields> {
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    yield e as ErrorFields;
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

/** A MongoDB error's labels: the driver keeps them in `errorLabelSet` (copied by MikroORM's wrapper too). */
function mongoLabels(o: ErrorFields): string[] {
  const labels: unknown[] = [];
  if (o.errorLabelSet instanceof Set) labels.push(...o.errorLabelSet);
  if (Array.isArray(o.errorResponse?.errorLabels)) labels.push(...o.errorResponse.errorLabels);
  return labels.filter((l): l is string => typeof l === 'string');
}

/**
 * A MongoDB server or driver error that a later attempt may not get: a retryable code (a server error carries
 * its codeName, which tells it from other numeric codes) or label, on the error or on one of its causes.
 */
export function isMongoTransient(e: unknown): boolean {
  for (const o of causeChain(e)) {
    if (mongoLabels(o).some((l) => MONGO_RETRYABLE_LABELS.includes(l))) return true;
    const isServerError = typeof o.codeName === 'string' || (o.errorResponse && typeof o.errorResponse === 'object');
    if (isServerError && typeof o.code === 'number' && MONGO_RETRYABLE_CODES.has(o.code)) return true;
    const wce = o.errorResponse?.writeConcernError?.code;
    if (typeof wce === 'number' && MONGO_RETRYABLE_CODES.has(wce)) return true;
  }
  return false;
}

export function isUniqueViolation(e: unknown): boolean {
  return e instanceof UniqueConstraintViolationException || codeOf(e) === '23505';
}

/**
 * Maps a store failure to UnavailableError (503 + Retry-After) when it is a connectivity problem or a MongoDB
 * error a later attempt may not get (a node shutting down or stepping down answers these before its
 * connections drop); otherwise returns it unchanged.
 */
export function translateStoreError(e: unknown, store: string): unknown {
  // Already the domain's own answer (e.g. an UpstreamError whose cause is the model endpoint's refused
  // connection: that is a 502, not a database outage).
  if (e instanceof DomainError) return e;
  if (isConnectionFailure(e) || isMongoTransient(e))
    return new UnavailableError(`The ${store} is unavailable`, 5, { cause: e });
  return e;
}

/**
 * The one store-error wrapper: `const run = storeCalls('content store')`, then `run(() => …)` runs the call and
 * throws what it threw translated by translateStoreError (so an outage is a 503, never a driver message).
 */
export function storeCalls(store: string): <T>(fn: () => Promise<T>) => Promise<T> {
  return async (fn) => {
    try {
      return await fn();
    } catch (e) {
      throw translateStoreError(e, store);
    }
  };
}
