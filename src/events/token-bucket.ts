/**
 * A token bucket: holds up to `capacity` tokens, refills at `perSecond`. Used by the event hub for the
 * frames a socket may send and the bytes of replay a socket or an account may receive. In process only:
 * each server process keeps its own buckets.
 */
export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.level = capacity;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    if (t > this.at) this.level = Math.min(this.capacity, this.level + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }

  /** Whole tokens available now (0 while in debt). */
  available(): number {
    this.refill();
    return Math.max(0, Math.floor(this.level));
  }

  /** Takes `n` tokens if they are all there. */
  take(n = 1): boolean {
    this.refill();
    if (this.level < n) return false;
    this.level -= n;
    return true;
  }

  /** Takes `n` tokens whatever the level (it may go into debt, repaid by the refill). */
  charge(n: number): void {
    this.refill();
    this.level -= n;
  }

  /** Gives back tokens taken and not used. */
  refund(n: number): void {
    this.refill();
    this.level = Math.min(this.capacity, this.level + n);
  }

  get full(): boolean {
    this.refill();
    return this.level >= this.capacity;
  }
}
