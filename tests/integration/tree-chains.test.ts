/**
 * Tree reads rebuild each chat's chain (`ancestor_ids`) from its parent's instead of reading ~25,000 ids for a
 * 1,000-branch tree (src/stores/metadata/metadata-reads.ts, listTree). Checked here against the stored chains on
 * trees built through the API with every kind of fork: a branch at a parent's own pair and at an inherited pair,
 * start forks, regenerations, nested branches, a deleted branch, a forked copy and an import; and the fallback to
 * the stored chains when a chat cannot be rebuilt.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import type { Services } from '../../src/bootstrap.js';
import type { ChatRecord } from '../../src/domain/model.js';
import { rebuildChains } from '../../src/stores/metadata/metadata-reads.js';
import { testApp } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { testDatabase } from '../support/db.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Services;
beforeAll(async () => {
  ({ app, services } = await testApp());
});

async function storedChains(rootChatId: string): Promise<Record<string, string[]>> {
  const db = new pg.Client({ connectionString: (await testDatabase()).url });
  await db.connect();
  try {
    const r = await db.query('select chat_id, ancestor_ids from chats where root_chat_id = $1 and deleted_at is null', [
      rootChatId,
    ]);
    return Object.fromEntries(r.rows.map((row) => [row.chat_id, row.ancestor_ids]));
  } finally {
    await db.end();
  }
}

async function readChains(accountId: string, rootChatId: string) {
  const chats = await services.deps.meta.listTree(accountId, rootChatId);
  return Object.fromEntries(chats.map((c) => [c.chatId, c.ancestorIds]));
}

describe('tree reads: chains rebuilt from the parents', () => {
  test('equal the stored chains for every kind of fork', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4, 'chains');
    const b1 = await a.branch(root, ids[2] as string, { question: 'b1 q' }); // at the root's third pair
    const b1ids = [await a.add(b1, 'b1 more', 'x')];
    const nested = await a.branch(b1, b1ids[0] as string, { question: 'nested' }); // at b1's own pair
    const inherited = await a.branch(b1, ids[0] as string, { question: 'from an inherited pair' }); // root's pair via b1
    const deep = await a.branch(nested, ids[1] as string, { question: 'deeper, inherited twice' });
    const start = await a.branch(root, null as unknown as string, { question: 'a start fork' });
    const underStart = await a.branch(start, (await a.getChat(start)).body.qa_pairs[0].response_id, {
      question: 'under the start fork',
    });
    expect((await a.regenerate(ids[3] as string)).status).toBe(201);
    const gone = await a.branch(nested, ids[0] as string, { question: 'deleted later' });
    await a.branch(gone, ids[0] as string, { question: 'deleted with its parent' });
    expect((await a.deleteChat(gone)).status).toBe(200);
    for (const chat of [root, b1, nested, inherited, deep, start, underStart]) expect(chat).toBeString();

    const stored = await storedChains(root);
    expect(Object.keys(stored).length).toBe(9);
    expect(await readChains(a.accountId as string, root)).toEqual(stored);

    // A forked copy (a tree of its own, with branches) and an import of the exported tree.
    const fork = await a.forkChat({ chat_id: root, response_id: ids[0] as string, include_branches: true });
    expect(fork.status).toBe(201);
    const copy = fork.body.chat.chat_id;
    expect(fork.body.chat_count).toBeGreaterThan(1);
    expect(await readChains(a.accountId as string, copy)).toEqual(await storedChains(copy));
    const exported = await a.call('GET', '/api/v1/chats/export-chat', { query: { chat_id: root, format: 'chatgpt' } });
    const imported = await a.call('POST', '/api/v1/chats/import-chat', { body: exported.body });
    expect(imported.status).toBe(201);
    const [conversation] = imported.body.conversations;
    expect(conversation.chat_count).toBe(9);
    const r = conversation.root_chat_id;
    expect(await readChains(a.accountId as string, r)).toEqual(await storedChains(r));
  });

  test('a chat that cannot be rebuilt (parent not read, or a chain too long) is reported for a stored read', () => {
    const chat = (chatId: string, parentChatId: string | null, ancestorLimits: number[]) =>
      ({ chatId, parentChatId, ancestorIds: ['stored'], ancestorLimits }) as unknown as ChatRecord;
    const chats = [
      chat('R', null, []),
      chat('A', 'R', [2]),
      chat('B', 'A', [2]), // a cut of A's chain: [R]
      chat('C', 'A', [2, 1]), // A's chain, then A
      chat('D', 'A', [2, 1, 1]), // longer than A's chain + A allows
      chat('E', 'missing', [1]),
      chat('F', 'E', [1, 1]), // under a chat that cannot be rebuilt
    ];
    expect(rebuildChains(chats)).toEqual(['D', 'E', 'F']);
    expect(chats.map((c) => c.ancestorIds)).toEqual([[], ['R'], ['R'], ['R', 'A'], ['stored'], ['stored'], ['stored']]);
  });
});
