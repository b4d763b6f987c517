/**
 * The read-through cache against a real Redis (REDIS_URL, else 127.0.0.1:6379; skipped with the reason when
 * neither answers): read-after-write on every write route, two processes on one Redis, single-flight, Redis
 * down / hanging / paused, and a random interleaving checked against uncached reads.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { appFor, openExtraServices } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { blackhole, findRedis, freePort, OwnRedis } from '../support/redis.js';

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

/** The same services with the cache bypassed: the truth every cached read must equal. */
function uncachedApp(services: Services) {
  return appFor(services, { bypassCache: true });
}

const as = (c: Client, app: ReturnType<typeof appFor>) => new Client(app, c.token, c.accountId);
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
    test('every write route makes the next cached read fresh, including inherited `branches`', async () => {
      const { app, services } = await instance(env);
      const a = await newAccount(app);
      const { chatId: root, ids } = await a.chatWith(3);
      const b1 = await a.branch(root, ids[1] as string, { question: 'b1q' });
      const b1Own = (await a.getChat(b1)).body.qa_pairs[2].response_id;
      const b2 = await a.branch(b1, b1Own, { question: 'b2q' }); // b2 inherits root's ids[0], ids[1]

      const warm = async () => {
        await a.getChat(root);
        await a.getChat(b2);
        await a.getBranches(root);
      };
      await warm();
      const hitsBefore = services.cache.counters.hit;
      await warm();
      expect(services.cache.counters.hit - hitsBefore).toBe(3); // the cache is really in use

      // add-message
      await a.add(root, 'later on root');
      expect(questions(await a.getChat(root))).toEqual(['q1', 'q2', 'q3', 'later on root']);
      expect(questions(await a.getChat(b2))).toEqual(['q1', 'q2', 'b1q', 'b2q']);

      // create-branch from a pair b2 inherits: b2's view of that pair's `branches` changes
      await warm();
      const b3 = await a.branch(root, ids[0] as string, { activate: false });
      const b2Page = await a.getChat(b2);
      expect(b2Page.body.qa_pairs[0].branches).toEqual([b3]);
      expect((await a.getBranches(root)).body.count).toBe(4);

      // set-active-branch
      await warm();
      await a.setActive(root);
      expect((await a.getBranches(b2)).body.active_chat_id).toBe(root);
      expect((await a.getChat(root)).body.chat.active).toBe(true);

      // update-chat
      await warm();
      await a.updateChat(b1, 'renamed b1');
      const tree = (await a.getBranches(root)).body.tree;
      expect(tree.children.find((n: { chat_id: string }) => n.chat_id === b1).name).toBe('renamed b1');

      // delete-chat
      await warm();
      await a.deleteChat(b3);
      expect((await a.getChat(b2)).body.qa_pairs[0].branches).toEqual([]);
      expect((await a.getBranches(root)).body.count).toBe(3);
    });

    test('two processes on one Redis: a write through A, a read through B is fresh', async () => {
      const A = await instance(env);
      const B = await instance(env);
      const a = await newAccount(A.app);
      const viaB = as(a, B.app);
      const { chatId, ids } = await a.chatWith(2);
      await viaB.getChat(chatId);
      await viaB.getChat(chatId);
      await viaB.getBranches(chatId);
      await a.add(chatId, 'through A');
      expect(questions(await viaB.getChat(chatId))).toEqual(['q1', 'q2', 'through A']);
      const br = await a.branch(chatId, ids[0] as string);
      expect((await viaB.getBranches(chatId)).body.active_chat_id).toBe(br);
      expect((await viaB.getChat(chatId)).body.qa_pairs[0].branches).toEqual([br]);
    });

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
    test('after every random write, cached reads equal uncached reads of the same state', async () => {
      const { app, services } = await instance(env);
      const truth = uncachedApp(services);
      const a = await newAccount(app);
      const t = as(a, truth);
      let seed = 20261125;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const pick = <T>(xs: T[]) => xs[rnd(xs.length)] as T;

      const { chatId: root } = await a.chatWith(3);
      const live = [root];
      for (let step = 0; step < 60; step++) {
        const chat = pick(live);
        const op = rnd(10);
        if (op < 4) await a.add(chat, `s${step}`);
        else if (op < 6) {
          const pairs: { response_id: string }[] = (await t.getChat(chat, { limit: 1000 })).body.qa_pairs;
          if (pairs.length > 0) live.push(await a.branch(chat, pick(pairs).response_id, { activate: rnd(2) === 0 }));
        } else if (op < 7) await a.setActive(chat);
        else if (op < 8) await a.updateChat(chat, `n${step}`);
        else if (op < 9 && chat !== root) {
          const r = await a.deleteChat(chat);
          for (const id of r.body.deleted_chat_ids) live.splice(live.indexOf(id), 1);
        }
        // Read every live chat twice through the cache (the second read is a hit) and compare.
        for (const c of live) {
          const limit = 1 + rnd(4);
          for (const query of [{ limit }, { limit, before: 'end' }]) {
            const expected = await t.getChat(c, query);
            await a.getChat(c, query);
            expect((await a.getChat(c, query)).body).toEqual(expected.body);
          }
        }
        await a.getBranches(root);
        expect((await a.getBranches(root)).body).toEqual((await t.getBranches(root)).body);
      }
      expect(services.cache.counters.hit).toBeGreaterThan(100);
    }, 60_000);
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
