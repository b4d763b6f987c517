/**
 * Share links (docs/api.md, "Shares"), on both content stores: create-share (frozen and live), the public read
 * (no token) and what it shows after later writes, paging like get-chat, headers, validation and the per-client
 * read limit. Dead links, other accounts, what a page leaks and the token at rest: share-privacy.test.ts.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { appFor, testApp } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';
import { createShare, listShares, type Query, questions, readShare, shownShare } from '../support/shares.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
let anon: Client;
beforeAll(async () => {
  ({ app, services } = await testApp());
  anon = new Client(app);
});

type Account = Awaited<ReturnType<typeof newAccount>>;

const share = createShare;
const read = (token: string, query: Query = {}, through: Client = anon) => readShare(through, token, query);
const shown = (token: string, query: Query = {}) => shownShare(anon, token, query);

/** A root with three pairs and a branch after the second with one pair of its own. */
async function world(a: Account) {
  const { chatId: root, ids } = await a.chatWith(3, 'Trip ideas');
  const branch = await a.branch(root, ids[1] as string, { name: 'May instead', question: 'bq1', response: 'ba1' });
  return { root, ids, branch };
}

describe('create-share', () => {
  test('answers 201 with a 256-bit token, the demo URL and the frozen length; no-store', async () => {
    const a = await newAccount(app);
    const { branch } = await world(a);
    const r = await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: branch } });
    expect(r.status).toBe(201);
    expect(r.headers.get('Cache-Control')).toBe('no-store');
    expect(Object.keys(r.body).sort()).toEqual(
      [
        'chat_id',
        'created_at',
        'expires_at',
        'include_system_prompt',
        'live',
        'pair_count',
        'share_id',
        'token',
        'url',
      ].sort(),
    );
    expect(r.body).toMatchObject({ chat_id: branch, live: false, include_system_prompt: false, pair_count: 3 });
    expect(r.body.expires_at).toBeNull();
    expect(r.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(r.body.token, 'base64url')).toHaveLength(32);
    expect(r.body.url).toBe(`http://localhost/app/s/${r.body.token}`);

    const live = await share(a, { chat_id: branch, live: true, expires_in_seconds: 3600 });
    expect(live.pair_count).toBeNull();
    expect(live.token).not.toBe(r.body.token);
    const expires = new Date(live.expires_at).getTime() - new Date(live.created_at).getTime();
    expect(expires).toBe(3_600_000);
  });

  test('PUBLIC_URL gives the origin of the link', async () => {
    const other = appFor(services, { publicUrl: 'https://chat.example.org' });
    const a = await newAccount(other);
    const { chatId } = await a.chatWith(1);
    const s = await share(a, { chat_id: chatId });
    expect(s.url).toBe(`https://chat.example.org/app/s/${s.token}`);
  });

  test('a chat that is missing, deleted or another account’s → 404, and nothing is made', async () => {
    const [a, b] = [await newAccount(app), await newAccount(app)];
    const { chatId } = await b.chatWith(1);
    expectProblem(await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: chatId } }), 404);
    expectProblem(await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: crypto.randomUUID() } }), 404);
    const mine = await a.chatWith(1);
    await a.deleteChat(mine.chatId);
    expectProblem(await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: mine.chatId } }), 404);
    expect((await listShares(a)).body.shares).toEqual([]);
  });

  test('bad input → 422 (expiry bounds, unknown fields, types); an Idempotency-Key → 422; nothing made', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    for (const body of [
      { chat_id: chatId, expires_in_seconds: 59 },
      { chat_id: chatId, expires_in_seconds: 31_536_001 },
      { chat_id: chatId, expires_in_seconds: 60.5 },
      { chat_id: chatId, live: 'yes' },
      { chat_id: chatId, token: 'mine' },
      { chat_id: 'not-a-uuid' },
      {},
    ]) {
      expectProblem(await a.call('POST', '/api/v1/shares/create-share', { body }), 422);
    }
    const keyed = await a.call('POST', '/api/v1/shares/create-share', {
      body: { chat_id: chatId },
      headers: { 'Idempotency-Key': 'k1' },
    });
    expectProblem(keyed, 422);
    expect(keyed.body.errors[0].path).toBe('Idempotency-Key');
    expect((await listShares(a)).body.shares).toEqual([]);
    const edges = [
      await share(a, { chat_id: chatId, expires_in_seconds: 60 }),
      await share(a, { chat_id: chatId, expires_in_seconds: 31_536_000 }),
    ];
    expect(edges.map((s) => s.expires_at === null)).toEqual([false, false]);
  });
});

describe('the public read', () => {
  test('a frozen share keeps what it showed; a live one follows the chat (pairs and name)', async () => {
    const a = await newAccount(app);
    const { root, branch } = await world(a);
    const frozen = await share(a, { chat_id: branch });
    const live = await share(a, { chat_id: branch, live: true });

    const before = await shown(frozen.token);
    expect(questions(before)).toEqual(['q1', 'q2', 'bq1']);
    expect(before.share).toEqual({
      name: 'May instead',
      live: false,
      created_at: frozen.created_at,
      expires_at: null,
      system_prompt: null,
    });
    expect(before.has_more_before).toBe(false);
    expect(before.has_more_after).toBe(false);
    expect(questions(await shown(live.token))).toEqual(['q1', 'q2', 'bq1']);

    // Writes: a pair in the branch, a rename of it, a pair in the root after the fork, a branch of the branch.
    await a.add(branch, 'bq2', 'ba2');
    expect((await a.updateChat(branch, 'Renamed')).status).toBe(200);
    await a.add(root, 'q4', 'a4');
    const firstOfBranch = (await a.getChat(branch)).body.qa_pairs[2].response_id;
    await a.branch(branch, firstOfBranch, { question: 'sub', response: 'x' });

    const after = await shown(frozen.token);
    expect(after).toEqual(before);
    const now = await shown(live.token);
    expect(questions(now)).toEqual(['q1', 'q2', 'bq1', 'bq2']);
    expect(now.share.name).toBe('Renamed');
    expect(now.share.live).toBe(true);
    // The frozen share's pairs are the very pairs the owner sees in those positions.
    const owner = (await a.getChat(branch, { limit: 1000 })).body.qa_pairs;
    expect(after.qa_pairs.map((p: any) => p.response_id)).toEqual(owner.slice(0, 3).map((p: any) => p.response_id));
  });

  test('a frozen share of an empty chat stays empty', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0, 'empty');
    const s = await share(a, { chat_id: chatId });
    expect(s.pair_count).toBe(0);
    await a.add(chatId, 'later', 'x');
    const body = await shown(s.token);
    expect(body.qa_pairs).toEqual([]);
    expect(body.has_more_before).toBe(false);
    expect(body.has_more_after).toBe(false);
    expect(await shown(s.token, { before: 'end' })).toEqual(body);
  });

  test('pages like get-chat, within the frozen length', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(5);
    const s = await share(a, { chat_id: chatId });
    const later = [await a.add(chatId, 'q6', 'a6'), await a.add(chatId, 'q7', 'a7')];

    const first = await shown(s.token, { limit: 2 });
    expect(questions(first)).toEqual(['q1', 'q2']);
    expect([first.has_more_before, first.has_more_after]).toEqual([false, true]);
    const second = await shown(s.token, { limit: 2, after: first.qa_pairs[1].response_id });
    expect(questions(second)).toEqual(['q3', 'q4']);
    const third = await shown(s.token, { limit: 2, after: second.qa_pairs[1].response_id });
    expect(questions(third)).toEqual(['q5']);
    expect([third.has_more_before, third.has_more_after]).toEqual([true, false]);
    const end = await shown(s.token, { limit: 2, before: 'end' });
    expect(questions(end)).toEqual(['q4', 'q5']);
    const back = await shown(s.token, { limit: 3, before: ids[3] as string });
    expect(questions(back)).toEqual(['q1', 'q2', 'q3']);
    const afterLast = await shown(s.token, { after: ids[4] as string });
    expect(afterLast.qa_pairs).toEqual([]);
    expect([afterLast.has_more_before, afterLast.has_more_after]).toEqual([true, false]);

    // Pairs past the frozen length, and pairs of other chats, are outside the shared history.
    for (const cursor of [...later, crypto.randomUUID()]) {
      const r = await read(s.token, { after: cursor });
      expectProblem(r, 404);
      expect(r.body.detail).not.toContain(chatId);
    }
    // The same rules as get-chat for the query.
    const bad: Record<string, string | number>[] = [
      { limit: 0 },
      { limit: 201 },
      { limit: '1e2' },
      { after: ids[0] as string, before: 'end' },
    ];
    for (const q of bad) expectProblem(await read(s.token, q), 422);
    expectProblem(await read(s.token, { chat_id: chatId }), 422);
  });

  test('code and link pairs keep their language and URL', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    for (const body of [
      { chat_id: chatId, question: 'rust?', response: 'fn main() {}', type: 'code', language: 'rust' },
      { chat_id: chatId, question: 'guide?', response: 'this', type: 'link', url: 'https://example.org/guide' },
    ]) {
      expect((await a.call('POST', '/api/v1/messages/add-message', { body })).status).toBe(201);
    }
    const s = await share(a, { chat_id: chatId, live: true });
    const pairs = (await shown(s.token)).qa_pairs;
    expect(pairs.map((p: any) => [p.type, p.language, p.url])).toEqual([
      ['code', 'rust', undefined],
      ['link', undefined, 'https://example.org/guide'],
    ]);
  });

  test('every answer: Cache-Control no-store and Referrer-Policy no-referrer; a token sent is ignored', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const s = await share(a, { chat_id: chatId });
    for (const r of [await read(s.token), await read('nope'), await read(s.token, { limit: 0 })]) {
      expect(r.headers.get('Cache-Control')).toBe('no-store');
      expect(r.headers.get('Referrer-Policy')).toBe('no-referrer');
    }
    const withToken = await a.call('GET', `/api/v1/public/shares/${s.token}`);
    const forged = await anon.call('GET', `/api/v1/public/shares/${s.token}`, {
      headers: { Authorization: 'Bearer x.y.z' },
    });
    expect(withToken.status).toBe(200);
    expect(forged.status).toBe(200);
    expect(forged.body).toEqual(withToken.body);
  });
});

describe('the read limit per client', () => {
  test('PUBLIC_SHARE_RATE reads per client per window, 404s counted; then 429 with Retry-After, no-store', async () => {
    const limited = appFor(services, { publicShares: { maxPerWindow: 3, windowSeconds: 60 } });
    const a = await newAccount(limited);
    const { chatId } = await a.chatWith(1);
    const s = await share(a, { chat_id: chatId });
    const through = new Client(limited);
    expect((await read('unknown', {}, through)).status).toBe(404);
    expect((await read(s.token, {}, through)).status).toBe(200);
    expect((await read(s.token, {}, through)).status).toBe(200);
    const over = await read(s.token, {}, through);
    expectProblem(over, 429);
    expect(Number(over.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(over.headers.get('Cache-Control')).toBe('no-store');
    // The owner's own routes are not on this budget.
    expect((await listShares(a)).status).toBe(200);
  });
});
