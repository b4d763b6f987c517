/**
 * One structured log line per request, carrying the request id; never headers or bodies, and never a share link's
 * token (it is in the path: loggedPath).
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../logger.js';
import type { AppBindings } from '../app-types.js';

/** Paths that carry a share link's token, up to the token. */
// Any spelling a router might still match or a client might send (case, repeated slashes): the token never shows.
const TOKEN_PATH = /(\/+api\/+v1\/+public\/+shares\/+|\/+app\/+s\/+)[^/]+/gi;

/** The path as logs and traces may hold it: a share link's token is replaced by `{token}`. */
export function loggedPath(path: string): string {
  return path.replace(TOKEN_PATH, '$1{token}');
}

export function requestLog(root: Logger): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const start = performance.now();
    const log = root.child({ req_id: c.get('requestId') });
    c.set('log', log);
    await next();
    const ms = Math.round((performance.now() - start) * 10) / 10;
    const line = { method: c.req.method, path: loggedPath(c.req.path), status: c.res.status, ms };
    if (c.res.status >= 500) log.error(line, 'request');
    else log.info(line, 'request');
  };
}
