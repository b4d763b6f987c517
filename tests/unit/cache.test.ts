import { describe, expect, test } from 'bun:test';
import { type CacheStore, ReadThroughCache } from '../../src/cache/cache.js';
import { MemoryCacheStore, TieredCacheStore } from '../../src/cache/memory.cache.js';
import { createLogger } from '../../src/logger.js';

const log = createLogger('silent');
const json =
  <T>(load: () => Promise<T>) =>
  async () =>
    JSON.stringify(await load());
const parse = (s: string) => JSON.parse(s) as { n: number };

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
    const s = new MemoryCacheStore(10, 1024, () => now);
    await s.set('k', 'v', 5);
    now += 4_999;
    expect(await s.get('k')).toBe('v');
    now += 2;
    expect(await s.get('k')).toBeNull();
  });
});

describe('MemoryCacheStore byte budget', () => {
  test('evicts least recently used entries to stay within its bytes', async () => {
    const s = new MemoryCacheStore(100, 100); // 100 bytes = 50 UTF-16 code units
    await s.set('a', 'x'.repeat(20), 60);
    await s.set('b', 'y'.repeat(20), 60);
    await s.set('c', 'z'.repeat(20), 60);
    expect(await s.get('a')).toBeNull();
    expect(s.sizeBytes).toBeLessThanOrEqual(100);
    await s.set('huge', 'h'.repeat(60), 60); // larger than the whole budget: not stored
    expect(await s.get('huge')).toBeNull();
    expect(await s.get('c')).toBe('z'.repeat(20));
  });
});

describe('TieredCacheStore', () => {
  test('a shared hit fills the local tier; sets reach both', async () => {
    const local = new MemoryCacheStore();
    const shared = new MemoryCacheStore();
    const tiered = new TieredCacheStore(local, shared);
    await shared.set('k', 'v', 60);
    expect(await tiered.get('k')).toBe('v');
    expect(await local.get('k')).toBe('v');
    await tiered.set('n', 'w', 60);
    expect(await local.get('n')).toBe('w');
    expect(await shared.get('n')).toBe('w');
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
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.text('k', json(load))));
    expect(all.every((v) => parse(v).n === 42)).toBe(true);
    expect(loads).toBe(1);
    await cache.text('k', json(load));
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
    await expect(Promise.all([cache.text('k', json(boom)), cache.text('k', json(boom))])).rejects.toThrow('db down');
    await expect(cache.text('k', async () => '{"n":1}')).resolves.toBe('{"n":1}');
    expect(loads).toBe(1);
  });

  test('fail-open: a store that errors is a miss, the value still comes from the load', async () => {
    const broken: CacheStore = {
      kind: 'redis',
      errors: 0,
      timeouts: 0,
      lastError: null,
      get: async () => null,
      set: async () => {},
      health: () => 'degraded',
      close: async () => {},
    };
    const cache = new ReadThroughCache(broken, log);
    expect(await cache.text('k', async () => 'seven')).toBe('seven');
  });

  test('values larger than the entry limit are served but not stored', async () => {
    const store = new MemoryCacheStore();
    const cache = new ReadThroughCache(store, log, 60, 100);
    expect(await cache.text('big', async () => 'x'.repeat(200))).toHaveLength(200);
    expect(await store.get('big')).toBeNull();
    await cache.text('small', async () => '{"n":1}');
    expect(await store.get('small')).toBe('{"n":1}');
  });
});
