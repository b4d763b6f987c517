/**
 * Body rules for JSON routes, before schema validation: at most 1 MiB (import-chat: IMPORT_MAX_MB), also
 * when chunked, without Content-Length → 413; a body that is not JSON → 415; malformed JSON, or JSON nested
 * deeper than JSON_MAX_DEPTH → 400; a client that goes away while sending it → 499 (logged at info).
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CancelledError } from '../../domain/errors.js';
import type { AppBindings } from '../app-types.js';
import { HttpProblem } from '../errors.js';
import { refusedBeforeWork } from './write-limit.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The deepest nesting of arrays and objects a body may have (the top-level value is depth 1). Checked once
 * here, so that nothing after it (Idempotency-Key hashing, validation, importers) walks an unbounded depth
 * recursively. The deepest legitimate body, a ChatGPT conversations.json, nests about 10 levels (its
 * `mapping` is flat); branchat.tree.v1 exports about 5.
 */
export const JSON_MAX_DEPTH = 64;

/** The nesting depth of a parsed JSON value, counted without recursion; stops once past `max`. */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The same rule on the body's text, before it is parsed: scans brackets outside strings and stops at the first
 * level past `max`, so a body nested a million levels deep costs the scan of its first `max` brackets, not a
 * full parse (which builds every level in memory first). Exact for valid JSON; for invalid text its answer
 * does not matter (the parse refuses it with the same 400).
 */
export function jsonTextDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // a backslash escapes the next character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

const JSON_TYPE_RE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

function limit(bytes: number): MiddlewareHandler<AppBindings> {
  return bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new HttpProblem(413, `The body exceeds ${bytes} bytes`);
    },
  });
}

/** 1 MiB everywhere, but the paths given (imports) have their own, larger limit. */
export function limitBody(larger: { paths: string[]; bytes: number } = { paths: [], bytes: 0 }) {
  const normal = limit(BODY_LIMIT_BYTES);
  const big = limit(larger.bytes);
  const handler: MiddlewareHandler<AppBindings> = (c, next) =>
    larger.paths.includes(c.req.path) ? big(c, next) : normal(c, next);
  return handler;
}

export function requireJsonBody(): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') {
      const type = c.req.header('Content-Type') ?? '';
      if (!JSON_TYPE_RE.test(type)) throw new HttpProblem(415, 'Send the body as application/json');
      let text: string;
      try {
        text = await c.req.text();
      } catch (e) {
        // The client closed the connection before the whole body arrived: nothing to answer, nothing wrong here.
        if (c.req.raw.signal.aborted) {
          refusedBeforeWork(c);
          throw new CancelledError('The client closed the request before sending its body');
        }
        throw e;
      }
      // The depth first, on the text: a deep body is refused before the parser builds it.
      if (jsonTextDepthExceeds(text, JSON_MAX_DEPTH)) {
        throw new HttpProblem(400, `The body nests arrays and objects deeper than ${JSON_MAX_DEPTH} levels`);
      }
      try {
        // Validity only: Hono's c.req.json() parses the cached text wherever the body is needed.
        JSON.parse(text);
      } catch {
        throw new HttpProblem(400, 'The body is not valid JSON');
      }
    }
    await next();
  };
}

/**
 * The request rules of every API route, in their order: the body's size (limitBody), a JSON body where one is
 * taken (requireJsonBody), then the query's text (`query`: storableQuery). A request that announces no body (no
 * Content-Length, no Transfer-Encoding: a GET as clients send it) has nothing for the first two to check, so it
 * goes straight to the query rule: one step instead of three on the hottest routes (reads).
 */
export function requestRules(
  larger: { paths: string[]; bytes: number },
  query: MiddlewareHandler<AppBindings>,
): MiddlewareHandler<AppBindings> {
  const size = limitBody(larger);
  const json = requireJsonBody();
  return (c, next) => {
    const headers = c.req.raw.headers;
    if (c.req.method === 'GET' && !headers.has('content-length') && !headers.has('transfer-encoding')) {
      return query(c, next);
    }
    return size(c, () => json(c, () => query(c, next) as Promise<void>) as Promise<void>) as Promise<void>;
  };
}
