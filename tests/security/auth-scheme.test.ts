/**
 * The Bearer scheme as RFC 9110 §11.1 defines it (case-insensitive, one or more spaces before the token), the
 * same on every route that takes a token (the API and the event socket), and /metrics closed to anyone
 * without METRICS_TOKEN (issue 16).
 */

import { beforeAll, describe, expect, test } from 'bun:test';
import { bearerToken } from '../../src/http/middleware/auth.js';
import { appFor, testServices } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

type App = ReturnType<typeof appFor>;
let app: App;
beforeAll(async () => {
  app = appFor(await testServices(), { events: true });
});

const PROTECTED = '/api/v1/chats/list-chats';

describe('the Bearer scheme', () => {
  test('any case of `bearer` and any number of spaces before the token authenticate', async () => {
    const a = await newAccount(app);
    for (const scheme of ['bearer ', 'BEARER ', 'BeArEr ', 'Bearer   ', 'bearer  ']) {
      const r = await new Client(app).call('GET', PROTECTED, { headers: { Authorization: `${scheme}${a.token}` } });
      expect(r.status).toBe(200);
    }
  });

  test('other schemes, a missing token, a tab or trailing words → 401', async () => {
    const a = await newAccount(app);
    for (const header of [
      `Basic ${a.token}`,
      'Bearer',
      'bearer ',
      `Bearer\t${a.token}`,
      `Bearer ${a.token} x`,
      a.token,
    ]) {
      const r = await new Client(app).call('GET', PROTECTED, { headers: { Authorization: header as string } });
      expectProblem(r, 401);
      expect(r.headers.get('WWW-Authenticate')).toStartWith('Bearer');
    }
  });

  test('the event socket reads the header with the same rule (lower-case bearer is past auth: 501 in process)', async () => {
    const a = await newAccount(app);
    const upgrade = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' };
    const lower = await new Client(app).call('GET', '/api/v1/ws', {
      headers: { ...upgrade, Authorization: `bearer  ${a.token}` },
    });
    // Authenticated: what stops it in process is only that there is no Bun server to upgrade with.
    expectProblem(lower, 501);
    const wrong = await new Client(app).call('GET', '/api/v1/ws', {
      headers: { ...upgrade, Authorization: `basic ${a.token}` },
    });
    expectProblem(wrong, 401);
  });

  test('bearerToken()', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER    a.b.c')).toBe('a.b.c');
    expect(bearerToken('Bearerabc')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
  });
});

describe('/metrics', () => {
  test('without METRICS_TOKEN: 404 to anyone but loopback (in process there is no loopback peer)', async () => {
    const services = await testServices();
    const open = appFor(services);
    const variants: Record<string, string>[] = [
      {},
      { 'X-Forwarded-For': '127.0.0.1' },
      { Authorization: 'Bearer anything-at-all-123' },
    ];
    for (const headers of variants) {
      const r = await open.request('/metrics', { headers });
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain('branchat_cache');
    }
  });

  test('with METRICS_TOKEN: only `Bearer <token>` (any case of the scheme) reads it; else 401', async () => {
    const services = await testServices();
    const metricsToken = `metrics-${crypto.randomUUID()}`;
    const guarded = appFor(services, { metricsToken });
    for (const auth of [
      undefined,
      'Bearer wrong-token-wrong-token',
      `Bearer ${metricsToken}x`,
      `Basic ${metricsToken}`,
    ]) {
      const r = await new Client(guarded).call('GET', '/metrics', { headers: auth ? { Authorization: auth } : {} });
      expectProblem(r, 401);
    }
    for (const auth of [`Bearer ${metricsToken}`, `bearer  ${metricsToken}`]) {
      const r = await guarded.request('/metrics', { headers: { Authorization: auth } });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('branchat_cache_hit_total');
    }
  });
});
