/**
 * compare-branches and usage totals, on both content stores: the common prefix of two chats' histories (inherited
 * pairs, siblings, nested branches, start forks, a chat and its ancestor, a chat and itself), each tail paged with
 * `limit`/`after`/`other_after` and its totals over the whole tail (tokens of generated answers only), 404 and 422;
 * get-chat's `chat.usage` and every get-branches node's `usage` checked against the pairs' `generation`; and the
 * content stores' usage queries themselves, with null counts.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import type { PairRecord } from '../../src/domain/model.js';
import type { ContentStore } from '../../src/domain/ports.js';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let content: ContentStore;
beforeAll(async () => {
  const t = await testApp();
  app = t.app;
  content = t.services.deps.content;
});

const COMPARE = '/api/v1/branches/compare-branches';

type Pair = {
  response_id: string;
  chat_id: string;
  question: string;
  generation: any;
  branches: string[];
  feedback: any;
};

function compare(a: Client, chatId: string, otherChatId: string, extra: Record<string, string | number> = {}) {
  return a.call('GET', COMPARE, { query: { chat_id: chatId, other_chat_id: otherChatId, ...extra } });
}

/** A comparison that must succeed, with both tails read whole (one page each: limit 1000). */
async function compared(a: Client, chatId: string, otherChatId: string) {
  const r = await compare(a, chatId, otherChatId, { limit: 1000 });
  expect(r.status).toBe(200);
  expect(r.body.chat_id).toBe(chatId);
  expect(r.body.other_chat_id).toBe(otherChatId);
  for (const side of ['chat', 'other'] as const) {
    expect(r.body.tails[side].has_more_after).toBe(false);
    expect(r.body.tails[side].next_after).toBeNull();
  }
  return {
    common: r.body.common_count as number,
    last: r.body.last_shared as Pair | null,
    chat: (r.body.tails.chat.qa_pairs as Pair[]).map((p) => p.question),
    other: (r.body.tails.other.qa_pairs as Pair[]).map((p) => p.question),
    totals: { chat: r.body.tails.chat.totals, other: r.body.tails.other.totals },
    body: r.body,
  };
}

/** A chat's whole visible history as get-chat shows it, with the chat object (usage included). */
async function history(a: Client, chatId: string): Promise<{ chat: any; pairs: Pair[] }> {
  const r = await a.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: chatId, limit: 1000 } });
  expect(r.status).toBe(200);
  return { chat: r.body.chat, pairs: r.body.qa_pairs };
}

/** The sums usage must show: tokens of generated answers (null generation or null count: 0). */
function sumsOf(pairs: Pair[]) {
  let prompt = 0;
  let completion = 0;
  for (const p of pairs) {
    prompt += p.generation?.prompt_tokens ?? 0;
    completion += p.generation?.completion_tokens ?? 0;
  }
  return { prompt_tokens: prompt, completion_tokens: completion };
}

/** The feedback counts a tail's totals must show: its answers rated up and down. */
function ratingsOf(pairs: Pair[]) {
  return {
    up: pairs.filter((p) => p.feedback?.rating === 'up').length,
    down: pairs.filter((p) => p.feedback?.rating === 'down').length,
  };
}

/** Checks the comparison against the two histories as get-chat shows them (the prefix compared pair by pair). */
async function checkAgainstHistories(a: Client, chatId: string, otherChatId: string) {
  const [h1, h2] = [(await history(a, chatId)).pairs, (await history(a, otherChatId)).pairs];
  let common = 0;
  while (common < h1.length && common < h2.length && h1[common]?.response_id === h2[common]?.response_id) common++;
  const c = await compared(a, chatId, otherChatId);
  expect(c.common).toBe(common);
  expect(c.last).toEqual(common > 0 ? (h1[common - 1] as Pair) : null);
  expect(c.body.tails.chat.qa_pairs).toEqual(h1.slice(common));
  expect(c.body.tails.other.qa_pairs).toEqual(h2.slice(common));
  expect(c.totals.chat).toEqual({
    pairs: h1.length - common,
    ...sumsOf(h1.slice(common)),
    feedback: ratingsOf(h1.slice(common)),
  });
  expect(c.totals.other).toEqual({
    pairs: h2.length - common,
    ...sumsOf(h2.slice(common)),
    feedback: ratingsOf(h2.slice(common)),
  });
  return c;
}

describe('compare-branches: the common prefix', () => {
  test('inherited pairs: a nested branch against the root and against its parent', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4);
    const b1 = await a.branch(root, ids[1] as string, { question: 'b1 first', response: 'x' });
    await a.add(b1, 'b1 second', 'y');
    const b1First = (await history(a, b1)).pairs[2] as Pair;
    const b2 = await a.branch(b1, b1First.response_id, { question: 'b2 first', response: 'z' });

    const vsRoot = await compared(a, b2, root);
    expect([vsRoot.common, vsRoot.last?.question, vsRoot.chat, vsRoot.other]).toEqual([
      2,
      'q2',
      ['b1 first', 'b2 first'],
      ['q3', 'q4'],
    ]);
    expect(vsRoot.last?.chat_id).toBe(root);
    expect(vsRoot.last?.branches).toEqual([b1]);

    // b2 forks inside b1: they share b1's first pair (stored in b1, the chat that holds it), then part.
    const vsParent = await compared(a, b2, b1);
    expect([vsParent.common, vsParent.last?.question, vsParent.chat, vsParent.other]).toEqual([
      3,
      'b1 first',
      ['b2 first'],
      ['b1 second'],
    ]);
    expect(vsParent.last?.chat_id).toBe(b1);
    expect(vsParent.last?.branches).toEqual([b2]);
    await checkAgainstHistories(a, b2, root);
    await checkAgainstHistories(a, b1, b2);
  });

  test('sibling branches forking after one pair share the history up to it; swapping the chats swaps the tails', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const s1 = await a.branch(root, ids[1] as string, { question: 's1', response: 'r' });
    const s2 = await a.branch(root, ids[1] as string, { question: 's2', response: 'r' });
    const c = await compared(a, s1, s2);
    expect([c.common, c.last?.response_id, c.chat, c.other]).toEqual([2, ids[1], ['s1'], ['s2']]);
    expect(c.last?.branches).toEqual([s1, s2]);
    const swapped = await compared(a, s2, s1);
    expect([swapped.common, swapped.chat, swapped.other]).toEqual([2, ['s2'], ['s1']]);
    // Siblings forking at different pairs of the same parent part at the earlier fork.
    const s3 = await a.branch(root, ids[0] as string, { question: 's3', response: 'r' });
    const c3 = await checkAgainstHistories(a, s3, s1);
    expect([c3.common, c3.chat, c3.other]).toEqual([1, ['s3'], ['q2', 's1']]);
  });

  test('start forks share nothing with the root, with each other, or with the root’s branches', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const f1 = (await a.createBranch({ chat_id: root, response_id: null, question: 'f1 q', response: 'r' })).body.chat
      .chat_id as string;
    const f2 = (await a.createBranch({ chat_id: root, response_id: null })).body.chat.chat_id as string;
    const b = await a.branch(root, ids[0] as string, { question: 'b', response: 'r' });

    const vsRoot = await compared(a, f1, root);
    expect([vsRoot.common, vsRoot.last, vsRoot.chat, vsRoot.other]).toEqual([0, null, ['f1 q'], ['q1', 'q2']]);
    expect(vsRoot.totals.other.pairs).toBe(2);
    const empty = await compared(a, f2, f1);
    expect([empty.common, empty.chat, empty.other]).toEqual([0, [], ['f1 q']]);
    expect((await compared(a, f1, b)).common).toBe(0);

    // A branch of a start fork shares that fork's history up to its fork point.
    await a.add(f1, 'f1 second', 'r');
    const f1First = (await history(a, f1)).pairs[0] as Pair;
    const t = await a.branch(f1, f1First.response_id, { question: 't', response: 'r' });
    const c = await checkAgainstHistories(a, t, f1);
    expect([c.common, c.last?.question, c.chat, c.other]).toEqual([1, 'f1 q', ['t'], ['f1 second']]);
    expect((await compared(a, t, root)).common).toBe(0);
  });

  test('a chat and its ancestor: the ancestor’s tail is empty when the branch forks at its last pair', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b = await a.branch(root, ids[2] as string, { question: 'b1', response: 'r' });
    await a.add(b, 'b2', 'r');
    const c = await compared(a, root, b);
    expect([c.common, c.last?.response_id, c.chat, c.other]).toEqual([3, ids[2], [], ['b1', 'b2']]);
    expect(c.totals.chat).toEqual({ pairs: 0, prompt_tokens: 0, completion_tokens: 0, feedback: { up: 0, down: 0 } });
    expect(c.totals.other.pairs).toBe(2);
    // An empty branch at the last pair: both tails empty, the whole history shared.
    const e = await a.branch(root, ids[2] as string);
    const ce = await compared(a, e, root);
    expect([ce.common, ce.chat, ce.other]).toEqual([3, [], []]);
  });

  test('a chat compared with itself: its whole history in common, empty tails (and an empty chat: nothing)', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b = await a.branch(root, ids[0] as string, { question: 'b', response: 'r' });
    const self = await compared(a, b, b);
    expect([self.common, self.last?.question, self.chat, self.other]).toEqual([2, 'b', [], []]);
    const { chatId: empty } = await a.chatWith(0);
    const none = await compared(a, empty, empty);
    expect([none.common, none.last, none.chat, none.other]).toEqual([0, null, [], []]);
  });
});

describe('compare-branches: paging and totals', () => {
  test('each tail pages with limit and its own cursor; totals cover the whole tail on every page', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(6);
    const b = await a.branch(root, ids[0] as string, { question: 'b1', response: 'r' });
    for (let i = 2; i <= 7; i++) await a.add(b, `b${i}`, 'r');
    // b's tail: b1..b7 (7 pairs); root's tail: q2..q6 (5 pairs). Each is paged with its own cursor while the other
    // stays on its first page.
    const pageThrough = async (side: 'chat' | 'other') => {
      const cursor = side === 'chat' ? 'after' : 'other_after';
      const pages: string[][] = [];
      let at: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await compare(a, b, root, { limit: 3, ...(at ? { [cursor]: at } : {}) });
        expect(r.status).toBe(200);
        expect(r.body.common_count).toBe(1);
        expect([r.body.tails.chat.totals.pairs, r.body.tails.other.totals.pairs]).toEqual([7, 5]);
        const still = side === 'chat' ? r.body.tails.other : r.body.tails.chat;
        expect(still.qa_pairs.map((p: Pair) => p.question)).toEqual(
          side === 'chat' ? ['q2', 'q3', 'q4'] : ['b1', 'b2', 'b3'],
        );
        const t = r.body.tails[side];
        pages.push(t.qa_pairs.map((p: Pair) => p.question));
        expect(t.next_after).toBe(t.has_more_after ? t.qa_pairs.at(-1).response_id : null);
        if (!t.has_more_after) break;
        at = t.next_after;
      }
      return pages;
    };
    expect(await pageThrough('chat')).toEqual([['b1', 'b2', 'b3'], ['b4', 'b5', 'b6'], ['b7']]);
    expect(await pageThrough('other')).toEqual([
      ['q2', 'q3', 'q4'],
      ['q5', 'q6'],
    ]);

    // The page after the tail's last pair: empty, nothing more.
    const lastB = (await history(a, b)).pairs.at(-1) as Pair;
    const end = await compare(a, b, root, { after: lastB.response_id });
    expect(end.status).toBe(200);
    expect(end.body.tails.chat).toMatchObject({ qa_pairs: [], has_more_after: false, next_after: null });
    expect(end.body.tails.other.qa_pairs.map((p: Pair) => p.question)).toEqual(['q2', 'q3', 'q4', 'q5', 'q6']);
    // other_after pages the other tail: after q5, only q6.
    const q5 = ids[4] as string;
    const r = await compare(a, b, root, { other_after: q5, limit: 1 });
    expect(r.body.tails.other).toMatchObject({ has_more_after: false, next_after: null });
    expect(r.body.tails.other.qa_pairs.map((p: Pair) => p.question)).toEqual(['q6']);
    expect(r.body.tails.chat.qa_pairs.map((p: Pair) => p.question)).toEqual(['b1']);
    expect(r.body.tails.chat.has_more_after).toBe(true);
  });

  test('a cursor must be a pair of its own tail (else 404); limit outside 1..1000 → 422', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const b = await a.branch(root, ids[1] as string, { question: 'b', response: 'r' });
    const bOwn = (await history(a, b)).pairs[2] as Pair;
    for (const [name, value] of [
      ['after', ids[0]], // in the common prefix
      ['after', ids[2]], // in the other tail
      ['other_after', bOwn.response_id], // in the other tail
      ['after', crypto.randomUUID()], // nowhere
    ] as const) {
      expectProblem(await compare(a, b, root, { [name]: value as string }), 404);
    }
    expect((await compare(a, b, root, { after: bOwn.response_id, other_after: ids[2] as string })).status).toBe(200);
    for (const limit of [0, 1001, 'x']) expectProblem(await compare(a, b, root, { limit }), 422);
  });

  test('totals count the tokens of generated answers only (the local responder records them)', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(1);
    const generated = await a.addMessage(root, 'Where should we go in March?');
    expect(generated.status).toBe(201);
    expect(generated.body.generation.prompt_tokens).toBeGreaterThan(0);
    const b = await a.branch(root, generated.body.response_id, { question: 'And in April?' }); // generated too
    const given = await a.add(b, 'given', 'a given answer');
    await a.add(b, 'And in May?');
    const june = await a.add(root, 'And in June?');
    // Feedback on both tails and on the shared pair (counted in neither tail).
    for (const [id, rating] of [
      [given, 'up'],
      [june, 'down'],
      [generated.body.response_id, 'up'],
    ] as const) {
      expect((await a.setFeedback(id, rating)).status).toBe(200);
    }

    const c = await checkAgainstHistories(a, b, root);
    expect([c.totals.chat.feedback, c.totals.other.feedback]).toEqual([
      { up: 1, down: 0 },
      { up: 0, down: 1 },
    ]);
    expect(c.common).toBe(2);
    expect(c.totals.chat.pairs).toBe(3);
    expect(c.totals.chat.prompt_tokens).toBeGreaterThan(0);
    expect(c.totals.chat.completion_tokens).toBeGreaterThan(0);
    expect(c.totals.other.pairs).toBe(1);
    // Totals hold for the whole tail whatever the page.
    const small = await compare(a, b, root, { limit: 1 });
    expect(small.body.tails.chat.totals).toEqual(c.totals.chat);
    expect(small.body.tails.other.totals).toEqual(c.totals.other);
  });
});

describe('compare-branches: errors', () => {
  test('unknown, deleted or another account’s chats → 404; chats of different trees → 422 on other_chat_id', async () => {
    const a = await newAccount(app);
    const other = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const b = await a.branch(root, ids[0] as string);
    const gone = await a.branch(root, ids[1] as string);
    await a.deleteChat(gone);
    const { chatId: foreign } = await other.chatWith(1);
    const { chatId: elsewhere } = await a.chatWith(1);

    for (const [x, y] of [
      [crypto.randomUUID(), root],
      [root, crypto.randomUUID()],
      [root, gone],
      [gone, root],
      [root, foreign],
      [foreign, root],
    ] as const) {
      expectProblem(await compare(a, x, y), 404);
    }
    const r = await compare(a, b, elsewhere);
    expectProblem(r, 422);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(['other_chat_id']);
    expectProblem(await a.call('GET', COMPARE, { query: { chat_id: root } }), 422);
    expectProblem(await compare(a, root, 'not-a-uuid'), 422);
    expectProblem(await compare(a, root, root, { no_such: 1 }), 422);
    expectProblem(await a.call('GET', COMPARE, { query: { chat_id: root, other_chat_id: root }, token: null }), 401);
  });
});

describe('usage totals on get-chat and get-branches', () => {
  test('each chat’s usage is the sum over its whole visible history, on every page, and in every tree node', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(1); // a given answer: no tokens
    const g1 = await a.add(root, 'Where should we go in March?'); // generated
    await a.add(root, 'Somewhere warm?');
    const b = await a.branch(root, g1, { question: 'And in April?' });
    await a.add(b, 'given', 'a given answer');
    const bPairs = (await history(a, b)).pairs;
    const nested = await a.branch(b, (bPairs[2] as Pair).response_id, { question: 'Nested?' });
    const start = (await a.createBranch({ chat_id: root, response_id: null, question: 'Start over?' })).body.chat
      .chat_id as string;
    const empty = (await a.createBranch({ chat_id: root, response_id: null })).body.chat.chat_id as string;

    const expected = new Map<string, { prompt_tokens: number; completion_tokens: number }>();
    for (const id of [root, b, nested, start, empty]) {
      const h = await history(a, id);
      const sums = sumsOf(h.pairs);
      expect(h.chat.usage).toEqual(sums);
      expected.set(id, sums);
      // The same on a page that shows little of the history.
      const page = await a.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: id, limit: 1, before: 'end' } });
      expect(page.body.chat.usage).toEqual(sums);
    }
    expect(expected.get(root)?.prompt_tokens).toBeGreaterThan(0);
    expect(expected.get(nested)?.completion_tokens).toBeGreaterThan(expected.get(b)?.completion_tokens as number);
    expect(expected.get(empty)).toEqual({ prompt_tokens: 0, completion_tokens: 0 });

    const tree = await a.call('GET', '/api/v1/branches/get-branches', { query: { chat_id: nested } });
    expect(tree.status).toBe(200);
    const nodes: any[] = [];
    const walk = (n: any) => {
      nodes.push(n);
      for (const c of n.children) walk(c);
    };
    walk(tree.body.tree);
    expect(nodes.map((n) => n.chat_id).sort()).toEqual([...expected.keys()].sort());
    for (const n of nodes)
      expect({ id: n.chat_id, usage: n.usage }).toEqual({ id: n.chat_id, usage: expected.get(n.chat_id) });

    // A new generated answer in b changes b's usage only (nested forked before it, the root does not see it).
    await a.add(b, 'One more?');
    const after = sumsOf((await history(a, b)).pairs);
    expect(after.prompt_tokens).toBeGreaterThan(expected.get(b)?.prompt_tokens as number);
    expect((await history(a, b)).chat.usage).toEqual(after);
    const tree2 = await a.call('GET', '/api/v1/branches/get-branches', { query: { chat_id: root } });
    const bNode = tree2.body.tree.children.find((n: any) => n.chat_id === b);
    expect(bNode.usage).toEqual(after);
    expect(bNode.children[0].usage).toEqual(expected.get(nested));
    expect(tree2.body.tree.usage).toEqual(expected.get(root));
  });
});

describe('content store usage queries', () => {
  const generation = (prompt: number | null, completion: number | null) => ({
    model: 'm',
    promptTokens: prompt,
    completionTokens: completion,
    latencyMs: null,
  });
  function pair(accountId: string, chatId: string, seq: number, g: PairRecord['generation']): PairRecord {
    return {
      responseId: crypto.randomUUID(),
      chatId,
      accountId,
      seq,
      question: `q${seq}`,
      response: `a${seq}`,
      type: 'text',
      language: null,
      url: null,
      timestamp: new Date(),
      generation: g,
    };
  }

  test('sums over ranges and prefix sums, null generations and null counts adding 0, other accounts never', async () => {
    const account = crypto.randomUUID();
    const [x, y, z] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await content.appendMany(
      [
        pair(account, x, 1, generation(10, 1)),
        pair(account, x, 2, null),
        pair(account, x, 3, generation(null, 5)),
        pair(account, x, 4, generation(100, null)),
        pair(account, y, 1, generation(1000, 1000)),
        pair(crypto.randomUUID(), z, 1, generation(7, 7)), // another account's
      ],
      1,
    );
    const u = (p: number, c: number) => ({ promptTokens: p, completionTokens: c });
    expect(await content.usage(account, [])).toEqual(u(0, 0));
    expect(await content.usage(account, [{ chatId: x, fromSeq: 1, toSeq: 4 }])).toEqual(u(110, 6));
    expect(await content.usage(account, [{ chatId: x, fromSeq: 2, toSeq: 3 }])).toEqual(u(0, 5));
    expect(
      await content.usage(account, [
        { chatId: x, fromSeq: 1, toSeq: 1 },
        { chatId: y, fromSeq: 1, toSeq: 1 },
        { chatId: z, fromSeq: 1, toSeq: 1 },
      ]),
    ).toEqual(u(1010, 1001));
    expect(
      await content.usagePrefixes(account, [
        { chatId: x, seq: 3 },
        { chatId: y, seq: 1 },
        { chatId: x, seq: 1 },
        { chatId: x, seq: 4 },
        { chatId: z, seq: 1 },
        { chatId: x, seq: 2 },
        { chatId: y, seq: 0 },
      ]),
    ).toEqual([u(10, 6), u(1000, 1000), u(10, 1), u(110, 6), u(0, 0), u(10, 1), u(0, 0)]);
    expect(await content.usagePrefixes(account, [])).toEqual([]);
  });
});
