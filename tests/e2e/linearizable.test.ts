/**
 * Reads are linearizable across processes: two real server processes on one PostgreSQL, each with its own
 * in-process cache (no Redis), one JWT secret. Before every write, process B reads (so its cache holds the page
 * or tree as it was); the write goes through process A; as soon as A's answer has arrived, B reads again and must
 * show the write: get-chat (a new pair, a renamed chat, a new branch in the pair's `branches`), get-branches
 * (a new branch, the active chat, a deleted branch) and list-chats (the name). Then the same with the roles
 * swapped, and with reads racing the writes (each read that starts after a write's answer sees it).
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

const skipReason = await reasonToSkip('e2e/linearizable', unavailable());

describe.skipIf(skipReason !== null)('reads after a write, on another process', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let token = '';

  beforeAll(async () => {
    const databaseUrl = await freshDatabase();
    const jwtSecret = randomSecret();
    // One after the other: the first applies the migrations.
    a = await startServer({ databaseUrl, port: await freePort(), jwtSecret });
    b = await startServer({ databaseUrl, port: await freePort(), jwtSecret });
    token = await register(a.base);
  }, 60_000);

  afterAll(async () => {
    await cleanup();
  });

  const ok = async (p: ServerProcess, method: string, path: string, body?: unknown) => {
    const r = await call(p.base, method, path, { body, token });
    if (r.status >= 300) throw new Error(`${method} ${path} on ${p.base} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const page = (p: ServerProcess, chatId: string) => ok(p, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}`);
  const tree = (p: ServerProcess, chatId: string) => ok(p, 'GET', `/api/v1/branches/get-branches?chat_id=${chatId}`);

  test('each write through one process is visible to the next read through the other, cache warm', async () => {
    for (const [writer, reader] of [
      [a, b],
      [b, a],
    ] as const) {
      const root = (await ok(writer, 'POST', '/api/v1/chats/create-chat', { name: 'lin' })).chat_id;
      for (let i = 0; i < 15; i++) {
        await page(reader, root); // warm the reader's cache with the page as it is
        const pair = await ok(writer, 'POST', '/api/v1/messages/add-message', {
          chat_id: root,
          question: `q${i}`,
          response: `a${i}`,
        });
        const after = await page(reader, root);
        expect(after.qa_pairs.at(-1)?.response_id).toBe(pair.response_id);
        expect(after.qa_pairs).toHaveLength(i + 1);
      }

      await page(reader, root);
      await ok(writer, 'PUT', '/api/v1/chats/update-chat', { chat_id: root, name: 'renamed' });
      expect((await page(reader, root)).chat.name).toBe('renamed');
      const listed = await ok(reader, 'GET', '/api/v1/chats/list-chats?limit=100');
      expect(listed.chats.find((c: { chat_id: string }) => c.chat_id === root)?.name).toBe('renamed');

      const first = (await page(reader, root)).qa_pairs[0].response_id;
      await tree(reader, root);
      const branch = await ok(writer, 'POST', '/api/v1/branches/create-branch', { chat_id: root, response_id: first });
      const grown = await tree(reader, root);
      expect(grown.count).toBe(2);
      expect(grown.active_chat_id).toBe(branch.chat.chat_id);
      expect((await page(reader, root)).qa_pairs[0].branches).toEqual([branch.chat.chat_id]);

      await ok(writer, 'PUT', '/api/v1/branches/set-active-branch', { chat_id: root });
      expect((await tree(reader, root)).active_chat_id).toBe(root);
      await ok(writer, 'DELETE', `/api/v1/chats/delete-chat?chat_id=${branch.chat.chat_id}`);
      expect((await tree(reader, root)).count).toBe(1);
      expect((await page(reader, root)).qa_pairs[0].branches).toEqual([]);
      const gone = await call(reader.base, 'GET', `/api/v1/chats/get-chat?chat_id=${branch.chat.chat_id}`, { token });
      expect(gone.status).toBe(404);
    }
  }, 60_000);

  test('reads racing writes: every read that starts after a write was answered shows it', async () => {
    const root = (await ok(a, 'POST', '/api/v1/chats/create-chat', { name: 'race' })).chat_id;
    let answered = 0; // pairs whose add-message had been answered
    let stop = false;
    const violations: string[] = [];
    // Readers on both processes, continuously: each read must hold at least what was answered when it began.
    const readers = [a, b, b].map(async (p) => {
      while (!stop) {
        const atStart = answered;
        const r = await page(p, root);
        if (r.qa_pairs.length < atStart) violations.push(`${p.base}: ${r.qa_pairs.length} pairs < ${atStart} answered`);
      }
    });
    for (let i = 0; i < 40; i++) {
      await ok(i % 2 ? b : a, 'POST', '/api/v1/messages/add-message', {
        chat_id: root,
        question: `q${i}`,
        response: 'x',
      });
      answered = i + 1;
    }
    stop = true;
    await Promise.all(readers);
    expect(violations).toEqual([]);
    expect((await page(b, root)).qa_pairs).toHaveLength(40);
  }, 60_000);
});
