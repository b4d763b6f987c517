/**
 * Per-account rate limit (OWASP API4): configurable, 429 problem with Retry-After past the limit, nothing
 * stored by a refused write, plain reads unaffected, other accounts unaffected; heavy operations cost their
 * weight. With Redis (REDIS_URL, else 127.0.0.1:6379; skipped with the reason when none answers) the
 * write, login and registration limits are one budget across processes, and a Redis that is down or hangs
 * neither fails writes nor lifts the limit. The shared test app has the limits off (the other suites need
 * volume); this file builds apps with them on.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { Redis } from 'ioredis';
import type { Services } from '../../src/bootstrap.js';
import { appFor, openExtraServices, testServices } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';
import { blackhole, findRedis, freePort, OwnRedis } from '../support/redis.js';
import { loginLimitIsShared, writeBudgetIsShared } from './limit-scenarios.js';

async function limitedApp(points: number, windowSeconds = 60) {
  return appFor(await testServices(), { writeLimit: { points, windowSeconds } });
}

describe('write rate limit', () => {
  test('past N writes in the window → 429 with Retry-After; the refused write stores nothing', async () => {
    const app = await limitedApp(5);
    const a = await newAccount(app); // register is not a protected write and does not count
    const created = await a.createChat('limited');
    expect(created.status).toBe(201);
    expect(created.headers.get('RateLimit-Limit')).toBe('5');
    expect(created.headers.get('RateLimit-Remaining')).toBe('4');
    const chatId = created.body.chat_id;
    for (let i = 1; i <= 4; i++) await a.add(chatId, `q${i}`, `a${i}`);

    for (const refused of [
      await a.addMessage(chatId, 'one too many', 'x'),
      await a.createChat('another'),
      await a.updateChat(chatId, 'renamed'),
      await a.deleteChat(chatId),
    ]) {
      expectProblem(refused, 429);
      const retry = Number(refused.headers.get('Retry-After'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
    }
    // Reads are not limited, and nothing refused was stored.
    expect(await a.questions(chatId)).toEqual(['q1', 'q2', 'q3', 'q4']);
    const list = await a.listChats();
    expect(list.status).toBe(200);
    expect(list.body.chats.map((c: { name: string }) => c.name)).toEqual(['limited']);
  });

  test('each account has its own budget', async () => {
    const app = await limitedApp(2);
    const a = await newAccount(app);
    const b = await newAccount(app);
    expect((await a.createChat()).status).toBe(201);
    expect((await a.createChat()).status).toBe(201);
    expectProblem(await a.createChat(), 429);
    expect((await b.createChat()).status).toBe(201);
    expect((await b.createChat()).status).toBe(201);
  });

  test('the budget comes back when the window ends', async () => {
    const app = await limitedApp(1, 1);
    const a = await newAccount(app);
    expect((await a.createChat()).status).toBe(201);
    const refused = await a.createChat();
    expectProblem(refused, 429);
    await Bun.sleep(Number(refused.headers.get('Retry-After')) * 1000 + 50);
    expect((await a.createChat()).status).toBe(201);
  });

  test('parallel writes cannot overspend the budget', async () => {
    const app = await limitedApp(10);
    const a = await newAccount(app);
    const results = await Promise.all(Array.from({ length: 30 }, () => a.createChat('burst')));
    expect(results.filter((r) => r.status === 201).length).toBe(10);
    expect(results.filter((r) => r.status === 429).length).toBe(20);
    expect((await a.listChats({ limit: 100 })).body.chats.length).toBe(10);
  });
});

const EXPORT = '/api/v1/chats/export-chat';
const IMPORT = '/api/v1/chats/import-chat';
const remaining = (r: { headers: Headers }) => Number(r.headers.get('RateLimit-Remaining'));

/** A ChatGPT conversation of `pairs` question/answer pairs in one line: 2 × pairs + 1 mapping nodes. */
function conversation(title: string, pairs: number) {
  const mapping: Record<string, any> = { root: { id: 'root', message: null, parent: null, children: [] } };
  let parent = 'root';
  for (let i = 0; i < pairs; i++) {
    for (const [id, role] of [
      [`u${i}`, 'user'],
      [`a${i}`, 'assistant'],
    ] as const) {
      mapping[parent].children.push(id);
      mapping[id] = {
        id,
        message: {
          id,
          author: { role },
          create_time: 1_700_000_000 + i,
          content: { content_type: 'text', parts: [id] },
        },
        parent,
        children: [],
      };
      parent = id;
    }
  }
  return { title, create_time: 1_700_000_000, current_node: parent, mapping };
}

describe('weights of heavy operations', () => {
  test('search-messages takes its weight (default 1), whatever it finds', async () => {
    const app = appFor(await testServices(), { writeLimit: { points: 10, windowSeconds: 60 } });
    const a = await newAccount(app);
    const created = await a.createChat('searched');
    expect(remaining(created)).toBe(9);
    const hit = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'anything' } });
    expect(hit.status).toBe(200);
    expect(remaining(hit)).toBe(8);
    // A search scoped to a chat the account cannot see is a 404, and a request like any other: it costs too.
    const missing = await a.call('GET', '/api/v1/messages/search-messages', {
      query: { q: 'anything', chat_id: crypto.randomUUID() },
    });
    expectProblem(missing, 404);
    expect(remaining(await a.createChat('after'))).toBe(6);
  });

  test('export-chat and get-branches take their weight from the budget; other reads take nothing', async () => {
    const app = appFor(await testServices(), {
      writeLimit: { points: 20, windowSeconds: 60, costs: { exportChat: 7, getBranches: 3 } },
    });
    const a = await newAccount(app);
    const created = await a.createChat('heavy reads');
    expect(remaining(created)).toBe(19);
    const chatId = created.body.chat_id;

    const exported = await a.call('GET', EXPORT, { query: { chat_id: chatId } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('RateLimit-Limit')).toBe('20');
    expect(remaining(exported)).toBe(12);
    const tree = await a.getBranches(chatId);
    expect(tree.status).toBe(200);
    expect(remaining(tree)).toBe(9);
    for (let i = 0; i < 5; i++) {
      const read = await a.getChat(chatId);
      expect(read.status).toBe(200);
      expect(read.headers.get('RateLimit-Remaining')).toBeNull();
    }
    // HEAD runs the same handler (all the work, no body): it costs the same.
    const head = await a.call('HEAD', EXPORT, { query: { chat_id: chatId, format: 'markdown' } });
    expect(head.status).toBe(200);
    expect(remaining(head)).toBe(2);

    const refused = await a.call('GET', EXPORT, { query: { chat_id: chatId } });
    expectProblem(refused, 429);
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expectProblem(await a.getBranches(chatId), 429);
    // Plain reads still answer, and another account's budget is its own.
    expect((await a.getChat(chatId)).status).toBe(200);
    const b = await newAccount(app);
    const bChat = (await b.createChat()).body.chat_id;
    expect((await b.getBranches(bChat)).status).toBe(200);
  });

  test('import-chat costs per started 1,000 messages, charged before and after the body is read', async () => {
    const app = appFor(await testServices(), {
      writeLimit: { points: 100, windowSeconds: 60, costs: { importPer1000Messages: 10 } },
    });
    const a = await newAccount(app);
    const small = await a.call('POST', IMPORT, { body: conversation('small', 1) }); // 3 messages
    expect(small.status).toBe(201);
    expect(remaining(small)).toBe(90);
    // 501 pairs = 1,003 mapping nodes: two thousands started → 20 points; an array of two counts together.
    const big = await a.call('POST', IMPORT, { body: [conversation('big', 400), conversation('more', 101)] });
    expect(big.status).toBe(201);
    expect(remaining(big)).toBe(70);
  });

  test('an import never costs more than the whole budget; refused by its weight, it stores nothing', async () => {
    const capped = appFor(await testServices(), {
      writeLimit: { points: 15, windowSeconds: 60, costs: { importPer1000Messages: 10 } },
    });
    const a = await newAccount(capped);
    const whole = await a.call('POST', IMPORT, { body: conversation('capped', 501) }); // 20 points → 15
    expect(whole.status).toBe(201);
    expect(remaining(whole)).toBe(0);
    expectProblem(await a.createChat('over'), 429);

    const app = appFor(await testServices(), {
      writeLimit: { points: 25, windowSeconds: 60, costs: { importPer1000Messages: 10 } },
    });
    const b = await newAccount(app);
    for (let i = 0; i < 10; i++) expect((await b.createChat(`c${i}`)).status).toBe(201);
    // 15 left: the first 10 points pass before the body is read, the other 10 do not once it is.
    const refused = await b.call('POST', IMPORT, { body: conversation('too heavy', 501) });
    expectProblem(refused, 429);
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    const list = await b.listChats({ limit: 100 });
    expect(list.body.chats.length).toBe(10);
    expect(list.body.chats.map((c: { name: string }) => c.name)).not.toContain('too heavy');
    // The refused import cost nothing: neither its first 10 points nor the 10 that did not fit were counted.
    expect(remaining(await b.createChat('after'))).toBe(14);
  });

  test('a generated answer its client left still costs its point (the model ran); a refusal before work does not', async () => {
    const services = await testServices();
    let asked = 0;
    const slow = {
      model: 'slow',
      start: async (request: { signal: AbortSignal }) => {
        asked++;
        await new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('aborted');
      },
    };
    const app = appFor({ ...services, deps: { ...services.deps, responder: slow } } as typeof services, {
      writeLimit: { points: 10, windowSeconds: 60 },
    });
    const a = await newAccount(app);
    const chat = await a.createChat('left');
    expect(remaining(chat)).toBe(9);
    for (let i = 0; i < 3; i++) {
      const leaving = new AbortController();
      const sent = app.request('/api/v1/messages/add-message', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${a.token}` },
        body: JSON.stringify({ chat_id: chat.body.chat_id, question: `q${i}` }),
        signal: leaving.signal,
      });
      while (asked <= i) await Bun.sleep(5);
      leaving.abort();
      expect((await sent).status).toBe(499);
    }
    expect(asked).toBe(3);
    expect(await a.questions(chat.body.chat_id)).toEqual([]);
    expect(remaining(await a.createChat('after'))).toBe(5);
  });
});

// ---- across processes: Redis ------------------------------------------------------------------------------

const redis = await findRedis();
const opened: Services[] = [];
afterAll(async () => {
  for (const s of opened.splice(0)) await s.close();
});

let prefixes = 0;
/** Each test its own key prefix: nothing counted by another test (or run) is seen. */
const uniquePrefix = () => `branchat-test-limits-${process.pid}-${Date.now()}-${prefixes++}:`;

/** `count` sets of services on one configuration: each acts as a separate server process. */
async function processes(count: number, env: Record<string, string>): Promise<Services[]> {
  const list = await Promise.all(Array.from({ length: count }, () => openExtraServices(env)));
  opened.push(...list);
  return list;
}

const REGISTER = '/api/v1/auth/register';

if ('skip' in redis) {
  console.warn(`[rate limits across processes] SKIPPED: ${redis.skip}`);
  describe('rate limits across processes', () => {
    test.skip(`skipped: ${redis.skip}`, () => {});
  });
} else {
  describe('rate limits across processes (one Redis)', () => {
    test('the write budget is one across two processes: N writes spread over both hit the limit at N', async () => {
      const [p1, p2] = await processes(2, { REDIS_URL: redis.url, CACHE_KEY_PREFIX: uniquePrefix() });
      await writeBudgetIsShared(p1 as Services, p2 as Services);
    });

    test('the login limit is one across two processes', async () => {
      const [p1, p2] = await processes(2, { REDIS_URL: redis.url, CACHE_KEY_PREFIX: uniquePrefix() });
      await loginLimitIsShared(p1 as Services, p2 as Services);
    });

    test('the registration limit is one across two processes; a refused registration creates nothing', async () => {
      const [p1, p2] = await processes(2, { REDIS_URL: redis.url, CACHE_KEY_PREFIX: uniquePrefix() });
      const registration = { maxPerWindow: 3, windowSeconds: 3600 };
      const apps = [appFor(p1 as Services, { registration }), appFor(p2 as Services, { registration })];
      const email = (i: number) => `shared-register-${i}-${crypto.randomUUID()}@example.com`;
      const statuses: number[] = [];
      const emails = Array.from({ length: 5 }, (_, i) => email(i));
      for (const [i, e] of emails.entries()) {
        const r = await new Client(apps[i % 2] as ReturnType<typeof appFor>).call('POST', REGISTER, {
          body: { email: e, password: 'correct horse battery' },
        });
        statuses.push(r.status);
        if (r.status === 429) {
          const retry = Number(r.headers.get('Retry-After'));
          expect(retry).toBeGreaterThanOrEqual(1);
          expect(retry).toBeLessThanOrEqual(3600);
        }
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      // The refused emails are still free: nothing was created for them.
      const free = appFor(p1 as Services);
      for (const e of emails.slice(3)) {
        expect(
          (await new Client(free).call('POST', REGISTER, { body: { email: e, password: 'another one!' } })).status,
        ).toBe(201);
      }
    });
  });

  describe('rate limits while Redis is down', () => {
    async function writesWithin(app: ReturnType<typeof appFor>, points: number) {
      const a = await newAccount(app);
      const statuses: number[] = [];
      for (let i = 0; i < points + 2; i++) statuses.push((await a.createChat(`d${i}`)).status);
      return { a, statuses };
    }

    test('unreachable (nothing listens): writes succeed, and are limited in memory', async () => {
      const [p] = await processes(1, {
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        CACHE_KEY_PREFIX: uniquePrefix(),
      });
      expect(p?.limits.kind).toBe('redis');
      const app = appFor(p as Services, { writeLimit: { points: 3, windowSeconds: 60 } });
      const { a, statuses } = await writesWithin(app, 3);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      expect((await a.listChats()).body.chats.length).toBe(3);
    });

    test('hanging (accepts, never answers): writes succeed, and are limited in memory', async () => {
      const hole = await blackhole();
      try {
        const [p] = await processes(1, {
          REDIS_URL: `redis://127.0.0.1:${hole.port}`,
          CACHE_KEY_PREFIX: uniquePrefix(),
        });
        const app = appFor(p as Services, { writeLimit: { points: 3, windowSeconds: 60 } });
        const { statuses } = await writesWithin(app, 3);
        expect(statuses).toEqual([201, 201, 201, 429, 429]);
      } finally {
        await hole.close();
      }
    });

    const ownRedisMissing = OwnRedis.available();
    test.skipIf(ownRedisMissing !== null)(
      'stopped or paused mid-window: writes keep succeeding, counted in memory instead (not unlimited)',
      async () => {
        const own = new OwnRedis(await freePort());
        await own.start();
        const direct = new Redis(own.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
        direct.on('error', () => {});
        try {
          const prefix = uniquePrefix();
          const [p] = await processes(1, { REDIS_URL: own.url, CACHE_KEY_PREFIX: prefix });
          const app = appFor(p as Services, { writeLimit: { points: 3, windowSeconds: 60 } });
          const counted = (c: Client) => direct.get(`${prefix}limit:write:${c.accountId}`);
          // Until the limiter's own connection is ready its counts are in memory: wait until one lands in Redis.
          const probe = await newAccount(app);
          for (let i = 0; i < 100 && !(await counted(probe)); i++) {
            await probe.call('PUT', '/api/v1/branches/set-active-branch', { body: { chat_id: crypto.randomUUID() } });
            await Bun.sleep(20);
          }
          const a = await newAccount(app);
          for (let i = 0; i < 2; i++) expect((await a.createChat(`r${i}`)).status).toBe(201);
          expect(await counted(a)).toBe('2');

          // Paused: connected but silent, so each check times out into the in-memory count.
          own.signal('SIGSTOP');
          const paused: number[] = [];
          for (let i = 0; i < 5; i++) paused.push((await a.createChat(`p${i}`)).status);
          // Killed: the connection is gone, so the in-memory count answers at once.
          await own.kill();
          const killed: number[] = [];
          for (let i = 0; i < 2; i++) killed.push((await a.createChat(`k${i}`)).status);
          // In memory the account has its own 3 for the window: never an error, never unlimited.
          expect(paused).toEqual([201, 201, 201, 429, 429]);
          expect(killed).toEqual([429, 429]);
          expect((await a.listChats({ limit: 100 })).body.chats.length).toBe(5);
        } finally {
          direct.disconnect();
          own.signal('SIGCONT');
          await own.kill();
        }
      },
    );
    if (ownRedisMissing) console.warn(`[rate limits, Redis stopped mid-window] SKIPPED: ${ownRedisMissing}`);
  });
}
