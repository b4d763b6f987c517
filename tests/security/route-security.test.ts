/**
 * Protection is read from each operation's declaration (src/http/middleware/route-security.ts), and fails
 * closed: an operation without one, or an API handler that is no declared operation, refuses the start; a
 * handler that slipped past (registered after the check) is treated as protected. No database: routers only.
 */
import { describe, expect, test } from 'bun:test';
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../src/http/app-types.js';
import { RouteSecurity } from '../../src/http/middleware/route-security.js';

const ok = z.object({ ok: z.boolean() });
const route = (path: string, security?: unknown, method: 'get' | 'post' = 'get') =>
  createRoute({
    operationId: `op${path.replaceAll(/\W/g, '')}`,
    method,
    path,
    ...(security === undefined ? {} : { security: security as [] }),
    responses: { 200: { description: 'ok', content: { 'application/json': { schema: ok } } } },
  });

/** An app whose middleware answers 401 on protected requests, so access is visible from outside. */
function appWith(register: (app: ReturnType<typeof createRouter>) => void) {
  const security = new RouteSecurity();
  const app = createRouter();
  app.use(security.protectedOnly(async (c) => c.json({ refused: true }, 401)));
  register(app);
  return { app, security };
}

describe('route security declarations', () => {
  test('bearer and public declarations decide; wrong methods at a protected path are protected too', async () => {
    const { app, security } = appWith((a) => {
      a.openapi(route('/api/v1/private', [{ Bearer: [] }]), (c) => c.json({ ok: true }, 200));
      a.openapi(route('/api/v1/open', []), (c) => c.json({ ok: true }, 200));
      a.openapi(route('/api/v1/items/{id}', [{ Bearer: [] }]), (c) => c.json({ ok: true }, 200));
      a.get('/elsewhere', (c) => c.text('mine'));
    });
    security.seal(app);
    expect((await app.request('/api/v1/private')).status).toBe(401);
    expect((await app.request('/api/v1/private', { method: 'HEAD' })).status).toBe(401);
    expect((await app.request('/api/v1/items/42')).status).toBe(401);
    expect((await app.request('/api/v1/open')).status).toBe(200);
    expect((await app.request('/elsewhere')).status).toBe(200);
    // No route answers these: protected where a protected operation lives, else a plain 404.
    expect((await app.request('/api/v1/private', { method: 'DELETE' })).status).toBe(401);
    expect((await app.request('/api/v1/nothing-here')).status).toBe(404);
  });

  test('an operation without a declaration, or with one the app cannot enforce, refuses the start', () => {
    for (const security of [undefined, [{ ApiKey: [] }], [{}], [{ Bearer: [] }, { Other: [] }]]) {
      const { app, security: s } = appWith((a) => {
        a.openapi(route('/api/v1/undeclared', security), (c) => c.json({ ok: true }, 200));
      });
      expect(() => s.seal(app)).toThrow(/undeclared/);
    }
    // Outside /api/ too: an operation is an operation.
    const { app, security } = appWith((a) => {
      a.openapi(route('/status'), (c) => c.json({ ok: true }, 200));
    });
    expect(() => security.seal(app)).toThrow(/declares no security/);
  });

  test('an API handler that is no declared operation refuses the start (per method, or for every method)', () => {
    const plain = appWith((a) => {
      a.get('/api/v1/plain', (c) => c.text('unguarded?'));
    });
    expect(() => plain.security.seal(plain.app)).toThrow(/GET \/api\/v1\/plain is no OpenAPI operation/);
    const any = appWith((a) => {
      a.all('/api/v1/any', (c) => c.text('unguarded?'));
    });
    expect(() => any.security.seal(any.app)).toThrow(/ALL \/api\/v1\/any/);
    // Hidden from the document: no declaration either.
    const hidden = appWith((a) => {
      a.openapi({ ...route('/api/v1/hidden', []), hide: true }, (c) => c.json({ ok: true }, 200));
    });
    expect(() => hidden.security.seal(hidden.app)).toThrow(/GET \/api\/v1\/hidden/);
  });

  test('a handler registered after the check is protected all the same; before the check nothing is served', async () => {
    const unsealed = appWith((a) => {
      a.openapi(route('/api/v1/open', []), (c) => c.json({ ok: true }, 200));
    });
    unsealed.app.onError((_, c) => c.text('refused', 500));
    expect((await unsealed.app.request('/api/v1/open')).status).toBe(500);
    const { app, security } = appWith(() => {});
    security.seal(app);
    app.get('/api/v1/late', (c) => c.text('unguarded?'));
    expect((await app.request('/api/v1/late')).status).toBe(401);
  });

  test('an operation that authenticates itself is passed through, and must be a declared bearer operation', async () => {
    const { app, security } = appWith((a) => {
      a.openapi(route('/api/v1/socket', [{ Bearer: [] }]), (c) => c.json({ ok: true }, 200));
    });
    security.seal(app, { ownAuthentication: ['GET /api/v1/socket'] });
    expect((await app.request('/api/v1/socket')).status).toBe(200);
    expect(() => new RouteSecurity().seal(app, { ownAuthentication: ['GET /api/v1/nope'] })).toThrow(
      /GET \/api\/v1\/nope/,
    );
  });
});
