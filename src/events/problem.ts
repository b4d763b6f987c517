/**
 * The vocabulary of problem details (RFC 9457): each status's `type` and `title`. Shared by the HTTP answers
 * (src/http/errors.ts builds whole problem documents from it) and the event socket's error frames, which carry
 * the same body without an HTTP response around it; so it lives here, below the transport.
 */

/** Status → [type slug, title]; a status not listed is `/problems/error`, "Error". */
export const PROBLEM_TYPES: Readonly<Record<number, readonly [string, string]>> = {
  400: ['bad-request', 'Bad Request'],
  401: ['unauthorized', 'Unauthorized'],
  404: ['not-found', 'Not Found'],
  405: ['method-not-allowed', 'Method Not Allowed'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition Failed'],
  413: ['payload-too-large', 'Content Too Large'],
  415: ['unsupported-media-type', 'Unsupported Media Type'],
  422: ['validation', 'Unprocessable Content'],
  426: ['upgrade-required', 'Upgrade Required'],
  429: ['rate-limited', 'Too Many Requests'],
  500: ['internal', 'Internal Server Error'],
  499: ['cancelled', 'Client Closed Request'],
  501: ['not-implemented', 'Not Implemented'],
  502: ['bad-gateway', 'Bad Gateway'],
  503: ['unavailable', 'Service Unavailable'],
  504: ['gateway-timeout', 'Gateway Timeout'],
};

/** A problem's type, title, status and detail (the event socket's error frames use it as is). */
export function problemBody(status: number, detail: string) {
  const [slug, title] = PROBLEM_TYPES[status] ?? ['error', 'Error'];
  return { type: `/problems/${slug}`, title, status, detail };
}
