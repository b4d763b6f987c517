/**
 * The service on a Redis Cluster of the test's own (tests/support/redis-cluster.ts: 3 masters + 3 replicas,
 * redis-server processes on free ports in a temporary folder), configured by REDIS_CLUSTER_NODES:
 *   - the cache scenarios of tests/cache (every write route fresh, two processes, a random interleaving checked
 *     against uncached reads), with the in-process tier off so that every hit comes from the cluster, and no
 *     cache error at all (a CROSSSLOT or MOVED the client could not follow would be a silent miss: counted here);
 *   - the keys of one tree in one slot (CLUSTER KEYSLOT of every key written), trees spread over the masters;
 *   - the shared limits of tests/security (write budget and login limit one across two processes), counted in
 *     the cluster;
 *   - events across two server processes while a master is killed and its replica takes over (the scenario of
 *     tests/events/feed.test.ts);
 *   - a master killed mid-traffic: reads and writes through the API stay 2xx and fresh (the cache fails open,
 *     the limits count in memory), its replica takes over, and the cache and limits are served by the cluster again.
 * Skipped, with the reason printed, without redis-server/redis-cli 7 (and the events test without PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Cluster } from 'ioredis';
import type { Services } from '../../src/bootstrap.js';
import { everyWriteRouteIsFresh, randomInterleavingMatchesUncached, twoProcessesAgree } from '../cache/scenarios.js';
import { eventsThroughRedisOutage } from '../events/outage-scenario.js';
import { cleanup, unavailable } from '../faults/harness.js';
import { loginLimitIsShared, writeBudgetIsShared } from '../security/limit-scenarios.js';
import { appFor, openExtraServices } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { closeSockets } from '../support/frame-socket.js';
import { RedisCluster } from '../support/redis-cluster.js';

const noCluster = RedisCluster.available();
const noPostgres = noCluster ? null : await unavailable();
if (noCluster) console.warn(`[redis cluster] SKIPPED: ${noCluster}`);
else if (noPostgres) console.warn(`[redis cluster] events test SKIPPED: ${noPostgres}`);

let cluster: RedisCluster;
const opened: Services[] = [];
beforeAll(async () => {
  if (noCluster) return;
  const started = Date.now();
  cluster = await RedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
  console.log(`[redis cluster] 3 masters + 3 replicas ready in ${Date.now() - started} ms`);
}, 60_000);
afterAll(async () => {
  for (const s of opened.splice(0)) await s.close();
  closeSockets();
  await cleanup();
  await cluster?.stop();
}, 30_000);

let prefixes = 0;
/** Each test its own key prefix: what it finds in the cluster is its own. */
const uniquePrefix = () => `branchat-test-cluster-${process.pid}-${prefixes++}:`;

/** Services on the cluster (each call: another process's worth), with the in-process cache tier off. */
function onCluster(prefix = uniquePrefix()) {
  const mine: Services[] = [];
  const env = {
    REDIS_CLUSTER_NODES: cluster.startupNodes,
    CACHE_KEY_PREFIX: prefix,
    CACHE_LOCAL_MAX_MB: '0',
  };
  return {
    prefix,
    env,
    mine,
    async services() {
      const s = await openExtraServices(env);
      opened.push(s);
      mine.push(s);
      expect(s.limits.kind).toBe('redis');
      expect(s.cache.store.kind).toBe('redis');
      return s;
    },
    async instance() {
      const services = await this.services();
      return { services, app: appFor(services) };
    },
    /** Cache operations that failed, over every instance (each was served as a miss). */
    errors: () => mine.reduce((sum, s) => sum + s.cache.counters.error, 0),
    /**
     * The failures a cluster could cause (a CROSSSLOT, a MOVED not followed, a node refusing), with their last
     * message: every failure but commands that outlived the 150 ms command timeout, which only say that a process
     * was starved of CPU (this suite shares two cores with the browser tests) and are printed, not counted.
     */
    refusals() {
      const stores = mine.map((s) => s.cache.store);
      const timeouts = stores.reduce((sum, s) => sum + s.timeouts, 0);
      if (timeouts > 0) console.warn(`[redis cluster] ${timeouts} cache command(s) timed out (served as misses)`);
      const last = stores.map((s) => s.lastError).filter((m) => m && !/timed out/i.test(m));
      return { count: this.errors() - timeouts, last: last.at(-1) ?? null };
    },
  };
}

/** A cluster client of the test's own, to look at what the service wrote. */
function look(): Cluster {
  const c = new Cluster(
    cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  c.on('error', () => {});
  return c;
}

const as = (c: Client, app: ReturnType<typeof appFor>) => new Client(app, c.token, c.accountId);
const questions = (r: { body: { qa_pairs: { question: string }[] } }) => r.body.qa_pairs.map((p) => p.question);
/** The hash tag of a key: the first {…}. */
const tagOf = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];

describe.skipIf(noCluster !== null)('redis cluster: the cache scenarios', () => {
  test('every write route makes the next cached read fresh (hits from the cluster, no error)', async () => {
    const c = onCluster();
    await everyWriteRouteIsFresh(() => c.instance());
    expect(c.refusals()).toEqual({ count: 0, last: null });
  });

  test('two processes on the cluster: a write through A, a read through B is fresh (no error)', async () => {
    const c = onCluster();
    await twoProcessesAgree(() => c.instance());
    expect(c.refusals()).toEqual({ count: 0, last: null });
  });

  test('after every random write, cached reads equal uncached reads (no error)', async () => {
    const c = onCluster();
    await randomInterleavingMatchesUncached(() => c.instance());
    expect(c.refusals()).toEqual({ count: 0, last: null });
  }, 90_000);
});

describe.skipIf(noCluster !== null)('redis cluster: where the keys live', () => {
  test("every key of one tree is in its tree's slot; trees spread over the masters; limits counted there", async () => {
    const c = onCluster();
    const services = await c.services();
    const app = appFor(services, { writeLimit: { points: 1000, windowSeconds: 60 } });
    const a = await newAccount(app);
    const roots: string[] = [];
    for (let t = 0; t < 12; t++) {
      const { chatId, ids } = await a.chatWith(2, `tree ${t}`);
      const branch = await a.branch(chatId, ids[0] as string, { question: 'b' });
      roots.push(chatId);
      for (const chat of [chatId, branch]) {
        expect((await a.getChat(chat)).status).toBe(200);
        expect((await a.getChat(chat, { limit: 1 })).status).toBe(200);
      }
      expect((await a.getBranches(chatId)).status).toBe(200);
    }
    expect(c.refusals()).toEqual({ count: 0, last: null });

    const keys = await cluster.keys(`${c.prefix}*`);
    const byTree = new Map<string, string[]>();
    for (const key of keys.filter((k) => !k.startsWith(`${c.prefix}limit:`))) {
      const tag = tagOf(key);
      expect({ key, tagged: tag !== undefined && roots.includes(tag) }).toEqual({ key, tagged: true });
      byTree.set(tag as string, [...(byTree.get(tag as string) ?? []), key]);
    }
    // Per tree: pages of the root and of the branch (two sizes each), their usage totals, the branch tree.
    expect([...byTree.keys()].sort()).toEqual([...roots].sort());
    const masters = new Set<number>();
    for (const [root, treeKeys] of byTree) {
      expect(treeKeys.length).toBeGreaterThanOrEqual(6);
      const slot = await cluster.keyslot(`{${root}}`);
      const slots = await Promise.all(treeKeys.map((k) => cluster.keyslot(k)));
      expect(new Set(slots)).toEqual(new Set([slot]));
      masters.add(await cluster.masterOf(slot));
    }
    expect(masters.size).toBeGreaterThanOrEqual(2); // 12 random trees on 3 masters: all on one has odds 3^-11

    // The write budget of the account (writes, and get-branches by its weight) is counted in the cluster.
    const last = await a.createChat('last');
    const spent = 1000 - Number(last.headers.get('RateLimit-Remaining'));
    expect(spent).toBeGreaterThan(12 * 4);
    const client = look();
    try {
      expect(await client.get(`${c.prefix}limit:write:${a.accountId}`)).toBe(String(spent));
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

describe.skipIf(noCluster !== null)('redis cluster: the shared limits', () => {
  test('the write budget is one across two processes on the cluster', async () => {
    const c = onCluster();
    await writeBudgetIsShared(await c.services(), await c.services());
  });

  test('the login limit is one across two processes on the cluster', async () => {
    const c = onCluster();
    await loginLimitIsShared(await c.services(), await c.services());
  });
});

describe.skipIf(noCluster !== null || noPostgres !== null)('redis cluster: events across two server processes', () => {
  test('40 paced writes through B while a master is killed and its replica takes over: each event once, in order', async () => {
    const prefix = uniquePrefix();
    let victim = 0;
    await eventsThroughRedisOutage({
      extraEnv: { REDIS_CLUSTER_NODES: cluster.startupNodes, CACHE_KEY_PREFIX: prefix },
      keysInRedis: async () => (await cluster.keys(`${prefix}*`)).length,
      down: async () => {
        // The master holding the most of the processes' keys.
        const keys = await cluster.keys(`${prefix}*`);
        const count = new Map<number, number>();
        for (const k of keys) {
          const m = await cluster.masterOf(await cluster.keyslot(k));
          count.set(m, (count.get(m) ?? 0) + 1);
        }
        victim = [...count].sort((x, y) => y[1] - x[1])[0]?.[0] as number;
        await cluster.kill(victim);
      },
      up: async () => {
        // Its replica has taken over (or does now); the old master comes back as a replica.
        await cluster.waitHealthy(30_000);
        const node = cluster.nodes.find((n) => n.port === victim);
        if (node) await cluster.startNode(node);
      },
    });
    await cluster.waitHealthy(30_000);
    const view = await cluster.view();
    expect(view.find((v) => v.port === victim)?.role).toBe('slave');
  }, 90_000);
});

describe.skipIf(noCluster !== null)('redis cluster: a master fails over', () => {
  test('killed mid-traffic: reads and writes stay 2xx and fresh, its replica takes over, cache and limits come back', async () => {
    const c = onCluster();
    const [pa, pb] = [await c.services(), await c.services()];
    const writeLimit = { points: 10_000, windowSeconds: 60 };
    const A = appFor(pa, { writeLimit });
    const B = appFor(pb, { writeLimit });
    const truth = appFor(pb, { bypassCache: true });
    const a = await newAccount(A);
    const viaB = as(a, B);
    const viaTruth = as(a, truth);
    const trees: string[] = [];
    for (let t = 0; t < 6; t++) trees.push((await a.chatWith(1, `tree ${t}`)).chatId);
    for (const t of trees) await viaB.getChat(t);
    const tree0 = trees[0] as string;
    const victim = await cluster.masterOf(await cluster.keyslot(`{${tree0}}`));
    const viewBefore = await cluster.view();
    const victimId = viewBefore.find((v) => v.port === victim)?.id;
    const replica = viewBefore.find((v) => v.masterId === victimId)?.port;
    expect(replica).toBeDefined();
    expect(c.refusals()).toEqual({ count: 0, last: null });

    // A round: a write to every tree through A, then a cached read of each through B equal to the truth.
    let round = 0;
    const statuses: number[] = [];
    const slowest = { ms: 0 };
    const traffic = async () => {
      round++;
      for (const t of trees) {
        const started = performance.now();
        const w = await a.addMessage(t, `r${round}`, `x${round}`);
        const r = await viaB.getChat(t, { limit: 1000 });
        slowest.ms = Math.max(slowest.ms, performance.now() - started);
        statuses.push(w.status, r.status);
        expect(r.body).toEqual((await viaTruth.getChat(t, { limit: 1000 })).body);
        expect(questions(r).at(-1)).toBe(`r${round}`);
      }
    };
    await traffic();

    const tree0Key = (await cluster.keys(`${c.prefix}*{${tree0}}*`))[0]?.slice(c.prefix.length) as string;
    expect(await pb.cache.store.get(tree0Key)).not.toBeNull();

    const killedAt = Date.now();
    await cluster.kill(victim);
    const errorsAtKill = c.errors();
    // A read of the dead master's slot is a miss, at once once the client has seen the connection close: nothing
    // waits for the failover (ioredis' defaults would retry every 100 ms until the 150 ms command timeout).
    await Bun.sleep(100);
    const missMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await pb.cache.store.get(tree0Key)).toBeNull();
      missMs.push(performance.now() - started);
    }
    expect(Math.max(...missMs)).toBeLessThan(400);
    expect(missMs.sort((x, y) => x - y)[2]).toBeLessThan(50);
    // Traffic until the replica serves the slot (the cluster notices within cluster-node-timeout, then elects).
    let outageRounds = 0;
    while ((await cluster.view()).find((v) => v.port === replica)?.role !== 'master') {
      if (Date.now() - killedAt > 30_000) throw new Error('the replica did not take over within 30 s');
      await traffic();
      outageRounds++;
    }
    const failoverMs = Date.now() - killedAt;
    await cluster.waitHealthy(30_000);
    expect(outageRounds).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect(c.errors()).toBeGreaterThan(errorsAtKill); // the outage was seen, and served as misses
    expect(slowest.ms).toBeLessThan(1000); // no request stalled on the dead master

    // Back: within a few seconds the client follows the new master, then reads of tree 0 are hits with no error.
    let back = false;
    for (let i = 0; i < 50 && !back; i++) {
      await viaB.getChat(tree0);
      const [hits, errors] = [pb.cache.counters.hit, c.errors()];
      await viaB.getChat(tree0);
      back = pb.cache.counters.hit === hits + 1 && c.errors() === errors;
      if (!back) await Bun.sleep(200);
    }
    expect(back).toBe(true);
    await traffic();
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);

    // The limits count in the cluster again: a fresh account's writes land there.
    const b = await newAccount(A);
    const client = look();
    try {
      let counted: string | null = null;
      for (let i = 0; i < 50 && counted === null; i++) {
        await b.createChat(`after ${i}`);
        counted = await client.get(`${c.prefix}limit:write:${b.accountId}`);
        if (counted === null) await Bun.sleep(100);
      }
      expect(counted).not.toBeNull();
    } finally {
      client.disconnect();
    }
    console.log(
      `[redis cluster] failover: a miss on the dead master in ${missMs.map((m) => m.toFixed(1)).join(', ')} ms; ` +
        `replica serving ${failoverMs} ms after the kill; ${outageRounds} rounds of ` +
        `${trees.length} writes + ${trees.length} reads meanwhile, all 2xx; slowest write+read ${Math.round(slowest.ms)} ms`,
    );
  }, 90_000);
});
