/**
 * The chat-row read every request makes (MetadataStore.getChat) on real PostgreSQL: concurrent calls share one
 * query per event-loop turn, and each still gets exactly its own answer — the chat if its account owns it, else
 * null (another account's, a missing or malformed id) — in any mix, in any letter case; and a store decorated
 * with Object.create (as tests and wrappers do) adds to the same batches instead of stranding them.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import type { Services } from '../../src/bootstrap.js';
import { createChat } from '../../src/domain/chats/chats.service.js';
import type { MetadataStore } from '../../src/domain/ports.js';
import { testServices } from '../support/app.js';

let services: Services;
beforeAll(async () => {
  services = await testServices();
});

async function account(): Promise<string> {
  const accountId = v7();
  await services.deps.meta.createAccount({
    accountId,
    email: `reads-${accountId}@example.com`,
    passwordHash: 'x',
    createdAt: new Date(),
  });
  return accountId;
}

describe('getChat', () => {
  test('concurrent reads of many accounts get exactly their own chats; others, missing and malformed ids get null', async () => {
    const owners = await Promise.all([1, 2, 3].map(() => account()));
    const chats = await Promise.all(
      owners.map((accountId, i) => createChat({ deps: services.deps, accountId }, { name: `c${i}` })),
    );
    const meta = services.deps.meta;
    const asks: [string, string, string | null][] = [];
    for (const [i, accountId] of owners.entries()) {
      for (const [j, chat] of chats.entries()) asks.push([accountId, chat.chatId, i === j ? chat.chatId : null]);
      asks.push([
        accountId,
        (chats[i] as { chatId: string }).chatId.toUpperCase(),
        (chats[i] as { chatId: string }).chatId,
      ]);
      asks.push([accountId, v7(), null]);
      asks.push([accountId, 'not-a-uuid', null]);
    }
    const got = await Promise.all(asks.map(([accountId, chatId]) => meta.getChat(accountId, chatId)));
    expect(got.map((c) => c?.chatId ?? null)).toEqual(asks.map(([, , want]) => want));
    for (const c of got) if (c) expect(c.name).toMatch(/^c\d$/);
  });

  test('a store decorated with Object.create shares the batches (nothing is left waiting)', async () => {
    const accountId = await account();
    const chat = await createChat({ deps: services.deps, accountId }, { name: 'decorated' });
    const meta = services.deps.meta;
    const decorated: MetadataStore = Object.create(meta);
    const mixed = await Promise.all([
      decorated.getChat(accountId, chat.chatId),
      meta.getChat(accountId, chat.chatId),
      decorated.getChat(accountId, chat.chatId),
    ]);
    expect(mixed.map((c) => c?.chatId)).toEqual([chat.chatId, chat.chatId, chat.chatId]);
    // Later batches, through either, still run.
    expect((await meta.getChat(accountId, chat.chatId))?.chatId).toBe(chat.chatId);
    expect((await decorated.getChat(accountId, chat.chatId))?.chatId).toBe(chat.chatId);
  });
});
