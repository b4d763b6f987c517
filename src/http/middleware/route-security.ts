/**
 * Protection is a property of each operation, declared with its route (its OpenAPI `security`), not of path
 * prefixes: `security: [{ Bearer: [] }]` → the app checks the bearer token, and the account's write limit and
 * Idempotency-Key apply; `security: []` → public. Fail closed: once every route is registered, `seal()` reads
 * the declarations and refuses to start when an operation has none (or one this app cannot enforce), or when a
 * handler under /api/ is no declared operation; a request answered by an undeclared handler under /api/ is
 * treated as protected all the same.
 *
 * A request is classified by the route that answers it (the handler Hono matched), so these middleware keep
 * their place in the chain (auth before body rules; see app.ts). A request no route answers (404) is protected
 * when an operation at its exact path is (a wrong method → 401 before 404, as before). Outside /api/, handlers
 * that are no operation (the docs, /metrics, the web app) keep their own rules.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppBindings } from '../app-types.js';

/** `bearer`: checked here; `public`: no token needed; `own`: the handler authenticates (the event socket). */
export type Access = 'bearer' | 'public' | 'own';

/** The security scheme the app enforces (components.securitySchemes). */
export const BEARER_SCHEME = 'Bearer';

const API_PREFIX = '/api/';

/** OpenAPI's `/a/{id}` as Hono routes it (`/a/:id`), as OpenAPIHono registers it. */
const honoPath = (path: string) => path.replaceAll(/\/{(.+?)}/g, '/:$1');

interface RouteDeclaration {
  method: string;
  path: string;
  operationId?: string;
  security?: unknown;
}

function accessOf(route: RouteDeclaration): Access {
  const name = `${route.operationId ?? ''} (${route.method.toUpperCase()} ${route.path})`;
  const security = route.security;
  if (!Array.isArray(security)) {
    throw new Error(`${name} declares no security: give it security: [{ ${BEARER_SCHEME}: [] }] or, public, []`);
  }
  if (security.length === 0) return 'public';
  const onlyBearer = security.every((requirement) => {
    const keys = Object.keys(requirement ?? {});
    return keys.length === 1 && keys[0] === BEARER_SCHEME;
  });
  if (!onlyBearer) throw new Error(`${name}: only [] or [{ ${BEARER_SCHEME}: [] }] can be enforced`);
  return 'bearer';
}

export class RouteSecurity {
  /** `METHOD /path` (Hono's form) → access; null until sealed. */
  private operations: Map<string, Access> | null = null;
  /** Paths at which some operation is protected (for requests that no route answers). */
  private readonly protectedPaths = new Set<string>();
  /**
   * Requests already classified, by method and path (what decides the answering route): a client calls the same
   * few operations again and again. Bounded (paths are the client's to choose): cleared when full.
   */
  private readonly classified = new Map<string, Access>();

  /**
   * Reads the declarations of every operation registered on `app`; throws (the start fails) on a missing or
   * unenforceable one, or on a handler under /api/ that is no declared operation. `ownAuthentication`:
   * operations (`GET /path`) that declare bearer security but whose handler checks the token itself.
   */
  seal(app: OpenAPIHono<AppBindings>, options: { ownAuthentication?: readonly string[] } = {}): void {
    const operations = new Map<string, Access>();
    for (const def of app.openAPIRegistry.definitions) {
      if (def.type !== 'route') continue;
      const route = def.route as RouteDeclaration;
      const path = honoPath(route.path);
      const access = accessOf(route);
      operations.set(`${route.method.toUpperCase()} ${path}`, access);
    }
    for (const key of options.ownAuthentication ?? []) {
      if (operations.get(key) !== 'bearer') {
        throw new Error(`${key}: listed as authenticating itself, but it is no operation declaring bearer security`);
      }
      operations.set(key, 'own');
    }
    for (const [key, access] of operations)
      if (access === 'bearer') this.protectedPaths.add(key.slice(key.indexOf(' ') + 1));
    for (const route of app.routes) {
      if (!route.path.startsWith(API_PREFIX)) continue;
      if (route.method === 'ALL') {
        // Middleware under /api/ sit on a wildcard or on a declared operation's path; anything else is a handler
        // for every method, which no declaration covers.
        if (!route.path.endsWith('*') && ![...operations.keys()].some((k) => k.endsWith(` ${route.path}`))) {
          throw new Error(`ALL ${route.path}: API handlers are registered per method, each a declared operation`);
        }
      } else if (!operations.has(`${route.method} ${route.path}`)) {
        throw new Error(
          `${route.method} ${route.path} is no OpenAPI operation: register it with openapi() and security`,
        );
      }
    }
    this.operations = operations;
  }

  /** How the request is reached (see the module comment). */
  access(c: Context): Access {
    const request = `${c.req.method} ${c.req.path}`;
    const known = this.classified.get(request);
    if (known) return known;
    const operations = this.operations;
    if (!operations) throw new Error('RouteSecurity: seal() was not called after the routes were registered');
    let access: Access | undefined;
    const routes = matchedRoutes(c);
    for (let i = routes.length - 1; i >= 0 && access === undefined; i--) {
      const route = routes[i];
      if (!route || route.method === 'ALL') continue; // middleware
      access =
        operations.get(`${route.method} ${route.path}`) ?? (route.path.startsWith(API_PREFIX) ? 'bearer' : 'public');
    }
    access ??= this.protectedPaths.has(c.req.path) ? 'bearer' : 'public';
    if (this.classified.size >= 1024) this.classified.clear();
    this.classified.set(request, access);
    return access;
  }

  /** `mw` on the requests of operations the app protects (bearer); every other request passes by. */
  protectedOnly(mw: MiddlewareHandler<AppBindings>): MiddlewareHandler<AppBindings> {
    return (c, next) => (this.access(c) === 'bearer' ? mw(c, next) : next());
  }
}
