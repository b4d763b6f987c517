/**
 * A backing store goes away and comes back, while the service keeps running: requests that need it get a
 * 503 problem with Retry-After, nothing is half-written, and the service recovers on its own (no restart)
 * once the store answers again. Each store sits behind a TCP proxy (tests/support/tcp-proxy.ts) that the
 * test takes down (every connection reset, new ones refused) and brings back on the same address.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { appFor, openExtraServices } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { testDatabase } from '../support/db.js';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { expectProblem } from '../support/problem.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** Retries `call` until it answers `status` (the pools find their way back), for at most `ms`. */
async function eventually(call: () => Promise<{ status: number }>, status: number, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await call()).status;
    if (last === status) return;
    await Bun.sleep(200);
  }
  throw new Error(`still ${last}, expected ${status}, after ${ms} ms`);
}

function expectUnavailable(r: Awaited<ReturnType<Client['call']>>) {
  expectProblem(r, 503);
  expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0);
}

describe('PostgreSQL goes down and comes back', () => {
  let proxy: TcpProxy;
  let services: Services;
  let app: ReturnType<typeof appFor>;

  beforeAll(async () => {
    const url = new URL((await testDatabase()).url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = proxy.host;
    url.port = String(proxy.port);
    services = await openExtraServices({ DATABASE_URL: url.toString(), MONGO_URL: '', CACHE_MODE: 'off' });
    app = appFor(services);
  });
  afterAll(async () => {
    await proxy?.up();
    await services?.close();
    await proxy?.close();
  });

  test('503 with Retry-After on every route that needs it, readiness fails, then it recovers by itself', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);

    await proxy.down();
    expectUnavailable(await a.addMessage(chatId, 'during outage', 'x'));
    expectUnavailable(await a.getChat(chatId));
    expectUnavailable(await a.createBranch({ chat_id: chatId, response_id: ids[0], question: 'b', response: 'r' }));
    expectUnavailable(await a.setActive(chatId));
    expectUnavailable(await a.updateChat(chatId, 'renamed'));
    expectUnavailable(await a.deleteChat(chatId));
    expectUnavailable(await a.listChats());
    expectUnavailable(
      await new Client(app).call('POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password } }),
    );
    const ready = await new Client(app).call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect((await new Client(app).call('GET', '/healthz')).status).toBe(200); // the process itself is fine

    await proxy.up();
    await eventually(() => new Client(app).call('GET', '/readyz'), 200);
    await eventually(() => a.getChat(chatId), 200);
    // Nothing from the outage was half-written: same history, same tree, same name.
    expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
    const tree = await a.getBranches(chatId);
    expect(tree.body.count).toBe(1);
    expect((await a.getChat(chatId)).body.chat.name).toBe('chat');
    await a.add(chatId, 'q3', 'a3');
    expect(await a.questions(chatId)).toEqual(['q1', 'q2', 'q3']);
  });
});

describe('MongoDB (content) goes down and comes back', () => {
  let double: MongoDouble;
  let proxy: TcpProxy;
  let services: Services;
  let app: ReturnType<typeof appFor>;

  beforeAll(async () => {
    double = await startMongoDouble();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: double.port });
    services = await openExtraServices({
      // directConnection: the double speaks as a replica set's primary and names its own address among the
      // members; without it the driver would discover that address and go around the proxy this test cuts.
      MONGO_URL: `mongodb://${proxy.host}:${proxy.port}/?directConnection=true`,
      MONGO_DB: `down_${process.pid}`,
      MONGO_TIMEOUT_MS: '1000',
      CACHE_MODE: 'off',
    });
    app = appFor(services);
  });
  afterAll(async () => {
    await proxy?.up();
    await services?.close();
    await proxy?.close();
    await double?.stop();
  });

  test('content routes → 503 with Retry-After and no metadata change; metadata-only routes still work; recovery', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const before = await a.getBranches(chatId);

    await proxy.down();
    expectUnavailable(await a.addMessage(chatId, 'during outage', 'x'));
    expectUnavailable(await a.getChat(chatId));
    expectUnavailable(await a.createBranch({ chat_id: chatId, response_id: ids[1], question: 'b', response: 'r' }));
    // Routes that touch only metadata keep working. get-branches' tree is metadata; only its usage totals need the
    // content store: they are null, and the answer has no ETag and is not cached (after recovery they are back).
    // Several at once (the cache joins their loads): each gets the tree.
    for (const degraded of await Promise.all([1, 2, 3].map(() => a.getBranches(chatId)))) {
      expect(degraded.status).toBe(200);
      expect(degraded.headers.get('etag')).toBeNull();
      expect(degraded.body).toEqual({ ...before.body, tree: { ...before.body.tree, usage: null } });
    }
    expect((await a.listChats()).status).toBe(200);
    expect((await new Client(app).call('GET', '/readyz')).status).toBe(503);

    await proxy.up();
    await eventually(() => a.getChat(chatId), 200);
    expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
    expect((await a.getBranches(chatId)).body).toEqual(before.body);
    const page = await a.getChat(chatId);
    expect(page.body.qa_pairs.map((p: { branches: string[] }) => p.branches)).toEqual([[], []]);
    await a.add(chatId, 'q3', 'a3');
    expect(await a.questions(chatId)).toEqual(['q1', 'q2', 'q3']);
  });
});
