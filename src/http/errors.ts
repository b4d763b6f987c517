/**
 * The one mapper from errors to RFC 9457 problem details, and the error responses declared in every
 * route's OpenAPI entry (so the document and the runtime cannot drift).
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import {
  CancelledError,
  ConflictError,
  DomainError,
  type FieldIssue,
  NotFoundError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
  ValidationError,
} from '../domain/errors.js';
import { PROBLEM_TYPES, problemBody } from '../events/problem.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/not-found' }),
    title: z.string().openapi({ example: 'Not Found' }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: 'Chat 0193… not found' }),
    instance: z.string().openapi({ description: 'The request id (also sent as X-Request-Id).' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Field-level problems (422 only).' }),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

/** An error that already knows its HTTP answer (raised by transport middleware). */
export class HttpProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    detail: string,
    readonly headers: Record<string, string> = {},
    readonly issues?: FieldIssue[],
  ) {
    super(detail);
  }
}

/** The whole problem document of this request: `instance` is its request id. */
function problemDocument(c: Context, status: number, detail: string, issues?: FieldIssue[]): Problem {
  const body: Problem = { ...problemBody(status, detail), instance: (c.get('requestId') as string | undefined) ?? '' };
  if (issues) body.errors = issues;
  return body;
}

export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  options: { headers?: Record<string, string>; issues?: FieldIssue[] } = {},
): Response {
  const body = problemDocument(c, status, detail, options.issues);
  const requestId = body.instance;
  // A bare Response does not carry the headers middleware prepared with c.header(), so the request id
  // (every response carries it) is set here explicitly.
  const idHeader: Record<string, string> = requestId ? { 'X-Request-Id': requestId } : {};
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...idHeader, ...options.headers },
  });
}

function statusOf(e: DomainError): ContentfulStatusCode {
  if (e instanceof NotFoundError) return 404;
  if (e instanceof ConflictError) return 409;
  if (e instanceof ValidationError) return 422;
  if (e instanceof UnauthenticatedError) return 401;
  if (e instanceof PreconditionFailedError) return 412;
  if (e instanceof RateLimitedError) return 429;
  if (e instanceof UnavailableError) return 503;
  if (e instanceof UpstreamError) return 502;
  if (e instanceof UpstreamTimeoutError) return 504;
  if (e instanceof CancelledError) return 499 as ContentfulStatusCode;
  return 500;
}

/** What a thrown value answers: status, headers and problem body. Unknown errors become a bare 500 (logged). */
export function errorToProblem(
  c: Context,
  err: unknown,
  translate: (e: unknown) => unknown = (e) => e,
): { status: ContentfulStatusCode; detail: string; headers: Record<string, string>; issues?: FieldIssue[] } {
  const e = translate(err);
  if (e instanceof HttpProblem) return { status: e.status, detail: e.message, headers: e.headers, issues: e.issues };
  if (e instanceof DomainError) {
    const headers: Record<string, string> = {};
    if (e instanceof RateLimitedError || e instanceof UnavailableError)
      headers['Retry-After'] = String(e.retryAfterSeconds);
    if (e instanceof UnauthenticatedError) headers['WWW-Authenticate'] = 'Bearer';
    return {
      status: statusOf(e),
      detail: e.message,
      headers,
      issues: e instanceof ValidationError ? e.issues : undefined,
    };
  }
  if (e instanceof HTTPException) {
    const status = e.status as ContentfulStatusCode;
    const known = PROBLEM_TYPES[status];
    return known
      ? { status, detail: e.message || known[1], headers: {} }
      : { status: 500, detail: 'Unexpected error', headers: {} };
  }
  // The client went away (closed the connection mid-body, say): whatever broke is a consequence, not a fault.
  if (c.req.raw.signal?.aborted) {
    const what = e instanceof Error ? { name: e.name, message: e.message } : { value: String(e) };
    c.get('log')?.info({ err: what }, 'client closed the request');
    return { status: 499 as ContentfulStatusCode, detail: 'The client closed the request', headers: {} };
  }
  c.get('log')?.error({ err: e }, 'unhandled error');
  return {
    status: 500,
    detail: 'An unexpected error occurred. The request id identifies it in the logs.',
    headers: {},
  };
}

/** Maps any thrown value to a problem response. */
export function errorToResponse(c: Context, err: unknown, translate: (e: unknown) => unknown = (e) => e): Response {
  const p = errorToProblem(c, err, translate);
  return problemResponse(c, p.status, p.detail, { headers: p.headers, issues: p.issues });
}

/** The problem body of a thrown value, for an `error` event of a stream already answering 200. */
export function errorToProblemBody(c: Context, err: unknown): Problem {
  const p = errorToProblem(c, err);
  return problemDocument(c, p.status, p.detail, p.issues);
}

/**
 * Field errors of a failed validation. An issue of the whole input (unknown fields, a missing object) is named after
 * the part validated: `(body)` for a JSON body, `(query)` for a query string (storableQuery's name), `(<target>)`
 * otherwise.
 */
export function zodIssues(error: ZodError, target = 'json'): FieldIssue[] {
  const whole = target === 'json' ? '(body)' : `(${target})`;
  return error.issues.map((i) => {
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown field(s): ${i.keys.join(', ')}`;
    return { path: i.path.map(String).join('.') || whole, message };
  });
}

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } };

/** Error responses, spread into each route's `responses`. */
export const errorResponses = {
  400: {
    description: 'Malformed JSON, or arrays and objects nested deeper than 64 levels (JSON_MAX_DEPTH)',
    content: problemContent,
  },
  401: { description: 'Missing, invalid or expired token', content: problemContent },
  404: { description: 'Not found, deleted, or another account’s', content: problemContent },
  409: { description: 'Conflict', content: problemContent },
  412: { description: 'If-Match matches no current entity tag (stale, weak or malformed)', content: problemContent },
  413: { description: 'Body over the limit (1 MiB; import-chat: IMPORT_MAX_MB)', content: problemContent },
  415: { description: 'Body is not JSON', content: problemContent },
  422: { description: 'Validation failed (see `errors`)', content: problemContent },
  426: { description: 'Not a WebSocket upgrade request', content: problemContent },
  429: { description: 'Rate limited (see Retry-After)', content: problemContent },
  500: { description: 'Unexpected error (no internals disclosed)', content: problemContent },
  501: { description: 'Not available on this runtime', content: problemContent },
  502: { description: 'The model endpoint failed or refused the request', content: problemContent },
  503: { description: 'A backing store is down (see Retry-After)', content: problemContent },
  504: { description: 'The model endpoint did not answer in time', content: problemContent },
} as const;

type Code = keyof typeof errorResponses;
export function errors<const C extends Code[]>(...codes: C): { [K in C[number]]: (typeof errorResponses)[K] } {
  return Object.fromEntries(codes.map((k) => [k, errorResponses[k]])) as never;
}
