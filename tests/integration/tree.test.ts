/**
 * Conversation trees (docs/api.md "Chats" and "Branches"): get-branches, set-active-branch, delete-chat,
 * update-chat with If-Match, and list-chats ordering and paging.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import type { TreeNodeShape as Node } from '../../src/http/branches/branches.routes.js';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function flatten(n: Node): Node[] {
  return [n, ...n.children.flatMap(flatten)];
}

/** The tree as nested [chat_id, children] for shape comparisons. */
type Shape = [string, Shape[]];
function shape(n: Node): Shape {
  return [n.chat_id, n.children.map(shape)];
}

const sorted = (xs: string[]) => [...xs].sort();

async function tree(a: Client, chatId: string) {
  const r = await a.getBranches(chatId);
  expect(r.status).toBe(200);
  return r.body as { root_chat_id: string; active_chat_id: string; count: number; tree: Node };
}

/** Checks that exactly one chat of the tree is active, in the tree and in get-chat, and returns it. */
async function theActive(a: Client, anyChatId: string): Promise<string> {
  const t = await tree(a, anyChatId);
  const nodes = flatten(t.tree);
  const active = nodes.filter((n) => n.active).map((n) => n.chat_id);
  expect(active).toEqual([t.active_chat_id]);
  for (const n of nodes) {
    const c = await a.getChat(n.chat_id, { limit: 1 });
    expect(c.body.chat.active).toBe(n.chat_id === t.active_chat_id);
  }
  return t.active_chat_id;
}

async function expectStatus(res: Promise<{ status: number; headers: Headers }>, status: number, label = '') {
  const r = await res;
  expect(r.status, label).toBe(status);
  expect(r.headers.get('content-type'), label).toContain('application/problem+json');
}

describe('get-branches', () => {
  test('ETag and If-None-Match: 304 with no body while the tree is unchanged; any write to it → 200, new tag', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1);
    const first = await a.getBranches(chatId);
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^".+"$/);
    const cond = (chat: string, value: string) =>
      a.call('GET', '/api/v1/branches/get-branches', { query: { chat_id: chat }, headers: { 'If-None-Match': value } });
    const same = await cond(chatId, tag);
    expect(same.status).toBe(304);
    expect(same.body).toBeNull();
    expect((await cond(chatId, `W/${tag}`)).status).toBe(304);
    const b = await a.branch(chatId, ids[0]!, { activate: false });
    const grown = await cond(chatId, tag);
    expect(grown.status).toBe(200);
    expect(grown.body.count).toBe(2);
    const tag2 = grown.headers.get('etag')!;
    expect(tag2).not.toBe(tag);
    expect((await cond(b, tag2)).status).toBe(304); // the same tree through another of its chats
    await a.call('PUT', '/api/v1/branches/set-active-branch', { body: { chat_id: b } });
    expect((await cond(chatId, tag2)).status).toBe(200);
  });

  test('returns the tree (children oldest first), count, active chat and node fields, from any chat', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3, 'Root');
    const b1 = await a.branch(root, ids[0]!, { name: 'B1' });
    const b1own = await a.add(b1, 'b1');
    const b2 = await a.branch(root, ids[1]!, { name: 'B2', activate: false });
    const c1 = await a.branch(b1, b1own, { name: 'C1', question: 'c', response: 'd' });
    // Created after C1, from B1's view of an inherited pair: a child of the root, after B2.
    const b3 = await a.branch(b1, ids[0]!, { name: 'B3', activate: false });

    const t = await tree(a, root);
    expect(t.root_chat_id).toBe(root);
    expect(t.count).toBe(5);
    expect(t.active_chat_id).toBe(c1);
    expect(shape(t.tree)).toEqual([
      root,
      [
        [b1, [[c1, []]]],
        [b2, []],
        [b3, []],
      ],
    ]);

    const byId = new Map(flatten(t.tree).map((n) => [n.chat_id, n]));
    const expectedFields: Record<string, Partial<Node>> = {
      [root]: {
        name: 'Root',
        chat_type: 'main',
        parent_chat_id: null,
        fork_response_id: null,
        active: false,
        message_count: 3,
      },
      [b1]: { name: 'B1', chat_type: 'branch', parent_chat_id: root, fork_response_id: ids[0], message_count: 2 },
      [b2]: { name: 'B2', chat_type: 'branch', parent_chat_id: root, fork_response_id: ids[1], message_count: 2 },
      [c1]: { name: 'C1', chat_type: 'branch', parent_chat_id: b1, fork_response_id: b1own, active: true },
      [b3]: { name: 'B3', chat_type: 'branch', parent_chat_id: root, fork_response_id: ids[0], message_count: 1 },
    };
    for (const [id, fields] of Object.entries(expectedFields)) {
      const n = byId.get(id);
      expect(n, id).toBeDefined();
      expect(n).toMatchObject(fields);
      expect(n?.created_at).toMatch(ISO_MS);
      expect(n?.updated_at).toMatch(ISO_MS);
      expect(Array.isArray(n?.children)).toBe(true);
    }
    expect(byId.get(c1)?.message_count).toBe(3);

    // Node fields agree with get-chat.
    for (const id of [root, b1, c1]) {
      const c = (await a.getChat(id)).body.chat;
      const n = byId.get(id)!;
      expect(n.created_at).toBe(c.created_at);
      expect(n.updated_at).toBe(c.updated_at);
      expect(n.message_count).toBe(c.message_count);
      expect(n.name).toBe(c.name);
    }

    // The same answer from every chat of the tree.
    for (const id of [b1, b2, c1, b3]) {
      expect(await tree(a, id)).toEqual(t);
    }
  });

  test('a fresh conversation is a lone root; unknown, foreign and malformed ids are rejected', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0, 'alone');
    const t = await tree(a, chatId);
    expect(t).toMatchObject({ root_chat_id: chatId, active_chat_id: chatId, count: 1 });
    expect(t.tree).toMatchObject({ chat_id: chatId, chat_type: 'main', active: true, message_count: 0, children: [] });

    const stranger = await newAccount(app);
    await expectStatus(stranger.getBranches(chatId), 404);
    await expectStatus(a.getBranches(crypto.randomUUID()), 404);
    await expectStatus(a.getBranches('nope'), 422);
  });
});

describe('set-active-branch', () => {
  test('makes exactly one chat active, answers root and active ids, and is idempotent', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const b1 = await a.branch(root, ids[0]!, { activate: false });
    const b1own = await a.add(b1, 'x');
    const c = await a.branch(b1, b1own, { activate: false });
    const b2 = await a.branch(root, ids[1]!, { activate: false });
    expect(await theActive(a, root)).toBe(root);

    let r = await a.setActive(c);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ root_chat_id: root, active_chat_id: c });
    expect(await theActive(a, b2)).toBe(c);

    // Idempotent: again on the active chat.
    r = await a.setActive(c);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ root_chat_id: root, active_chat_id: c });
    expect(await theActive(a, root)).toBe(c);

    r = await a.setActive(b2);
    expect(r.body).toEqual({ root_chat_id: root, active_chat_id: b2 });
    expect(await theActive(a, c)).toBe(b2);

    r = await a.setActive(root);
    expect(r.body).toEqual({ root_chat_id: root, active_chat_id: root });
    expect(await theActive(a, b1)).toBe(root);

    // Activation does not touch another tree.
    const { chatId: other } = await a.chatWith(0);
    await a.setActive(b1);
    expect((await tree(a, other)).active_chat_id).toBe(other);
    expect(await theActive(a, root)).toBe(b1);
  });

  test('racing calls still leave exactly one active chat, one of those asked for', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const chats = [root];
    for (let i = 0; i < 3; i++) chats.push(await a.branch(root, ids[i % 2]!, { activate: false }));
    const results = await Promise.all([...chats, ...chats].map((id) => a.setActive(id)));
    for (const r of results) expect(r.status).toBe(200);
    const active = await theActive(a, root);
    expect(chats).toContain(active);
  });

  test('unknown, foreign and malformed chats are rejected', async () => {
    const a = await newAccount(app);
    const stranger = await newAccount(app);
    const { chatId: theirs } = await stranger.chatWith(0);
    await expectStatus(a.setActive(theirs), 404);
    await expectStatus(a.setActive(crypto.randomUUID()), 404);
    await expectStatus(a.setActive('nope'), 422);
    expect((await tree(stranger, theirs)).active_chat_id).toBe(theirs);
  });
});

describe('delete-chat', () => {
  test('soft-deletes a subtree and returns exactly the chats it deleted', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b1 = await a.branch(root, ids[0]!, { activate: false });
    const b1own = await a.add(b1, 'b1');
    const c1 = await a.branch(b1, b1own, { activate: false });
    const c1own = await a.add(c1, 'c1');
    const d1 = await a.branch(c1, c1own, { activate: false });
    const b2 = await a.branch(root, ids[1]!, { activate: false });
    // Forked from B1's view but attached to the root: not part of B1's subtree.
    const e = await a.branch(b1, ids[0]!, { activate: false });

    const r = await a.deleteChat(b1);
    expect(r.status).toBe(200);
    expect(sorted(r.body.deleted_chat_ids)).toEqual(sorted([b1, c1, d1]));

    const t = await tree(a, root);
    expect(t.count).toBe(3);
    expect(shape(t.tree)).toEqual([
      root,
      [
        [b2, []],
        [e, []],
      ],
    ]);
    expect(t.active_chat_id).toBe(root);
    // Survivors keep their history.
    expect(await a.questions(e)).toEqual(['q1']);
    expect(await a.questions(b2)).toEqual(['q1', 'q2']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3']);

    // Deleting a leaf returns just the leaf.
    const r2 = await a.deleteChat(e);
    expect(r2.body.deleted_chat_ids).toEqual([e]);
    expect((await tree(a, root)).count).toBe(2);
  });

  test('deleted chats answer 404 everywhere, including a second delete', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const b = await a.branch(root, ids[0]!);
    const bOwn = await a.add(b, 'b1');
    const c = await a.branch(b, bOwn);
    const cOwn = await a.add(c, 'c1');
    expect((await a.deleteChat(b)).status).toBe(200);

    for (const [label, id, own] of [
      ['deleted chat', b, bOwn],
      ['deleted descendant', c, cOwn],
    ] as const) {
      await expectStatus(a.getChat(id), 404, `${label} get-chat`);
      await expectStatus(a.getChat(id, { before: 'end' }), 404, `${label} get-chat before=end`);
      await expectStatus(a.addMessage(id, 'more'), 404, `${label} add-message`);
      await expectStatus(a.createBranch({ chat_id: id, response_id: own }), 404, `${label} create-branch`);
      await expectStatus(a.createBranch({ chat_id: id, response_id: ids[0] }), 404, `${label} create-branch inh`);
      await expectStatus(a.getBranches(id), 404, `${label} get-branches`);
      await expectStatus(a.updateChat(id, 'renamed'), 404, `${label} update-chat`);
      await expectStatus(a.setActive(id), 404, `${label} set-active`);
      await expectStatus(a.deleteChat(id), 404, `${label} delete again`);
      // Their pairs are gone from every live history: neither a cursor nor a fork point of the root.
      await expectStatus(a.getChat(root, { after: own }), 404, `${label} pair as cursor`);
      await expectStatus(a.createBranch({ chat_id: root, response_id: own }), 404, `${label} pair as fork`);
    }
    // Nothing was written to the deleted chats by the rejected calls, and the tree is intact.
    const t = await tree(a, root);
    expect(t.count).toBe(1);
    expect(t.active_chat_id).toBe(root);
    expect(await a.questions(root)).toEqual(['q1', 'q2']);
  });

  test('deleted chats vanish from the branches lists of pairs', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const b1 = await a.branch(root, ids[0]!);
    const b2 = await a.branch(root, ids[0]!);
    const b3 = await a.branch(root, ids[0]!);
    const branchesOfQ1 = async (chatId: string) => {
      const r = await a.getChat(chatId, { limit: 1 });
      expect(r.body.qa_pairs[0].response_id).toBe(ids[0]);
      return r.body.qa_pairs[0].branches;
    };
    expect(await branchesOfQ1(root)).toEqual([b1, b2, b3]);
    await a.deleteChat(b2);
    expect(await branchesOfQ1(root)).toEqual([b1, b3]);
    expect(await branchesOfQ1(b3)).toEqual([b1, b3]);
    await a.deleteChat(b1);
    expect(await branchesOfQ1(root)).toEqual([b3]);
    expect(await branchesOfQ1(b3)).toEqual([b3]);
  });

  test('when the active chat is deleted, the deleted subtree’s parent becomes active', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const b1 = await a.branch(root, ids[0]!);
    const b1own = await a.add(b1, 'b1');
    const c1 = await a.branch(b1, b1own);
    const c1own = await a.add(c1, 'c1');
    const d1 = await a.branch(c1, c1own);
    const b2 = await a.branch(root, ids[1]!, { activate: false });

    // The active chat is the deleted chat itself: its parent takes over.
    expect(await theActive(a, root)).toBe(d1);
    await a.deleteChat(d1);
    expect(await theActive(a, root)).toBe(c1);

    // The active chat is deep inside the deleted subtree: the subtree's parent (not the active chat's) takes over.
    const d2 = await a.branch(c1, c1own);
    expect(await theActive(a, root)).toBe(d2);
    await a.deleteChat(b1);
    expect(await theActive(a, root)).toBe(root);

    // The active chat is outside the deleted subtree: it stays active.
    const b3 = await a.branch(root, ids[0]!, { activate: false });
    await a.setActive(b2);
    await a.deleteChat(b3);
    expect(await theActive(a, root)).toBe(b2);

    const list = await a.listChats();
    const entry = list.body.chats.find((c: any) => c.chat_id === root);
    expect(entry.active_chat_id).toBe(b2);
    expect(entry.branch_count).toBe(1);
  });

  test('deleting the root deletes the conversation and removes it from list-chats', async () => {
    const a = await newAccount(app);
    const { chatId: keep } = await a.chatWith(1, 'keep');
    const { chatId: root, ids } = await a.chatWith(2, 'doomed');
    const b1 = await a.branch(root, ids[0]!);
    const b1own = await a.add(b1, 'x');
    const c1 = await a.branch(b1, b1own);
    const b2 = await a.branch(root, ids[1]!);
    const gone = await a.branch(root, ids[1]!);
    await a.deleteChat(gone);

    let list = await a.listChats();
    expect(sorted(list.body.chats.map((c: any) => c.chat_id))).toEqual(sorted([keep, root]));

    const r = await a.deleteChat(root);
    expect(r.status).toBe(200);
    // Only the chats this call deleted, not the branch deleted earlier.
    expect(sorted(r.body.deleted_chat_ids)).toEqual(sorted([root, b1, c1, b2]));

    list = await a.listChats();
    expect(list.body.chats.map((c: any) => c.chat_id)).toEqual([keep]);
    for (const id of [root, b1, c1, b2]) {
      await expectStatus(a.getChat(id), 404, id);
      await expectStatus(a.getBranches(id), 404, id);
      await expectStatus(a.addMessage(id, 'q'), 404, id);
    }
    await expectStatus(a.deleteChat(root), 404);
    expect(await a.questions(keep)).toEqual(['q1']);
  });

  test('another account’s chat cannot be deleted; a malformed id → 422', async () => {
    const a = await newAccount(app);
    const stranger = await newAccount(app);
    const { chatId: theirs } = await stranger.chatWith(1);
    await expectStatus(a.deleteChat(theirs), 404);
    await expectStatus(a.deleteChat(crypto.randomUUID()), 404);
    await expectStatus(a.deleteChat('nope'), 422);
    expect((await stranger.getChat(theirs)).status).toBe(200);
  });
});

describe('update-chat', () => {
  test('renames with a strictly later updated_at and an ETag', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1, 'before');
    const b = await a.branch(root, ids[0]!, { name: 'branch before' });
    const original = (await a.getChat(root)).body.chat;

    const r = await a.updateChat(root, 'after');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ chat_id: root, name: 'after', chat_type: 'main', created_at: original.created_at });
    expect(Date.parse(r.body.updated_at)).toBeGreaterThan(Date.parse(original.updated_at));
    expect(r.body.updated_at).toMatch(ISO_MS);
    expect(r.headers.get('etag')).toMatch(/^(W\/)?".+"$/);
    expect((await a.getChat(root)).body.chat).toMatchObject({ name: 'after', updated_at: r.body.updated_at });

    // Immediately again: still strictly later.
    const r2 = await a.updateChat(root, 'after again');
    expect(Date.parse(r2.body.updated_at)).toBeGreaterThan(Date.parse(r.body.updated_at));
    expect(r2.headers.get('etag')).not.toBe(r.headers.get('etag'));

    // A branch is renamed on its own; the root keeps its name.
    const rb = await a.updateChat(b, 'branch after');
    expect(rb.status).toBe(200);
    expect(rb.body).toMatchObject({ chat_id: b, name: 'branch after', chat_type: 'branch', parent_chat_id: root });
    expect((await a.getChat(root)).body.chat.name).toBe('after again');
    const t = await tree(a, root);
    expect(t.tree.name).toBe('after again');
    expect(t.tree.children[0]?.name).toBe('branch after');
    // The root's new name shows in list-chats.
    const list = await a.listChats();
    expect(list.body.chats.find((c: any) => c.chat_id === root).name).toBe('after again');
  });

  test('If-Match: the current ETag → 200, a stale one → 412 with nothing changed', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1, 'v0');
    const got = await a.getChat(chatId);
    const tag0 = got.headers.get('etag')!;
    expect(tag0).toBeTruthy();

    const r1 = await a.updateChat(chatId, 'v1', { 'If-Match': tag0 });
    expect(r1.status).toBe(200);
    expect(r1.body.name).toBe('v1');
    const tag1 = r1.headers.get('etag')!;
    expect(tag1).toBeTruthy();
    expect(tag1).not.toBe(tag0);

    // The pre-rename ETag is now stale.
    const stale = await a.updateChat(chatId, 'v-stale', { 'If-Match': tag0 });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    expect(stale.body.status).toBe(412);
    const unchanged = await a.getChat(chatId);
    expect(unchanged.body.chat.name).toBe('v1');
    expect(unchanged.body.chat.updated_at).toBe(r1.body.updated_at);

    // update-chat's own ETag is usable…
    const r2 = await a.updateChat(chatId, 'v2', { 'If-Match': tag1 });
    expect(r2.status).toBe(200);
    // …and so is the one get-chat sends afterwards.
    const tag2 = (await a.getChat(chatId)).headers.get('etag')!;
    const r3 = await a.updateChat(chatId, 'v3', { 'If-Match': tag2 });
    expect(r3.status).toBe(200);
    expect((await a.getChat(chatId)).body.chat.name).toBe('v3');
  });

  test('If-Match is stale after a new pair, and another chat’s ETag never matches', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1, 'named');
    const tag = (await a.getChat(chatId)).headers.get('etag')!;
    await a.add(chatId, 'q2');
    const r = await a.updateChat(chatId, 'late', { 'If-Match': tag });
    expect(r.status).toBe(412);
    expect((await a.getChat(chatId)).body.chat.name).toBe('named');

    const b = await a.branch(chatId, ids[0]!, { activate: false });
    const branchTag = (await a.getChat(b)).headers.get('etag')!;
    const wrong = await a.updateChat(chatId, 'wrong', { 'If-Match': branchTag });
    expect(wrong.status).toBe(412);
    expect((await a.getChat(chatId)).body.chat.name).toBe('named');
  });

  test('unknown, foreign ids and bad names are rejected', async () => {
    const a = await newAccount(app);
    const stranger = await newAccount(app);
    const { chatId: theirs } = await stranger.chatWith(0, 'theirs');
    await expectStatus(a.updateChat(theirs, 'mine now'), 404);
    expect((await stranger.getChat(theirs)).body.chat.name).toBe('theirs');
    await expectStatus(a.updateChat(crypto.randomUUID(), 'x'), 404);
    const { chatId } = await a.chatWith(0, 'ok');
    await expectStatus(a.updateChat(chatId, ''), 422);
    await expectStatus(a.updateChat(chatId, 'x'.repeat(201)), 422);
    expect((await a.updateChat(chatId, 'x'.repeat(200))).status).toBe(200);
  });
});

describe('list-chats', () => {
  test('one entry per live tree of the account, with branch_count and active_chat_id', async () => {
    const a = await newAccount(app);
    const stranger = await newAccount(app);
    await stranger.chatWith(1, 'not yours');
    const { chatId: t1, ids: i1 } = await a.chatWith(2, 'one');
    const t1b = await a.branch(t1, i1[0]!);
    const t1bOwn = await a.add(t1b, 'x');
    await a.branch(t1b, t1bOwn, { activate: false });
    await a.branch(t1, i1[1]!, { activate: false });
    const { chatId: t2 } = await a.chatWith(0, 'two');
    const { chatId: t3 } = await a.chatWith(1, 'three');
    await a.deleteChat(t3);

    const r = await a.listChats();
    expect(r.status).toBe(200);
    expect(r.body.next_cursor).toBeNull();
    expect(r.body.chats).toHaveLength(2);
    const e1 = r.body.chats.find((c: any) => c.chat_id === t1);
    const e2 = r.body.chats.find((c: any) => c.chat_id === t2);
    expect(e1).toMatchObject({
      chat_id: t1,
      account_id: a.accountId,
      chat_type: 'main',
      name: 'one',
      root_chat_id: t1,
      parent_chat_id: null,
      fork_response_id: null,
      message_count: 2,
      active: false,
      active_chat_id: t1b,
      branch_count: 3,
    });
    expect(e1.last_activity_at).toMatch(ISO_MS);
    expect(e2).toMatchObject({ chat_type: 'main', name: 'two', active: true, active_chat_id: t2, branch_count: 0 });

    // branch_count follows deletions (of a whole subtree).
    await a.deleteChat(t1b);
    const after = (await a.listChats()).body.chats.find((c: any) => c.chat_id === t1);
    expect(after.branch_count).toBe(1);
    expect(after.active_chat_id).toBe(t1);
    expect(after.active).toBe(true);
  });

  test('ordered by the latest write anywhere in the tree: message, branch, rename, activation', async () => {
    const a = await newAccount(app);
    const { chatId: A, ids: ia } = await a.chatWith(1, 'A');
    const ax = await a.branch(A, ia[0]!, { activate: false });
    await Bun.sleep(3);
    const { chatId: B, ids: ib } = await a.chatWith(1, 'B');
    await Bun.sleep(3);
    const { chatId: C } = await a.chatWith(1, 'C');
    await Bun.sleep(3);

    const order = async () => {
      const r = await a.listChats();
      expect(r.status).toBe(200);
      const times = r.body.chats.map((c: any) => Date.parse(c.last_activity_at));
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]);
      return r.body.chats.map((c: any) => c.chat_id);
    };
    const step = async (write: () => Promise<unknown>, expected: string[]) => {
      await write();
      expect(await order()).toEqual(expected);
      await Bun.sleep(3);
    };

    expect(await order()).toEqual([C, B, A]);
    // A message in a branch counts for its tree.
    await step(() => a.add(ax, 'in a branch'), [A, C, B]);
    await step(() => a.branch(B, ib[0]!, { activate: false }), [B, A, C]);
    await step(() => a.updateChat(C, 'C renamed'), [C, B, A]);
    await step(() => a.setActive(ax), [A, C, B]);
    await step(() => a.add(B, 'root message'), [B, A, C]);
    // Reads are not writes.
    await step(() => a.getChat(C), [B, A, C]);
    await step(() => a.getBranches(C), [B, A, C]);

    const list = (await a.listChats()).body.chats;
    const a0 = list.find((c: any) => c.chat_id === A);
    // The activation is later than any chat's own updated_at in A.
    const t = await tree(a, A);
    for (const n of flatten(t.tree)) {
      expect(Date.parse(a0.last_activity_at)).toBeGreaterThanOrEqual(Date.parse(n.updated_at));
    }
  });

  test('pages with limit and next_cursor cover every tree exactly once, in order', async () => {
    const a = await newAccount(app);
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await a.chatWith(0, `c${i}`)).chatId);

    const whole = await a.listChats({ limit: 100 });
    expect(whole.body.chats).toHaveLength(7);
    expect(whole.body.next_cursor).toBeNull();
    const wholeIds = whole.body.chats.map((c: any) => c.chat_id);
    expect(sorted(wholeIds)).toEqual(sorted(created));

    for (const limit of [1, 2, 3, 6, 7]) {
      const seen: string[] = [];
      const times: number[] = [];
      let cursor: string | undefined;
      for (let n = 0; ; n++) {
        expect(n).toBeLessThan(20);
        const r = await a.listChats({ limit, cursor });
        expect(r.status).toBe(200);
        expect(r.body.chats.length).toBeLessThanOrEqual(limit);
        seen.push(...r.body.chats.map((c: any) => c.chat_id));
        times.push(...r.body.chats.map((c: any) => Date.parse(c.last_activity_at)));
        if (r.body.next_cursor === null) break;
        expect(typeof r.body.next_cursor).toBe('string');
        expect(r.body.chats).toHaveLength(limit);
        cursor = r.body.next_cursor;
      }
      expect(seen).toEqual(wholeIds);
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]!);
    }
    // A page strictly smaller than the limit is the last one.
    const all = await a.listChats({ limit: 10 });
    expect(all.body.chats).toHaveLength(7);
    expect(all.body.next_cursor).toBeNull();
  });

  test('a bad cursor or an out-of-range limit → 422', async () => {
    const a = await newAccount(app);
    for (let i = 0; i < 3; i++) await a.chatWith(0);
    const good = await a.listChats({ limit: 1 });
    expect(good.body.next_cursor).toEqual(expect.any(String));

    const garbage = [
      'not-a-cursor',
      '!!!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('[1,"not-a-uuid"]').toString('base64url'),
      // A real cursor, truncated.
      good.body.next_cursor.slice(0, -4),
      '',
    ];
    for (const cursor of garbage) {
      await expectStatus(a.listChats({ cursor }), 422, `cursor ${JSON.stringify(cursor)}`);
    }
    for (const limit of ['0', '101', '-1', 'abc', '2.5']) {
      await expectStatus(a.listChats({ limit }), 422, `limit ${limit}`);
    }
    expect((await a.listChats({ limit: 1 })).status).toBe(200);
    expect((await a.listChats({ limit: 100 })).status).toBe(200);
    const next = await a.listChats({ limit: 1, cursor: good.body.next_cursor });
    expect(next.status).toBe(200);
    expect(next.body.chats).toHaveLength(1);
    expect(next.body.chats[0].chat_id).not.toBe(good.body.chats[0].chat_id);
  });
});
