/**
 * fork-chat (POST /api/v1/chats/fork-chat), on both content stores: a copy of a chat's visible history (whole, or
 * up to a pair, inherited pairs included) into a new, independent conversation; 404s; include_branches (which
 * branches come along, their histories, names, order and the active chat; start forks); independence of the two
 * trees on delete, and forked_from as list-chats resolves it; Idempotency-Key; an empty copy; the pair cap and the
 * rate weight.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { appFor, testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
beforeAll(async () => {
  ({ app, services } = await testApp());
});

async function fork(a: Client, body: Record<string, unknown>, headers?: Record<string, string>) {
  const r = await a.forkChat(body, headers);
  if (r.status !== 201) throw new Error(`fork-chat ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function page(a: Client, chatId: string) {
  const r = await a.getChat(chatId, { limit: 1000 });
  expect(r.status).toBe(200);
  return r.body;
}

/** A pair as its content: everything but its ids and branches. */
const content = (p: any) => {
  const { response_id: _r, chat_id: _c, branches: _b, ...rest } = p;
  return rest;
};

async function history(a: Client, chatId: string) {
  return (await page(a, chatId)).qa_pairs.map(content);
}

async function listed(a: Client, chatId: string) {
  const r = await a.listChats({ limit: 100 });
  expect(r.status).toBe(200);
  return r.body.chats.find((c: any) => c.chat_id === chatId);
}

/** The new tree's chats by name (get-branches flattened). */
async function treeByName(a: Client, chatId: string) {
  const r = await a.getBranches(chatId);
  expect(r.status).toBe(200);
  const out = new Map<string, any>();
  const walk = (n: any) => {
    expect(out.has(n.name)).toBe(false);
    out.set(n.name, n);
    for (const c of n.children) walk(c);
  };
  walk(r.body.tree);
  return out;
}

/** Every pair of a chat's visible history (as content), page by page. */
async function allPairs(a: Client, chatId: string) {
  const out: any[] = [];
  let after: string | undefined;
  for (;;) {
    const r = await a.getChat(chatId, { limit: 1000, after });
    expect(r.status).toBe(200);
    out.push(...r.body.qa_pairs.map(content));
    if (!r.body.has_more_after) return out;
    after = r.body.qa_pairs.at(-1).response_id;
  }
}

/** A ChatGPT conversation of `n` pairs in one line (import-chat's format). */
function longConversation(n: number) {
  const mapping: Record<string, any> = { root: { id: 'root', message: null, parent: null, children: [] } };
  let parent = 'root';
  for (let i = 0; i < n; i++) {
    for (const [id, role, text] of [
      [`u${i}`, 'user', `question ${i}`],
      [`a${i}`, 'assistant', `answer ${i}`],
    ] as const) {
      mapping[parent].children.push(id);
      const message = {
        id,
        author: { role },
        create_time: 1_700_000_000 + i,
        content: { content_type: 'text', parts: [text] },
      };
      mapping[id] = { id, message, parent, children: [] };
      parent = id;
    }
  }
  return { title: 'long', create_time: 1_700_000_000, update_time: 1_700_000_000 + n, current_node: parent, mapping };
}

describe('fork-chat: the copied history', () => {
  test('the whole visible history (inherited pairs included): same texts, types and times, new ids', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3, 'trip');
    const branch = await a.branch(root, ids[1] as string, { name: 'side' });
    const code = await a.call('POST', '/api/v1/messages/add-message', {
      body: { chat_id: branch, question: 'show me', response: 'let x = 1', type: 'code', language: 'typescript' },
    });
    expect(code.status).toBe(201);
    const link = await a.call('POST', '/api/v1/messages/add-message', {
      body: { chat_id: branch, question: 'a link?', response: 'here', type: 'link', url: 'https://example.org/x' },
    });
    expect(link.status).toBe(201);
    await a.add(branch, 'generated?'); // answered by the responder: a generation is recorded

    const result = await fork(a, { chat_id: branch });
    const copy = result.chat;
    expect(copy.chat_id).not.toBe(branch);
    expect(copy.chat_type).toBe('main');
    expect(copy.parent_chat_id).toBeNull();
    expect(copy.root_chat_id).toBe(copy.chat_id);
    expect(copy.name).toBe('side');
    expect(copy.active).toBe(true);
    expect(copy.message_count).toBe(5);
    expect(result.active_chat_id).toBe(copy.chat_id);
    expect(result.chat_count).toBe(1);
    expect(result.pair_count).toBe(5);

    const source = await page(a, branch);
    const copied = await page(a, copy.chat_id);
    expect(copied.qa_pairs.map(content)).toEqual(source.qa_pairs.map(content));
    expect(copied.qa_pairs.map((p: any) => p.question)).toEqual(['q1', 'q2', 'show me', 'a link?', 'generated?']);
    expect(copied.qa_pairs[4].generation).not.toBeNull();
    // New pairs, all stored in the new root; none of the source's ids.
    const sourceIds = new Set(source.qa_pairs.map((p: any) => p.response_id));
    for (const p of copied.qa_pairs) {
      expect(sourceIds.has(p.response_id)).toBe(false);
      expect(p.chat_id).toBe(copy.chat_id);
      expect(p.branches).toEqual([]);
    }
    expect(copy.forked_from).toEqual({ chat_id: branch, response_id: source.qa_pairs[4].response_id });
    expect((await page(a, copy.chat_id)).chat.forked_from?.chat_id).toBe(branch);
    // The source is untouched: no new branch, same history.
    expect((await a.getBranches(root)).body.count).toBe(2);
    expect(await history(a, branch)).toEqual(source.qa_pairs.map(content));
  });

  test('up to a response_id (an inherited pair), with a name; the system prompt is copied', async () => {
    const a = await newAccount(app);
    const made = await a.call('POST', '/api/v1/chats/create-chat', {
      body: { name: 'trip', system_prompt: 'Be brief.' },
    });
    const root = made.body.chat_id;
    const ids = [await a.add(root, 'q1', 'a1'), await a.add(root, 'q2', 'a2'), await a.add(root, 'q3', 'a3')];
    const branch = await a.branch(root, ids[2] as string, { question: 'b1', response: 'x' });

    const result = await fork(a, { chat_id: branch, response_id: ids[1], name: 'Just the start' });
    expect(result.chat.name).toBe('Just the start');
    expect(result.chat.system_prompt).toBe('Be brief.');
    expect(result.chat.forked_from).toEqual({ chat_id: branch, response_id: ids[1] });
    expect(result.pair_count).toBe(2);
    expect(await a.questions(result.chat.chat_id)).toEqual(['q1', 'q2']);
    expect(await history(a, result.chat.chat_id)).toEqual((await history(a, root)).slice(0, 2));
    // The copy grows on its own.
    await a.add(result.chat.chat_id, 'q3 again', 'other');
    expect(await a.questions(result.chat.chat_id)).toEqual(['q1', 'q2', 'q3 again']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3']);
  });

  test('a fork of an empty chat: an empty root, forked_from without a pair', async () => {
    const a = await newAccount(app);
    const empty = (await a.createChat('blank')).body.chat_id;
    const result = await fork(a, { chat_id: empty });
    expect(result.chat.message_count).toBe(0);
    expect(result.pair_count).toBe(0);
    expect(result.chat_count).toBe(1);
    expect(result.chat.forked_from).toEqual({ chat_id: empty, response_id: null });
    expect(await a.questions(result.chat.chat_id)).toEqual([]);
    expect((await listed(a, result.chat.chat_id)).forked_from).toEqual({ chat_id: empty, response_id: null });
    await a.add(result.chat.chat_id, 'first', 'one');
    expect(await a.questions(empty)).toEqual([]);
  });

  test('404: another account’s chat, a pair outside the visible history, another account’s pair; 422: bad bodies', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const side = await a.branch(root, ids[0] as string, { question: 'side', response: 'x' });
    const sidePair = (await page(a, side)).qa_pairs[1].response_id;
    const other = await b.chatWith(1);

    expectProblem(await b.forkChat({ chat_id: root }), 404);
    expectProblem(await a.forkChat({ chat_id: crypto.randomUUID() }), 404);
    // q2, q3 are the root's after the fork point: not in the side branch's history; the branch's pair is not the root's.
    expectProblem(await a.forkChat({ chat_id: side, response_id: ids[1] }), 404);
    expectProblem(await a.forkChat({ chat_id: root, response_id: sidePair }), 404);
    expectProblem(await a.forkChat({ chat_id: root, response_id: other.ids[0] }), 404);
    expectProblem(await a.forkChat({ chat_id: root, response_id: crypto.randomUUID() }), 404);

    expectProblem(await a.forkChat({ chat_id: 'nope' }), 422);
    expectProblem(await a.forkChat({ chat_id: root, colour: 'red' } as any), 422);
    expectProblem(await a.forkChat({ chat_id: root, include_branches: 'yes' }), 422);
    expectProblem(await a.forkChat({ chat_id: root, name: '' }), 422);
    expectProblem(await a.forkChat({ chat_id: root, response_id: null }), 422);
    // Nothing was created.
    expect((await a.listChats()).body.chats).toHaveLength(1);
  });
});

describe('fork-chat: include_branches', () => {
  test('the branches below the copy point come along, re-rooted with the same histories; names, order, active', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4, 'main');
    const [r1, r2, r3, r4] = ids as [string, string, string, string];
    // Before the copy point (r3): not copied, nor what is below them.
    const before = await a.branch(root, r2, { name: 'before', question: 'b1', response: 'x' });
    await a.branch(before, (await page(a, before)).qa_pairs[2].response_id, { name: 'below before' });
    await a.branch(root, r1, { name: 'early', question: 'e1', response: 'x' });
    // At the copy point: copied, with their subtrees.
    const at = await a.branch(root, r3, { name: 'at', question: 'at1', response: 'x' });
    await a.add(at, 'at2', 'y');
    const atPairs = (await page(a, at)).qa_pairs;
    const deep = await a.branch(at, atPairs[3].response_id, { name: 'deep', question: 'd1', response: 'z' });
    await a.branch(at, atPairs[4].response_id, { name: 'deeper', question: 'd2', response: 'w' });
    // After the copy point, in the chat that holds it: copied, under the copy of that chat's continuation.
    await a.branch(root, r4, { name: 'after', question: 'f1', response: 'x' });
    // Exactly the copied history: the new root stands for it. A start fork holds none of it: not copied.
    await a.branch(root, r3, { name: 'same', activate: false });
    const start = await a.createBranch({ chat_id: root, response_id: null, name: 'start', question: 's1' });
    expect(start.status).toBe(201);
    await a.setActive(deep);
    const sourceTree = await treeByName(a, root);

    const result = await fork(a, { chat_id: root, response_id: r3, name: 'copy', include_branches: true });
    const newRoot = result.chat.chat_id;
    expect(result.chat.message_count).toBe(3);
    expect(result.chat.forked_from).toEqual({ chat_id: root, response_id: r3 });
    expect(result.chat.active).toBe(false);

    const copied = await treeByName(a, newRoot);
    // 'main' is the source root's continuation (q4): a branch of the new root after its third pair.
    expect([...copied.keys()].sort()).toEqual(['after', 'at', 'copy', 'deep', 'deeper', 'main']);
    expect(result.chat_count).toBe(6);
    expect(result.pair_count).toBe(3 + 1 + 2 + 1 + 1 + 1);
    for (const [name, node] of copied) {
      if (name === 'copy') continue;
      const source = sourceTree.get(name);
      expect(node.chat_id).not.toBe(source.chat_id);
      expect(node.chat_type).toBe('branch');
      expect(node.created_at).toBe(source.created_at);
      expect(await history(a, node.chat_id)).toEqual(await history(a, source.chat_id));
      expect(node.message_count).toBe(source.message_count);
    }
    expect(await a.questions(copied.get('main').chat_id)).toEqual(['q1', 'q2', 'q3', 'q4']);
    // The shape: who hangs where.
    const id = (name: string) => copied.get(name).chat_id;
    expect(copied.get('main').parent_chat_id).toBe(newRoot);
    expect(copied.get('at').parent_chat_id).toBe(newRoot);
    expect(copied.get('after').parent_chat_id).toBe(id('main'));
    expect(copied.get('deep').parent_chat_id).toBe(id('at'));
    expect(copied.get('deeper').parent_chat_id).toBe(id('at'));
    // Siblings in the source's order (oldest first): the continuation, then 'at'.
    const rootPage = await page(a, newRoot);
    expect(rootPage.qa_pairs[2].branches).toEqual([id('main'), id('at')]);
    expect(rootPage.start_branches).toEqual([]);
    // The active chat came along.
    expect(result.active_chat_id).toBe(id('deep'));
    expect(copied.get('deep').active).toBe(true);
    // The source tree is as it was.
    const after = await treeByName(a, root);
    expect([...after.keys()].sort()).toEqual([...sourceTree.keys()].sort());
    expect(after.get('deep').active).toBe(true);
  });

  test('the active chat left behind: the new root is active; nothing below the last pair: only the root', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3, 'main');
    const side = await a.branch(root, ids[0] as string, { name: 'side', question: 's', response: 'x' });
    expect((await page(a, side)).chat.active).toBe(true);

    const partial = await fork(a, { chat_id: root, response_id: ids[1], name: 'copy', include_branches: true });
    expect(partial.active_chat_id).toBe(partial.chat.chat_id);
    expect(partial.chat.active).toBe(true);
    const copied = await treeByName(a, partial.chat.chat_id);
    expect([...copied.keys()].sort()).toEqual(['copy', 'main']);
    expect(await a.questions(copied.get('main').chat_id)).toEqual(['q1', 'q2', 'q3']);
    expect(copied.get('main').active).toBe(false);

    // The whole history of the root: nothing forks after its last pair, and 'side' forks before it.
    const whole = await fork(a, { chat_id: root, include_branches: true });
    expect(whole.chat_count).toBe(1);
    expect(whole.pair_count).toBe(3);
    expect((await a.getBranches(whole.chat.chat_id)).body.count).toBe(1);
  });

  test('an empty copy takes the whole tree along: start forks stay start forks, the old root becomes one', async () => {
    const a = await newAccount(app);
    // An empty root with start forks: the non-empty ones come along, with what is below them.
    const empty = (await a.createChat('blank')).body.chat_id;
    const f1 = await a.createBranch({ chat_id: empty, response_id: null, name: 'f1', question: 'f1q', response: 'x' });
    expect(f1.status).toBe(201);
    await a.branch(f1.body.chat.chat_id, f1.body.qa_pair.response_id, { name: 'f1c', question: 'c', response: 'y' });
    const f2 = await a.createBranch({ chat_id: empty, response_id: null, name: 'f2', activate: false });
    expect(f2.status).toBe(201);

    const r = await fork(a, { chat_id: empty, include_branches: true });
    expect(r.chat.forked_from).toEqual({ chat_id: empty, response_id: null });
    const copied = await treeByName(a, r.chat.chat_id);
    expect([...copied.keys()].sort()).toEqual(['blank', 'f1', 'f1c']);
    expect(copied.get('f1').parent_chat_id).toBe(r.chat.chat_id);
    expect(copied.get('f1').fork_response_id).toBeNull();
    expect(copied.get('f1c').parent_chat_id).toBe(copied.get('f1').chat_id);
    expect(await a.questions(copied.get('f1c').chat_id)).toEqual(['f1q', 'c']);
    expect((await page(a, r.chat.chat_id)).start_branches).toEqual([copied.get('f1').chat_id]);
    expect(r.active_chat_id).toBe(copied.get('f1c').chat_id);

    // From an empty start fork of a tree with pairs: the old root comes along as a start fork of the new one.
    const { chatId: full, ids } = await a.chatWith(2, 'full');
    await a.branch(full, ids[1] as string, { name: 'full branch', question: 'fb', response: 'x' });
    const fresh = await a.createBranch({ chat_id: full, response_id: null, name: 'fresh' });
    expect(fresh.status).toBe(201);
    const g = await fork(a, { chat_id: fresh.body.chat.chat_id, include_branches: true });
    expect(g.chat.name).toBe('fresh');
    expect(g.chat.message_count).toBe(0);
    const tree = await treeByName(a, g.chat.chat_id);
    expect([...tree.keys()].sort()).toEqual(['fresh', 'full', 'full branch']);
    expect(tree.get('full').fork_response_id).toBeNull();
    expect(tree.get('full').parent_chat_id).toBe(g.chat.chat_id);
    expect(await a.questions(tree.get('full').chat_id)).toEqual(['q1', 'q2']);
    expect(await a.questions(tree.get('full branch').chat_id)).toEqual(['q1', 'q2', 'fb']);
    expect(tree.get('full branch').parent_chat_id).toBe(tree.get('full').chat_id);
    // Without include_branches: only the empty root.
    expect((await fork(a, { chat_id: fresh.body.chat.chat_id })).chat_count).toBe(1);
  });
});

describe('fork-chat: two independent trees', () => {
  test('deleting the source leaves the copy whole, and list-chats shows forked_from null', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3, 'source');
    const side = await a.branch(root, ids[2] as string, { name: 'side', question: 's', response: 'x' });
    const r = await fork(a, { chat_id: root, response_id: ids[2], name: 'copy', include_branches: true });
    const copyId = r.chat.chat_id;
    const before = await treeByName(a, copyId);
    const sideHistory = await history(a, side);
    expect((await listed(a, copyId)).forked_from).toEqual({ chat_id: root, response_id: ids[2] });

    expect((await a.deleteChat(root)).status).toBe(200);
    expectProblem(await a.getChat(root), 404);
    expect(await a.questions(copyId)).toEqual(['q1', 'q2', 'q3']);
    expect(await history(a, before.get('side').chat_id)).toEqual(sideHistory);
    expect([...(await treeByName(a, copyId)).keys()].sort()).toEqual([...before.keys()].sort());
    const shown = await listed(a, copyId);
    expect(shown.forked_from).toBeNull();
    expect(shown.branch_count).toBe(before.size - 1);
  });

  test('after its source is deleted, the copy’s ETag is the one get-chat gives: If-Match on it succeeds', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(1, 'source');
    const copyId = (await fork(a, { chat_id: root, name: 'copy' })).chat.chat_id;
    expect((await a.deleteChat(root)).status).toBe(200);
    const seen = await a.getChat(copyId);
    expect(seen.body.chat.forked_from).toBeNull();
    const renamed = await a.updateChat(copyId, 'renamed', { 'If-Match': seen.headers.get('etag') as string });
    expect(renamed.status).toBe(200);
    expect(renamed.body.forked_from).toBeNull();
    // The tag of the rename's answer is current too.
    const again = await a.updateChat(copyId, 'again', { 'If-Match': renamed.headers.get('etag') as string });
    expect(again.status).toBe(200);
  });

  test('deleting the copy (or a copied branch) leaves the source whole', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2, 'source');
    const side = await a.branch(root, ids[1] as string, { name: 'side', question: 's', response: 'x' });
    const sourceTree = await treeByName(a, root);
    const r = await fork(a, { chat_id: root, include_branches: false });
    const again = await fork(a, { chat_id: root, response_id: ids[1], name: 'copy', include_branches: true });
    const copiedSide = (await treeByName(a, again.chat.chat_id)).get('side').chat_id;

    expect((await a.deleteChat(copiedSide)).status).toBe(200);
    expect((await a.deleteChat(r.chat.chat_id)).status).toBe(200);
    expect(await a.questions(side)).toEqual(['q1', 'q2', 's']);
    expect(await a.questions(root)).toEqual(['q1', 'q2']);
    expect([...(await treeByName(a, root)).keys()].sort()).toEqual([...sourceTree.keys()].sort());
    expect((await listed(a, root)).forked_from).toBeNull();
    expect((await listed(a, again.chat.chat_id)).forked_from).toEqual({ chat_id: root, response_id: ids[1] });
  });
});

describe('fork-chat: the request', () => {
  test('Idempotency-Key: the same key and body replay the first answer, nothing new stored', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(2);
    const key = `fork-${crypto.randomUUID()}`;
    const first = await a.forkChat({ chat_id: chatId }, { 'Idempotency-Key': key });
    const again = await a.forkChat({ chat_id: chatId }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await a.listChats()).body.chats).toHaveLength(2);
    expectProblem(await a.forkChat({ chat_id: chatId, name: 'other' }, { 'Idempotency-Key': key }), 422);
    expect((await a.listChats()).body.chats).toHaveLength(2);
  });

  test('at most IMPORT_MAX_PAIRS pairs per fork: beyond → 422, nothing stored', async () => {
    const small = appFor({ ...services, deps: { ...services.deps, imports: { maxPairs: 3 } } });
    const a = await newAccount(small);
    const { chatId: root, ids } = await a.chatWith(4);
    await a.branch(root, ids[2] as string, { question: 'b', response: 'x' });

    const whole = await a.forkChat({ chat_id: root });
    expectProblem(whole, 422);
    expect(whole.body.errors[0].path).toBe('response_id');
    expect(whole.body.errors[0].message).toContain('IMPORT_MAX_PAIRS');
    const withBranches = await a.forkChat({ chat_id: root, response_id: ids[2], include_branches: true });
    expectProblem(withBranches, 422);
    expect(withBranches.body.errors[0].path).toBe('include_branches');
    expect((await a.listChats()).body.chats).toHaveLength(1);

    expect((await a.forkChat({ chat_id: root, response_id: ids[2] })).status).toBe(201);
  });

  test('a long history is read a page (1,000 pairs) per round trip, whatever the branches', async () => {
    let reads = 0;
    const real = services.deps.content;
    const content = new Proxy(real, {
      get(target, key) {
        if (key === 'readRanges') {
          return (...args: Parameters<typeof real.readRanges>) => {
            reads++;
            return target.readRanges(...args);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const counted = appFor({ ...services, deps: { ...services.deps, content } });
    const a = await newAccount(counted);
    const imported = await a.call('POST', '/api/v1/chats/import-chat', { body: longConversation(2_300) });
    expect(imported.status).toBe(201);
    const root = imported.body.conversations[0].root_chat_id;
    const tail = (await a.getChat(root, { before: 'end', limit: 200 })).body.qa_pairs;
    const at = tail[99].response_id; // pair 2,200
    for (const i of [99, 120, 150, 199])
      await a.branch(root, tail[i].response_id, { question: `b${i}`, response: 'x' });
    await a.branch(root, tail[50].response_id, { name: 'before', question: 'no', response: 'x' });

    reads = 0;
    const r = await fork(a, { chat_id: root, response_id: at, name: 'copy', include_branches: true });
    // 2,200 copied pairs, 100 of the root's continuation, one per branch below: three pages.
    expect(r.pair_count).toBe(2_200 + 100 + 4);
    expect(r.chat_count).toBe(1 + 1 + 4);
    expect(reads).toBe(3);
    const copy = r.chat.chat_id;
    expect(await allPairs(a, copy)).toEqual((await allPairs(a, root)).slice(0, 2_200));
    const tree = await a.getBranches(copy);
    const continuation = tree.body.tree.children.find((n: any) => n.name === imported.body.conversations[0].title);
    expect(await allPairs(a, continuation.chat_id)).toEqual(await allPairs(a, root));
  });

  test('at most IMPORT_MAX_MB of text per fork: beyond → 422, nothing stored', async () => {
    const small = appFor({ ...services, deps: { ...services.deps, imports: { maxPairs: 100, maxTextBytes: 1000 } } });
    const a = await newAccount(small);
    const { chatId: root } = await a.chatWith(1);
    await a.add(root, 'q'.repeat(600), 'a'.repeat(600));
    const r = await a.forkChat({ chat_id: root });
    expectProblem(r, 422);
    expect(r.body.errors[0].path).toBe('response_id');
    expect(r.body.errors[0].message).toContain('IMPORT_MAX_MB');
    expect((await a.listChats()).body.chats).toHaveLength(1);
  });

  test('a large copy weighs what importing its pairs would: RATE_COST_IMPORT per started 1,000', async () => {
    const limited = appFor(services, { writeLimit: { points: 100, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const imported = await a.call('POST', '/api/v1/chats/import-chat', { body: longConversation(2_300) });
    expect(imported.status).toBe(201);
    const root = imported.body.conversations[0].root_chat_id;
    const made = await a.createChat('a write');
    const left = Number(made.headers.get('RateLimit-Remaining'));
    const r = await a.forkChat({ chat_id: root });
    expect(r.status).toBe(201);
    expect(Number(r.headers.get('RateLimit-Remaining'))).toBe(left - 30);
  });

  test('weighs RATE_COST_EXPORT points of the account’s write budget', async () => {
    const limited = appFor(services, { writeLimit: { points: 100, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const made = await a.createChat('weighed');
    const left = Number(made.headers.get('RateLimit-Remaining'));
    const r = await a.forkChat({ chat_id: made.body.chat_id });
    expect(r.status).toBe(201);
    expect(Number(r.headers.get('RateLimit-Remaining'))).toBe(left - 10);
  });
});
