/**
 * Login brute-force protection: attempts are counted per email and per client address in a fixed window
 * *before* the password is checked (so parallel guesses cannot all slip through), and a successful login
 * gives its attempt back and clears the email's counter. Past the limit, logins are refused with a retry
 * delay, even with the right password. Tokens already issued are unaffected. Where the counts live (one
 * process, or Redis for all of them) is the limiter's business.
 */
import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';

/** Emails are keyed by a digest: a shared Redis never holds the addresses themselves. */
const emailKey = (email: string) => `email:${createHash('sha256').update(email).digest('base64url')}`;

export class LoginThrottle {
  /** `limiter`: maxFailures points per window. */
  constructor(private readonly limiter: RateLimiterAbstract) {}

  private keys(email: string, client: string): string[] {
    return [emailKey(email), `client:${client}`];
  }

  /** Counts an attempt; throws RateLimitedError when the email or the client is over the limit. */
  async attempt(email: string, client: string): Promise<void> {
    let wait = 0;
    for (const key of this.keys(email, client)) {
      try {
        await this.limiter.consume(key, 1);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        wait = Math.max(wait, e.msBeforeNext);
      }
    }
    if (wait > 0) throw RateLimitedError.after('Too many failed logins; try again later', wait);
  }

  async succeeded(email: string, client: string): Promise<void> {
    await this.limiter.delete(emailKey(email));
    await this.limiter.reward(`client:${client}`, 1);
  }
}

/**
 * Account creation per client address: every registration attempt with a well-formed body counts (also
 * one refused as a duplicate), before anything is looked up or hashed, so one address cannot mint
 * accounts to multiply the per-account limits. Absent limiter → no limit.
 */
export class RegistrationThrottle {
  /** `limiter`: maxPerWindow points per window. */
  constructor(private readonly limiter?: RateLimiterAbstract) {}

  async attempt(client: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(`client:${client}`, 1);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      throw RateLimitedError.after('Too many accounts registered from this address; try again later', e.msBeforeNext);
    }
  }
}
