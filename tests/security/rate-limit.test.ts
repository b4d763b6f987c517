/**
 * Per-account write rate limit (OWASP API4): configurable, 429 problem with Retry-After past the limit,
 * nothing stored by a refused write, reads unaffected, other accounts unaffected. The shared test app has
 * it off (the other suites need volume); this file builds apps with it on.
 */
import { describe, expect, test } from 'bun:test';
import { appFor, testServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

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
