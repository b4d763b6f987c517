/**
 * Bearer authentication for the protected routes. Runs before body parsing and validation, so a request
 * without a valid token gets 401 whatever its body. Only the `Bearer` scheme is accepted.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppBindings } from '../app-types.js';
import { HttpProblem } from '../errors.js';

/** The shape of a compact JWT (three base64url parts); anything else is refused before verification. */
export const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const challenge = { 'WWW-Authenticate': 'Bearer' };

/** Positive answers of "does this account exist" are cached briefly (accounts are never removed). */
class AccountPresence {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 10_000,
  ) {}
  async exists(id: string, load: (id: string) => Promise<boolean>): Promise<boolean> {
    const until = this.seen.get(id);
    if (until !== undefined && until > Date.now()) return true;
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
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header) throw new HttpProblem(401, 'Missing Authorization: Bearer <token>', challenge);
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!JWT_RE.test(token)) throw new HttpProblem(401, 'Authorization must be "Bearer <token>"', challenge);
    const accountId = await c.var.tokens.verify(token);
    if (!accountId) throw new HttpProblem(401, 'The token is invalid or expired', challenge);
    const meta = c.var.deps.meta;
    if (!(await presence.exists(accountId, (id) => meta.accountExists(id)))) {
      throw new HttpProblem(401, 'The token is invalid or expired', challenge);
    }
    c.set('accountId', accountId);
    await next();
  };
}
