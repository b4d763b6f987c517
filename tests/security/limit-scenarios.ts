/**
 * Scenarios of the limits shared through Redis, run on one server (rate-limit.test.ts) and on a Redis Cluster
 * (tests/cluster/redis-cluster.test.ts). Each takes two sets of services on one Redis and key prefix, each
 * acting as a separate server process.
 */
import { expect } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { appFor } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

const as = (c: Client, app: ReturnType<typeof appFor>) => new Client(app, c.token, c.accountId);
const LOGIN = '/api/v1/auth/login';

/** The write budget is one across two processes: N writes spread over both hit the limit at N. */
export async function writeBudgetIsShared(p1: Services, p2: Services) {
  expect(p1.limits.kind).toBe('redis');
  expect(p2.limits.kind).toBe('redis');
  const writeLimit = { points: 6, windowSeconds: 60 };
  const apps = [appFor(p1, { writeLimit }), appFor(p2, { writeLimit })];
  const a = await newAccount(apps[0] as ReturnType<typeof appFor>);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    statuses.push((await as(a, apps[i % 2] as ReturnType<typeof appFor>).createChat(`w${i}`)).status);
  }
  expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 429, 429, 429, 429]);
  // A weighted read on either process draws on the same (spent) budget.
  expectProblem(await as(a, apps[1] as ReturnType<typeof appFor>).getBranches(crypto.randomUUID()), 429);
  expect((await a.listChats({ limit: 100 })).body.chats.length).toBe(6);
}

/** The login limit is one across two processes. */
export async function loginLimitIsShared(p1: Services, p2: Services) {
  const login = { maxFailures: 3, windowSeconds: 60 };
  const apps = [appFor(p1, { login }), appFor(p2, { login })];
  const a = await newAccount(apps[0] as ReturnType<typeof appFor>);
  for (let i = 0; i < 3; i++) {
    const r = await new Client(apps[i % 2] as ReturnType<typeof appFor>).call('POST', LOGIN, {
      body: { email: a.email, password: `wrong password ${i}` },
    });
    expect(r.status).toBe(401);
  }
  for (const app of apps) {
    const r = await new Client(app).call('POST', LOGIN, { body: { email: a.email, password: a.password } });
    expectProblem(r, 429);
    expect(Number(r.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
  }
}
