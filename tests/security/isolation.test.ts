/**
 * Account isolation (BOLA): another account's chats and pairs answer 404 on every route, exactly like ids
 * that do not exist (never 403, never data), and nothing of the owner's changes.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
let app: App;
beforeAll(async () => {
  ({ app } = await testApp());
});

const SECRET = 'a-private-question-of-account-a';

interface World {
  a: Client;
  b: Client;
  aRoot: string;
  aIds: string[];
  aBranch: string;
  aBranchPair: string;
  bRoot: string;
  bIds: string[];
}

/** A owns a root with two pairs (one of them secret) and an inactive branch with its own pair; B owns one chat. */
async function world(): Promise<World> {
  const [a, b] = await Promise.all([newAccount(app), newAccount(app)]);
  const { chatId: aRoot, ids: aIds } = await a.chatWith(1, 'A root');
  aIds.push(await a.add(aRoot, SECRET, 'a private answer'));
  const r = await a.createBranch({
    chat_id: aRoot,
    response_id: aIds[0],
    name: 'A branch',
    question: 'branch q',
    response: 'branch a',
    activate: false,
  });
  expect(r.status).toBe(201);
  const { chatId: bRoot, ids: bIds } = await b.chatWith(1, 'B root');
  return { a, b, aRoot, aIds, aBranch: r.body.chat.chat_id, aBranchPair: r.body.qa_pair.response_id, bRoot, bIds };
}

/** Everything A can observe about its own data. */
async function snapshot(w: World) {
  const { a } = w;
  const [root, branch, tree, list] = await Promise.all([
    a.getChat(w.aRoot, { limit: 1000 }),
    a.getChat(w.aBranch, { limit: 1000 }),
    a.getBranches(w.aRoot),
    a.listChats(),
  ]);
  for (const r of [root, branch, tree, list]) expect(r.status).toBe(200);
  return {
    root: root.body,
    rootEtag: root.headers.get('ETag'),
    branch: branch.body,
    tree: tree.body,
    list: list.body,
  };
}

function expectHidden(r: Res, w: World) {
  expect(r.status).toBe(404);
  expect(r.headers.get('Content-Type')).toStartWith('application/problem+json');
  expect(r.body.status).toBe(404);
  expect(r.body.instance).toBe(r.headers.get('X-Request-Id'));
  const text = JSON.stringify(r.body);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('A root');
  expect(text).not.toContain('A branch');
  expect(text).not.toContain(w.a.accountId as string);
}

describe('account B on account A’s resources', () => {
  test('every chat route answers 404 for A’s chats and pairs, and A’s data is unchanged', async () => {
    const w = await world();
    const { b } = w;
    const before = await snapshot(w);

    for (const chat of [w.aRoot, w.aBranch]) {
      expectHidden(await b.getChat(chat), w);
      expectHidden(await b.getChat(chat, { before: 'end' }), w);
      expectHidden(await b.updateChat(chat, 'pwned by B'), w);
      expectHidden(await b.updateChat(chat, 'pwned by B', { 'If-Match': '*' }), w);
      expectHidden(await b.addMessage(chat, 'injected by B', 'x'), w);
      expectHidden(await b.addMessage(chat, 'injected by B'), w);
      expectHidden(await b.getBranches(chat), w);
      expectHidden(await b.setActive(chat), w);
      expectHidden(await b.deleteChat(chat), w);
    }

    // create-branch: A's chat with A's pair, B's chat with A's pair, A's chat with B's pair.
    for (const [chat, pair] of [
      [w.aRoot, w.aIds[0]],
      [w.aRoot, w.aIds[1]],
      [w.aBranch, w.aBranchPair],
      [w.bRoot, w.aIds[0]],
      [w.bRoot, w.aBranchPair],
      [w.aRoot, w.bIds[0]],
      [w.aBranch, w.bIds[0]],
    ] as [string, string][]) {
      expectHidden(await b.createBranch({ chat_id: chat, response_id: pair }), w);
      expectHidden(
        await b.createBranch({ chat_id: chat, response_id: pair, question: 'via B', response: 'r', activate: true }),
        w,
      );
    }

    // get-chat on B's own chat with A's pair as the cursor; set-feedback on A's pairs (A sees no feedback after).
    for (const pair of [...w.aIds, w.aBranchPair]) {
      expectHidden(await b.getChat(w.bRoot, { after: pair }), w);
      expectHidden(await b.getChat(w.bRoot, { before: pair }), w);
      expectHidden(await b.setFeedback(pair, 'down', 'B was here'), w);
      expectHidden(await b.setFeedback(pair, null), w);
    }

    // B's own chat is intact and holds nothing of A's.
    const own = await b.getChat(w.bRoot, { limit: 1000 });
    expect(own.status).toBe(200);
    expect(own.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['q1']);
    expect(own.body.qa_pairs[0].branches).toEqual([]);
    const bTree = await b.getBranches(w.bRoot);
    expect(bTree.body.count).toBe(1);
    expect(bTree.body.active_chat_id).toBe(w.bRoot);

    // A sees exactly what it saw before: same names, pairs, branches, flags, timestamps and ETag.
    const after = await snapshot(w);
    expect(after).toEqual(before);
    expect(after.root.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['q1', SECRET]);
    expect(after.tree.count).toBe(2);
    expect(after.tree.active_chat_id).toBe(w.aRoot);
  });

  test('404 for A’s chat is indistinguishable from 404 for an id that does not exist', async () => {
    const w = await world();
    const missing = crypto.randomUUID();
    const normalize = (r: Res, id: string) => ({
      status: r.status,
      type: r.body.type,
      title: r.body.title,
      detail: String(r.body.detail).replaceAll(id, '<id>'),
      keys: Object.keys(r.body).sort(),
    });
    const pairs: [(id: string) => Promise<Res>, string][] = [
      [(id) => w.b.getChat(id), 'get-chat'],
      [(id) => w.b.updateChat(id, 'n'), 'update-chat'],
      [(id) => w.b.deleteChat(id), 'delete-chat'],
      [(id) => w.b.addMessage(id, 'q', 'r'), 'add-message'],
      [(id) => w.b.getBranches(id), 'get-branches'],
      [(id) => w.b.setActive(id), 'set-active-branch'],
    ];
    for (const [call] of pairs) {
      const foreign = await call(w.aBranch);
      const absent = await call(missing);
      expect(normalize(foreign, w.aBranch)).toEqual(normalize(absent, missing));
    }
    // A foreign pair as a fork point looks like a pair that does not exist.
    const foreignPair = await w.b.createBranch({ chat_id: w.bRoot, response_id: w.aIds[1] });
    const absentPair = await w.b.createBranch({ chat_id: w.bRoot, response_id: missing });
    expect(normalize(foreignPair, w.aIds[1] as string)).toEqual(normalize(absentPair, missing));
    // Rating a foreign pair looks like rating a pair that does not exist.
    const foreignRating = await w.b.setFeedback(w.aIds[1] as string, 'up');
    const absentRating = await w.b.setFeedback(missing, 'up');
    expect(normalize(foreignRating, w.aIds[1] as string)).toEqual(normalize(absentRating, missing));
    const foreignCursor = await w.b.getChat(w.bRoot, { after: w.aIds[1] });
    const absentCursor = await w.b.getChat(w.bRoot, { after: missing });
    expect(normalize(foreignCursor, w.aIds[1] as string)).toEqual(normalize(absentCursor, missing));
  });

  test('list-chats shows only the caller’s own conversations', async () => {
    const w = await world();
    const second = await w.b.createChat('B second');
    const aList = await w.a.listChats();
    const bList = await w.b.listChats();
    expect(aList.body.chats.map((c: { chat_id: string }) => c.chat_id)).toEqual([w.aRoot]);
    expect(new Set(bList.body.chats.map((c: { chat_id: string }) => c.chat_id))).toEqual(
      new Set([w.bRoot, second.body.chat_id]),
    );
    for (const c of bList.body.chats) expect(c.account_id).toBe(w.b.accountId);
    expect(aList.body.chats[0]).toMatchObject({ account_id: w.a.accountId, branch_count: 1 });
    expect(JSON.stringify(bList.body)).not.toContain(w.aRoot);
    expect(JSON.stringify(bList.body)).not.toContain('A root');
    // A cursor from A's listing does not open A's list for B.
    const c = await w.a.createChat('A second');
    expect(c.status).toBe(201);
    const page1 = await w.a.listChats({ limit: 1 });
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const viaCursor = await w.b.listChats({ cursor: page1.body.next_cursor });
    if (viaCursor.status === 200) {
      for (const x of viaCursor.body.chats) expect(x.account_id).toBe(w.b.accountId);
    } else {
      expect(viaCursor.status).toBe(422);
    }
  });

  test('A’s branches never show up in B’s pairs, and B’s never in A’s', async () => {
    const w = await world();
    const bBranch = await w.b.branch(w.bRoot, w.bIds[0] as string);
    const aPage = await w.a.getChat(w.aRoot);
    expect(aPage.body.qa_pairs.map((p: { branches: string[] }) => p.branches)).toEqual([[w.aBranch], []]);
    const bPage = await w.b.getChat(w.bRoot);
    expect(bPage.body.qa_pairs.map((p: { branches: string[] }) => p.branches)).toEqual([[bBranch]]);
    // B deleting its own branch leaves A's tree alone.
    expect((await w.b.deleteChat(bBranch)).status).toBe(200);
    expect((await w.a.getBranches(w.aRoot)).body.count).toBe(2);
  });
});
