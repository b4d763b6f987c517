/**
 * Archive and pin (docs/api.md, "Chats"), on both content stores: update-chat sets `archived` / `pinned` on the
 * conversation from any chat of it (every chat shows them; the tree's version moves; `chat.updated` announces it);
 * list-chats hides archived conversations unless `archived=true` or `only`, lists pinned ones first, and pages across
 * the pinned/unpinned boundary (and, with `archived=true`, across archived and not) without skipping or repeating;
 * search-messages includes archived conversations by default, leaves them out with `archived=false`, searches only
 * them with `only`; bad values are 422s that change nothing.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'kysely';
import type { Responder } from '../../src/domain/ports.js';
import { LocalResponder } from '../../src/responders/local.responder.js';
import { pgDb } from '../../src/stores/pg-tx.js';
import { appFor, testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
beforeAll(async () => {
  ({ app, services } = await testApp());
});

async function update(a: Client, body: Record<string, unknown>) {
  const r = await a.call('PUT', '/api/v1/chats/update-chat', { body });
  if (r.status !== 200) throw new Error(`update-chat ${r.status}: ${JSON.stringify(r.body)}`);
  return r;
}

async function list(a: Client, query: Record<string, string | number> = {}): Promise<any[]> {
  const r = await a.listChats({ limit: 100, ...query });
  expect(r.status).toBe(200);
  expect(r.body.next_cursor).toBeNull();
  return r.body.chats;
}

/** Every page of list-chats at page size `limit`, concatenated. */
async function paged(a: Client, limit: number, archived?: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await a.listChats({ limit, cursor, archived });
    expect(r.status).toBe(200);
    expect(r.body.chats.length).toBeLessThanOrEqual(limit);
    out.push(...r.body.chats);
    if (r.body.next_cursor === null) return out;
    cursor = r.body.next_cursor;
  }
  throw new Error('list-chats never ended');
}

/** The order list-chats promises: pinned first, then newest activity, then chat id (descending). */
function expectOrdered(entries: any[]) {
  for (let i = 1; i < entries.length; i++) {
    const [p, c] = [entries[i - 1], entries[i]];
    const key = (e: any) => [e.pinned ? 1 : 0, e.last_activity_at, e.chat_id] as const;
    const [a, b] = [key(p), key(c)];
    const before = a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    expect(before, `list order at ${i}`).toBe(true);
  }
}

async function eventsOf(rootChatId: string): Promise<{ event: string; data: any }[]> {
  const rows = await sql<{ event: string; data: string }>`
    select event, data from tree_events where root_chat_id = ${rootChatId} order by seq`.execute(pgDb(services.orm));
  return rows.rows.map((r) => ({ event: r.event, data: JSON.parse(r.data) }));
}

const ids = (entries: any[]) => entries.map((e) => e.chat_id);

describe('update-chat: archived and pinned are the conversation’s', () => {
  test('set from a branch, they show on every chat of the tree and in list-chats; announced', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids: pairs } = await a.chatWith(2, 'Trip');
    const branch = await a.branch(root, pairs[0] as string);
    const created = await a.getChat(root);
    expect(created.body.chat).toMatchObject({ archived: false, pinned: false });

    const pinned = await update(a, { chat_id: branch, pinned: true });
    expect(pinned.body).toMatchObject({ chat_id: branch, pinned: true, archived: false, name: 'Trip (branch)' });
    for (const id of [root, branch]) expect((await a.getChat(id)).body.chat).toMatchObject({ pinned: true });
    // The tree's version moved: the root's page has another ETag, though only the branch was named.
    expect((await a.getChat(root)).headers.get('ETag')).not.toBe(created.headers.get('ETag'));
    expect((await list(a)).find((e) => e.chat_id === root)).toMatchObject({ pinned: true, archived: false });

    const archived = await update(a, { chat_id: root, archived: true, pinned: false });
    expect(archived.body).toMatchObject({ chat_id: root, archived: true, pinned: false, name: 'Trip' });
    expect((await a.getChat(branch)).body.chat).toMatchObject({ archived: true, pinned: false });

    const updates = (await eventsOf(root)).filter((e) => e.event === 'chat.updated').map((e) => e.data);
    expect(updates.map((d) => [d.chat_id, d.pinned, d.archived])).toEqual([
      [branch, true, false],
      [root, false, true],
    ]);

    // A branch created afterwards shows them too, and so does a fork of it in its own conversation: fresh flags.
    const later = await a.createBranch({ chat_id: branch, response_id: pairs[0] as string });
    expect(later.body.chat).toMatchObject({ archived: true, pinned: false });
    const copy = await a.forkChat({ chat_id: branch });
    expect(copy.body.chat).toMatchObject({ archived: false, pinned: false });
  });

  test('with If-Match, as for a rename: a stale tag is a 412 and nothing changes', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const tag = (await a.getChat(chatId)).headers.get('ETag') as string;
    const ok = await a.call('PUT', '/api/v1/chats/update-chat', {
      body: { chat_id: chatId, pinned: true },
      headers: { 'If-Match': tag },
    });
    expect(ok.status).toBe(200);
    const stale = await a.call('PUT', '/api/v1/chats/update-chat', {
      body: { chat_id: chatId, archived: true },
      headers: { 'If-Match': tag },
    });
    expectProblem(stale, 412);
    expect((await a.getChat(chatId)).body.chat).toMatchObject({ pinned: true, archived: false });
  });

  test('bad values are 422s that change nothing', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    for (const body of [
      { chat_id: chatId },
      { chat_id: chatId, archived: 'true' },
      { chat_id: chatId, pinned: null },
      { chat_id: chatId, pinned: 1 },
      { chat_id: chatId, name_source: 'user' },
    ]) {
      expectProblem(await a.call('PUT', '/api/v1/chats/update-chat', { body }), 422);
    }
    for (const archived of ['yes', 'TRUE', '', '1']) {
      expectProblem(await a.call('GET', '/api/v1/chats/list-chats', { query: { archived } }), 422);
      expectProblem(await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'q1', archived } }), 422);
    }
    expect((await a.getChat(chatId)).body.chat).toMatchObject({ pinned: false, archived: false });
    expect((await eventsOf(chatId)).map((e) => e.event)).toEqual(['tree.created', 'message.added']);
  });
});

describe('list-chats', () => {
  test('archived conversations: hidden by default, listed with archived=true, alone with only', async () => {
    const a = await newAccount(app);
    const [c1, c2, c3] = [await a.chatWith(0, 'c1'), await a.chatWith(0, 'c2'), await a.chatWith(0, 'c3')].map(
      (c) => c.chatId,
    );
    await update(a, { chat_id: c2, archived: true });
    expect(ids(await list(a))).toEqual([c3, c1]);
    expect(ids(await list(a, { archived: 'false' }))).toEqual([c3, c1]);
    expect(ids(await list(a, { archived: 'true' }))).toEqual([c3, c2, c1]); // archiving is no activity
    expect(ids(await list(a, { archived: 'only' }))).toEqual([c2]);

    await update(a, { chat_id: c2, archived: false });
    expect(ids(await list(a))).toEqual([c3, c2, c1]);
    expect(await list(a, { archived: 'only' })).toEqual([]);
  });

  test('pinned first, then newest activity; paging across the boundary neither skips nor repeats', async () => {
    const a = await newAccount(app);
    const chats: string[] = [];
    for (let i = 0; i < 7; i++) chats.push((await a.chatWith(0, `c${i}`)).chatId);
    const [c0, c1, c2, c3, c4, c5, c6] = chats as [string, string, string, string, string, string, string];
    await update(a, { chat_id: c1, pinned: true });
    await update(a, { chat_id: c4, pinned: true });
    await a.add(c0, 'activity', 'moves c0 up among the unpinned'); // newer than every pin
    await update(a, { chat_id: c3, archived: true, pinned: true }); // archived and pinned
    await update(a, { chat_id: c5, archived: true });

    const all = await list(a);
    expect(ids(all)).toEqual([c4, c1, c0, c6, c2]);
    expect(all.map((e) => e.pinned)).toEqual([true, true, false, false, false]);
    expectOrdered(all);
    const everything = await list(a, { archived: 'true' });
    expect(ids(everything)).toEqual([c4, c3, c1, c0, c6, c5, c2]);
    expectOrdered(everything);
    expect(ids(await list(a, { archived: 'only' }))).toEqual([c3, c5]);

    for (const limit of [1, 2, 3, 4]) {
      expect(ids(await paged(a, limit)), `limit ${limit}`).toEqual(ids(all));
      expect(ids(await paged(a, limit, 'true')), `limit ${limit}, archived=true`).toEqual(ids(everything));
      expect(ids(await paged(a, limit, 'only')), `limit ${limit}, only`).toEqual([c3, c5]);
    }

    // A page boundary on the last pinned one, then pins change: the cursor still neither skips nor repeats what
    // stayed where it was.
    const first = await a.listChats({ limit: 2 });
    expect(ids(first.body.chats)).toEqual([c4, c1]);
    await update(a, { chat_id: c6, pinned: true }); // moves c6 before the cursor: not seen again
    const rest = await a.listChats({ limit: 100, cursor: first.body.next_cursor as string });
    expect(ids(rest.body.chats)).toEqual([c0, c2]);
  });

  test('a cursor that is not one of ours is a 422', async () => {
    const a = await newAccount(app);
    for (const cursor of ['x', Buffer.from(JSON.stringify([1, crypto.randomUUID(), 7])).toString('base64url')]) {
      expectProblem(await a.call('GET', '/api/v1/chats/list-chats', { query: { cursor } }), 422);
    }
  });
});

describe('search-messages and archived conversations', () => {
  test('included by default, left out with archived=false, alone with only; paged and with chat_id', async () => {
    const a = await newAccount(app);
    const kept = await a.chatWith(0, 'kept');
    const shelved = await a.chatWith(0, 'shelved');
    for (let i = 0; i < 3; i++) {
      await a.add(kept.chatId, `lantern ${i} kept`, 'lantern');
      await a.add(shelved.chatId, `lantern ${i} shelved`, 'lantern');
    }
    const branch = await a.branch(shelved.chatId, (await a.getChat(shelved.chatId)).body.qa_pairs[0].response_id, {
      question: 'lantern in a branch',
      response: 'lantern',
    });
    await update(a, { chat_id: branch, archived: true });

    const search = async (query: Record<string, string | number>) => {
      const r = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'lantern', ...query } });
      expect(r.status).toBe(200);
      return r.body;
    };
    const roots = (hits: any[]) => [...new Set(hits.map((h) => h.root_chat_id))].sort();
    expect((await search({})).hits).toHaveLength(7);
    expect((await search({ archived: 'true' })).hits).toHaveLength(7);
    const unarchived = (await search({ archived: 'false' })).hits;
    expect(unarchived).toHaveLength(3);
    expect(roots(unarchived)).toEqual([kept.chatId]);
    const only = (await search({ archived: 'only' })).hits;
    expect(only).toHaveLength(4);
    expect(roots(only)).toEqual([shelved.chatId]);

    // Paged one hit at a time: the same hits, none repeated; a cursor belongs to its scope.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search({ archived: 'false', limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.hits.map((h: any) => h.response_id));
      cursor = page.next_cursor ?? undefined;
      if (cursor) {
        const other = await a.call('GET', '/api/v1/messages/search-messages', {
          query: { q: 'lantern', limit: 1, cursor },
        });
        expectProblem(other, 422);
      }
    } while (cursor);
    expect(seen.sort()).toEqual(unarchived.map((h: any) => h.response_id).sort());

    // With chat_id: the chat's history when its conversation is in scope, nothing when it is not.
    expect((await search({ chat_id: branch })).hits).toHaveLength(2);
    expect((await search({ chat_id: branch, archived: 'only' })).hits).toHaveLength(2);
    expect((await search({ chat_id: branch, archived: 'false' })).hits).toEqual([]);
    expect((await search({ chat_id: kept.chatId, archived: 'only' })).hits).toEqual([]);
    expect((await search({ chat_id: kept.chatId, archived: 'false' })).hits).toHaveLength(3);

    await update(a, { chat_id: shelved.chatId, archived: false });
    expect((await search({ archived: 'false' })).hits).toHaveLength(7);
  });

  test('a branch whose answer took a while reports the flags as they are when it is stored, not as it began', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const asked = new Promise<void>((r) => {
      started = r;
    });
    const local = new LocalResponder();
    const slow: Responder = {
      model: local.model,
      async start(request) {
        started();
        await gate;
        return local.start(request);
      },
    };
    const slowApp = appFor({ ...services, deps: { ...services.deps, responder: slow } });
    const a = await newAccount(slowApp);
    const { chatId, ids } = await a.chatWith(1);
    const branching = a.createBranch({ chat_id: chatId, response_id: ids[0], question: 'slow one' });
    await asked;
    await update(a, { chat_id: chatId, pinned: true, archived: true });
    release();
    const created = await branching;
    expect(created.status).toBe(201);
    expect([created.body.chat.pinned, created.body.chat.archived]).toEqual([true, true]);
    const read = await a.getChat(created.body.chat.chat_id);
    expect([read.body.chat.pinned, read.body.chat.archived]).toEqual([true, true]);
  });

  test('archiving and pinning are no activity: last_activity_at stays, the tree version moves', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const before = (await list(a)).find((c) => c.chat_id === chatId);
    const tag = (await a.getChat(chatId)).headers.get('etag');
    await update(a, { chat_id: chatId, pinned: true });
    await update(a, { chat_id: chatId, archived: true });
    await update(a, { chat_id: chatId, archived: false });
    const after = (await list(a)).find((c) => c.chat_id === chatId);
    expect(after.last_activity_at).toBe(before.last_activity_at);
    expect(after.pinned).toBe(true);
    expect((await a.getChat(chatId)).headers.get('etag')).not.toBe(tag);
  });
});
