/** One structured log line per request, carrying the request id; never headers or bodies. */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../logger.js';
import type { AppBindings } from '../app-types.js';

export function requestLog(root: Logger): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const start = performance.now();
    const log = root.child({ req_id: c.var.requestId });
    c.set('log', log);
    await next();
    const ms = Math.round((performance.now() - start) * 10) / 10;
    const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms };
    if (c.res.status >= 500) log.error(line, 'request');
    else log.info(line, 'request');
  };
}
