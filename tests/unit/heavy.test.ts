/**
 * The admission control of heavy operations (src/http/middleware/heavy.ts) on its own: the semaphore's slots,
 * bounded FIFO queue, bounded wait and abort; the per-account bound; the slots derived from DB_POOL_MAX.
 * The HTTP behaviour on a real pool is tests/security/heavy.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { heavySlots, loadConfig } from '../../src/config.js';
import { HeavyLimiter, type Release, Semaphore } from '../../src/http/middleware/heavy.js';

const granted = (r: Release | null): Release => {
  expect(r).not.toBeNull();
  return r as Release;
};

describe('Semaphore', () => {
  test('grants its slots at once; the next caller waits and gets the slot a release frees', async () => {
    const s = new Semaphore(2, 10, 60_000);
    const a = granted(await s.acquire());
    granted(await s.acquire());
    expect(s.running).toBe(2);
    let third: Release | null | undefined;
    const waiting = s.acquire().then((r) => {
      third = r;
    });
    await Bun.sleep(5);
    expect(third).toBeUndefined();
    expect(s.queued).toBe(1);
    a();
    await waiting;
    granted(third ?? null);
    expect(s.running).toBe(2);
    expect(s.queued).toBe(0);
  });

  test('waiters are served in arrival order; a newcomer does not overtake them', async () => {
    const s = new Semaphore(1, 10, 60_000);
    const first = granted(await s.acquire());
    const order: string[] = [];
    const waits = ['w1', 'w2', 'w3'].map((name) =>
      s.acquire().then((r) => {
        order.push(name);
        return r as Release;
      }),
    );
    first();
    // The slot went to w1 on release: a caller arriving now queues behind w2 and w3.
    const late = s.acquire().then((r) => {
      order.push('late');
      return r as Release;
    });
    for (const w of waits) (await w)();
    (await late)();
    expect(order).toEqual(['w1', 'w2', 'w3', 'late']);
    expect(s.running).toBe(0);
  });

  test('a full queue refuses at once; a wait that runs out is refused and leaves the queue', async () => {
    const s = new Semaphore(1, 1, 30);
    const held = granted(await s.acquire());
    const queued = s.acquire();
    expect(await s.acquire()).toBeNull(); // queue full
    expect(await queued).toBeNull(); // waited 30 ms
    expect(s.queued).toBe(0);
    // The timed-out waiter took nothing: releasing frees the slot for the next caller.
    held();
    expect(s.running).toBe(0);
    granted(await s.acquire());
  });

  test('no queue, or no wait: refused at once when the slots are taken', async () => {
    for (const s of [new Semaphore(1, 0, 60_000), new Semaphore(1, 5, 0)]) {
      granted(await s.acquire());
      expect(await s.acquire()).toBeNull();
      expect(s.queued).toBe(0);
    }
  });

  test('an aborted caller leaves the queue (a client that went away holds nothing)', async () => {
    const s = new Semaphore(1, 5, 60_000);
    const held = granted(await s.acquire());
    const gone = new AbortController();
    const waiting = s.acquire(gone.signal);
    const after = s.acquire();
    expect(s.queued).toBe(2);
    gone.abort();
    expect(await waiting).toBeNull();
    expect(s.queued).toBe(1);
    held();
    granted(await after);
    const already = new AbortController();
    already.abort();
    expect(await new Semaphore(1, 5, 60_000).acquire(already.signal)).toBeNull();
  });

  test('releasing twice frees one slot only', async () => {
    const s = new Semaphore(1, 5, 60_000);
    const a = granted(await s.acquire());
    const b = s.acquire();
    a();
    a();
    const rb = granted(await b);
    expect(s.running).toBe(1);
    let c: Release | null | undefined;
    void s.acquire().then((r) => {
      c = r;
    });
    await Bun.sleep(5);
    expect(c).toBeUndefined(); // the second release of `a` did not free b's slot
    rb();
    await Bun.sleep(0);
    granted(c ?? null)();
    expect(s.running).toBe(0);
  });

  test('needs a slot', () => {
    expect(() => new Semaphore(0, 1, 1)).toThrow();
  });
});

describe('HeavyLimiter', () => {
  const limiter = () => new HeavyLimiter({ perAccount: 2, slots: 4, queue: 4, queueTimeoutMs: 1000 });

  test('per account: at most perAccount in flight; accounts are independent; leaving frees a place', () => {
    const l = limiter();
    const a1 = l.enter('a') as Release;
    const a2 = l.enter('a') as Release;
    expect(a1).not.toBeNull();
    expect(a2).not.toBeNull();
    expect(l.enter('a')).toBeNull();
    expect(l.enter('b')).not.toBeNull();
    expect(l.inFlightOf('a')).toBe(2);
    a1();
    a1(); // twice: still one place freed
    expect(l.inFlightOf('a')).toBe(1);
    const a3 = l.enter('a') as Release;
    expect(a3).not.toBeNull();
    expect(l.enter('a')).toBeNull();
    a2();
    a3();
    expect(l.inFlightOf('a')).toBe(0);
  });

  test('Retry-After follows how long heavy requests take, within 1..30 s', () => {
    const l = limiter();
    expect(l.retryAfterSeconds()).toBe(1);
    for (let i = 0; i < 50; i++) l.took(8_000);
    expect(l.retryAfterSeconds()).toBe(8);
    for (let i = 0; i < 50; i++) l.took(600_000);
    expect(l.retryAfterSeconds()).toBe(30);
    for (let i = 0; i < 100; i++) l.took(5);
    expect(l.retryAfterSeconds()).toBe(1);
  });
});

describe('heavySlots (HEAVY_MAX_CONCURRENT)', () => {
  const slots = (env: Record<string, string>) => heavySlots(loadConfig(env));

  test('default: half of DB_POOL_MAX, at least 1', () => {
    expect(slots({})).toBe(5); // DB_POOL_MAX 10
    expect(slots({ DB_POOL_MAX: '4' })).toBe(2);
    expect(slots({ DB_POOL_MAX: '3' })).toBe(1);
    expect(slots({ DB_POOL_MAX: '2' })).toBe(1);
    // A pool of one would leave nothing for other requests while a heavy operation runs: refused at start.
    expect(() => slots({ DB_POOL_MAX: '1' })).toThrow(/DB_POOL_MAX/);
  });

  test('an explicit value, never more than DB_POOL_MAX - 1 (a connection always stays for other requests)', () => {
    expect(slots({ HEAVY_MAX_CONCURRENT: '8' })).toBe(8);
    expect(slots({ HEAVY_MAX_CONCURRENT: '10' })).toBe(9);
    expect(slots({ HEAVY_MAX_CONCURRENT: '50', DB_POOL_MAX: '2' })).toBe(1);
  });
});
