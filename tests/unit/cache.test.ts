import { describe, expect, test } from 'bun:test';
import { type CacheStore, ReadThroughCache } from '../../src/cache/cache.js';
import { MemoryCacheStore } from '../../src/cache/memory.cache.js';
import { createLogger } from '../../src/logger.js';

const log = createLogger('silent');
const same = (raw: unknown) => raw as { n: number };

describe('MemoryCacheStore', () => {
  test('evicts the least recently used entry beyond its size', async () => {
    const s = new MemoryCacheStore(2);
    await s.set('a', '1', 60);
    await s.set('b', '2', 60);
    await s.get('a'); // a is now more recent than b
    await s.set('c', '3', 60);
    expect(await s.get('b')).toBeNull();
    expect(await s.get('a')).toBe('1');
    expect(await s.get('c')).toBe('3');
  });

  test('expires entries after their TTL', async () => {
    let now = 1_000;
    const s = new MemoryCacheStore(10, () => now);
    await s.set('k', 'v', 5);
    now += 4_999;
    expect(await s.get('k')).toBe('v');
    now += 2;
    expect(await s.get('k')).toBeNull();
  });
});

describe('ReadThroughCache', () => {
  test('loads once for concurrent misses of one key, then serves hits', async () => {
    const cache = new ReadThroughCache(new MemoryCacheStore(), log);
    let loads = 0;
    const load = async () => {
      loads++;
      await Bun.sleep(10);
      return { n: 42 };
    };
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.get('k', load, same)));
    expect(all.every((v) => v.n === 42)).toBe(true);
    expect(loads).toBe(1);
    await cache.get('k', load, same);
    expect(loads).toBe(1);
    expect(cache.counters).toMatchObject({ hit: 1, miss: 50, load: 1, error: 0 });
  });

  test('a failed load is not cached and reaches every waiter', async () => {
    const cache = new ReadThroughCache(new MemoryCacheStore(), log);
    let loads = 0;
    const boom = async (): Promise<{ n: number }> => {
      loads++;
      throw new Error('db down');
    };
    await expect(Promise.all([cache.get('k', boom, same), cache.get('k', boom, same)])).rejects.toThrow('db down');
    await expect(cache.get('k', async () => ({ n: 1 }), same)).resolves.toEqual({ n: 1 });
    expect(loads).toBe(1);
  });

  test('fail-open: a store that errors is a miss, the value still comes from the load', async () => {
    const broken: CacheStore = {
      kind: 'redis',
      errors: 0,
      get: async () => null,
      set: async () => {},
      health: () => 'degraded',
      close: async () => {},
    };
    const cache = new ReadThroughCache(broken, log);
    expect(await cache.get('k', async () => ({ n: 7 }), same)).toEqual({ n: 7 });
  });

  test('values larger than the entry limit are served but not stored', async () => {
    const store = new MemoryCacheStore();
    const cache = new ReadThroughCache(store, log, 60, 100);
    await cache.get(
      'big',
      async () => ({ n: 1, pad: 'x'.repeat(200) }),
      (r) => r as { n: number },
    );
    expect(await store.get('big')).toBeNull();
    await cache.get('small', async () => ({ n: 1 }), same);
    expect(await store.get('small')).toBe('{"n":1}');
  });
});
