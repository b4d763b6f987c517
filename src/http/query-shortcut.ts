/**
 * A validation shortcut for a route's query in its common spellings. Hono's validator builds an object of every
 * query parameter and zod parses it (asynchronously) on each request: on a cached read that is a large share of
 * the route's own work. A route can name a `shortcut`: a plain parser of the raw query string that recognises only
 * a canonical subset of what the schema accepts (the spellings clients send) and gives exactly what the schema
 * would give for it, or null for anything else. Null → the schema decides, as without a shortcut, with the same
 * answers and the same 422s. tests/unit/query-shortcut.test.ts holds every shortcut to the schema it stands for.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppBindings, AppRouteHandler } from './app-types.js';

/** The raw query of a request (after `?`, `''` without one). */
export function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}

/**
 * The route with a first step that answers through `handler` when `shortcut` recognises the query (its result is
 * what `c.req.valid('query')` returns), and otherwise leaves the request to the route's own validation. The
 * OpenAPI document is the route's: the step is not part of it.
 */
export function withQueryShortcut<R extends RouteConfig>(
  route: R,
  handler: AppRouteHandler<R>,
  shortcut: (query: string) => object | null,
): R {
  const step: MiddlewareHandler<AppBindings> = (c, next) => {
    const parsed = shortcut(rawQuery(c.req.url));
    if (parsed === null) return next();
    c.req.addValidatedData('query', parsed);
    return (handler as unknown as (c: Context<AppBindings>, next: () => Promise<void>) => Promise<Response>)(c, next);
  };
  const own =
    route.middleware === undefined ? [] : Array.isArray(route.middleware) ? route.middleware : [route.middleware];
  return { ...route, middleware: [...own, step] };
}

/** A UUID as clients write it: lower-case hex, RFC 9562 version 1–8 and variant 10xx (a subset of what z.uuid() takes). */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const canonicalUuid = (v: string): boolean => v.length === 36 && CANONICAL_UUID.test(v);

/** A page size as clients write it: digits without a leading zero, within min..max; else null. */
export function canonicalInt(v: string, min: number, max: number): number | null {
  if (v.length === 0 || v.length > 4 || v.charCodeAt(0) === 0x30) return null;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return null;
  }
  const n = Number(v);
  return n >= min && n <= max ? n : null;
}

/**
 * The `name=value` pairs of a query in which nothing is escaped (no `%`, no `+`), each name once and among
 * `names`; null for any other query (the schema decides those).
 */
export function plainParams(query: string, names: ReadonlySet<string>): Map<string, string> | null {
  if (query.length === 0 || query.includes('%') || query.includes('+')) return null;
  const params = new Map<string, string>();
  let at = 0;
  while (at <= query.length) {
    let end = query.indexOf('&', at);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', at);
    if (eq < 0 || eq >= end) return null;
    const name = query.slice(at, eq);
    if (!names.has(name) || params.has(name)) return null;
    params.set(name, query.slice(eq + 1, end));
    at = end + 1;
  }
  return params;
}
