/**
 * Bearer authentication for the protected routes. Runs before body parsing and validation, so a request
 * without a valid token gets 401 whatever its body. Only the `Bearer` scheme is accepted (in any case).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppBindings } from '../app-types.js';
import { HttpProblem } from '../errors.js';

/** The shape of a compact JWT (three base64url parts); anything else is refused before verification. */
export const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const challenge = { 'WWW-Authenticate': 'Bearer' };

/** `Bearer <token>` (RFC 6750 §2.1): the scheme is case-insensitive (RFC 9110 §11.1), then one or more spaces. */
const BEARER_RE = /^bearer +(\S+)$/i;

/** The token of an Authorization header using the Bearer scheme; undefined for any other header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER_RE.exec(header.trim())?.[1];
}

/** Positive answers of "does this account exist" are cached briefly (accounts are never removed). */
class AccountPresence {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}
  /** True when the account was seen to exist within the TTL (no promise; false: ask `exists`). */
  known(id: string): boolean {
    const until = this.seen.get(id);
    return until !== undefined && until > Date.now();
  }

  async exists(id: string, load: (id: string) => Promise<boolean>): Promise<boolean> {
    if (this.known(id)) return true;
    const ok = await load(id);
    if (ok) {
      if (this.seen.size >= this.max) this.seen.clear();
      this.seen.set(id, Date.now() + this.ttlMs);
    }
    return ok;
  }
}

export function requireAuth(): MiddlewareHandler<AppBindings> {
  const presence = new AccountPresence();
  // Authorization headers already parsed (header → its token): a client sends the same one on every request.
  const parsed = new Map<string, string>();
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header) throw new HttpProblem(401, 'Missing Authorization: Bearer <token>', challenge);
    // The common case without a promise: a header seen before, its token verified and unexpired, the account known.
    const seen = parsed.get(header);
    const known = seen === undefined ? undefined : c.get('tokens').knownSubject(seen);
    if (known !== undefined && presence.known(known)) {
      c.set('accountId', known);
      return next();
    }
    const token = bearerToken(header) ?? '';
    if (!JWT_RE.test(token)) throw new HttpProblem(401, 'Authorization must be "Bearer <token>"', challenge);
    const accountId = await c.get('tokens').verify(token);
    if (!accountId) throw new HttpProblem(401, 'The token is invalid or expired', challenge);
    const meta = c.get('deps').meta;
    if (!(await presence.exists(accountId, (id) => meta.accountExists(id)))) {
      throw new HttpProblem(401, 'The token is invalid or expired', challenge);
    }
    // Only the canonical spelling: other spellings of one token (spaces, case) cannot fill the map with copies.
    if (header === `Bearer ${token}`) {
      if (parsed.size >= 10_000) parsed.clear();
      parsed.set(header, token);
    }
    c.set('accountId', accountId);
    await next();
  };
}
