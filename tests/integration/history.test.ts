/**
 * The history invariant of docs/api.md ("History semantics"), `branches` on pairs, message_count and
 * create-branch's options, through app.request() against a real PostgreSQL.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

interface Pair {
  response_id: string;
  chat_id: string;
  question: string;
  response: string;
  timestamp: string;
  type: string;
  branches: string[];
}

/** The whole visible history of a chat (one page of 1000) and the chat object. */
async function full(a: Client, chatId: string): Promise<{ chat: any; pairs: Pair[] }> {
  const r = await a.getChat(chatId, { limit: 1000 });
  expect(r.status).toBe(200);
  expect(r.body.has_more_before).toBe(false);
  expect(r.body.has_more_after).toBe(false);
  return { chat: r.body.chat, pairs: r.body.qa_pairs };
}

/** The pair with this response id in a chat's visible history (fails the test when absent). */
async function pairIn(a: Client, chatId: string, responseId: string): Promise<Pair> {
  const { pairs } = await full(a, chatId);
  const p = pairs.find((x) => x.response_id === responseId);
  if (!p) throw new Error(`pair ${responseId} not visible in ${chatId}`);
  return p;
}

const questions = (pairs: Pair[]) => pairs.map((p) => p.question);

describe('history invariant', () => {
  test('a branch sees the parent history through the fork pair, then its own; later additions stay on their side', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4, 'Root');

    const r = await a.createBranch({ chat_id: root, response_id: ids[1] });
    expect(r.status).toBe(201);
    const b = r.body.chat.chat_id;
    expect(r.body.qa_pair).toBeNull();
    expect(r.body.chat).toMatchObject({
      account_id: a.accountId,
      chat_type: 'branch',
      root_chat_id: root,
      parent_chat_id: root,
      fork_response_id: ids[1],
      message_count: 2,
      active: true,
    });
    expect(b).not.toBe(root);

    // Inherited pairs are the parent's own pairs (same ids, stored in the parent), not copies.
    let view = await full(a, b);
    expect(questions(view.pairs)).toEqual(['q1', 'q2']);
    expect(view.pairs.map((p) => p.response_id)).toEqual(ids.slice(0, 2));
    expect(view.pairs.map((p) => p.chat_id)).toEqual([root, root]);
    expect(view.pairs.map((p) => p.response)).toEqual(['a1', 'a2']);

    // Additions on the branch stay on the branch.
    const b1 = await a.addMessage(b, 'b1', 'x1');
    expect(b1.status).toBe(201);
    expect(b1.body.chat_id).toBe(b);
    view = await full(a, b);
    expect(questions(view.pairs)).toEqual(['q1', 'q2', 'b1']);
    expect(view.pairs[2]).toMatchObject({ response_id: b1.body.response_id, chat_id: b, response: 'x1' });
    expect(view.chat.message_count).toBe(3);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3', 'q4']);

    // Additions on the parent after the fork stay on the parent.
    await a.add(root, 'q5', 'a5');
    await a.add(b, 'b2', 'x2');
    const rootView = await full(a, root);
    expect(questions(rootView.pairs)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(rootView.chat.message_count).toBe(5);
    view = await full(a, b);
    expect(questions(view.pairs)).toEqual(['q1', 'q2', 'b1', 'b2']);
    expect(view.chat.message_count).toBe(4);
  });

  test('a branch forked at the last pair, and one forked at the first pair', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const atLast = await a.branch(root, ids[2]!);
    const atFirst = await a.branch(root, ids[0]!);
    expect(await a.questions(atLast)).toEqual(['q1', 'q2', 'q3']);
    expect(await a.questions(atFirst)).toEqual(['q1']);
    await a.add(root, 'q4');
    expect(await a.questions(atLast)).toEqual(['q1', 'q2', 'q3']);
    await a.add(atFirst, 'f1');
    expect(await a.questions(atFirst)).toEqual(['q1', 'f1']);
    expect(await a.questions(atLast)).toEqual(['q1', 'q2', 'q3']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3', 'q4']);
  });

  test('forking from an inherited pair attaches the branch to the chat that stores the pair', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4);
    const b = await a.branch(root, ids[2]!);
    const bOwn1 = await a.add(b, 'b1');
    await a.add(b, 'b2');

    // From B, fork at q1 (stored in the root): attached to the root.
    const fromInherited = await a.createBranch({ chat_id: b, response_id: ids[0] });
    expect(fromInherited.status).toBe(201);
    expect(fromInherited.body.chat).toMatchObject({
      chat_type: 'branch',
      parent_chat_id: root,
      root_chat_id: root,
      fork_response_id: ids[0],
      message_count: 1,
    });
    const x = fromInherited.body.chat.chat_id;
    expect(await a.questions(x)).toEqual(['q1']);

    // From B, fork at B's own fork pair (q3, inherited): attached to the root as well.
    const atForkPair = await a.createBranch({ chat_id: b, response_id: ids[2] });
    expect(atForkPair.status).toBe(201);
    expect(atForkPair.body.chat).toMatchObject({ parent_chat_id: root, fork_response_id: ids[2], message_count: 3 });
    const y = atForkPair.body.chat.chat_id;
    expect(await a.questions(y)).toEqual(['q1', 'q2', 'q3']);

    // From B, fork at B's own pair: attached to B.
    const fromOwn = await a.createBranch({ chat_id: b, response_id: bOwn1 });
    expect(fromOwn.status).toBe(201);
    expect(fromOwn.body.chat).toMatchObject({ parent_chat_id: b, fork_response_id: bOwn1, message_count: 4 });
    const z = fromOwn.body.chat.chat_id;
    expect(await a.questions(z)).toEqual(['q1', 'q2', 'q3', 'b1']);

    // The tree agrees: x and y are children of the root, z of B.
    const t = await a.getBranches(root);
    expect(t.status).toBe(200);
    const rootChildren = t.body.tree.children.map((n: any) => n.chat_id);
    expect(rootChildren).toEqual([b, x, y]);
    const bNode = t.body.tree.children.find((n: any) => n.chat_id === b);
    expect(bNode.children.map((n: any) => n.chat_id)).toEqual([z]);

    // get-chat of the new branches reports the same parentage.
    expect((await a.getChat(x)).body.chat.parent_chat_id).toBe(root);
    expect((await a.getChat(z)).body.chat.parent_chat_id).toBe(b);

    // Growing B after those forks does not leak into them, and vice versa.
    await a.add(b, 'b3');
    await a.add(x, 'x1');
    expect(await a.questions(b)).toEqual(['q1', 'q2', 'q3', 'b1', 'b2', 'b3']);
    expect(await a.questions(x)).toEqual(['q1', 'x1']);
    expect(await a.questions(y)).toEqual(['q1', 'q2', 'q3']);
    expect(await a.questions(z)).toEqual(['q1', 'q2', 'q3', 'b1']);
  });

  test('deep chains: a branch of a branch of a branch sees every inherited segment, each pair owned by its chat', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b1 = await a.branch(root, ids[1]!);
    const b1a = await a.add(b1, 'b1a');
    await a.add(b1, 'b1b');
    const b2 = await a.branch(b1, b1a);
    const b2a = await a.add(b2, 'b2a');
    const b3 = await a.branch(b2, b2a);
    await a.add(b3, 'b3a');
    await a.add(b3, 'b3b');

    // Writes after the forks, at every level.
    await a.add(root, 'q4');
    await a.add(b1, 'b1c');
    await a.add(b2, 'b2b');

    const v3 = await full(a, b3);
    expect(questions(v3.pairs)).toEqual(['q1', 'q2', 'b1a', 'b2a', 'b3a', 'b3b']);
    expect(v3.pairs.map((p) => p.chat_id)).toEqual([root, root, b1, b2, b3, b3]);
    expect(v3.chat).toMatchObject({
      message_count: 6,
      parent_chat_id: b2,
      fork_response_id: b2a,
      root_chat_id: root,
      chat_type: 'branch',
    });

    const v2 = await full(a, b2);
    expect(questions(v2.pairs)).toEqual(['q1', 'q2', 'b1a', 'b2a', 'b2b']);
    expect(v2.chat).toMatchObject({ message_count: 5, parent_chat_id: b1, fork_response_id: b1a, root_chat_id: root });

    const v1 = await full(a, b1);
    expect(questions(v1.pairs)).toEqual(['q1', 'q2', 'b1a', 'b1b', 'b1c']);
    expect(v1.chat.message_count).toBe(5);

    const v0 = await full(a, root);
    expect(questions(v0.pairs)).toEqual(['q1', 'q2', 'q3', 'q4']);
    expect(v0.chat.message_count).toBe(4);

    // Forking from the deepest chat at an inherited pair of each level attaches to that level.
    const atRoot = await a.createBranch({ chat_id: b3, response_id: ids[0] });
    expect(atRoot.body.chat).toMatchObject({ parent_chat_id: root, fork_response_id: ids[0], message_count: 1 });
    const atB1 = await a.createBranch({ chat_id: b3, response_id: b1a });
    expect(atB1.body.chat).toMatchObject({ parent_chat_id: b1, fork_response_id: b1a, message_count: 3 });
    expect(await a.questions(atB1.body.chat.chat_id)).toEqual(['q1', 'q2', 'b1a']);
    const atB2 = await a.createBranch({ chat_id: b3, response_id: b2a, question: 'n1', response: 'm1' });
    expect(atB2.body.chat).toMatchObject({ parent_chat_id: b2, fork_response_id: b2a, message_count: 5 });
    expect(await a.questions(atB2.body.chat.chat_id)).toEqual(['q1', 'q2', 'b1a', 'b2a', 'n1']);

    // The tree and its message counts (inherited + own) agree.
    const t = await a.getBranches(b3);
    expect(t.body.count).toBe(7);
    const counts = new Map<string, number>();
    const walk = (n: any) => {
      counts.set(n.chat_id, n.message_count);
      n.children.forEach(walk);
    };
    walk(t.body.tree);
    expect(counts.get(root)).toBe(4);
    expect(counts.get(b1)).toBe(5);
    expect(counts.get(b2)).toBe(5);
    expect(counts.get(b3)).toBe(6);
    expect(counts.get(atB2.body.chat.chat_id)).toBe(5);
  });

  test('message_count counts inherited plus own pairs and follows additions on the chat only', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(5);
    const b = await a.branch(root, ids[2]!);
    expect((await a.getChat(b)).body.chat.message_count).toBe(3);
    await a.add(b, 'x');
    await a.add(b, 'y');
    expect((await a.getChat(b)).body.chat.message_count).toBe(5);
    await a.add(root, 'q6');
    expect((await a.getChat(b)).body.chat.message_count).toBe(5);
    expect((await a.getChat(root)).body.chat.message_count).toBe(6);
    // message_count is the whole history, not the page size.
    const page = await a.getChat(b, { limit: 1 });
    expect(page.body.qa_pairs).toHaveLength(1);
    expect(page.body.chat.message_count).toBe(5);
  });
});

describe('branches on pairs', () => {
  test('each pair lists the live branches forking right after it, oldest first, in the owner and every inheriting descendant', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const [p1, p2, p3] = ids as [string, string, string];

    const bA = await a.branch(root, p2);
    const bB = await a.branch(root, p2, { activate: false });
    const bC = await a.branch(root, p3);
    const b1 = await a.add(bA, 'bA1');
    const c = await a.branch(bA, b1);
    const c1 = await a.add(c, 'c1');
    const d = await a.branch(c, c1);
    // A branch of the deep chat forking at a root pair attaches to the root and lists there.
    const bD = await a.branch(d, p2);

    const expectBranches = async (chatId: string, expected: Record<string, string[]>) => {
      const { pairs } = await full(a, chatId);
      for (const [responseId, branches] of Object.entries(expected)) {
        const p = pairs.find((x) => x.response_id === responseId);
        expect(p, `pair ${responseId} in ${chatId}`).toBeDefined();
        expect(p?.branches).toEqual(branches);
      }
      return pairs;
    };

    // The owning chat.
    await expectBranches(root, { [p1]: [], [p2]: [bA, bB, bD], [p3]: [bC] });
    // Inheriting descendants see the same lists for the pairs they inherit.
    const inA = await expectBranches(bA, { [p1]: [], [p2]: [bA, bB, bD], [b1]: [c] });
    expect(inA).toHaveLength(3);
    await expectBranches(bB, { [p1]: [], [p2]: [bA, bB, bD] });
    await expectBranches(bC, { [p1]: [], [p2]: [bA, bB, bD], [p3]: [bC] });
    await expectBranches(c, { [p1]: [], [p2]: [bA, bB, bD], [b1]: [c], [c1]: [d] });
    const inD = await expectBranches(d, { [p1]: [], [p2]: [bA, bB, bD], [b1]: [c], [c1]: [d] });
    expect(questions(inD)).toEqual(['q1', 'q2', 'bA1', 'c1']);

    // Branches listed on a page read with a cursor too.
    const paged = await a.getChat(d, { after: p1, limit: 1 });
    expect(paged.body.qa_pairs.map((p: Pair) => p.branches)).toEqual([[bA, bB, bD]]);

    // A pair without forks in its own chat; a brand-new pair has no branches.
    const fresh = await a.addMessage(d, 'd1');
    expect(fresh.body.branches).toEqual([]);
    expect((await pairIn(a, d, fresh.body.response_id)).branches).toEqual([]);

    // Deleting a branch removes it from every list.
    expect((await a.deleteChat(bB)).status).toBe(200);
    await expectBranches(root, { [p2]: [bA, bD] });
    await expectBranches(d, { [p2]: [bA, bD] });
  });

  test('create-branch and add-message answer pairs with an empty branches list', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const r = await a.createBranch({ chat_id: root, response_id: ids[0], question: 'hi', response: 'there' });
    expect(r.status).toBe(201);
    expect(r.body.qa_pair.branches).toEqual([]);
    // Once forked, the new pair lists its fork.
    const child = await a.branch(r.body.chat.chat_id, r.body.qa_pair.response_id);
    expect((await pairIn(a, r.body.chat.chat_id, r.body.qa_pair.response_id)).branches).toEqual([child]);
    expect((await pairIn(a, child, r.body.qa_pair.response_id)).branches).toEqual([child]);
  });
});

describe('create-branch options', () => {
  test('with question and response: the first pair is added in the same call and returned', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const r = await a.createBranch({ chat_id: root, response_id: ids[1], question: 'what if?', response: 'then so' });
    expect(r.status).toBe(201);
    const b = r.body.chat.chat_id;
    expect(r.body.chat.message_count).toBe(3);
    expect(r.body.qa_pair).toMatchObject({
      chat_id: b,
      question: 'what if?',
      response: 'then so',
      type: 'text',
      branches: [],
    });
    expect(r.body.qa_pair.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const v = await full(a, b);
    expect(questions(v.pairs)).toEqual(['q1', 'q2', 'what if?']);
    expect(v.pairs[2]).toMatchObject({ response_id: r.body.qa_pair.response_id, chat_id: b, response: 'then so' });
    expect(v.chat.message_count).toBe(3);
    // The pair is the branch's own: the next one comes after it, and the parent does not see it.
    await a.add(b, 'next');
    expect(await a.questions(b)).toEqual(['q1', 'q2', 'what if?', 'next']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3']);
  });

  test('with question only, the responder answers; an empty response is stored empty', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const asked = await a.createBranch({ chat_id: root, response_id: ids[0], question: 'answer me' });
    expect(asked.status).toBe(201);
    expect(typeof asked.body.qa_pair.response).toBe('string');
    expect(asked.body.qa_pair.response.length).toBeGreaterThan(0);
    expect(asked.body.chat.message_count).toBe(2);
    const stored = await pairIn(a, asked.body.chat.chat_id, asked.body.qa_pair.response_id);
    expect(stored.response).toBe(asked.body.qa_pair.response);

    const empty = await a.createBranch({ chat_id: root, response_id: ids[0], question: 'silence', response: '' });
    expect(empty.status).toBe(201);
    expect(empty.body.qa_pair.response).toBe('');
    expect((await pairIn(a, empty.body.chat.chat_id, empty.body.qa_pair.response_id)).response).toBe('');
  });

  test('without question: no pair is added and qa_pair is null', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const r = await a.createBranch({ chat_id: root, response_id: ids[0] });
    expect(r.status).toBe(201);
    expect(r.body.qa_pair).toBeNull();
    expect(r.body.chat.message_count).toBe(1);
    expect(await a.questions(r.body.chat.chat_id)).toEqual(['q1']);
  });

  test('response without question → 422 and nothing is created', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const r = await a.createBranch({ chat_id: root, response_id: ids[0], response: 'orphan answer' });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.status).toBe(422);
    expect(Array.isArray(r.body.errors)).toBe(true);
    const t = await a.getBranches(root);
    expect(t.body.count).toBe(1);
    expect(t.body.active_chat_id).toBe(root);
    // An empty response without question is still a response without question.
    const r2 = await a.createBranch({ chat_id: root, response_id: ids[0], response: '' });
    expect(r2.status).toBe(422);
    expect((await a.getBranches(root)).body.count).toBe(1);
  });

  test('activate defaults to true; activate:false keeps the active chat', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);

    const quiet = await a.createBranch({ chat_id: root, response_id: ids[0], activate: false });
    expect(quiet.status).toBe(201);
    expect(quiet.body.chat.active).toBe(false);
    let t = await a.getBranches(root);
    expect(t.body.active_chat_id).toBe(root);
    expect((await a.getChat(root)).body.chat.active).toBe(true);
    expect((await a.getChat(quiet.body.chat.chat_id)).body.chat.active).toBe(false);

    const loud = await a.createBranch({ chat_id: root, response_id: ids[1] });
    expect(loud.body.chat.active).toBe(true);
    t = await a.getBranches(root);
    expect(t.body.active_chat_id).toBe(loud.body.chat.chat_id);
    expect((await a.getChat(root)).body.chat.active).toBe(false);

    // activate:false with a question keeps the current active branch (not the root).
    const quiet2 = await a.createBranch({
      chat_id: root,
      response_id: ids[1],
      activate: false,
      question: 'q',
      response: 'r',
    });
    expect(quiet2.body.chat.active).toBe(false);
    t = await a.getBranches(root);
    expect(t.body.active_chat_id).toBe(loud.body.chat.chat_id);

    const explicit = await a.createBranch({ chat_id: quiet.body.chat.chat_id, response_id: ids[0], activate: true });
    expect(explicit.body.chat.active).toBe(true);
    t = await a.getBranches(root);
    expect(t.body.active_chat_id).toBe(explicit.body.chat.chat_id);
    expect((await a.getChat(loud.body.chat.chat_id)).body.chat.active).toBe(false);
  });

  test('name defaults to the name of the chat given plus a suffix; an explicit name is kept', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2, 'Trip ideas');
    const b = await a.createBranch({ chat_id: root, response_id: ids[0] });
    expect(b.body.chat.name).not.toBe('Trip ideas');
    expect(b.body.chat.name.startsWith('Trip ideas')).toBe(true);

    const named = await a.createBranch({ chat_id: root, response_id: ids[0], name: 'Plan B' });
    expect(named.body.chat.name).toBe('Plan B');

    // Forking from Plan B at an inherited pair attaches to the root but takes Plan B's name.
    const fromB = await a.createBranch({ chat_id: named.body.chat.chat_id, response_id: ids[0] });
    expect(fromB.body.chat.parent_chat_id).toBe(root);
    expect(fromB.body.chat.name.startsWith('Plan B')).toBe(true);
    expect(fromB.body.chat.name).not.toBe('Plan B');
    expect((await a.getChat(fromB.body.chat.chat_id)).body.chat.name).toBe(fromB.body.chat.name);

    // A default name stays within the 200-character name limit.
    const long = 'n'.repeat(200);
    const { chatId: longRoot, ids: longIds } = await a.chatWith(1, long);
    const lb = await a.createBranch({ chat_id: longRoot, response_id: longIds[0] });
    expect(lb.status).toBe(201);
    expect(lb.body.chat.name.length).toBeLessThanOrEqual(200);
    expect(lb.body.chat.name.length).toBeGreaterThan(0);
  });
});

describe('create-branch: response_id must be in the visible history', () => {
  test('pairs outside the chat’s visible history → 404 and nothing is created', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b = await a.branch(root, ids[1]!);
    const own = await a.add(b, 'b1');
    const sibling = await a.branch(root, ids[0]!);
    const siblingOwn = await a.add(sibling, 's1');
    const later = await a.add(root, 'q4');
    const { ids: otherChat } = await a.chatWith(1);
    const stranger = await newAccount(app);
    const { ids: strangerIds } = await stranger.chatWith(1);
    const before = (await a.getBranches(root)).body;

    const cases: [string, string, string][] = [
      ['pair of the parent after the fork point (existed before the fork)', b, ids[2]!],
      ['pair added to the parent after the fork', b, later],
      ['pair of a sibling branch', b, siblingOwn],
      ['own pair of a child, asked on the parent', root, own],
      ['pair of another conversation', b, otherChat[0]!],
      ['pair of another account', b, strangerIds[0]!],
      ['unknown id', b, crypto.randomUUID()],
    ];
    for (const [label, chatId, responseId] of cases) {
      const r = await a.createBranch({ chat_id: chatId, response_id: responseId });
      expect(r.status, label).toBe(404);
      expect(r.headers.get('content-type'), label).toContain('application/problem+json');
      // With a question too: the pair must not be written anywhere.
      const q = await a.createBranch({ chat_id: chatId, response_id: responseId, question: 'leak?' });
      expect(q.status, label).toBe(404);
    }

    const after = (await a.getBranches(root)).body;
    expect(after.count).toBe(before.count);
    expect(after.active_chat_id).toBe(before.active_chat_id);
    expect(await a.questions(b)).toEqual(['q1', 'q2', 'b1']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3', 'q4']);
  });

  test('another account’s chat → 404, a malformed response_id → 422', async () => {
    const a = await newAccount(app);
    const stranger = await newAccount(app);
    const { chatId: theirs, ids: theirIds } = await stranger.chatWith(1);
    const r = await a.createBranch({ chat_id: theirs, response_id: theirIds[0] });
    expect(r.status).toBe(404);
    expect((await stranger.getBranches(theirs)).body.count).toBe(1);

    const { chatId: mine } = await a.chatWith(1);
    const bad = await a.createBranch({ chat_id: mine, response_id: 'not-a-uuid' });
    expect(bad.status).toBe(422);
  });
});
