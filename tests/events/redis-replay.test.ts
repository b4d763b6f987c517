/**
 * The Redis event log's bounded read (RedisEventBus.since with a limit) against a real Redis (REDIS_URL, else
 * 127.0.0.1:6379; skipped with the reason when neither answers): a range over the event or byte bound is
 * 'over-limit' (read in pages inside Redis, never returned whole), one within it comes back in order across
 * pages, and the 'gone' cases hold as without a limit.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisEventBus } from '../../src/events/redis.bus.js';
import { createLogger } from '../../src/logger.js';
import { findRedis } from '../support/redis.js';

const redis = await findRedis();
if ('skip' in redis) console.warn(`[events/redis-replay] skipped: ${redis.skip}`);
const prefix = `branchat-replay-${process.pid}-${randomBytes(4).toString('hex')}:`;
const buses: RedisEventBus[] = [];

afterAll(async () => {
  for (const b of buses) await b.close();
  if ('skip' in redis) return;
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
});

/** A bus whose publisher is connected (it fails fast rather than queueing while it connects). */
async function bus(retention = 1000): Promise<RedisEventBus> {
  const b = new RedisEventBus({ url: (redis as { url: string }).url, log: createLogger('silent'), prefix, retention });
  buses.push(b);
  for (let i = 0; ; i++) {
    try {
      await b.currentSeq('ready');
      return b;
    } catch (e) {
      if (i > 100) throw e;
      await Bun.sleep(20);
    }
  }
}

const KB = { text: 'x'.repeat(1000) };

describe.skipIf('skip' in redis)('redis event log: bounded replay', () => {
  test('over the event or byte bound → over-limit; within it → the events in order, across pages', async () => {
    const b = await bus();
    const root = crypto.randomUUID();
    for (let i = 1; i <= 100; i++) await b.publish(root, 'message.added', i <= 90 ? { i } : { i, ...KB });

    expect(await b.since(root, 0, { maxEvents: 99, maxBytes: 1e9 })).toBe('over-limit');
    expect(await b.since(root, 80, { maxEvents: 100, maxBytes: 5000 })).toBe('over-limit');
    const ten = await b.since(root, 90, { maxEvents: 10, maxBytes: 12_000 });
    expect(Array.isArray(ten) && ten.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 91 + i));
    // 100 events, more than one page of the script, in order and whole.
    const all = await b.since(root, 0, { maxEvents: 100, maxBytes: 1e6 });
    expect(Array.isArray(all) && all.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(Array.isArray(all) && all[94]).toMatchObject({
      root_chat_id: root,
      event: 'message.added',
      data: { i: 95 },
    });
    expect(await b.since(root, 0)).toHaveLength(100);

    // Nothing missed → nothing, even with no budget; past the sequence → gone.
    expect(await b.since(root, 100, { maxEvents: 0, maxBytes: 0 })).toEqual([]);
    expect(await b.since(root, 101, { maxEvents: 100, maxBytes: 1e6 })).toBe('gone');
    expect(await b.since(crypto.randomUUID(), 0, { maxEvents: 100, maxBytes: 1e6 })).toEqual([]);
  });

  test('not retained, or over a stub → gone, as without a limit', async () => {
    const b = await bus(5);
    const root = crypto.randomUUID();
    for (let i = 1; i <= 10; i++) await b.publish(root, 'message.added', { i });
    const limit = { maxEvents: 100, maxBytes: 1e6 };
    expect(await b.since(root, 4, limit)).toBe('gone');
    expect(await b.since(root, 5, limit)).toHaveLength(5);
    await b.publish(root, 'message.added', { big: 'x'.repeat(70 * 1024) }); // kept as a stub
    await b.publish(root, 'message.added', { i: 12 });
    expect(await b.since(root, 10, limit)).toBe('gone');
    expect(await b.since(root, 11, limit)).toHaveLength(1);
  });
});
