/**
 * One rule for every query parameter of the API, names included: text that a store cannot keep or compare
 * (U+0000, which PostgreSQL refuses as "invalid byte sequence", or an unpaired surrogate; see storableText)
 * → 422 naming the parameter, before any route sees it. Bodies get the same rule from their schemas.
 */
import type { MiddlewareHandler } from 'hono';
import { storableText } from '../../domain/model.js';
import type { AppBindings } from '../app-types.js';
import { HttpProblem } from '../errors.js';

const MESSAGE = 'must not contain U+0000 or unpaired surrogates';

export function storableQuery(): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    // Cheap tests first: most requests have no query at all, and a query without a percent-escape cannot hold
    // either (a request URL carries no raw control characters or lone surrogates; only an escape can decode to one).
    const url = c.req.url;
    const at = url.indexOf('?');
    if (at >= 0 && url.includes('%', at)) {
      const bad: { path: string; message: string }[] = [];
      for (const [name, values] of Object.entries(c.req.queries())) {
        if (!storableText(name)) bad.push({ path: '(query)', message: `a parameter name ${MESSAGE}` });
        else if (values.some((v) => !storableText(v))) bad.push({ path: name, message: MESSAGE });
      }
      if (bad.length > 0) throw new HttpProblem(422, 'A query parameter holds text that cannot be stored', {}, bad);
    }
    await next();
  };
}
