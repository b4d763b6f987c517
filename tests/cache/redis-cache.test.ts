/**
 * The read-through cache against a real Redis (REDIS_URL, else 127.0.0.1:6379; skipped with the reason when
 * neither answers): read-after-write on every write route, two processes on one Redis, single-flight, Redis
 * down / hanging / paused, and a random interleaving checked against uncached reads.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { appFor, openExtraServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { blackhole, findRedis, freePort, OwnRedis } from '../support/redis.js';
import { everyWriteRouteIsFresh, randomInterleavingMatchesUncached, twoProcessesAgree } from './scenarios.js';

const redis = await findRedis();
const opened: Services[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

async function instance(env: Record<string, string>) {
  const services = await openExtraServices(env);
  opened.push(services);
  return { services, app: appFor(services) };
}

const questions = (r: { body: { qa_pairs: { question: string }[] } }) => r.body.qa_pairs.map((p) => p.question);

if ('skip' in redis) {
  console.warn(`[redis cache] SKIPPED: ${redis.skip}`);
  describe('redis cache', () => {
    test.skip(`skipped: ${redis.skip}`, () => {});
  });
} else {
  const prefix = `branchat-test-${process.pid}-${Date.now()}:`;
  const env = { REDIS_URL: redis.url, CACHE_KEY_PREFIX: prefix };

  describe('redis cache: read after write', () => {
    test('every write route makes the next cached read fresh, including inherited `branches`', () =>
      everyWriteRouteIsFresh(() => instance(env)));

    test('two processes on one Redis: a write through A, a read through B is fresh', () =>
      twoProcessesAgree(() => instance(env)));

    test('entries are per account: another account never gets one (404 instead)', async () => {
      const { app } = await instance(env);
      const a = await newAccount(app);
      const b = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      await a.getChat(chatId);
      expect((await b.getChat(chatId)).status).toBe(404);
      expect((await b.getBranches(chatId)).status).toBe(404);
    });
  });

  describe('redis cache: single flight', () => {
    test('100 concurrent reads of one cold page cause one load (of the page, and one of its usage totals)', async () => {
      const { app, services } = await instance(env);
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(5);
      const loadsBefore = services.cache.counters.load;
      const pages = await Promise.all(Array.from({ length: 100 }, () => a.getChat(chatId, { limit: 3 })));
      expect(pages.every((p) => p.status === 200 && p.body.qa_pairs.length === 3)).toBe(true);
      // One load of the page and one of the history's usage totals (cached under their own key), not one per read.
      expect(services.cache.counters.load - loadsBefore).toBe(2);
    });
  });

  describe('redis cache: fail-open', () => {
    test('Redis refusing connections: requests succeed, readiness says degraded, errors are counted', async () => {
      const { app, services } = await instance({ ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(2);
      for (let i = 0; i < 3; i++) expect((await a.getChat(chatId)).status).toBe(200);
      expect(services.cache.counters.error).toBeGreaterThan(0);
      const ready = await app.request('/readyz');
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as any).checks.cache).toBe('degraded');
    });

    test('Redis that accepts but never answers: requests still succeed (command timeout)', async () => {
      const hole = await blackhole();
      try {
        const { app } = await instance({ ...env, REDIS_URL: `redis://127.0.0.1:${hole.port}` });
        const a = await newAccount(app);
        const { chatId } = await a.chatWith(1);
        expect(questions(await a.getChat(chatId))).toEqual(['q1']);
        expect((await a.getBranches(chatId)).status).toBe(200);
      } finally {
        await hole.close();
      }
    });

    const ownProblem = OwnRedis.available();
    test.skipIf(ownProblem !== null)(
      `Redis paused, killed and restarted mid-test: always 200, fresh after recovery${ownProblem ? ` (skipped: ${ownProblem})` : ''}`,
      async () => {
        const own = new OwnRedis(await freePort());
        await own.start();
        try {
          const { app, services } = await instance({ ...env, REDIS_URL: own.url });
          const a = await newAccount(app);
          const { chatId } = await a.chatWith(2);
          await a.getChat(chatId);
          await a.getChat(chatId);
          expect(services.cache.counters.hit).toBeGreaterThan(0);

          own.signal('SIGSTOP'); // hangs: commands time out
          await a.add(chatId, 'while paused');
          expect(questions(await a.getChat(chatId))).toEqual(['q1', 'q2', 'while paused']);
          own.signal('SIGCONT'); // back, still holding entries of the old version
          expect(questions(await a.getChat(chatId))).toEqual(['q1', 'q2', 'while paused']);

          await own.kill(); // gone
          await a.add(chatId, 'while down');
          expect(questions(await a.getChat(chatId))).toEqual(['q1', 'q2', 'while paused', 'while down']);
          expect(((await (await app.request('/readyz')).json()) as any).checks.cache).toBe('degraded');

          await own.start(); // the client reconnects by itself
          for (let i = 0; i < 60 && services.cache.store.health() !== 'ok'; i++) await Bun.sleep(100);
          expect(services.cache.store.health()).toBe('ok');
          const hits = services.cache.counters.hit;
          expect(questions(await a.getChat(chatId))).toEqual(['q1', 'q2', 'while paused', 'while down']);
          expect(questions(await a.getChat(chatId))).toEqual(['q1', 'q2', 'while paused', 'while down']);
          expect(services.cache.counters.hit).toBeGreaterThan(hits);
        } finally {
          own.signal('SIGCONT');
          await own.kill();
        }
      },
      30_000,
    );
  });

  describe('redis cache: random interleaving', () => {
    test(
      'after every random write, cached reads equal uncached reads of the same state',
      () => randomInterleavingMatchesUncached(() => instance(env)),
      60_000,
    );
  });

  describe('metrics', () => {
    test('GET /metrics exposes cache counts in Prometheus text format', async () => {
      const services = await openExtraServices(env);
      opened.push(services);
      const metricsToken = `metrics-${crypto.randomUUID()}`;
      const app = appFor(services, { metricsToken });
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      await a.getChat(chatId);
      await a.getChat(chatId);
      const r = await app.request('/metrics', { headers: { Authorization: `Bearer ${metricsToken}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/plain');
      const text = await r.text();
      const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
      expect(count('branchat_cache_hit_total')).toBeGreaterThanOrEqual(1);
      expect(count('branchat_cache_load_total')).toBeGreaterThanOrEqual(1);
      expect(text).toContain('branchat_cache_error_total');
    });
  });
}
