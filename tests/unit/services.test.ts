/** Domain services against in-memory stores: rules that do not depend on a database. */
import { beforeEach, describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import { createBranch, defaultBranchName } from '../../src/domain/branches/branches.service.js';
import {
  chatEtag,
  createChat,
  decodeListCursor,
  encodeListCursor,
  getChat,
  updateChat,
} from '../../src/domain/chats/chats.service.js';
import type { Ctx, Deps } from '../../src/domain/context.js';
import { NotFoundError, PreconditionFailedError, ValidationError } from '../../src/domain/errors.js';
import { addMessage } from '../../src/domain/messages/messages.service.js';
import { MAX_TIME_MS, MIN_TIME_MS } from '../../src/domain/model.js';
import { LocalResponder, localAnswer } from '../../src/responders/local.responder.js';
import { MemoryContentStore, MemoryMetadataStore, MemoryShareStore } from '../support/memory-stores.js';

let ctx: Ctx;
let content: MemoryContentStore;

beforeEach(() => {
  content = new MemoryContentStore();
  const meta = new MemoryMetadataStore();
  const deps: Deps = {
    meta,
    content,
    shares: new MemoryShareStore(meta),
    responder: new LocalResponder(),
    hasher: { hash: async (p) => `h:${p}`, verify: async (p, h) => h === `h:${p}` },
    clock: () => new Date(),
    newId: () => v7(),
  };
  ctx = { deps, accountId: v7() };
});

async function chatWith(n: number) {
  const chat = await createChat(ctx, { name: 'c' });
  const ids: string[] = [];
  for (let i = 1; i <= n; i++)
    ids.push((await addMessage(ctx, { chatId: chat.chatId, question: `q${i}`, response: `a${i}` })).pair.responseId);
  return { chat, ids };
}

describe('getChat', () => {
  test('reads only the ranges of the requested page', async () => {
    const { chat, ids } = await chatWith(10);
    content.reads = [];
    const page = await getChat(ctx, { chatId: chat.chatId, limit: 3, cursor: { after: ids[4] as string } });
    expect(page.pairs.map((p) => p.question)).toEqual(['q6', 'q7', 'q8']);
    expect(content.reads).toEqual([[{ chatId: chat.chatId, fromSeq: 6, toSeq: 8 }]]);
    expect(page.hasMoreBefore).toBe(true);
    expect(page.hasMoreAfter).toBe(true);
  });

  test('empty pages at either end report the pairs on the other side', async () => {
    const { chat, ids } = await chatWith(2);
    const afterLast = await getChat(ctx, { chatId: chat.chatId, limit: 5, cursor: { after: ids[1] as string } });
    expect(afterLast).toMatchObject({ pairs: [], hasMoreBefore: true, hasMoreAfter: false });
    const beforeFirst = await getChat(ctx, { chatId: chat.chatId, limit: 5, cursor: { before: ids[0] as string } });
    expect(beforeFirst).toMatchObject({ pairs: [], hasMoreBefore: false, hasMoreAfter: true });
  });

  test('a cursor outside the visible history is NotFound', async () => {
    const { chat, ids } = await chatWith(3);
    const branch = await createBranch(ctx, { chatId: chat.chatId, responseId: ids[0] as string });
    await expect(
      getChat(ctx, { chatId: branch.chat.chatId, limit: 5, cursor: { after: ids[2] as string } }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('createBranch', () => {
  test('a response without a question is a validation error, and nothing is created', async () => {
    const { chat, ids } = await chatWith(1);
    await expect(
      createBranch(ctx, { chatId: chat.chatId, responseId: ids[0] as string, response: 'x' }),
    ).rejects.toBeInstanceOf(ValidationError);
    const meta = ctx.deps.meta as MemoryMetadataStore;
    expect(meta.chats.size).toBe(1);
  });

  test('the default name is the source name plus a suffix, within 200 characters', () => {
    expect(defaultBranchName('Trip')).toBe('Trip (branch)');
    expect(defaultBranchName('x'.repeat(200)).length).toBe(200);
  });

  test('forking from an inherited pair attaches to the storing ancestor', async () => {
    const { chat, ids } = await chatWith(3);
    const b = await createBranch(ctx, { chatId: chat.chatId, responseId: ids[2] as string, question: 'bq' });
    const c = await createBranch(ctx, { chatId: b.chat.chatId, responseId: ids[1] as string });
    expect(c.chat.parentChatId).toBe(chat.chatId);
    expect(c.chat.ancestorLimits).toEqual([2]);
  });
});

describe('updateChat and ETags', () => {
  test('the ETag changes with the chat; a stale If-Match is refused and changes nothing', async () => {
    const { chat } = await chatWith(0);
    const before = chatEtag(chat);
    const renamed = await updateChat(ctx, { chatId: chat.chatId, name: 'new', ifMatch: [before] });
    expect(chatEtag(renamed)).not.toBe(before);
    await expect(updateChat(ctx, { chatId: chat.chatId, name: 'newer', ifMatch: [before] })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await ctx.deps.meta.getChat(ctx.accountId, chat.chatId))?.name).toBe('new');
  });
});

describe('list cursors', () => {
  test('round-trip, and anything else is a validation error', () => {
    for (const pinned of [false, true]) {
      const c = { pinned, lastActivityAt: new Date(1_700_000_000_123), chatId: v7() };
      expect(decodeListCursor(encodeListCursor(c))).toEqual(c);
    }
    // A cursor issued before pins existed (two elements): unpinned.
    const old = Buffer.from(JSON.stringify([1_700_000_000_123, v7()])).toString('base64url');
    expect(decodeListCursor(old).pinned).toBe(false);
    const over = (ms: number) => Buffer.from(JSON.stringify([ms, v7()])).toString('base64url');
    expect(() => decodeListCursor(over(9e15))).toThrow(ValidationError); // past the largest Date
    // Any time a listing can show (years 1 to 9999), also one before 1970 that a row holds by accident.
    expect(decodeListCursor(over(-1)).lastActivityAt.getTime()).toBe(-1);
    expect(() => decodeListCursor(over(MIN_TIME_MS - 1))).toThrow(ValidationError);
    expect(() => decodeListCursor(over(MAX_TIME_MS + 1))).toThrow(ValidationError);
    for (const bad of [
      'x',
      'e30',
      Buffer.from('[1,"nope"]').toString('base64url'),
      Buffer.from('[1.5,"a"]').toString('base64url'),
      Buffer.from(JSON.stringify([1, v7(), 2])).toString('base64url'),
      Buffer.from(JSON.stringify([1, v7(), true])).toString('base64url'),
    ]) {
      expect(() => decodeListCursor(bad)).toThrow(ValidationError);
    }
  });
});

describe('LocalResponder', () => {
  test('never cuts a surrogate pair when it quotes a long question', async () => {
    const answer = localAnswer(`${'a'.repeat(199)}😀${'b'.repeat(50)}`);
    expect(/\p{Cs}/u.test(answer)).toBe(false);
    expect(answer).toContain('😀');
  });
});
