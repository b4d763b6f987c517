/**
 * Feedback on answers (PUT /api/v1/messages/set-feedback), on both content stores: thumbs up and down with and
 * without a comment, removal; the 422s (rating, comment length and text rules, a comment without a rating) and 404s
 * (unknown, another account's, a deleted chat's pair), all changing nothing; get-chat shows it on the pair in every
 * chat that shows the pair, at once through the cache (the page ETag changes); compare-branches' page pairs and tail
 * totals; the `pair.feedback` event; export (branchat JSON and ChatGPT) → import keeps it; fork-chat copies it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ReadThroughCache } from '../../src/cache/cache.js';
import { bunWebSocketHandler } from '../../src/http/events/events.ws.js';
import { appFor, testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
beforeAll(async () => {
  ({ app, services } = await testApp());
});

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function page(a: Client, chatId: string, query: Record<string, string | number> = {}) {
  const r = await a.getChat(chatId, { limit: 1000, ...query });
  expect(r.status).toBe(200);
  return r;
}

/** The feedback of each pair of a chat's visible history, by question. */
async function feedbackByQuestion(a: Client, chatId: string) {
  const r = await page(a, chatId);
  return Object.fromEntries(r.body.qa_pairs.map((p) => [p.question, p.feedback]));
}

async function set(a: Client, responseId: string, rating: unknown, comment?: unknown) {
  const r = await a.setFeedback(responseId, rating, comment);
  if (r.status !== 200) throw new Error(`set-feedback ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

describe('set-feedback', () => {
  test('thumbs up with a comment, down without, changed, removed: the answer and get-chat agree', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(3);
    const [r1, r2, r3] = ids as [string, string, string];

    const up = await set(a, r1, 'up', 'Clear and short.');
    expect(up.response_id).toBe(r1);
    expect(up.feedback).toMatchObject({ rating: 'up', comment: 'Clear and short.' });
    expect(up.feedback.updated_at).toMatch(ISO_MS);
    const down = await set(a, r2, 'down');
    expect(down.feedback).toMatchObject({ rating: 'down', comment: null });
    // "" is no comment.
    expect((await set(a, r3, 'up', '')).feedback.comment).toBeNull();

    const shown = (await page(a, chatId)).body.qa_pairs;
    expect(shown.map((p) => p.feedback)).toEqual([
      up.feedback,
      down.feedback,
      { rating: 'up', comment: null, updated_at: expect.stringMatching(ISO_MS) },
    ]);

    // Set again: replaced (one feedback per account and pair); a comment can go with a new rating.
    const changed = await set(a, r1, 'down', 'On second thought, too short.');
    expect(changed.feedback).toMatchObject({ rating: 'down', comment: 'On second thought, too short.' });
    expect(changed.feedback.updated_at >= up.feedback.updated_at).toBe(true);
    // null removes it, comment and all; removing what is not there is no error.
    expect(await set(a, r1, null)).toEqual({ response_id: r1, feedback: null });
    expect(await set(a, r1, null, null)).toEqual({ response_id: r1, feedback: null });
    expect((await feedbackByQuestion(a, chatId)).q1).toBeNull();
    expect((await feedbackByQuestion(a, chatId)).q2).toEqual(down.feedback);

    // Ids in any case are one pair (answered in lower case).
    expect((await set(a, r2.toUpperCase(), 'up')).response_id).toBe(r2);
    // A new pair carries no feedback, in its answer and on the page.
    const added = await a.addMessage(chatId, 'q4', 'a4');
    expect(added.body.feedback).toBeNull();
    expect((await feedbackByQuestion(a, chatId)).q4).toBeNull();
    // The chat itself did not change: rating an answer is no new content.
    const before = (await page(a, chatId)).body.chat;
    await set(a, r3, 'down');
    const after = (await page(a, chatId)).body.chat;
    expect(after.updated_at).toBe(before.updated_at);
    expect(after.message_count).toBe(4);
  });

  test('a cached get-chat shows the change at once: new ETag, the old one no longer 304', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const counters = () => (services.cache as ReadThroughCache).counters;
    const first = await page(a, chatId);
    const hits = counters().hit;
    const again = await page(a, chatId);
    expect(counters().hit, 'the second read is a cache hit: the cache is on').toBe(hits + 1);
    const tag = first.headers.get('ETag') as string;
    expect(again.headers.get('ETag')).toBe(tag);

    await set(a, ids[1] as string, 'up', 'Nice');
    const cond = await a.call('GET', '/api/v1/chats/get-chat', {
      query: { chat_id: chatId, limit: 1000 },
      headers: { 'If-None-Match': tag },
    });
    expect(cond.status).toBe(200);
    expect(cond.body.qa_pairs[1].feedback).toMatchObject({ rating: 'up', comment: 'Nice' });
    const tag2 = cond.headers.get('ETag') as string;
    expect(tag2).not.toBe(tag);
    const unchanged = await a.call('GET', '/api/v1/chats/get-chat', {
      query: { chat_id: chatId, limit: 1000 },
      headers: { 'If-None-Match': tag2 },
    });
    expect(unchanged.status).toBe(304);

    // Removed: the next read shows it gone, from the cache's point of view a new page again.
    await set(a, ids[1] as string, null);
    const gone = await page(a, chatId);
    expect(gone.body.qa_pairs[1].feedback).toBeNull();
    expect(gone.headers.get('ETag')).not.toBe(tag2);
  });

  test('bad input is a 422 and changes nothing', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1);
    const r1 = ids[0] as string;
    await set(a, r1, 'up', 'kept');
    const cases: [Record<string, unknown>, string][] = [
      [{ response_id: r1, rating: 'meh' }, 'rating'],
      [{ response_id: r1, rating: 1 }, 'rating'],
      [{ response_id: r1 }, 'rating'],
      [{ response_id: r1, rating: 'up', comment: 'x'.repeat(2001) }, 'comment'],
      [{ response_id: r1, rating: 'up', comment: '🙂'.repeat(1001) }, 'comment'], // 2,002 UTF-16 units
      [{ response_id: r1, rating: 'up', comment: 'nul \u0000 inside' }, 'comment'],
      [{ response_id: r1, rating: 'up', comment: 5 }, 'comment'],
      [{ response_id: r1, rating: null, comment: 'why not' }, 'comment'],
      [{ response_id: r1, rating: null, comment: '' }, 'comment'],
      [{ response_id: 'not-a-uuid', rating: 'up' }, 'response_id'],
      [{ response_id: r1, rating: 'up', extra: true }, ''],
    ];
    for (const [body, path] of cases) {
      const r = await a.call('PUT', '/api/v1/messages/set-feedback', { body });
      expectProblem(r, 422);
      if (path !== '') expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // At the limit: 2,000 units is fine.
    expect((await set(a, r1, 'down', '🙂'.repeat(1000))).feedback.comment).toHaveLength(2000);
    await set(a, r1, 'up', 'kept');
    expect((await feedbackByQuestion(a, chatId)).q1).toMatchObject({ rating: 'up', comment: 'kept' });
  });

  test('404 for a pair that does not exist, of another account, or whose chat was deleted; nothing changes', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const branch = await a.branch(chatId, ids[0] as string, { question: 'bq', response: 'ba' });
    const branchPair = (await page(a, branch)).body.qa_pairs[1].response_id as string;
    const missing = crypto.randomUUID();
    const normalize = (r: Awaited<ReturnType<Client['setFeedback']>>, id: string) => ({
      status: r.status,
      type: r.body.type,
      title: r.body.title,
      detail: String(r.body.detail).replaceAll(id, '<id>'),
    });
    const absent = await b.setFeedback(missing, 'up');
    expectProblem(absent, 404);
    const foreign = await b.setFeedback(ids[0] as string, 'up');
    expectProblem(foreign, 404);
    expect(normalize(foreign, ids[0] as string)).toEqual(normalize(absent, missing));

    await set(a, branchPair, 'up');
    expect((await a.deleteChat(branch)).status).toBe(200);
    expectProblem(await a.setFeedback(branchPair, 'down'), 404);
    expectProblem(await a.setFeedback(branchPair, null), 404);
    // The root's pairs are untouched by all of it.
    expect(await feedbackByQuestion(a, chatId)).toEqual({ q1: null, q2: null });
    // A whole conversation deleted: its pairs are gone too.
    await a.deleteChat(chatId);
    expectProblem(await a.setFeedback(ids[1] as string, 'up'), 404);
  });

  test('an inherited pair shows the same feedback in every chat that shows it', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const branch = await a.branch(chatId, ids[0] as string, { question: 'bq', response: 'ba' });
    const deeper = await a.branch(branch, ids[0] as string, { question: 'cq', response: 'ca' });
    // Read both first (cached), then rate the shared pair from its id alone.
    await page(a, branch);
    await page(a, deeper);
    const f = (await set(a, ids[0] as string, 'up', 'shared')).feedback;
    for (const c of [chatId, branch, deeper]) expect((await feedbackByQuestion(a, c)).q1).toEqual(f);
    // The branch's own pair is its own.
    const own = (await page(a, branch)).body.qa_pairs[1].response_id as string;
    await set(a, own, 'down');
    expect((await feedbackByQuestion(a, branch)).bq).toMatchObject({ rating: 'down' });
    expect(await feedbackByQuestion(a, chatId)).toEqual({ q1: f, q2: null });
  });

  test('compare-branches: the pages carry feedback; each tail counts its ups and downs over the whole tail', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(4); // q1..q4
    const branch = await a.branch(chatId, ids[0] as string, { question: 'b1', response: 'x' });
    const b2 = await a.add(branch, 'b2', 'y');
    const b3 = await a.add(branch, 'b3', 'z');
    await set(a, ids[0] as string, 'up'); // shared: counted in no tail
    await set(a, ids[1] as string, 'up');
    await set(a, ids[2] as string, 'down');
    await set(a, ids[3] as string, 'up', 'best');
    await set(a, b2, 'down');
    await set(a, b3, 'down');
    const cmp = await a.call('GET', '/api/v1/branches/compare-branches', {
      query: { chat_id: chatId, other_chat_id: branch, limit: 1 },
    });
    expect(cmp.status).toBe(200);
    expect(cmp.body.common_count).toBe(1);
    expect(cmp.body.last_shared.feedback).toMatchObject({ rating: 'up' });
    // Only one pair per page, but the totals cover the whole tail.
    expect(cmp.body.tails.chat.qa_pairs.map((p: any) => p.feedback?.rating)).toEqual(['up']);
    expect(cmp.body.tails.chat.totals).toMatchObject({ pairs: 3, feedback: { up: 2, down: 1 } });
    expect(cmp.body.tails.other.qa_pairs.map((p: any) => p.feedback)).toEqual([null]);
    expect(cmp.body.tails.other.totals).toMatchObject({ pairs: 3, feedback: { up: 0, down: 2 } });
    // A chat with itself: empty tails, nothing counted.
    const self = await a.call('GET', '/api/v1/branches/compare-branches', {
      query: { chat_id: chatId, other_chat_id: chatId },
    });
    expect(self.body.tails.chat.totals.feedback).toEqual({ up: 0, down: 0 });
    // Removing one changes the count.
    await set(a, b2, null);
    const again = await a.call('GET', '/api/v1/branches/compare-branches', {
      query: { chat_id: chatId, other_chat_id: branch },
    });
    expect(again.body.tails.other.totals.feedback).toEqual({ up: 0, down: 1 });
  });

  test('fork-chat copies the feedback to the copies (with the branches below too)', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const branch = await a.branch(chatId, ids[1] as string, { question: 'b1', response: 'x', activate: false });
    const bPair = (await page(a, branch)).body.qa_pairs[2].response_id as string;
    const f1 = (await set(a, ids[0] as string, 'up', 'first')).feedback;
    const fb = (await set(a, bPair, 'down')).feedback;

    const r = await a.forkChat({ chat_id: chatId, include_branches: true });
    expect(r.status).toBe(201);
    const copy = r.body.chat.chat_id;
    expect(await feedbackByQuestion(a, copy)).toEqual({ q1: f1, q2: null });
    const tree = await a.getBranches(copy);
    const copiedBranch = tree.body.tree.children[0].chat_id;
    expect(await feedbackByQuestion(a, copiedBranch)).toEqual({ q1: f1, q2: null, b1: fb });
    // The copies' feedback is their own: changing it leaves the originals alone.
    const copiedPair = (await page(a, copy)).body.qa_pairs[0].response_id as string;
    expect(copiedPair).not.toBe(ids[0]);
    await set(a, copiedPair, null);
    expect((await feedbackByQuestion(a, copy)).q1).toBeNull();
    expect((await feedbackByQuestion(a, chatId)).q1).toEqual(f1);
  });
});

describe('export and import keep the feedback', () => {
  /** A tree: root q1..q3, a branch after q1 (b1, b2), feedback on some answers of both. */
  async function rated(a: Client) {
    const { chatId, ids } = await a.chatWith(3, 'Rated');
    const branch = await a.branch(chatId, ids[0] as string, { name: 'B', question: 'b1', response: 'x' });
    const b2 = await a.add(branch, 'b2', 'y');
    const bPairs = (await page(a, branch)).body.qa_pairs;
    const want = {
      q1: (await set(a, ids[0] as string, 'up', 'Kept across the trip 🙂')).feedback,
      q3: (await set(a, ids[2] as string, 'down')).feedback,
      b1: (await set(a, bPairs[1].response_id, 'up')).feedback,
      b2: (await set(a, b2, 'down', 'too long')).feedback,
    };
    return { chatId, branch, want };
  }

  test('branchat JSON: every pair carries its feedback', async () => {
    const a = await newAccount(app);
    const { chatId, want } = await rated(a);
    const r = await a.call('GET', '/api/v1/chats/export-chat', { query: { chat_id: chatId, format: 'json' } });
    expect(r.status).toBe(200);
    const all = Object.fromEntries(
      r.body.chats.flatMap((c: any) => c.qa_pairs.map((p: any) => [p.question, p.feedback] as const)),
    );
    expect(all).toEqual({ q1: want.q1, q2: null, q3: want.q3, b1: want.b1, b2: want.b2 });
  });

  test('ChatGPT format: in the answer’s metadata.branchat.feedback; an import gives the new pairs the same', async () => {
    const a = await newAccount(app);
    const { chatId, branch, want } = await rated(a);
    const exported = await a.call('GET', '/api/v1/chats/export-chat', {
      query: { chat_id: chatId, format: 'chatgpt' },
    });
    expect(exported.status).toBe(200);
    const answers = Object.values<any>(exported.body.mapping).filter((n) => n.message?.author.role === 'assistant');
    const byAnswer = new Map(answers.map((n) => [n.message.content.parts[0], n.message.metadata.branchat.feedback]));
    expect(byAnswer.get('a1')).toEqual(want.q1);
    expect(byAnswer.get('a2')).toBeUndefined();
    expect(byAnswer.get('y')).toEqual(want.b2);
    // Questions carry none.
    for (const n of Object.values<any>(exported.body.mapping)) {
      if (n.message?.author.role === 'user') expect(n.message.metadata.branchat.feedback).toBeUndefined();
    }

    const imported = await a.call('POST', '/api/v1/chats/import-chat', { body: exported.body });
    expect(imported.status).toBe(201);
    const root = imported.body.conversations[0].root_chat_id as string;
    expect(root).not.toBe(chatId);
    expect(await feedbackByQuestion(a, root)).toEqual(await feedbackByQuestion(a, chatId));
    const tree = await a.getBranches(root);
    const newBranch = tree.body.tree.children[0].chat_id as string;
    expect(await feedbackByQuestion(a, newBranch)).toEqual({ q1: want.q1, b1: want.b1, b2: want.b2 });
    expect(await feedbackByQuestion(a, newBranch)).toEqual(await feedbackByQuestion(a, branch));
    // The new pairs' feedback is their own.
    const newPair = (await page(a, root)).body.qa_pairs[0].response_id as string;
    await set(a, newPair, 'down');
    expect((await feedbackByQuestion(a, chatId)).q1).toEqual(want.q1);
  });

  test('an import with feedback of its own: read, checked, moved into the time window', async () => {
    const a = await newAccount(app);
    const node = (id: string, role: string, text: string, parent: string | null, children: string[], meta = {}) => ({
      id,
      parent,
      children,
      message: {
        id,
        author: { role },
        create_time: 1764090184.5,
        content: { content_type: 'text', parts: [text] },
        metadata: meta,
      },
    });
    const conversation = (feedback: unknown) => ({
      title: 'Hand made',
      current_node: 'a',
      mapping: {
        r: { id: 'r', message: null, parent: null, children: ['q'] },
        q: node('q', 'user', 'hi', 'r', ['a']),
        a: node('a', 'assistant', 'hello', 'q', [], { branchat: { feedback } }),
      },
    });
    const ok = await a.call('POST', '/api/v1/chats/import-chat', {
      body: conversation({ rating: 'down', comment: 'meh' }),
    });
    expect(ok.status).toBe(201);
    const got = (await feedbackByQuestion(a, ok.body.conversations[0].root_chat_id)).hi;
    // No updated_at: the answer's time.
    expect(got).toEqual({ rating: 'down', comment: 'meh', updated_at: '2025-11-25T17:03:04.500Z' });
    // A time past the window's end is moved to it, with a note.
    const late = await a.call('POST', '/api/v1/chats/import-chat', {
      body: conversation({ rating: 'up', comment: null, updated_at: '2999-01-01T00:00:00.000Z' }),
    });
    expect(late.status).toBe(201);
    expect(late.body.notes.length).toBe(1);
    const moved = (await feedbackByQuestion(a, late.body.conversations[0].root_chat_id)).hi;
    expect(moved.rating).toBe('up');
    expect(Date.parse(moved.updated_at)).toBeLessThanOrEqual(Date.now() + 86_400_000);
    expect(Date.parse(moved.updated_at)).toBeGreaterThan(Date.now());

    const bad = await a.call('POST', '/api/v1/chats/import-chat', {
      body: [
        conversation({ rating: 'sideways' }),
        conversation({ rating: 'up', comment: 'x'.repeat(2001) }),
        conversation({ rating: 'up', updated_at: 'yesterday' }),
        conversation('up'),
      ],
    });
    expectProblem(bad, 422);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual([
      '[0].mapping.a.message.metadata.branchat.feedback.rating',
      '[1].mapping.a.message.metadata.branchat.feedback.comment',
      '[2].mapping.a.message.metadata.branchat.feedback.updated_at',
      '[3].mapping.a.message.metadata.branchat.feedback',
    ]);
  });
});

describe('the pair.feedback event', () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  beforeAll(async () => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: appFor(services, { events: true }).fetch,
      websocket: await bunWebSocketHandler(),
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  test('every chat’s followers get {response_id, chat_id, feedback}, set and removed, in order', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1);
    const branch = await a.branch(chatId, ids[0] as string, { question: 'bq', response: 'ba' });
    const frames: any[] = [];
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${a.token}`]);
    ws.onmessage = (m) => frames.push(JSON.parse(String(m.data)));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('socket failed to open'));
    });
    const until = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (frames.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} frames, got ${JSON.stringify(frames)}`);
        await Bun.sleep(20);
      }
      return frames;
    };
    // Following the tree through the branch: the root's pair is in it too.
    ws.send(JSON.stringify({ type: 'subscribe', chat_id: branch }));
    const subscribed = (await until(1))[0];
    expect(subscribed.type).toBe('subscribed');

    const set1 = await set(a, ids[0] as string, 'up', 'good');
    const set2 = await set(a, ids[0] as string, null);
    const events = (await until(3)).slice(1);
    expect(events.map((e) => [e.event, e.seq])).toEqual([
      ['pair.feedback', subscribed.seq + 1],
      ['pair.feedback', subscribed.seq + 2],
    ]);
    expect(events.map((e) => e.data)).toEqual([
      { ...set1, chat_id: chatId },
      { ...set2, chat_id: chatId },
    ]);
    // A refused call publishes nothing.
    expectProblem(await a.setFeedback(ids[0] as string, null, 'no'), 422);
    await a.add(chatId, 'after', 'x');
    const next = (await until(4))[3];
    expect(next.event).toBe('message.added');
    ws.close();
  });
});
