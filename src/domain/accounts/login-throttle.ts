/**
 * Login brute-force protection: failures are counted per email and per client address in a fixed
 * window; past the limit, logins are refused with a retry delay (even with the right password), and a
 * successful login clears the email's counter. Tokens already issued are unaffected.
 */
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';

export class LoginThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(
    private readonly maxFailures: number,
    windowSeconds: number,
  ) {
    this.limiter = new RateLimiterMemory({ points: maxFailures, duration: windowSeconds, keyPrefix: 'login' });
  }

  private keys(email: string, client: string): string[] {
    return [`email:${email}`, `client:${client}`];
  }

  async assertAllowed(email: string, client: string): Promise<void> {
    for (const key of this.keys(email, client)) {
      const res = await this.limiter.get(key);
      if (res && res.consumedPoints >= this.maxFailures) {
        throw new RateLimitedError(
          'Too many failed logins; try again later',
          Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
        );
      }
    }
  }

  async recordFailure(email: string, client: string): Promise<void> {
    for (const key of this.keys(email, client)) {
      await this.limiter.consume(key, 1).catch((r: RateLimiterRes) => r);
    }
  }

  async recordSuccess(email: string): Promise<void> {
    await this.limiter.delete(`email:${email}`);
  }
}
