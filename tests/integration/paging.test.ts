/** get-chat paging (docs/api.md "Chats"): limit, after/before cursors, has_more flags, deep branches, ETag. */

import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';
import { expectProblem as expectProblemResponse } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

interface Pair {
  response_id: string;
  chat_id: string;
  question: string;
}

const qs = (r: { body: { qa_pairs: Pair[] } }) => r.body.qa_pairs.map((p) => p.question);
const flags = (r: { body: { has_more_before: boolean; has_more_after: boolean } }) => [
  r.body.has_more_before,
  r.body.has_more_after,
];

async function expectProblem(res: Promise<Res>, status: number) {
  const r = await res;
  expectProblemResponse(r, status);
  return r;
}

/**
 * Adds `n` pairs concurrently, in batches well below the connection pool size; their order is whatever the
 * service assigned.
 */
async function addMany(a: Client, chatId: string, n: number): Promise<void> {
  const batch = 4;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => a.add(chatId, `m${i + j + 1}`, `r${i + j + 1}`)),
    );
  }
}

describe('limit', () => {
  test('defaults to 200; 1000 is allowed; before=end uses the same default', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    await addMany(a, chatId, 205);

    const all = await a.getChat(chatId, { limit: 1000 });
    expect(all.status).toBe(200);
    expect(all.body.qa_pairs).toHaveLength(205);
    expect(flags(all)).toEqual([false, false]);
    expect(all.body.chat.message_count).toBe(205);
    const every = qs(all);
    expect(new Set(every).size).toBe(205);

    const first = await a.getChat(chatId);
    expect(first.status).toBe(200);
    expect(qs(first)).toEqual(every.slice(0, 200));
    expect(flags(first)).toEqual([false, true]);

    const last = await a.getChat(chatId, { before: 'end' });
    expect(qs(last)).toEqual(every.slice(5));
    expect(flags(last)).toEqual([true, false]);

    const rest = await a.getChat(chatId, { after: first.body.qa_pairs[199].response_id });
    expect(qs(rest)).toEqual(every.slice(200));
    expect(flags(rest)).toEqual([true, false]);
  }, 30_000);

  test('out of range or not a number → 422; the bounds 1 and 1000 are accepted', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(3);
    for (const limit of ['0', '1001', 'abc', '-1', '1.5', '']) {
      const r = await expectProblem(a.getChat(chatId, { limit }), 422);
      expect(Array.isArray(r.body.errors)).toBe(true);
    }
    // Also with a cursor: the limit is checked the same way.
    await expectProblem(a.getChat(chatId, { limit: 0, after: ids[0] }), 422);
    await expectProblem(a.getChat(chatId, { limit: 1001, before: 'end' }), 422);

    const one = await a.getChat(chatId, { limit: 1 });
    expect(one.status).toBe(200);
    expect(qs(one)).toEqual(['q1']);
    expect(flags(one)).toEqual([false, true]);
    const max = await a.getChat(chatId, { limit: 1000 });
    expect(max.status).toBe(200);
    expect(qs(max)).toEqual(['q1', 'q2', 'q3']);
  });
});

describe('cursors', () => {
  test('no cursor: the first `limit` pairs', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(5);
    const two = await a.getChat(chatId, { limit: 2 });
    expect(qs(two)).toEqual(['q1', 'q2']);
    expect(flags(two)).toEqual([false, true]);
    const exact = await a.getChat(chatId, { limit: 5 });
    expect(qs(exact)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(flags(exact)).toEqual([false, false]);
    const more = await a.getChat(chatId, { limit: 10 });
    expect(qs(more)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(flags(more)).toEqual([false, false]);
  });

  test('after=R: the pairs following R; an empty page after the last pair', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(6);
    let r = await a.getChat(chatId, { after: ids[1], limit: 2 });
    expect(r.status).toBe(200);
    expect(qs(r)).toEqual(['q3', 'q4']);
    expect(flags(r)).toEqual([true, true]);
    r = await a.getChat(chatId, { after: ids[3], limit: 2 });
    expect(qs(r)).toEqual(['q5', 'q6']);
    expect(flags(r)).toEqual([true, false]);
    r = await a.getChat(chatId, { after: ids[4], limit: 5 });
    expect(qs(r)).toEqual(['q6']);
    expect(flags(r)).toEqual([true, false]);
    r = await a.getChat(chatId, { after: ids[0] });
    expect(qs(r)).toEqual(['q2', 'q3', 'q4', 'q5', 'q6']);
    expect(flags(r)).toEqual([true, false]);
    // After the last pair: nothing, with everything before.
    r = await a.getChat(chatId, { after: ids[5], limit: 3 });
    expect(r.status).toBe(200);
    expect(r.body.qa_pairs).toEqual([]);
    expect(flags(r)).toEqual([true, false]);
    expect(r.body.chat.message_count).toBe(6);
  });

  test('before=R: the pairs just preceding R; an empty page before the first pair', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(6);
    let r = await a.getChat(chatId, { before: ids[4], limit: 2 });
    expect(qs(r)).toEqual(['q3', 'q4']);
    expect(flags(r)).toEqual([true, true]);
    r = await a.getChat(chatId, { before: ids[2], limit: 2 });
    expect(qs(r)).toEqual(['q1', 'q2']);
    expect(flags(r)).toEqual([false, true]);
    r = await a.getChat(chatId, { before: ids[2], limit: 5 });
    expect(qs(r)).toEqual(['q1', 'q2']);
    expect(flags(r)).toEqual([false, true]);
    r = await a.getChat(chatId, { before: ids[5] });
    expect(qs(r)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(flags(r)).toEqual([false, true]);
    // Before the first pair: nothing, with everything after.
    r = await a.getChat(chatId, { before: ids[0], limit: 3 });
    expect(r.status).toBe(200);
    expect(r.body.qa_pairs).toEqual([]);
    expect(flags(r)).toEqual([false, true]);
  });

  test('before=end: the last `limit` pairs, in ascending order', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(6);
    let r = await a.getChat(chatId, { before: 'end', limit: 2 });
    expect(qs(r)).toEqual(['q5', 'q6']);
    expect(flags(r)).toEqual([true, false]);
    r = await a.getChat(chatId, { before: 'end', limit: 6 });
    expect(qs(r)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
    expect(flags(r)).toEqual([false, false]);
    r = await a.getChat(chatId, { before: 'end', limit: 50 });
    expect(qs(r)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
    expect(flags(r)).toEqual([false, false]);
  });

  test('an empty chat: every page is empty with nothing before or after', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    for (const query of [{}, { before: 'end' }, { limit: 1 }, { before: 'end', limit: 1000 }]) {
      const r = await a.getChat(chatId, query);
      expect(r.status).toBe(200);
      expect(r.body.qa_pairs).toEqual([]);
      expect(flags(r)).toEqual([false, false]);
      expect(r.body.chat.message_count).toBe(0);
    }
    // A branch without own pairs forked at the first pair: pages end right after it.
    const { chatId: root, ids } = await a.chatWith(3);
    const b = await a.branch(root, ids[0]!);
    const r = await a.getChat(b, { after: ids[0] });
    expect(r.body.qa_pairs).toEqual([]);
    expect(flags(r)).toEqual([true, false]);
    const e = await a.getChat(b, { before: 'end', limit: 5 });
    expect(qs(e)).toEqual(['q1']);
    expect(flags(e)).toEqual([false, false]);
  });

  test('both after and before → 422', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(3);
    const r = await expectProblem(a.getChat(chatId, { after: ids[0], before: ids[2] }), 422);
    expect(Array.isArray(r.body.errors)).toBe(true);
    await expectProblem(a.getChat(chatId, { after: ids[0], before: 'end' }), 422);
  });

  test('R not in the visible history → 404; a malformed id → 422', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(4);
    const b = await a.branch(root, ids[1]!);
    const own = await a.add(b, 'b1');
    const sibling = await a.branch(root, ids[1]!);
    const siblingOwn = await a.add(sibling, 's1');
    const later = await a.add(root, 'q5');
    const { ids: other } = await a.chatWith(1);
    const stranger = await newAccount(app);
    const { chatId: theirs, ids: theirIds } = await stranger.chatWith(1);

    const invisible: [string, string, string][] = [
      ['parent pair past the fork point', b, ids[2]!],
      ['parent pair added after the fork', b, later],
      ['sibling branch pair', b, siblingOwn],
      ['child branch pair asked on the parent', root, own],
      ['pair of another conversation', root, other[0]!],
      ['pair of another account', root, theirIds[0]!],
      ['unknown id', root, crypto.randomUUID()],
    ];
    for (const [label, chatId, r] of invisible) {
      for (const key of ['after', 'before']) {
        const res = await a.getChat(chatId, { [key]: r });
        expect(res.status, `${label} (${key})`).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    // Inherited pairs are visible: they work as cursors in the branch.
    const inherited = await a.getChat(b, { after: ids[0] });
    expect(qs(inherited)).toEqual(['q2', 'b1']);

    for (const query of [
      { after: 'abc' },
      { before: 'xyz' },
      { before: 'END' },
      { after: 'end' },
      { after: `${ids[0]}x` },
    ]) {
      await expectProblem(a.getChat(root, query), 422);
    }
    await expectProblem(a.getChat('not-a-uuid'), 422);
    // Unknown, foreign chats → 404.
    await expectProblem(a.getChat(crypto.randomUUID()), 404);
    await expectProblem(a.getChat(theirs), 404);
  });
});

describe('pages across inherited segments', () => {
  test('walking a depth-3 branch forwards and backwards yields exactly its history, in order', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids: r } = await a.chatWith(5, 'root');
    const b1 = await a.branch(root, r[2]!);
    const b1Ids: string[] = [];
    for (const q of ['b1', 'b2', 'b3', 'b4']) b1Ids.push(await a.add(b1, q));
    const b2 = await a.branch(b1, b1Ids[1]!);
    const b2Ids: string[] = [];
    for (const q of ['c1', 'c2', 'c3']) b2Ids.push(await a.add(b2, q));
    const b3 = await a.branch(b2, b2Ids[1]!);
    for (const q of ['d1', 'd2', 'd3', 'd4']) await a.add(b3, q);
    // Noise after every fork, at every level: must never show up in b3.
    await a.add(root, 'r6');
    await a.add(b1, 'b5');
    await a.add(b2, 'c4');

    const expected = ['q1', 'q2', 'q3', 'b1', 'b2', 'c1', 'c2', 'd1', 'd2', 'd3', 'd4'];
    const whole = await a.getChat(b3, { limit: 1000 });
    expect(qs(whole)).toEqual(expected);
    expect(whole.body.chat.message_count).toBe(expected.length);
    const owners = whole.body.qa_pairs.map((p: Pair) => p.chat_id);
    expect(owners).toEqual([root, root, root, b1, b1, b2, b2, b3, b3, b3, b3]);
    const fullIds: string[] = whole.body.qa_pairs.map((p: Pair) => p.response_id);

    for (const limit of [1, 2, 3, 4, 5, 10, 11, 12]) {
      // Forwards: no cursor, then after=<last of the page>.
      const forward: Pair[] = [];
      let page = await a.getChat(b3, { limit });
      let n = 0;
      for (;;) {
        expect(page.status).toBe(200);
        expect(page.body.qa_pairs.length).toBeLessThanOrEqual(limit);
        expect(page.body.has_more_before).toBe(forward.length > 0);
        forward.push(...page.body.qa_pairs);
        expect(page.body.has_more_after).toBe(forward.length < expected.length);
        if (!page.body.has_more_after) break;
        expect(page.body.qa_pairs).toHaveLength(limit);
        expect(++n).toBeLessThan(20);
        page = await a.getChat(b3, { limit, after: forward[forward.length - 1]!.response_id });
      }
      expect(forward.map((p) => p.question)).toEqual(expected);
      expect(forward.map((p) => p.response_id)).toEqual(fullIds);

      // Backwards: before=end, then before=<first of the page>.
      const pages: Pair[][] = [];
      let seen = 0;
      page = await a.getChat(b3, { limit, before: 'end' });
      n = 0;
      for (;;) {
        expect(page.status).toBe(200);
        expect(page.body.qa_pairs.length).toBeLessThanOrEqual(limit);
        expect(page.body.has_more_after).toBe(seen > 0);
        pages.unshift(page.body.qa_pairs);
        seen += page.body.qa_pairs.length;
        expect(page.body.has_more_before).toBe(seen < expected.length);
        if (!page.body.has_more_before) break;
        expect(page.body.qa_pairs).toHaveLength(limit);
        expect(++n).toBeLessThan(20);
        page = await a.getChat(b3, { limit, before: page.body.qa_pairs[0].response_id });
      }
      const backward = pages.flat();
      expect(backward.map((p) => p.question)).toEqual(expected);
      expect(backward.map((p) => p.response_id)).toEqual(fullIds);
    }

    // Windows straddling segment boundaries, with inherited cursors.
    let w = await a.getChat(b3, { after: r[1], limit: 3 });
    expect(qs(w)).toEqual(['q3', 'b1', 'b2']);
    expect(flags(w)).toEqual([true, true]);
    w = await a.getChat(b3, { before: fullIds[7], limit: 3 });
    expect(qs(w)).toEqual(['b2', 'c1', 'c2']);
    expect(flags(w)).toEqual([true, true]);
    w = await a.getChat(b3, { after: b1Ids[1], limit: 100 });
    expect(qs(w)).toEqual(['c1', 'c2', 'd1', 'd2', 'd3', 'd4']);
    expect(flags(w)).toEqual([true, false]);
    w = await a.getChat(b3, { before: b2Ids[0], limit: 100 });
    expect(qs(w)).toEqual(['q1', 'q2', 'q3', 'b1', 'b2']);
    expect(flags(w)).toEqual([false, true]);
    // The fork pairs themselves are valid cursors; pairs cut off by the forks are not.
    w = await a.getChat(b3, { after: b2Ids[1], limit: 2 });
    expect(qs(w)).toEqual(['d1', 'd2']);
    expect((await a.getChat(b3, { after: b2Ids[2] })).status).toBe(404);
    expect((await a.getChat(b3, { before: b1Ids[2] })).status).toBe(404);
    expect((await a.getChat(b3, { after: r[3] })).status).toBe(404);
  }, 30_000);
});

describe('ETag', () => {
  test('get-chat sends an ETag that is stable while the chat is unchanged and changes when it changes', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const r1 = await a.getChat(chatId);
    const tag = r1.headers.get('etag');
    expect(tag).toBeTruthy();
    expect(tag).toMatch(/^(W\/)?".+"$/);
    // Not tied to the page asked for.
    const r2 = await a.getChat(chatId, { limit: 1, after: ids[0] });
    expect(r2.headers.get('etag')).toBe(tag);
    // A new pair changes the chat (message_count, updated_at), hence its ETag.
    await a.add(chatId, 'q3');
    const r3 = await a.getChat(chatId);
    expect(r3.headers.get('etag')).toBeTruthy();
    expect(r3.headers.get('etag')).not.toBe(tag);
    // Branches have their own ETag.
    const b = await a.branch(chatId, ids[0]!);
    const rb = await a.getChat(b);
    expect(rb.headers.get('etag')).toBeTruthy();
    expect(rb.headers.get('etag')).not.toBe(r3.headers.get('etag'));
  });

  test('If-None-Match: 304 with no body while the page is unchanged; any write in the tree makes it 200 again', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2);
    const first = await a.getChat(chatId);
    const tag = first.headers.get('etag')!;
    const cond = (value: string, query: Record<string, string> = {}) =>
      a.call('GET', '/api/v1/chats/get-chat', {
        query: { chat_id: chatId, ...query },
        headers: { 'If-None-Match': value },
      });

    for (const value of [tag, `W/${tag}`, `"other", ${tag}`, '*']) {
      const r = await cond(value);
      expect(r.status).toBe(304);
      expect(r.body).toBeNull();
      expect(r.headers.get('etag')).toBe(tag);
    }
    for (const value of ['"other"', tag.slice(1, -1), 'garbage,,', '""']) {
      const r = await cond(value);
      expect(r.status).toBe(200);
      expect(r.body.qa_pairs).toHaveLength(2);
    }

    // A branch forked at a visible pair changes that pair's `branches`, though not the chat itself: 200, new tag.
    const b = await a.branch(chatId, ids[0]!, { activate: false });
    const changed = await cond(tag);
    expect(changed.status).toBe(200);
    expect(changed.body.qa_pairs[0].branches).toEqual([b]);
    const tag2 = changed.headers.get('etag')!;
    expect(tag2).not.toBe(tag);
    expect((await cond(tag2)).status).toBe(304);

    // A write to another chat of the tree changes it too (every write moves the tree's version).
    await a.add(b, 'in the branch');
    expect((await cond(tag2)).status).toBe(200);

    // Another account's chat, or a missing one, is 404 whatever If-None-Match says.
    const stranger = await newAccount(app);
    const foreign = await stranger.call('GET', '/api/v1/chats/get-chat', {
      query: { chat_id: chatId },
      headers: { 'If-None-Match': '*' },
    });
    expect(foreign.status).toBe(404);
  });

  test('update-chat takes get-chat’s tag in If-Match: only the chat’s own fields count, not the tree’s version', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1, 'named');
    const tag = (await a.getChat(chatId)).headers.get('etag')!;
    // A branch elsewhere in the tree changes the page's tag but not the chat: the rename still applies.
    await a.branch(chatId, ids[0]!, { activate: false });
    expect((await a.getChat(chatId)).headers.get('etag')).not.toBe(tag);
    const r = await a.updateChat(chatId, 'renamed', { 'If-Match': tag });
    expect(r.status).toBe(200);
    // Now the chat changed: the old tag is stale.
    expect((await a.updateChat(chatId, 'again', { 'If-Match': tag })).status).toBe(412);
    // A tag with a non-numeric version part is no tag of this chat.
    const base = tag.slice(1, tag.lastIndexOf('.'));
    const fresh = (await a.getChat(chatId)).headers.get('etag')!;
    const freshBase = fresh.slice(1, fresh.lastIndexOf('.'));
    expect(base).not.toBe(freshBase);
    expect((await a.updateChat(chatId, 'x', { 'If-Match': `"${freshBase}.v1"` })).status).toBe(412);
    expect((await a.updateChat(chatId, 'y', { 'If-Match': `"${freshBase}"` })).status).toBe(200);
  });
});
