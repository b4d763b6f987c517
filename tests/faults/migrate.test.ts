/**
 * Instances starting together on an empty database: migrations run once, under an advisory lock, and every
 * instance starts (without the lock, two of them raced into duplicate-key errors; see README, "Docker").
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { migrate } from '../../src/stores/postgres.js';
import { cleanup, freshDatabase, unavailable } from './harness.js';

const why = await unavailable();
if (why) console.info(`[faults/migrate] skipped: ${why}`);
afterAll(cleanup);

describe.skipIf(Boolean(why))('concurrent migrations', () => {
  test('three at once on an empty database: one applies everything, the others find nothing to do', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const sizes = results.map((r) => r.length).sort((a, b) => a - b);
    expect(sizes[0]).toBe(0);
    expect(sizes[1]).toBe(0);
    expect(sizes[2]).toBeGreaterThanOrEqual(5);
    expect(await migrate(url)).toEqual([]);
  });
});
