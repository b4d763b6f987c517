/**
 * The bearer middleware's fast path (src/http/middleware/auth.ts): a header seen before is not parsed again, but its
 * token's expiry and the account's presence are checked on every request all the same.
 */
import { expect, test } from 'bun:test';
import { Hono } from 'hono';
import { TokenService } from '../../src/auth/tokens.js';
import type { AppBindings } from '../../src/http/app-types.js';
import { HttpProblem } from '../../src/http/errors.js';
import { requireAuth } from '../../src/http/middleware/auth.js';

/** hono's verify reads the real clock for exp: the test's clock starts at it. */
const realNowFirst = () => Date.now();
const secret = 'a-test-secret-that-is-long-enough-0123456789';
const id = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';

test('a header seen before: accepted while its token lives and its account exists, refused after', async () => {
  let clock = realNowFirst();
  const realNow = Date.now;
  Date.now = () => clock; // the presence cache's clock
  try {
    const tokens = new TokenService(secret, 120, () => clock);
    let exists = true;
    let lookups = 0;
    const app = new Hono<AppBindings>();
    app.use(async (c, next) => {
      c.set('tokens', tokens);
      c.set('deps', {
        meta: {
          accountExists: async () => {
            lookups++;
            return exists;
          },
        },
      } as never);
      await next();
    });
    app.use(requireAuth());
    app.get('/x', (c) => c.text(c.get('accountId')));
    app.onError((e, c) => c.text(e.message, e instanceof HttpProblem ? (e.status as 401) : 500));
    const token = await tokens.issue(id);
    const call = async (header = `Bearer ${token}`) => {
      const r = await app.request('/x', { headers: { Authorization: header } });
      return [r.status, await r.text()];
    };

    expect(await call()).toEqual([200, id]);
    expect(await call()).toEqual([200, id]); // the fast path
    expect(lookups).toBe(1);
    expect((await call(`Bearer ${token}x`))[0]).toBe(401); // another header: parsed and verified
    // The account's presence is asked again after its minute; gone → refused, even for a header seen before.
    clock += 61_000;
    exists = false;
    expect((await call())[0]).toBe(401);
    expect(lookups).toBe(2);
    exists = true;
    expect(await call()).toEqual([200, id]);
    // The token's own exp: refused once reached, fast path or not.
    clock += 60_000;
    expect((await call())[0]).toBe(401);
  } finally {
    Date.now = realNow;
  }
});
