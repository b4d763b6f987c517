/**
 * The domain's own error vocabulary. Services throw these; the transport maps each to a status and an
 * RFC 9457 body in exactly one place (src/http/errors.ts). Nothing here knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: string;
}

/** The resource does not exist, is soft-deleted, or belongs to another account (never distinguished). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly kind = 'validation';
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** Credentials or token rejected. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}

/** A conditional write whose precondition (ETag) no longer holds. */
export class PreconditionFailedError extends DomainError {
  readonly kind = 'precondition_failed';
}

export class RateLimitedError extends DomainError {
  readonly kind = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }

  /** From a wait in milliseconds: whole seconds, rounded up, at least 1 (the Retry-After header). */
  static after(message: string, waitMs: number): RateLimitedError {
    return new RateLimitedError(message, Math.max(1, Math.ceil(waitMs / 1000)));
  }
}

/** A backing store is unreachable; the caller may retry later. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A content write lost its slot to a later writer (a higher fencing token). Only a write whose own
 * transaction already failed can see this; the caller may retry.
 */
export class StaleWriteError extends UnavailableError {
  constructor(chatId: string, seq: number) {
    super(`A later write holds slot ${seq} of chat ${chatId}`, 1);
  }
}

/** The model endpoint refused or failed the request, or broke off its answer (→ 502). */
export class UpstreamError extends DomainError {
  readonly kind = 'upstream';
}

/** The model endpoint did not answer, or stopped sending, within the configured time (→ 504). */
export class UpstreamTimeoutError extends DomainError {
  readonly kind = 'upstream_timeout';
}

/** The client went away before the answer was complete: nothing was stored. */
export class CancelledError extends DomainError {
  readonly kind = 'cancelled';
}
