import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { TokenService } from '../../src/auth/tokens.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const id = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function forge(header: object, payload: object, key = secret, algo = 'sha256') {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac(algo, key).update(head).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);

describe('TokenService', () => {
  const tokens = new TokenService(secret, 3600);

  test('issues HS256 tokens it accepts, with sub/iat/exp', async () => {
    const t = await tokens.issue(id);
    expect(await tokens.verify(t)).toBe(id);
    const [h, p] = t.split('.');
    expect(JSON.parse(Buffer.from(h as string, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    const payload = JSON.parse(Buffer.from(p as string, 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(3600);
  });

  test.each([
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: id, exp: now() + 60 })}.`],
    ['HS512', forge({ alg: 'HS512', typ: 'JWT' }, { sub: id, exp: now() + 60 }, secret, 'sha512')],
    ['another secret', forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: now() + 60 }, 'other')],
    ['no exp', forge({ alg: 'HS256', typ: 'JWT' }, { sub: id })],
    ['string exp', forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: String(now() + 60) })],
    ['exp 0', forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: 0 })],
    ['expired', forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: now() - 1 })],
    ['sub not a uuid', forge({ alg: 'HS256', typ: 'JWT' }, { sub: 'admin', exp: now() + 60 })],
  ])('rejects %s', async (_, token) => {
    expect(await tokens.verify(token)).toBeNull();
  });

  test('accepts a correctly forged HS256 token (the forging helper is sound)', async () => {
    expect(await tokens.verify(forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: now() + 60 }))).toBe(id);
  });
});

describe('verified tokens, remembered until their own exp', () => {
  test('knownSubject answers only for a token verified here and not expired, on the clock of each call', async () => {
    // hono's verify reads the real clock for exp: the test's clock starts at it.
    let clock = Date.now();
    const tokens = new TokenService(secret, 60, () => clock);
    const t = await tokens.issue(id);
    expect(tokens.knownSubject(t)).toBeUndefined(); // never verified
    expect(await tokens.verify(t)).toBe(id);
    expect(tokens.knownSubject(t)).toBe(id);
    clock += 59_000;
    expect(tokens.knownSubject(t)).toBe(id);
    clock += 1_000; // exp reached: refused by both, the remembered verification included
    expect(tokens.knownSubject(t)).toBeUndefined();
    expect(await tokens.verify(t)).toBeNull();
    // A forged token with the same claims is never "known" by its claims.
    const forged = forge({ alg: 'HS256', typ: 'JWT' }, { sub: id, exp: clock / 1000 + 60 }, 'other');
    expect(tokens.knownSubject(forged)).toBeUndefined();
  });
});
