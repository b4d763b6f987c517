/**
 * Editing the first question and regenerating answers (docs/api.md, "Branches" and "Regenerate"), on both content
 * stores: start forks (create-branch with `response_id` null or absent), `start_branches` on get-chat, start forks
 * in get-branches, delete and search; regenerate of a first, a middle and a branch's first pair; default branch names
 * taken from the first question.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { QUESTION_NAME_MAX } from '../../src/domain/branches/branches.service.js';
import { localAnswer } from '../../src/responders/local.responder.js';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

async function startFork(a: Client, chatId: string, extra: Record<string, unknown> = {}) {
  const r = await a.createBranch({ chat_id: chatId, response_id: null, ...extra });
  expect(r.status).toBe(201);
  return r.body;
}

async function page(a: Client, chatId: string) {
  const r = await a.getChat(chatId, { limit: 1000 });
  expect(r.status).toBe(200);
  return r.body;
}

describe('start forks', () => {
  test('response_id null or absent forks before the first pair: an empty history under the root', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3, 'trip');
    const branch = await a.branch(root, ids[1] as string); // an ordinary branch, to fork from

    const viaNull = await startFork(a, root, { question: 'Where to in May?', response: 'Porto.' });
    const viaAbsent = await a.createBranch({ chat_id: branch }); // from any chat of the tree: still the root's start
    expect(viaAbsent.status).toBe(201);

    for (const created of [viaNull.chat, viaAbsent.body.chat]) {
      expect(created.parent_chat_id).toBe(root);
      expect(created.fork_response_id).toBeNull();
      expect(created.root_chat_id).toBe(root);
      expect(created.chat_type).toBe('branch');
    }
    expect(viaNull.chat.message_count).toBe(1);
    expect(viaNull.qa_pair?.chat_id).toBe(viaNull.chat.chat_id);
    expect(await a.questions(viaNull.chat.chat_id)).toEqual(['Where to in May?']);
    expect(await a.questions(viaAbsent.body.chat.chat_id)).toEqual([]);
    expect(viaAbsent.body.chat.message_count).toBe(0);

    // Its own pairs never show in the root, the root's never in it.
    await a.add(viaNull.chat.chat_id, 'And in June?', 'Lisbon.');
    expect(await a.questions(viaNull.chat.chat_id)).toEqual(['Where to in May?', 'And in June?']);
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3']);
  });

  test('get-chat lists the start forks on every chat of the tree, live ones only, oldest first', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const branch = await a.branch(root, ids[0] as string);
    expect((await page(a, root)).start_branches).toEqual([]);

    const s1 = (await startFork(a, root, { question: 'first, asked again' })).chat.chat_id;
    const s2 = (await startFork(a, branch, { question: 'and once more', activate: false })).chat.chat_id;
    for (const chat of [root, branch, s1, s2]) {
      expect((await page(a, chat)).start_branches).toEqual([s1, s2]);
    }
    // Whatever the page: a page that does not hold the first pair still says.
    const later = await a.getChat(root, { after: ids[0] as string, limit: 1 });
    expect(later.body.start_branches).toEqual([s1, s2]);
    // A pair's branches never list a start fork; the first pair's alternatives are the root and the start forks.
    const rootPage = await page(a, root);
    expect(rootPage.qa_pairs.flatMap((p) => p.branches)).toEqual([branch]);

    // The ETag moves with a new start fork (a tree write), so a revalidating client sees it.
    const tag = (await a.getChat(root)).headers.get('ETag') as string;
    const s3 = (await startFork(a, root, { activate: false })).chat.chat_id;
    const again = await a.call('GET', '/api/v1/chats/get-chat', {
      query: { chat_id: root },
      headers: { 'If-None-Match': tag },
    });
    expect(again.status).toBe(200);
    expect(again.body.start_branches).toEqual([s1, s2, s3]);

    // Deleted start forks leave the list; the active one falls back to the root.
    expect((await a.getBranches(root)).body.active_chat_id).toBe(s1);
    expect((await a.deleteChat(s1)).body.deleted_chat_ids).toEqual([s1]);
    expect((await page(a, root)).start_branches).toEqual([s2, s3]);
    expect((await a.getBranches(root)).body.active_chat_id).toBe(root);
  });

  test('get-branches shows start forks as children of the root, with their own branches below', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const before = await a.branch(root, ids[0] as string, { activate: false });
    const start = await startFork(a, root, { question: 'again', response: 'yes' });
    const below = await a.branch(start.chat.chat_id, start.qa_pair?.response_id as string, { question: 'deeper' });
    const t = (await a.getBranches(root)).body;
    expect(t.count).toBe(4);
    expect(t.tree.children.map((n) => [n.chat_id, n.fork_response_id])).toEqual([
      [before, ids[0]],
      [start.chat.chat_id, null],
    ]);
    const node = t.tree.children[1];
    expect(node.message_count).toBe(1);
    expect(node.children.map((n: { chat_id: string }) => n.chat_id)).toEqual([below]);
    expect(await a.questions(below)).toEqual(['again', 'deeper']);
    // Deleting the start fork takes its subtree.
    expect(new Set((await a.deleteChat(start.chat.chat_id)).body.deleted_chat_ids)).toEqual(
      new Set([start.chat.chat_id, below]),
    );
    expect((await a.getChat(below)).status).toBe(404);
  });

  test('search in a start fork sees only its own history; across chats, every chat', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(0);
    await a.add(root, 'papaya in the root', 'ok');
    const start = (await startFork(a, root, { question: 'papaya in the start fork', response: 'ok' })).chat.chat_id;
    const inStart = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'papaya', chat_id: start } });
    expect(inStart.status).toBe(200);
    expect(inStart.body.hits.map((h: { chat_id: string }) => h.chat_id)).toEqual([start]);
    const all = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'papaya' } });
    expect(new Set(all.body.hits.map((h: { chat_id: string }) => h.chat_id))).toEqual(new Set([root, start]));
  });

  test('a malformed response_id is 422; a pair outside the history is 404; another account sees nothing', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const { chatId: root } = await a.chatWith(1);
    const other = await b.chatWith(1);
    expectProblem(await a.createBranch({ chat_id: root, response_id: 'nope' }), 422);
    expectProblem(await a.createBranch({ chat_id: root, response_id: other.ids[0] }), 404);
    expectProblem(await b.createBranch({ chat_id: root, response_id: null }), 404);
    expect((await page(a, root)).start_branches).toEqual([]);
  });
});

describe('default branch names', () => {
  test('taken from the first question, on one line, shortened by code points with an ellipsis', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1, 'Holiday');
    const named = async (question: string | undefined) =>
      (
        await a.createBranch({
          chat_id: root,
          response_id: ids[0],
          ...(question === undefined ? {} : { question, response: 'r' }),
        })
      ).body.chat.name;

    expect(await named('  What about\n\tPorto?  ')).toBe('What about Porto?');
    // 70 emoji (2 UTF-16 units each): cut after 59 code points, never inside one.
    const emoji = await named('🙂'.repeat(70));
    expect([...emoji]).toHaveLength(QUESTION_NAME_MAX);
    expect(emoji).toBe(`${'🙂'.repeat(QUESTION_NAME_MAX - 1)}…`);
    expect(await named('x'.repeat(QUESTION_NAME_MAX))).toBe('x'.repeat(QUESTION_NAME_MAX));
    // No question (or a blank one): the source's name and the suffix, as before.
    expect(await named(undefined)).toBe('Holiday (branch)');
    expect(await named('   ')).toBe('Holiday (branch)');
    // A name given is kept.
    const r = await a.createBranch({ chat_id: root, response_id: ids[0], name: 'mine', question: 'q' });
    expect(r.body.chat.name).toBe('mine');
  });
});

describe('regenerate', () => {
  test('a middle pair: a branch after the pair before it, same question, new answer; the old pair untouched', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const r = await a.regenerate(ids[1] as string);
    expect(r.status).toBe(201);
    const { chat, qa_pair } = r.body;
    expect(chat.parent_chat_id).toBe(root);
    expect(chat.fork_response_id).toBe(ids[0]);
    expect(chat.active).toBe(true);
    expect(chat.name).toBe('q2');
    expect(qa_pair?.question).toBe('q2');
    expect(qa_pair?.response).toBe(localAnswer('q2'));
    expect(qa_pair?.generation?.model).toBe('branchat-local');
    expect(qa_pair?.response_id).not.toBe(ids[1]);
    expect(await a.questions(chat.chat_id)).toEqual(['q1', 'q2']);
    const rootPage = await page(a, root);
    expect(rootPage.qa_pairs.map((p) => [p.question, p.response])).toEqual([
      ['q1', 'a1'],
      ['q2', 'a2'],
      ['q3', 'a3'],
    ]);
    expect(rootPage.qa_pairs[0].branches).toEqual([chat.chat_id]);
    expect((await a.getBranches(root)).body.active_chat_id).toBe(chat.chat_id);
  });

  test('the first question of the tree: a start fork; of a branch: beside that branch', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const first = await a.regenerate(ids[0] as string, false);
    expect(first.status).toBe(201);
    expect(first.body.chat.active).toBe(false);
    expect(first.body.chat.parent_chat_id).toBe(root);
    expect(first.body.chat.fork_response_id).toBeNull();
    expect((await page(a, root)).start_branches).toEqual([first.body.chat.chat_id]);
    expect((await a.getBranches(root)).body.active_chat_id).toBe(root);

    // Regenerating the first answer of a start fork: another start fork.
    const again = await a.regenerate(first.body.qa_pair?.response_id as string);
    expect(again.body.chat.fork_response_id).toBeNull();
    expect((await page(a, root)).start_branches).toEqual([first.body.chat.chat_id, again.body.chat.chat_id]);

    // The first pair of an ordinary branch: a sibling of that branch (same fork).
    const b = await a.branch(root, ids[0] as string, { question: 'other q2', response: 'x' });
    const bPair = (await page(a, b)).qa_pairs[1];
    const sib = await a.regenerate(bPair.response_id);
    expect(sib.body.chat.parent_chat_id).toBe(root);
    expect(sib.body.chat.fork_response_id).toBe(ids[0]);
    expect(await a.questions(sib.body.chat.chat_id)).toEqual(['q1', 'other q2']);
    expect((await page(a, root)).qa_pairs[0].branches).toEqual([b, sib.body.chat.chat_id]);
  });

  test('an inherited pair is regenerated where it is stored; its kind is kept', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(1);
    const code = await a.call('POST', '/api/v1/messages/add-message', {
      body: { chat_id: root, question: 'sort it', response: 'x.sort()', type: 'code', language: 'python' },
    });
    expect(code.status).toBe(201);
    await a.add(root, 'q3', 'a3');
    const branch = await a.branch(root, code.body.response_id);
    // Seen from the branch, the code pair is inherited; the new branch still forks in the root.
    const r = await a.regenerate(code.body.response_id);
    expect(r.status).toBe(201);
    expect(r.body.chat.parent_chat_id).toBe(root);
    expect(r.body.qa_pair?.type).toBe('code');
    expect(r.body.qa_pair?.language).toBe('python');
    expect(await a.questions(branch)).toEqual(['q1', 'sort it']);
  });

  test('streams like add-message, replays with Idempotency-Key, 404 for pairs the account cannot see', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const { ids } = await a.chatWith(1);

    const streamed = await a.call('POST', '/api/v1/messages/regenerate', {
      body: { response_id: ids[0] },
      headers: { Accept: 'text/event-stream' },
    });
    expect(streamed.status).toBe(200);
    const text = String(streamed.body);
    const deltas = [...text.matchAll(/event: delta\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1] as string).text);
    const done = JSON.parse((/event: done\ndata: (.*)\n/.exec(text) as RegExpExecArray)[1] as string);
    expect(deltas.join('')).toBe(localAnswer('q1'));
    expect(done.qa_pair.response).toBe(localAnswer('q1'));
    expect(done.chat.fork_response_id).toBeNull();

    const key = { 'Idempotency-Key': `regen-${crypto.randomUUID()}` };
    const one = await a.call('POST', '/api/v1/messages/regenerate', { body: { response_id: ids[0] }, headers: key });
    const two = await a.call('POST', '/api/v1/messages/regenerate', { body: { response_id: ids[0] }, headers: key });
    expect(one.status).toBe(201);
    expect(two.body).toEqual(one.body);
    expect(two.headers.get('Idempotent-Replayed')).toBe('true');

    expectProblem(await b.regenerate(ids[0] as string), 404);
    expectProblem(await a.regenerate(crypto.randomUUID()), 404);
    expectProblem(await a.call('POST', '/api/v1/messages/regenerate', { body: { response_id: 'x' } }), 422);
    expectProblem(
      await a.call('POST', '/api/v1/messages/regenerate', { body: { response_id: ids[0], question: 'no' } }),
      422,
    );
    // Nothing else was created: the stream, the first keyed call, and no more.
    const root = (await a.listChats()).body.chats[0];
    expect(root.branch_count).toBe(2);
  });

  test('a deleted pair (its chat deleted) is 404', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const b = await a.branch(root, ids[0] as string, { question: 'q', response: 'r' });
    const pair = (await page(a, b)).qa_pairs[1];
    await a.deleteChat(b);
    expectProblem(await a.regenerate(pair.response_id), 404);
  });
});
