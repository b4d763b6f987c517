/**
 * Access tokens: HS256 JWTs through hono/jwt, `alg` pinned on both ends. Claims: sub (account id), iat, exp.
 */
import { sign, verify } from 'hono/jwt';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class TokenService {
  /**
   * Tokens whose signature was already verified (token string → sub, exp). HMAC verification is the largest
   * fixed cost of an authenticated request; a verified string stays valid until its own `exp`, which is
   * still checked on every use. Bounded; cleared when full.
   */
  private readonly verified = new Map<string, { sub: string; exp: number }>();

  constructor(
    private readonly secret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxVerified = 50_000,
  ) {}

  async issue(accountId: string): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    return sign({ sub: accountId, iat, exp: iat + this.ttlSeconds }, this.secret, 'HS256');
  }

  /**
   * The account id of a token already verified here and not expired, at once (no promise): the common case of an
   * authenticated request. undefined: not known (call verify).
   */
  knownSubject(token: string): string | undefined {
    const known = this.verified.get(token);
    return known && known.exp * 1000 > this.now() ? known.sub : undefined;
  }

  /** The account id of a valid token, or null. Any `alg` but HS256 (including `none`) is rejected. */
  async verify(token: string): Promise<string | null> {
    return (await this.claims(token))?.sub ?? null;
  }

  /** The account id and expiry (seconds) of a valid token, or null. */
  async claims(token: string): Promise<{ sub: string; exp: number } | null> {
    const known = this.verified.get(token);
    if (known) return known.exp * 1000 > this.now() ? known : null;
    try {
      const payload = await verify(token, this.secret, 'HS256');
      // hono checks exp only when present: require it, numeric.
      if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return null;
      if (payload.exp * 1000 <= this.now()) return null;
      if (typeof payload.sub !== 'string' || !UUID_RE.test(payload.sub)) return null;
      if (this.verified.size >= this.maxVerified) this.verified.clear();
      const claims = { sub: payload.sub, exp: payload.exp };
      this.verified.set(token, claims);
      return claims;
    } catch {
      return null;
    }
  }
}
