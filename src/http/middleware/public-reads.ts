/**
 * The public read of a share link (GET /api/v1/public/shares/{token}), which anyone may call: a budget of reads
 * per client address per minute (every read counts, a 404 too, so tokens cannot be guessed at speed; counted where
 * the limiter counts: Redis when REDIS_URL is set, else per process), and on every answer, 404 and 429 included,
 * `Cache-Control: no-store` (no HTTP cache may keep a page that a revocation must end at once) and
 * `Referrer-Policy: no-referrer` (the token is in the path).
 */
import type { MiddlewareHandler } from 'hono';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../domain/errors.js';
import type { AppBindings } from '../app-types.js';
import { errorToResponse } from '../errors.js';

export const PUBLIC_READ_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

/** `limiter`: reads per client per window; absent → no limit. */
export function publicReads(limiter?: RateLimiterAbstract): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    if (limiter) {
      try {
        await limiter.consume(`client:${await c.get('client')()}`, 1);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        const res = errorToResponse(
          c,
          RateLimitedError.after('Too many reads of shared chats from this address; try again later', e.msBeforeNext),
        );
        for (const [k, v] of Object.entries(PUBLIC_READ_HEADERS)) res.headers.set(k, v);
        return res;
      }
    }
    await next();
    for (const [k, v] of Object.entries(PUBLIC_READ_HEADERS)) c.res.headers.set(k, v);
  };
}
