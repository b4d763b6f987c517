import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TokenService } from '../auth/tokens.js';
import type { ReadCache } from '../cache/cache.js';
import type { LoginThrottle, RegistrationThrottle } from '../domain/accounts/login-throttle.js';
import type { Ctx, Deps } from '../domain/context.js';
import type { Logger } from '../logger.js';
import { problemResponse, zodIssues } from './errors.js';

/** The one typed bindings type for `c.var`. */
export interface AppBindings {
  Variables: {
    requestId: string;
    log: Logger;
    deps: Deps;
    tokens: TokenService;
    throttle: LoginThrottle;
    registration: RegistrationThrottle;
    /** The client's limit key: its address (TRUSTED_PROXIES decides whether X-Forwarded-For counts). */
    client: () => Promise<string>;
    cacheHealth?: () => 'ok' | 'degraded';
    /** Read-through cache of serialised read responses. */
    cache: ReadCache;
    /** PUBLIC_URL: the origin of share links; absent → the request's own. */
    publicUrl?: string;
    /** Set by the auth middleware on protected routes. */
    accountId: string;
    /**
     * Set when an Idempotency-Key was claimed: how a streamed answer settles it at its end, and `end()` when
     * the stream is over in any case (the claim's lease is renewed until then).
     */
    streamOutcome?: { complete(json: string): Promise<void>; release(): Promise<void>; end(): void };
  };
}

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;

/** A router whose validation failures answer 422 problem+json with field errors. */
export function createRouter(): OpenAPIHono<AppBindings> {
  return new OpenAPIHono<AppBindings>({
    strict: true,
    defaultHook: (result, c) => {
      if (!result.success) {
        return problemResponse(c, 422, 'The request does not match the schema', {
          issues: zodIssues(result.error, result.target),
        });
      }
    },
  });
}

/**
 * The service context of an authenticated request. Variables are read with `c.get`: Hono's `c.var` builds a new
 * object of every variable on each access (a measurable share of a cached read's CPU).
 */
export function ctxOf(c: Context<AppBindings>): Ctx {
  return { deps: c.get('deps'), accountId: c.get('accountId') };
}
