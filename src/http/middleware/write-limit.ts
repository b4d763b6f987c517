/**
 * Per-account write rate limit (OWASP API4, unrestricted resource consumption): every POST, PUT, PATCH or
 * DELETE on the protected routes counts against the caller's account in a fixed window; past the limit the
 * answer is 429 with Retry-After, before the body is read or anything is stored. Reads are not limited.
 * Counted per process (a deployment of N instances allows up to N × the limit).
 */
import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../domain/errors.js';
import type { AppBindings } from '../app-types.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function writeRateLimit(limit: { points: number; windowSeconds: number }): MiddlewareHandler<AppBindings> {
  const limiter = new RateLimiterMemory({ points: limit.points, duration: limit.windowSeconds, keyPrefix: 'write' });
  return async (c, next) => {
    if (!WRITES.has(c.req.method)) return next();
    try {
      const res = await limiter.consume(c.var.accountId, 1);
      c.header('RateLimit-Limit', String(limit.points));
      c.header('RateLimit-Remaining', String(res.remainingPoints));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      throw RateLimitedError.after(
        `More than ${limit.points} writes in ${limit.windowSeconds} s; slow down`,
        e.msBeforeNext,
      );
    }
    await next();
  };
}
