/**
 * Login brute-force protection: attempts are counted per email and per client address in a fixed window
 * *before* the password is checked (so parallel guesses cannot all slip through), and a successful login
 * gives its attempt back and clears the email's counter. Past the limit, logins are refused with a retry
 * delay, even with the right password. Tokens already issued are unaffected.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';

export class LoginThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(maxFailures: number, windowSeconds: number) {
    this.limiter = new RateLimiterMemory({ points: maxFailures, duration: windowSeconds, keyPrefix: 'login' });
  }

  private keys(email: string, client: string): string[] {
    return [`email:${email}`, `client:${client}`];
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
    await this.limiter.delete(`email:${email}`);
    await this.limiter.reward(`client:${client}`, 1);
  }
}
