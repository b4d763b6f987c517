/**
 * Scenarios of the read-through cache on a shared Redis, run on one server (redis-cache.test.ts) and on a Redis
 * Cluster (tests/cluster/redis-cluster.test.ts). Each takes a factory of service instances on that Redis (each
 * call: another process's worth of services on the same Redis and key prefix).
 */
import { expect } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { appFor } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';

export type Instance = () => Promise<{ services: Services; app: ReturnType<typeof appFor> }>;

const as = (c: Client, app: ReturnType<typeof appFor>) => new Client(app, c.token, c.accountId);
const questions = (r: { body: { qa_pairs: { question: string }[] } }) => r.body.qa_pairs.map((p) => p.question);

/** Every write route makes the next cached read fresh, including inherited `branches`. */
export async function everyWriteRouteIsFresh(instance: Instance) {
  const { app, services } = await instance();
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
}

/** Two processes on one Redis: a write through A, a read through B is fresh. */
export async function twoProcessesAgree(instance: Instance) {
  const A = await instance();
  const B = await instance();
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
}

/** After every random write, cached reads equal uncached reads of the same state (the truth: the cache bypassed). */
export async function randomInterleavingMatchesUncached(instance: Instance) {
  const { app, services } = await instance();
  const truth = appFor(services, { bypassCache: true });
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
}
