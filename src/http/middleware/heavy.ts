/**
 * Admission control for heavy operations (import-chat, export-chat, fork-chat, get-branches, compare-branches, search-messages): requests
 * whose database work grows with the size of what they touch, and which hold a pooled connection while it runs
 * (an import holds one for its whole transaction; an export or a tree read runs several queries in a row, one
 * connection at a time, on PostgreSQL and, for content, on MongoDB; an account-wide search ranks every match).
 *
 * Two bounds, both per process (the connection pools are per process too, so that is their scope):
 * - per account: at most `perAccount` heavy requests in flight (running or waiting for a slot); the next one
 *   → 429 with Retry-After at once, before its body is read or anything is stored;
 * - process-wide: at most `slots` heavy requests run at once (fewer than the pool's connections, so normal
 *   reads and writes always find one); the next `queue` wait in order, at most `queueTimeoutMs`; beyond
 *   that → 503 with Retry-After. The slot is taken after the body was read (a slow upload holds none).
 */
import type { MiddlewareHandler } from 'hono';
import { RateLimitedError, UnavailableError } from '../../domain/errors.js';
import type { AppBindings } from '../app-types.js';
import { refusedBeforeWork } from './write-limit.js';

/** The bounds as the heavy routes' OpenAPI descriptions state them (defaults from src/config.ts). */
export const HEAVY_LIMITS_DOC =
  'A heavy operation (import-chat, export-chat, fork-chat, get-branches, search-messages). Per server process (the bounds protect its ' +
  'connection pools): an account may have HEAVY_MAX_PER_ACCOUNT (default 2) of them in flight, the next → 429 with Retry-After before anything is read or stored; the ' +
  'server process runs at most HEAVY_MAX_CONCURRENT at once (default: half of DB_POOL_MAX), the next ' +
  'HEAVY_QUEUE_MAX (default 10) wait up to HEAVY_QUEUE_TIMEOUT_MS (default 10 s) for their turn, beyond ' +
  'that → 503 with Retry-After, and nothing is stored.';

/** Frees what was acquired; calling it again does nothing. */
export type Release = () => void;

function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

interface Waiter {
  grant: (release: Release) => void;
  refuse: () => void;
}

/**
 * A counting semaphore with a bounded FIFO queue and a bounded wait: acquire() resolves with a release
 * function, or null when the queue is full, the wait ran out, or the signal aborted (the caller answers).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly slots: number,
    readonly maxQueue: number,
    readonly maxWaitMs: number,
  ) {
    if (!(slots >= 1)) throw new Error('a semaphore needs at least one slot');
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  acquire(signal?: AbortSignal): Promise<Release | null> {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue || this.maxWaitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: (release) => {
          leave();
          resolve(release);
        },
        refuse: () => {
          leave();
          resolve(null);
        },
      };
      const onAbort = () => waiter.refuse();
      const timer = setTimeout(onAbort, this.maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** The slot passes straight to the oldest waiter (so a newcomer cannot overtake the queue). */
  private releaser(): Release {
    return once(() => {
      const next = this.waiting[0];
      if (next) next.grant(this.releaser());
      else this.active--;
    });
  }
}

export interface HeavyLimits {
  /** Heavy requests one account may have in flight (running or queued). */
  perAccount: number;
  /** Heavy requests running at once in this process. */
  slots: number;
  /** Heavy requests that may wait for a slot. */
  queue: number;
  /** Longest wait for a slot, in milliseconds. */
  queueTimeoutMs: number;
}

/** Retry-After bounds, in seconds: the recent mean duration of a heavy request, within these. */
const RETRY_MIN_S = 1;
const RETRY_MAX_S = 30;

export class HeavyLimiter {
  readonly semaphore: Semaphore;
  private readonly inFlight = new Map<string, number>();
  /** Exponentially weighted mean duration of a heavy request (ms), for Retry-After. */
  private meanMs = 1000;

  constructor(readonly limits: HeavyLimits) {
    if (!(limits.perAccount >= 1)) throw new Error('perAccount must be at least 1');
    this.semaphore = new Semaphore(limits.slots, limits.queue, limits.queueTimeoutMs);
  }

  /** Counts one heavy request of the account; null when it already has `perAccount` in flight. */
  enter(accountId: string): Release | null {
    const n = this.inFlight.get(accountId) ?? 0;
    if (n >= this.limits.perAccount) return null;
    this.inFlight.set(accountId, n + 1);
    return once(() => {
      const left = (this.inFlight.get(accountId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(accountId);
      else this.inFlight.set(accountId, left);
    });
  }

  /** Heavy requests of this account in flight (tests, metrics). */
  inFlightOf(accountId: string): number {
    return this.inFlight.get(accountId) ?? 0;
  }

  /** Records how long a heavy request ran (the mean suggests Retry-After). */
  took(ms: number): void {
    this.meanMs += (ms - this.meanMs) * 0.2;
  }

  retryAfterSeconds(): number {
    return Math.min(RETRY_MAX_S, Math.max(RETRY_MIN_S, Math.ceil(this.meanMs / 1000)));
  }
}

/**
 * The two middleware of a limiter. `admit` (per account) goes right after authentication, before the body
 * is read; `slot` (process-wide) after the body rules, so that a slot is only held while the work runs.
 */
export function heavyOperations(limits: HeavyLimits): {
  limiter: HeavyLimiter;
  admit: MiddlewareHandler<AppBindings>;
  slot: MiddlewareHandler<AppBindings>;
} {
  const limiter = new HeavyLimiter(limits);
  const admit: MiddlewareHandler<AppBindings> = async (c, next) => {
    const leave = limiter.enter(c.get('accountId'));
    if (!leave) {
      throw new RateLimitedError(
        `At most ${limits.perAccount} imports, exports, tree reads and searches may run at once per account; retry when ` +
          'one has finished',
        limiter.retryAfterSeconds(),
      );
    }
    try {
      await next();
    } finally {
      leave();
    }
  };
  const slot: MiddlewareHandler<AppBindings> = async (c, next) => {
    const release = await limiter.semaphore.acquire(c.req.raw.signal);
    if (!release) {
      refusedBeforeWork(c);
      throw new UnavailableError(
        'The server is busy with other imports, exports, tree reads and searches; retry later',
        limiter.retryAfterSeconds(),
      );
    }
    const started = performance.now();
    try {
      await next();
    } finally {
      release();
      limiter.took(performance.now() - started);
    }
  };
  return { limiter, admit, slot };
}
