/**
 * Access tokens: HS256 JWTs through hono/jwt, `alg` pinned on both ends. Claims: sub (account id), iat, exp.
 */
import { sign, verify } from 'hono/jwt';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class TokenService {
  constructor(
    private readonly secret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async issue(accountId: string): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    return sign({ sub: accountId, iat, exp: iat + this.ttlSeconds }, this.secret, 'HS256');
  }

  /** The account id of a valid token, or null. Any `alg` but HS256 (including `none`) is rejected. */
  async verify(token: string): Promise<string | null> {
    try {
      const payload = await verify(token, this.secret, 'HS256');
      // hono checks exp only when present: require it, numeric.
      if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return null;
      if (payload.exp * 1000 <= this.now()) return null;
      if (typeof payload.sub !== 'string' || !UUID_RE.test(payload.sub)) return null;
      return payload.sub;
    } catch {
      return null;
    }
  }
}
