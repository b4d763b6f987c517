/**
 * Authentication per docs/api.md: register/login, the token contract (HS256 only, numeric `exp` required, `sub`
 * must be an account), auth before anything else, login brute-force throttling, the per-client registration
 * limit, and whose address those per-client limits count (TRUSTED_PROXIES and X-Forwarded-For, over a real
 * socket: in process there is no peer address).
 * Forged tokens are built by hand so that each one differs from a valid token in exactly one respect.
 */

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { type Listener, listen } from '../../src/runtime.js';
import { appFor, TEST_JWT_SECRET, testApp, testServices } from '../support/app.js';
import { Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
let app: App;
beforeAll(async () => {
  ({ app } = await testApp());
});

const REGISTER = '/api/v1/auth/register';
const LOGIN = '/api/v1/auth/login';
const PROTECTED = '/api/v1/chats/list-chats';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  { secret = TEST_JWT_SECRET, hash = 'sha256' }: { secret?: string; hash?: string } = {},
): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const HS256 = { alg: 'HS256', typ: 'JWT' };

function decodePart(token: string, i: 0 | 1): any {
  return JSON.parse(Buffer.from(token.split('.')[i] as string, 'base64url').toString('utf8'));
}

function expect401(r: Res) {
  expectProblem(r, 401);
  expect(r.headers.get('WWW-Authenticate')).toStartWith('Bearer');
}

let seq = 0;
const freshEmail = (tag = 'auth') => `${tag}${Date.now().toString(36)}${(seq++).toString(36)}@example.com`;

describe('register', () => {
  test('201 with {account_id, token, token_type, expires_in}; the token is an HS256 JWT for that account', async () => {
    const r = await new Client(app).call('POST', REGISTER, { body: { email: freshEmail(), password: 'p'.repeat(8) } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['account_id', 'expires_in', 'token', 'token_type']);
    expect(r.body.account_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.body.token_type).toBe('Bearer');
    expect(Number.isInteger(r.body.expires_in)).toBe(true);
    expect(r.body.expires_in).toBeGreaterThan(0);
    expect(decodePart(r.body.token, 0).alg).toBe('HS256');
    const claims = decodePart(r.body.token, 1);
    expect(claims.sub).toBe(r.body.account_id);
    expect(claims.exp - claims.iat).toBe(r.body.expires_in);
    expect(Math.abs(claims.iat - now())).toBeLessThan(60);
    // And it works.
    const list = await new Client(app, r.body.token).listChats();
    expect(list.status).toBe(200);
    expect(list.body.chats).toEqual([]);
  });

  test('a duplicate email, in any letter case, → 409 problem; the first account is untouched', async () => {
    const anon = new Client(app);
    const email = freshEmail('Dup');
    const first = await anon.call('POST', REGISTER, { body: { email, password: 'first password' } });
    expect(first.status).toBe(201);
    for (const variant of [email, email.toLowerCase(), email.toUpperCase()]) {
      expectProblem(await anon.call('POST', REGISTER, { body: { email: variant, password: 'second password' } }), 409);
    }
    // The original password still logs in, the second does not.
    const ok = await anon.call('POST', LOGIN, { body: { email, password: 'first password' } });
    expect(ok.status).toBe(200);
    expect(ok.body.account_id).toBe(first.body.account_id);
    expect401(await anon.call('POST', LOGIN, { body: { email, password: 'second password' } }));
  });

  test('password length: 7 and 129 → 422 with errors and no account; 8 and 128 → 201', async () => {
    const anon = new Client(app);
    // 65 emoji are 130 UTF-16 code units (the unit docs/api.md counts in), though only 65 code points.
    for (const password of ['x'.repeat(7), 'x'.repeat(129), '😀'.repeat(65)]) {
      const email = freshEmail('len');
      const r = await anon.call('POST', REGISTER, { body: { email, password } });
      expectProblem(r, 422);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('password');
      // Nothing was stored: the email is still free.
      expect((await anon.call('POST', REGISTER, { body: { email, password: 'long enough' } })).status).toBe(201);
    }
    for (const len of [8, 128]) {
      const email = freshEmail('len');
      const password = 'y'.repeat(len);
      expect((await anon.call('POST', REGISTER, { body: { email, password } })).status).toBe(201);
      expect((await anon.call('POST', LOGIN, { body: { email, password } })).status).toBe(200);
    }
  });

  test('a malformed email or an unknown field → 422', async () => {
    const anon = new Client(app);
    expectProblem(await anon.call('POST', REGISTER, { body: { email: 'not-an-email', password: 'long enough' } }), 422);
    const r = await anon.call('POST', REGISTER, {
      body: { email: freshEmail(), password: 'long enough', account_id: crypto.randomUUID() },
    });
    expectProblem(r, 422);
    expect(r.body.errors.length).toBeGreaterThan(0);
  });
});

describe('login', () => {
  test('200 with the same shape, case-insensitive on the email; the token works', async () => {
    const a = await newAccount(app);
    const anon = new Client(app);
    for (const email of [a.email, a.email.toUpperCase(), `${a.email[0]?.toUpperCase()}${a.email.slice(1)}`]) {
      const r = await anon.call('POST', LOGIN, { body: { email, password: a.password } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ account_id: a.accountId, token_type: 'Bearer', expires_in: expect.any(Number) });
      expect(decodePart(r.body.token, 1).sub).toBe(a.accountId);
      expect((await new Client(app, r.body.token).listChats()).status).toBe(200);
    }
  });

  test('wrong password and unknown email → identical 401 bodies apart from `instance`', async () => {
    const a = await newAccount(app);
    const anon = new Client(app);
    const wrongPassword = await anon.call('POST', LOGIN, { body: { email: a.email, password: 'wrong password!' } });
    const unknownEmail = await anon.call('POST', LOGIN, {
      body: { email: freshEmail('nobody'), password: a.password },
    });
    for (const r of [wrongPassword, unknownEmail]) expect401(r);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(wrongPassword.body)).toEqual(strip(unknownEmail.body));
    expect(wrongPassword.body.instance).not.toBe(unknownEmail.body.instance);
    expect(JSON.stringify(wrongPassword.body)).not.toContain(a.email);
  });
});

describe('tokens on a protected route', () => {
  let a: Awaited<ReturnType<typeof newAccount>>;
  beforeAll(async () => {
    a = await newAccount(app);
  });
  const get = (headers: Record<string, string>) => new Client(app).call('GET', PROTECTED, { headers });
  const bearer = (token: string) => get({ Authorization: `Bearer ${token}` });

  test('a hand-built HS256 token with the right secret is accepted (the forging below is sound)', async () => {
    const r = await bearer(forge(HS256, { sub: a.accountId, iat: now(), exp: now() + 300 }));
    expect(r.status).toBe(200);
  });

  test('no token, an empty or garbage token, or another scheme → 401 with WWW-Authenticate: Bearer', async () => {
    expect401(await get({}));
    expect401(await get({ Authorization: '' }));
    expect401(await get({ Authorization: 'Bearer' }));
    expect401(await get({ Authorization: 'Bearer ' }));
    expect401(await bearer('garbage'));
    expect401(await bearer('a.b.c'));
    expect401(await get({ Authorization: `Basic ${a.token}` }));
    expect401(await get({ Authorization: `Token ${a.token}` }));
    expect401(await get({ Authorization: a.token as string }));
    expect401(await get({ Authorization: `Bearer ${a.token} extra` }));
  });

  test('alg none (unsigned), HS512, and HS256 with another secret → 401', async () => {
    const claims = { sub: a.accountId, iat: now(), exp: now() + 300 };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expect401(await bearer(unsigned));
    expect401(await bearer(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}`));
    // alg none but carrying a valid HS256 signature of its own input: still not HS256.
    expect401(await bearer(forge({ alg: 'none', typ: 'JWT' }, claims)));
    expect401(await bearer(forge({ alg: 'HS512', typ: 'JWT' }, claims, { hash: 'sha512' })));
    expect401(await bearer(forge({ alg: 'HS384', typ: 'JWT' }, claims, { hash: 'sha384' })));
    expect401(await bearer(forge(HS256, claims, { secret: `${TEST_JWT_SECRET}-other` })));
    // Algorithm confusion: an RS256/ES256 header over an HMAC made with the shared secret as the "key".
    expect401(await bearer(forge({ alg: 'RS256', typ: 'JWT' }, claims)));
    expect401(await bearer(forge({ alg: 'ES256', typ: 'JWT' }, claims)));
    expect401(await bearer(forge({ typ: 'JWT' }, claims)));
    expect401(await bearer(forge(HS256, claims, { secret: '' })));
  });

  test('a missing, non-numeric, zero or past `exp` → 401', async () => {
    const base = { sub: a.accountId, iat: now() };
    expect401(await bearer(forge(HS256, base)));
    expect401(await bearer(forge(HS256, { ...base, exp: String(now() + 300) })));
    expect401(await bearer(forge(HS256, { ...base, exp: null })));
    expect401(await bearer(forge(HS256, { ...base, exp: 0 })));
    expect401(await bearer(forge(HS256, { ...base, iat: now() - 120, exp: now() - 60 })));
    expect401(await bearer(forge(HS256, { ...base, exp: now() })));
  });

  test('a valid signature over a `sub` that is no account, or a tampered payload → 401', async () => {
    expect401(await bearer(forge(HS256, { sub: crypto.randomUUID(), iat: now(), exp: now() + 300 })));
    expect401(await bearer(forge(HS256, { sub: 'admin', iat: now(), exp: now() + 300 })));
    expect401(await bearer(forge(HS256, { iat: now(), exp: now() + 300 })));
    // Swap the payload of a real token for another account's claims, keeping the original signature.
    const b = await newAccount(app);
    const [h, , s] = (a.token as string).split('.');
    expect401(await bearer(`${h}.${b64url({ ...decodePart(a.token as string, 1), sub: b.accountId })}.${s}`));
  });

  test('a rejected token reveals nothing about the account', async () => {
    const r = await bearer(forge(HS256, { sub: a.accountId, iat: now(), exp: now() - 1 }));
    expect401(r);
    expect(JSON.stringify(r.body)).not.toContain(a.accountId as string);
  });
});

describe('authentication comes before anything else', () => {
  const anon = () => new Client(app, null);

  test('no token + malformed JSON, unknown field, wrong content type or bad ids → 401, and nothing is stored', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const c = anon();
    expect401(
      await c.call('POST', '/api/v1/chats/create-chat', {
        rawBody: '{"name":',
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    expect401(await c.call('POST', '/api/v1/chats/create-chat', { body: { name: 'x', account_id: a.accountId } }));
    expect401(
      await c.call('POST', '/api/v1/chats/create-chat', {
        rawBody: 'name=x',
        headers: { 'Content-Type': 'text/plain' },
      }),
    );
    expect401(
      await c.call('POST', '/api/v1/messages/add-message', { body: { chat_id: chatId, question: 'q', nope: 1 } }),
    );
    expect401(await c.call('POST', '/api/v1/messages/add-message', { body: { chat_id: chatId, question: 'sneaky' } }));
    expect401(
      await c.call('PUT', '/api/v1/branches/set-active-branch', {
        rawBody: '[',
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    expect401(await c.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: 'not-a-uuid', limit: 0 } }));
    expect401(await c.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: chatId } }));
    expect401(await c.call('DELETE', '/api/v1/chats/delete-chat', { query: { chat_id: chatId } }));
    expect401(await c.call('GET', '/api/v1/branches/get-branches', { query: { 'chat_id[$ne]': 'x' } }));
    // Oversized body without a token: still 401, not 413.
    expect401(await c.call('POST', '/api/v1/chats/create-chat', { body: { name: 'n'.repeat(2 * 1024 * 1024) } }));
    // A valid token with the same malformed body gets the body error instead.
    const bad = await a.call('POST', '/api/v1/chats/create-chat', {
      rawBody: '{"name":',
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(bad, 400);

    const list = await a.listChats();
    expect(list.body.chats.map((x: { chat_id: string }) => x.chat_id)).toEqual([chatId]);
    expect(await a.questions(chatId)).toEqual(['q1']);
  });
});

describe('login brute force', () => {
  test('after 3 failures for one email the 4th attempt, even right, → 429 with Retry-After; old tokens still work', async () => {
    // A separate app with its own throttle, so the failures here do not leak into the other tests.
    const { app: limited } = await testApp({ login: { maxFailures: 3, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const anon = new Client(limited);
    const before = await anon.call('POST', LOGIN, { body: { email: a.email, password: a.password } });
    expect(before.status).toBe(200);
    const issued = new Client(limited, before.body.token);

    for (let i = 0; i < 3; i++) {
      expect401(await anon.call('POST', LOGIN, { body: { email: a.email, password: `wrong password ${i}` } }));
    }
    for (const email of [a.email, a.email.toUpperCase()]) {
      const r = await anon.call('POST', LOGIN, { body: { email, password: a.password } });
      expectProblem(r, 429);
      const retry = Number(r.headers.get('Retry-After'));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(r.body.token).toBeUndefined();
    }

    // Tokens issued before (at register and at the earlier login) keep working.
    expect((await issued.listChats()).status).toBe(200);
    expect((await a.createChat('still here')).status).toBe(201);
    expect((await issued.listChats()).body.chats.length).toBe(1);
  });

  test('failures are also counted per client: guesses spread over many emails hit the limit too', async () => {
    const { app: limited } = await testApp({ login: { maxFailures: 3, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const anon = new Client(limited);
    for (let i = 0; i < 3; i++) {
      const email = `nobody-${i}-${crypto.randomUUID()}@example.com`;
      expect401(await anon.call('POST', LOGIN, { body: { email, password: 'a guess that fails' } }));
    }
    // A fourth email, never tried before, with the right password: the client is over its limit.
    const r = await anon.call('POST', LOGIN, { body: { email: a.email, password: a.password } });
    expectProblem(r, 429);
    expect(Number(r.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
  });

  test('parallel guesses are counted before the password is checked: at most the limit get through', async () => {
    const { app: limited } = await testApp({ login: { maxFailures: 5, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const anon = new Client(limited);
    const attempts = Array.from({ length: 40 }, (_, i) =>
      anon.call('POST', LOGIN, { body: { email: a.email, password: i === 39 ? a.password : `guess ${i}` } }),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401 || s === 200).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(35);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
  });
});

describe('registration limit per client', () => {
  test('past the limit → 429 with Retry-After and no account; a duplicate counts too', async () => {
    const limited = appFor(await testServices(), { registration: { maxPerWindow: 3, windowSeconds: 3600 } });
    const anon = new Client(limited);
    const first = freshEmail('reg');
    expect((await anon.call('POST', REGISTER, { body: { email: first, password: 'long enough' } })).status).toBe(201);
    expectProblem(await anon.call('POST', REGISTER, { body: { email: first, password: 'long enough' } }), 409);
    expect(
      (await anon.call('POST', REGISTER, { body: { email: freshEmail('reg'), password: 'long enough' } })).status,
    ).toBe(201);
    // A malformed body is refused before it counts.
    expectProblem(await anon.call('POST', REGISTER, { body: { email: 'not-an-email', password: 'long enough' } }), 422);

    const refusedEmail = freshEmail('reg');
    const refused = await anon.call('POST', REGISTER, { body: { email: refusedEmail, password: 'long enough' } });
    expectProblem(refused, 429);
    const retry = Number(refused.headers.get('Retry-After'));
    expect(Number.isInteger(retry)).toBe(true);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(3600);
    expect(refused.body.token).toBeUndefined();
    // Nothing was created: the email cannot log in, and is still free to register elsewhere.
    expect401(await new Client(app).call('POST', LOGIN, { body: { email: refusedEmail, password: 'long enough' } }));
    expect(
      (await new Client(app).call('POST', REGISTER, { body: { email: refusedEmail, password: 'x'.repeat(8) } })).status,
    ).toBe(201);
  });
});

describe('client address: TRUSTED_PROXIES and X-Forwarded-For', () => {
  const servers: Listener[] = [];
  afterAll(async () => {
    for (const s of servers.splice(0)) await s.stop(true);
  });

  /** The app on a real socket at 127.0.0.1, so that the peer address is real. */
  async function served(options: Parameters<typeof appFor>[1]) {
    const limited = appFor(await testServices(), options);
    const server = await listen((req, srv) => limited.fetch(req, srv), { hostname: '127.0.0.1', port: 0 });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    return async (path: string, body: unknown, forwardedFor?: string) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (forwardedFor !== undefined) headers['X-Forwarded-For'] = forwardedFor;
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: res.status, headers: res.headers, body: await res.json() } as Res;
    };
  }
  const limits = {
    login: { maxFailures: 2, windowSeconds: 60 },
    registration: { maxPerWindow: 2, windowSeconds: 3600 },
  };
  const guess = () => ({ email: freshEmail('nobody'), password: 'a guess that fails' });
  const account = () => ({ email: freshEmail('xff'), password: 'long enough' });

  test('without TRUSTED_PROXIES the header is ignored: a spoofed address resets neither limit', async () => {
    const post = await served(limits);
    expect((await post(REGISTER, account(), '198.51.100.1')).status).toBe(201);
    expect((await post(REGISTER, account(), '198.51.100.2')).status).toBe(201);
    for (const spoof of ['198.51.100.3', '203.0.113.9, 198.51.100.4', '2001:db8::1']) {
      expectProblem(await post(REGISTER, account(), spoof), 429);
    }
    expect401(await post(LOGIN, guess(), '198.51.100.1'));
    expect401(await post(LOGIN, guess(), '198.51.100.2'));
    for (const spoof of ['198.51.100.3', '203.0.113.9, 198.51.100.4']) {
      expectProblem(await post(LOGIN, guess(), spoof), 429);
    }
  });

  test('with the peer a trusted proxy, the right-most untrusted forwarded address is the client', async () => {
    // The test connects from loopback: that is the proxy here.
    const post = await served({ ...limits, trustedProxies: ['127.0.0.0/8', '::1'] });
    expect((await post(REGISTER, account(), '198.51.100.1')).status).toBe(201);
    expect((await post(REGISTER, account(), '198.51.100.1')).status).toBe(201);
    expectProblem(await post(REGISTER, account(), '198.51.100.1'), 429);
    // A client that writes its own header in front of the proxy's entry is still itself.
    expectProblem(await post(REGISTER, account(), '203.0.113.50, 198.51.100.1'), 429);
    // Another client behind the same proxy has its own count.
    expect((await post(REGISTER, account(), '198.51.100.2')).status).toBe(201);

    expect401(await post(LOGIN, guess(), '198.51.100.7'));
    expect401(await post(LOGIN, guess(), '198.51.100.7'));
    expectProblem(await post(LOGIN, guess(), '198.51.100.7'), 429);
    expect401(await post(LOGIN, guess(), '198.51.100.8'));
    // Without the header, the client is the proxy itself (one more client, its own count).
    expect401(await post(LOGIN, guess()));
  });
});
