/**
 * Share links, on both content stores: every dead link (unknown, revoked, expired, chat deleted with its subtree or
 * tree) is one identical 404; list-shares; other accounts; what a public page holds (every field walked: nothing of
 * the account, the tree or the model); the system prompt only when chosen; the token at rest only as its SHA-256.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { pgDb } from '../../src/stores/pg-tx.js';
import { testApp } from '../support/app.js';
import { Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';
import {
  createShare,
  listShares,
  type Query,
  readShare,
  revokeShare,
  sameness,
  shownShare,
} from '../support/shares.js';

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
const revoke = revokeShare;

/** A root with three pairs and a branch after the second with one pair of its own. */
async function world(a: Account) {
  const { chatId: root, ids } = await a.chatWith(3, 'Trip ideas');
  const branch = await a.branch(root, ids[1] as string, { name: 'May instead', question: 'bq1', response: 'ba1' });
  return { root, ids, branch };
}
const db = () => pgDb(services.orm);

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
