/**
 * Share links (docs/api.md, "Shares"), on both content stores: create-share (frozen and live), the public read
 * (no token) and what it shows after later writes, paging like get-chat, expiry, revocation, deleted chats, the one
 * 404 for every dead link, other accounts, what a public page leaks (nothing of the account: every field walked),
 * the token at rest (only its SHA-256), headers, validation and the per-client read limit.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { pgDb } from '../../src/stores/pg-tx.js';
import { appFor, testApp } from '../support/app.js';
import { Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
let anon: Client;
beforeAll(async () => {
  ({ app, services } = await testApp());
  anon = new Client(app);
});

type Account = Awaited<ReturnType<typeof newAccount>>;

async function share(a: Client, body: Record<string, unknown>) {
  const r = await a.call('POST', '/api/v1/shares/create-share', { body });
  if (r.status !== 201) throw new Error(`create-share ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The public read, with no Authorization header. */
function read(token: string, query: Record<string, string | number> = {}, through: Client = anon): Promise<Res> {
  return through.call('GET', `/api/v1/public/shares/${encodeURIComponent(token)}`, { query, token: null });
}

async function shown(token: string, query: Record<string, string | number> = {}) {
  const r = await read(token, query);
  if (r.status !== 200) throw new Error(`public read ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const questions = (body: any) => body.qa_pairs.map((p: any) => p.question);

function listShares(a: Client, query: Record<string, string | number> = {}) {
  return a.call('GET', '/api/v1/shares/list-shares', { query });
}

function revoke(a: Client, shareId: string) {
  return a.call('DELETE', '/api/v1/shares/delete-share', { query: { share_id: shareId } });
}

const db = () => pgDb(services.orm);

/** A problem without its request id (which differs per request): what must be identical for every dead link. */
const sameness = (r: Res) => {
  const { instance: _i, ...rest } = r.body;
  return { status: r.status, type: r.headers.get('Content-Type'), body: rest };
};

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
      { limit: 1001 },
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

describe('dead links: one and the same 404', () => {
  test('unknown, revoked, expired, deleted chat, deleted ancestor, deleted tree: identical problems', async () => {
    const a = await newAccount(app);
    const { root, branch } = await world(a);
    const ids = (await a.getChat(branch)).body.qa_pairs.map((p: any) => p.response_id);
    const sub = await a.branch(branch, ids[2], { question: 'deeper', response: 'x' });
    const [toRevoke, toExpire, ofBranch, ofSub, ofRoot] = [
      await share(a, { chat_id: root }),
      await share(a, { chat_id: root, live: true, expires_in_seconds: 60 }),
      await share(a, { chat_id: branch }),
      await share(a, { chat_id: sub, live: true }),
      await share(a, { chat_id: root, live: true }),
    ];
    for (const s of [toRevoke, toExpire, ofBranch, ofSub, ofRoot]) expect((await read(s.token)).status).toBe(200);

    const revoked = await revoke(a, toRevoke.share_id);
    expect(revoked.status).toBe(200);
    expect(revoked.body.share_id).toBe(toRevoke.share_id);
    expect(Number.isNaN(Date.parse(revoked.body.revoked_at))).toBe(false);
    await sql`update shares set expires_at = now() - interval '1 second' where share_id = ${toExpire.share_id}`.execute(
      db(),
    );
    // Deleting the branch deletes its subtree: both shares end; the root's live ones do not.
    expect((await a.deleteChat(branch)).status).toBe(200);
    expect((await read(ofRoot.token)).status).toBe(200);

    const dead = [
      await read(toRevoke.token),
      await read(toExpire.token),
      await read(ofBranch.token),
      await read(ofSub.token),
      await read('x'.repeat(43)),
      await read(`${ofRoot.token.slice(0, -1)}${ofRoot.token.endsWith('A') ? 'B' : 'A'}`),
      await read('short'),
    ];
    for (const r of dead) expectProblem(r, 404);
    const expected = sameness(dead[0] as Res);
    for (const r of dead) expect(sameness(r)).toEqual(expected);

    // Deleting the tree ends the root's shares too.
    expect((await a.deleteChat(root)).status).toBe(200);
    expect(sameness(await read(ofRoot.token))).toEqual(expected);
    expect((await listShares(a)).body.shares).toEqual([]);
  });

  test('list-shares: unrevoked shares of live chats, newest first, expired flagged; paged', async () => {
    const a = await newAccount(app);
    const { root, branch } = await world(a);
    const made = [
      await share(a, { chat_id: root }),
      await share(a, { chat_id: branch, live: true, include_system_prompt: true }),
      await share(a, { chat_id: root, expires_in_seconds: 120 }),
      await share(a, { chat_id: branch }),
    ];
    await sql`update shares set expires_at = now() - interval '1 second' where share_id = ${made[2].share_id}`.execute(
      db(),
    );
    const all = await listShares(a);
    expect(all.status).toBe(200);
    expect(all.body.shares.map((s: any) => s.share_id)).toEqual([...made].reverse().map((s) => s.share_id));
    expect(all.body.shares.map((s: any) => s.expired)).toEqual([false, true, false, false]);
    expect(all.body.next_cursor).toBeNull();
    for (const s of all.body.shares) {
      expect(Object.keys(s).sort()).toEqual(
        [
          'chat_id',
          'created_at',
          'expired',
          'expires_at',
          'include_system_prompt',
          'live',
          'pair_count',
          'share_id',
        ].sort(),
      );
      const created = made.find((m) => m.share_id === s.share_id);
      const { token: _t, url: _u, ...fields } = created;
      // (The expired one's expiry was moved into the past by hand.)
      const moved = s.share_id === made[2].share_id ? { expires_at: undefined } : {};
      expect({ ...s, expired: undefined, ...moved }).toEqual({ ...fields, expired: undefined, ...moved });
    }
    const ofRoot = await listShares(a, { chat_id: root });
    expect(ofRoot.body.shares.map((s: any) => s.share_id)).toEqual([made[2].share_id, made[0].share_id]);

    const p1 = await listShares(a, { limit: 3 });
    expect(p1.body.shares).toHaveLength(3);
    const p2 = await listShares(a, { limit: 3, cursor: p1.body.next_cursor });
    expect(p2.body.shares.map((s: any) => s.share_id)).toEqual([made[0].share_id]);
    expect(p2.body.next_cursor).toBeNull();
    expectProblem(await listShares(a, { cursor: 'bm90IG91cnM' }), 422);
    expectProblem(await listShares(a, { limit: 101 }), 422);

    await revoke(a, made[3].share_id);
    await a.deleteChat(branch);
    expect((await listShares(a)).body.shares.map((s: any) => s.share_id)).toEqual([made[2].share_id, made[0].share_id]);
    expectProblem(await listShares(a, { chat_id: branch }), 404);
    // A share of a deleted chat, or one already revoked, cannot be revoked (again).
    expectProblem(await revoke(a, made[1].share_id), 404);
    expectProblem(await revoke(a, made[3].share_id), 404);
  });

  test('another account: its share ids are 404 to delete, its chats 404 to list, its shares never listed', async () => {
    const [a, b] = [await newAccount(app), await newAccount(app)];
    const { chatId } = await a.chatWith(2);
    const s = await share(a, { chat_id: chatId });
    expectProblem(await revoke(b, s.share_id), 404);
    expectProblem(await revoke(b, crypto.randomUUID()), 404);
    expectProblem(await listShares(b, { chat_id: chatId }), 404);
    expect((await listShares(b)).body.shares).toEqual([]);
    expect((await read(s.token)).status).toBe(200);
    expectProblem(await revoke(a, 'not-a-uuid'), 422);
  });
});

describe('what a public page holds', () => {
  const FORBIDDEN_KEYS = new Set([
    'account_id',
    'email',
    'chat_id',
    'root_chat_id',
    'parent_chat_id',
    'fork_response_id',
    'branches',
    'start_branches',
    'generation',
    'usage',
    'share_id',
    'token',
    'active',
    'message_count',
  ]);

  /** Every key and string value of a JSON value, with their paths. */
  function walk(v: unknown, path: string, out: { keys: string[]; values: [string, string][] }) {
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, out);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.keys.push(`${path}.${k}`);
        walk(x, `${path}.${k}`, out);
      }
    } else if (typeof v === 'string') out.values.push([path, v]);
    return out;
  }

  test('no field of the account, the tree or the model, in any share, on any page', async () => {
    const a = await newAccount(app);
    const created = await a.call('POST', '/api/v1/chats/create-chat', {
      body: { name: 'Private plans', system_prompt: 'SECRET PROMPT: answer as a pirate' },
    });
    const root = created.body.chat_id;
    // Answers by the responder: stored with generation details, which must not show.
    const r1 = await a.add(root, 'Where in March?');
    await a.add(root, 'And in April?');
    const branch = await a.branch(root, r1, { question: 'What about May?' });
    await a.branch(root, r1, { question: 'Or June?', activate: false });
    const start = await a.createBranch({ chat_id: root, response_id: null, question: 'A start fork', response: 'x' });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    const tree = (await a.getBranches(root)).body;
    const chatIds: string[] = [];
    const collect = (n: any) => {
      chatIds.push(n.chat_id);
      n.children.forEach(collect);
    };
    collect(tree.tree);
    expect(chatIds).toHaveLength(4);

    const shares = [
      await share(a, { chat_id: branch }),
      await share(a, { chat_id: branch, live: true }),
      await share(a, { chat_id: root, live: true, include_system_prompt: false }),
    ];
    const secrets = [a.accountId as string, a.email, a.token as string, 'SECRET PROMPT', ...chatIds];
    secrets.push(...shares.map((s) => s.share_id));
    for (const s of shares) {
      const queries: Record<string, string | number>[] = [{}, { limit: 1 }, { before: 'end' }];
      for (const query of queries) {
        const r = await read(s.token, query);
        expect(r.status).toBe(200);
        const { keys, values } = walk(r.body, '$', { keys: [], values: [] });
        for (const k of keys) expect(FORBIDDEN_KEYS.has(k.split('.').pop() as string)).toBe(false);
        for (const [path, value] of values) {
          for (const secret of secrets) expect({ path, leaks: value.includes(secret) }).toEqual({ path, leaks: false });
        }
        // Only the documented fields, at every level.
        expect(Object.keys(r.body).sort()).toEqual(['has_more_after', 'has_more_before', 'qa_pairs', 'share']);
        expect(Object.keys(r.body.share).sort()).toEqual(['created_at', 'expires_at', 'live', 'name', 'system_prompt']);
        for (const p of r.body.qa_pairs)
          expect(Object.keys(p).sort()).toEqual(['question', 'response', 'response_id', 'timestamp', 'type']);
        expect(r.body.share.system_prompt).toBeNull();
        // Nor in the headers.
        for (const [name, value] of r.headers) {
          for (const secret of secrets) expect({ name, leaks: value.includes(secret) }).toEqual({ name, leaks: false });
        }
      }
    }
  });

  test('the system prompt only when included; a frozen share keeps the one it was made with', async () => {
    const a = await newAccount(app);
    const created = await a.call('POST', '/api/v1/chats/create-chat', {
      body: { name: 'p', system_prompt: 'Be brief.' },
    });
    const chatId = created.body.chat_id;
    const frozen = await share(a, { chat_id: chatId, include_system_prompt: true });
    const live = await share(a, { chat_id: chatId, live: true, include_system_prompt: true });
    const hidden = await share(a, { chat_id: chatId, live: true });
    expect((await shown(frozen.token)).share.system_prompt).toBe('Be brief.');
    expect((await shown(live.token)).share.system_prompt).toBe('Be brief.');
    expect((await shown(hidden.token)).share.system_prompt).toBeNull();
    const upd = await a.call('PUT', '/api/v1/chats/update-chat', {
      body: { chat_id: chatId, system_prompt: 'Be thorough.' },
    });
    expect(upd.status).toBe(200);
    expect((await shown(frozen.token)).share.system_prompt).toBe('Be brief.');
    expect((await shown(live.token)).share.system_prompt).toBe('Be thorough.');
    expect((await shown(hidden.token)).share.system_prompt).toBeNull();
  });

  test('the token is not stored: only its SHA-256, and no column holds it', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const s = await share(a, { chat_id: chatId });
    const rows = (await sql<Record<string, unknown>>`select * from shares where share_id = ${s.share_id}`.execute(db()))
      .rows;
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    const digest = createHash('sha256').update(s.token).digest();
    expect(Buffer.from(row.token_hash as Uint8Array).equals(digest)).toBe(true);
    const raw = Buffer.from(s.token, 'base64url');
    for (const [column, value] of Object.entries(row)) {
      const text = value instanceof Uint8Array ? Buffer.from(value).toString('hex') : JSON.stringify(value);
      expect({ column, holds: text.includes(s.token) || text.includes(raw.toString('hex')) }).toEqual({
        column,
        holds: false,
      });
    }
    // Nowhere else in the database either (the idempotency records among them).
    const dump = await sql<{ t: string }>`
      select coalesce(string_agg(response_body, ''), '') as t from idempotency_keys`.execute(db());
    expect(dump.rows[0]?.t.includes(s.token)).toBe(false);
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
