/**
 * MongoDB sharded, proved by construction (docs/scaling.md, "MongoDB sharded"): the API's flows run on MongoDB
 * content (a wire-protocol double of its own, whatever TEST_CONTENT_STORE says, logging every command), and every
 * content command must carry the shard key's prefix, `account_hash` and `account_id` as equalities (consistent
 * with each other), so that mongos sends it to the one shard that holds the account's range:
 *   find / count: the filter; update / delete: each statement's `q` (an upsert names the whole shard key, as a
 *   sharded upsert must); aggregate: the first stage's $match; insert: every document has the whole shard key.
 * The only commands allowed without it are the scatter-gathers listed in SCATTER_GATHER, each with why; the test
 * fails on any other, and on a listed one that no longer occurs (the list stays exact).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Document } from 'bson';
import type { Services } from '../../src/bootstrap.js';
import { reconcileContent } from '../../src/domain/reconcile.js';
import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { accountHash, SHARD_KEY } from '../../src/stores/content/mongo-shard-key.js';
import { appFor, openExtraServices } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import type { LoggedCommand } from '../support/mongo-double/engine.js';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { readShare } from '../support/shares.js';

const COLLECTION = 'qa_pairs';
/** Commands that read or write documents; the rest (createIndexes, listIndexes, dropIndexes, …) are DDL. */
const DATA_COMMANDS = ['find', 'count', 'distinct', 'update', 'delete', 'findAndModify', 'aggregate', 'insert'];

/** Untargeted commands that are allowed, each recognised by its shape, with the reason it may go to every shard. */
const SCATTER_GATHER: { name: string; why: string; matches: (c: LoggedCommand) => boolean }[] = [
  {
    name: 'backfill of account_hash (startup)',
    why:
      'MongoContentStore.backfillAccountHash looks for documents written before the shard key existed; once ' +
      'the collection is sharded there are none (the shard key must exist to shard), so each start costs one ' +
      'index probe per shard, off the request path',
    matches: (c) => c.name === 'find' && c.command.filter?.account_hash === null,
  },
  {
    name: 'backfill of the search fields (startup)',
    why:
      'backfillSearchFields finds documents of another search_key (a new tokenizer or SEARCH_LANGUAGE): an index ' +
      'probe per shard at start, off the request path, that finds nothing in steady state',
    matches: (c) => c.name === 'find' && c.command.filter?.search_key?.$ne !== undefined,
  },
  {
    name: 'reconciler scan (background)',
    why:
      'scanSlots walks a time window of every account to find content whose metadata never committed: a ' +
      'background sweep every RECONCILE_INTERVAL_SECONDS, on qa_pairs_timestamp_idx on each shard, never on a ' +
      'request path; what it removes is then removed by a targeted delete (removeSlot)',
    matches: (c) => c.name === 'find' && c.command.filter?.timestamp?.$gte !== undefined,
  },
];

/** Why a content command is not targeted by the shard key's prefix, or null when it is. */
export function untargeted(c: LoggedCommand): string | null {
  const prefix = (where: string, f: Document | undefined, full = false): string | null => {
    if (!f || typeof f !== 'object') return `${where}: no filter`;
    const id = f.account_id;
    const hash = f.account_hash;
    if (typeof id !== 'string') return `${where}: account_id is not an equality (${JSON.stringify(id)})`;
    if (typeof hash !== 'number') return `${where}: account_hash is not an equality (${JSON.stringify(hash)})`;
    if (hash !== accountHash(id)) return `${where}: account_hash ${hash} is not the hash of ${id}`;
    if (full)
      for (const k of Object.keys(SHARD_KEY))
        if (f[k] === undefined || (typeof f[k] === 'object' && f[k] !== null))
          return `${where}: an upsert must name the whole shard key; ${k} is ${JSON.stringify(f[k])}`;
    return null;
  };
  const cmd = c.command;
  switch (c.name) {
    case 'find':
      return prefix('find.filter', cmd.filter);
    case 'count':
      return prefix('count.query', cmd.query);
    case 'distinct':
      return prefix('distinct.query', cmd.query);
    case 'findAndModify':
      return prefix('findAndModify.query', cmd.query, Boolean(cmd.upsert));
    case 'update':
      for (const [i, s] of (cmd.updates as Document[]).entries()) {
        const why = prefix(`update.updates[${i}].q`, s.q, Boolean(s.upsert));
        if (why) return why;
      }
      return null;
    case 'delete':
      for (const [i, s] of (cmd.deletes as Document[]).entries()) {
        const why = prefix(`delete.deletes[${i}].q`, s.q);
        if (why) return why;
      }
      return null;
    case 'aggregate':
      return prefix('aggregate.pipeline[0].$match', (cmd.pipeline as Document[])[0]?.$match);
    case 'insert':
      for (const [i, d] of (cmd.documents as Document[]).entries()) {
        const why = prefix(`insert.documents[${i}]`, d, true);
        if (why) return why;
      }
      return null;
    default:
      return `${c.name}: not a command this test knows how to check`;
  }
}

let double: MongoDouble;
let services: Services;
let app: ReturnType<typeof appFor>;

beforeAll(async () => {
  double = await startMongoDouble({ log: true });
  services = await openExtraServices({
    MONGO_URL: double.url,
    MONGO_DB: `shard_key_${process.pid}`,
    CACHE_MODE: 'off', // every read reaches the content store
  });
  app = appFor(services);
});

afterAll(async () => {
  await services?.close();
  await double?.stop();
});

/** Every route that touches content, on one account (returns what the direct store calls below need). */
async function flows(a: Client) {
  const ok = (r: { status: number; body: unknown }, status = 200) => {
    if (r.status !== status) throw new Error(`${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body as any;
  };
  const { chatId, ids } = await a.chatWith(4, 'lanterns');
  // Paging: first page, after and before cursors.
  const page = ok(await a.getChat(chatId, { limit: 2 }));
  ok(await a.getChat(chatId, { limit: 2, after: page.qa_pairs.at(-1).response_id }));
  ok(await a.getChat(chatId, { limit: 2, before: ids[3] }));
  // Branches: empty, with a first question, from an inherited pair; regenerate; set active; nested reads.
  const branch = await a.branch(chatId, ids[1] as string, { question: 'another lantern?' });
  await a.add(branch, 'brass lanterns', 'they shine');
  const nested = await a.branch(branch, ids[0] as string);
  await a.add(nested, 'paper lanterns', 'they glow');
  ok(await a.regenerate(ids[2] as string), 201);
  ok(await a.setActive(branch));
  ok(await a.getChat(nested, { limit: 10 }));
  ok(await a.getBranches(chatId)); // usage prefixes of every chat of the tree
  ok(await a.call('GET', '/api/v1/branches/compare-branches', { query: { chat_id: branch, other_chat_id: nested } }));
  ok(await a.setFeedback(ids[0] as string, 'up', 'useful'));
  // Search: one tree and the whole account.
  ok(await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'lanterns' } }));
  ok(await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'lanterns', chat_id: chatId } }));
  // Fork a whole chat, export and import, a share link and its public read.
  ok(await a.forkChat({ chat_id: branch, response_id: ids[1] as string }), 201);
  const exported = ok(
    await a.call('GET', '/api/v1/chats/export-chat', { query: { chat_id: chatId, format: 'chatgpt' } }),
  );
  ok(await a.call('POST', '/api/v1/chats/import-chat', { body: exported }), 201);
  const share = ok(await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: branch } }), 201);
  ok(await readShare(a, share.token));
  // Deleting a branch; list-chats (metadata only).
  ok(await a.deleteChat(nested));
  ok(await a.listChats());
  return { chatId };
}

describe('MongoDB content: every content command carries the shard key', () => {
  test('the checker flags what mongos could not target (so the test below can fail)', () => {
    const hash = accountHash('acct');
    const find = (filter: Document): LoggedCommand => ({
      name: 'find',
      db: 'x',
      command: { find: COLLECTION, filter },
    });
    expect(untargeted(find({ account_hash: hash, account_id: 'acct', chat_id: 'c' }))).toBeNull();
    expect(untargeted(find({ chat_id: 'c', seq: 1 }))).toContain('account_id');
    expect(untargeted(find({ account_id: 'acct', chat_id: 'c' }))).toContain('account_hash');
    expect(untargeted(find({ account_hash: hash + 1, account_id: 'acct' }))).toContain('not the hash');
    expect(untargeted(find({ account_hash: hash, account_id: { $in: ['acct'] } }))).toContain('not an equality');
    const upsert = (q: Document): LoggedCommand => ({
      name: 'update',
      db: 'x',
      command: { update: COLLECTION, updates: [{ q, u: { $set: {} }, upsert: true }] },
    });
    expect(untargeted(upsert({ account_hash: hash, account_id: 'acct', chat_id: 'c', seq: 1 }))).toBeNull();
    expect(untargeted(upsert({ account_hash: hash, account_id: 'acct', chat_id: 'c' }))).toContain('seq');
    const aggregate: LoggedCommand = {
      name: 'aggregate',
      db: 'x',
      command: { aggregate: COLLECTION, pipeline: [{ $sort: { seq: 1 } }, { $match: { account_id: 'acct' } }] },
    };
    expect(untargeted(aggregate)).toContain('no filter');
  });

  test('the API flows, the failure clean-ups and a reconciler pass: targeted but for the listed scatter-gathers', async () => {
    const a = await newAccount(app);
    const { chatId } = await flows(a);
    const store = services.deps.content as MongoContentStore;
    expect(store).toBeInstanceOf(MongoContentStore);
    // The clean-ups of a failed metadata commit (an append's slot, an import's or fork's chats) run on failure only;
    // with a fence no write carries (fences are positive), they remove nothing.
    expect(await store.removeSlot(a.accountId as string, chatId, 1, -1)).toBe(false);
    expect(await store.removeChats(a.accountId as string, [chatId], -1)).toBe(0);
    const report = await reconcileContent(services.deps, { since: new Date(Date.now() - 3_600_000), graceMs: 0 });
    expect(report.scanned).toBeGreaterThan(0);

    const content = (double.log ?? []).filter(
      (c) => DATA_COMMANDS.includes(c.name) && c.command[c.name] === COLLECTION,
    );
    const seen = new Map<string, number>();
    const wrong: string[] = [];
    for (const c of content) {
      const why = untargeted(c);
      if (!why) continue;
      const listed = SCATTER_GATHER.find((s) => s.matches(c));
      if (listed) seen.set(listed.name, (seen.get(listed.name) ?? 0) + 1);
      else wrong.push(why);
    }
    expect(wrong).toEqual([]);
    // Every listed scatter-gather occurred (the list is exact, not a blanket allowance)…
    expect([...seen.keys()].sort()).toEqual(SCATTER_GATHER.map((s) => s.name).sort());
    // …and every kind of content command was exercised and checked.
    const kinds = new Set(content.map((c) => c.name));
    for (const k of ['find', 'update', 'delete', 'aggregate', 'insert']) expect(kinds).toContain(k);
    const targeted = content.length - [...seen.values()].reduce((x, y) => x + y, 0);
    expect(targeted).toBeGreaterThan(30);
    console.info(
      `[shard key] ${content.length} content commands: ${targeted} targeted, ` +
        `${content.length - targeted} scatter-gather (${[...seen].map(([n, k]) => `${n}: ${k}`).join('; ')})`,
    );
  });
});
