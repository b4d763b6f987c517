/**
 * Reads from memory under a read lease (src/cache/chat-rows.ts, src/events/pg.feed.ts), with two real server
 * processes on one PostgreSQL: B answers chat rows from memory (its /metrics counts them), a write through A is
 * answered only once B has applied it, and a B that stops answering (SIGSTOP) holds writes up for no longer than
 * its lease, after which it never serves what it kept from before.
 *
 * Skipped, with the reason printed, without PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  reasonToSkip,
  register,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';

const skipReason = await reasonToSkip('e2e/read-lease', unavailable());

const LEASE_MS = 1000;

describe.skipIf(skipReason !== null)('read leases across two processes', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let token = '';

  beforeAll(async () => {
    const databaseUrl = await freshDatabase();
    const jwtSecret = randomSecret();
    const extraEnv = { READ_LEASE_MS: String(LEASE_MS) };
    a = await startServer({ databaseUrl, port: await freePort(), jwtSecret, extraEnv });
    b = await startServer({ databaseUrl, port: await freePort(), jwtSecret, extraEnv });
    token = await register(a.base);
  }, 60_000);

  afterAll(async () => {
    if (b) process.kill(b.pid, 'SIGCONT');
    await cleanup();
  });

  const ok = async (p: ServerProcess, method: string, path: string, body?: unknown) => {
    const r = await call(p.base, method, path, { body, token });
    if (r.status >= 300) throw new Error(`${method} ${path} on ${p.base} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const page = (p: ServerProcess, chatId: string) => ok(p, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}`);
  const metric = async (p: ServerProcess, name: string) => {
    const text = await (await fetch(`${p.base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
  };
  const leased = async (p: ServerProcess) => {
    for (let i = 0; i < 100 && (await metric(p, 'branchat_read_lease')) !== 1; i++) await Bun.sleep(50);
    return metric(p, 'branchat_read_lease');
  };

  test('B answers chat rows from memory, and sees every write through A as soon as A answered it', async () => {
    expect(await leased(b)).toBe(1);
    const root = (await ok(a, 'POST', '/api/v1/chats/create-chat', { name: 'lease' })).chat_id;
    const before = await metric(b, 'branchat_chat_rows_memory_hits_total');
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page(b, root);
      await page(b, root); // the second read of an unchanged tree: the row from memory
      const t0 = performance.now();
      const pair = await ok(a, 'POST', '/api/v1/messages/add-message', {
        chat_id: root,
        question: `q${i}`,
        response: 'a',
      });
      waits.push(performance.now() - t0);
      const after = await page(b, root);
      expect(after.qa_pairs).toHaveLength(i + 1);
      expect(after.qa_pairs.at(-1).response_id).toBe(pair.response_id);
    }
    expect((await metric(b, 'branchat_chat_rows_memory_hits_total')) - before).toBeGreaterThanOrEqual(10);
    // A's writes waited for B's acknowledgement, not for B's lease to run out (that is LEASE_MS).
    expect(Math.max(...waits)).toBeLessThan(LEASE_MS / 2);
  }, 30_000);

  test('a stopped holder: a write waits at most its lease; resumed, it serves the write, not its memory', async () => {
    expect(await leased(b)).toBe(1);
    const root = (await ok(a, 'POST', '/api/v1/chats/create-chat', { name: 'stopped' })).chat_id;
    await page(b, root);
    await page(b, root);
    process.kill(b.pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      await ok(a, 'PUT', '/api/v1/chats/update-chat', { chat_id: root, name: 'while B slept' });
      const waited = performance.now() - t0;
      // B held a lease and could not acknowledge: A waited for it to run out (never for ever).
      expect(waited).toBeGreaterThan(LEASE_MS / 4);
      expect(waited).toBeLessThan(LEASE_MS + 2000);
      // Writes with B still stopped and its lease gone wait no more.
      const t1 = performance.now();
      await ok(a, 'PUT', '/api/v1/chats/update-chat', { chat_id: root, name: 'again' });
      expect(performance.now() - t1).toBeLessThan(LEASE_MS / 2);
    } finally {
      process.kill(b.pid, 'SIGCONT');
    }
    expect((await page(b, root)).chat.name).toBe('again');
    expect(await leased(b)).toBe(1);
    expect((await page(b, root)).chat.name).toBe('again');
  }, 30_000);
});
