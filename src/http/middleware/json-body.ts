/**
 * Body rules for JSON routes, before schema validation: at most 1 MiB (import-chat: IMPORT_MAX_MB), also
 * when chunked, without Content-Length → 413; a body that is not JSON → 415; malformed JSON → 400.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppBindings } from '../app-types.js';
import { HttpProblem } from '../errors.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

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
      try {
        // Parsed once here; Hono caches it for the validator.
        await c.req.json();
      } catch (e) {
        // Only a parse failure is the client's malformed JSON; a body-limit abort must reach bodyLimit.
        if (e instanceof SyntaxError) throw new HttpProblem(400, 'The body is not valid JSON');
        throw e;
      }
    }
    await next();
  };
}
