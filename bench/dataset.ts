/**
 * Deterministic benchmark dataset, bulk-loaded into the real PostgreSQL schema (migrations applied first):
 * - 1,000 conversations × 100 pairs (100,000 pairs) across 100 accounts;
 * - one tree with 1,000 branches (5 own pairs each), forks spread over its pairs, depth up to 50;
 * - one tree with 10 branches; one chat with 10,000 pairs; one with 100.
 * `--quick` builds a tenth of it; `--scale N` multiplies the conversations and the big chat by N (`--scale 10`:
 * 10,000 conversations, a 100,000-pair chat, 1.1M pairs), into its own database and manifest (dataset-x10.json).
 * The trees keep their size (they measure shape, not volume).
 * Rows are written with multi-row INSERTs through MikroORM's Kysely (the pairs as INSERT … SELECT FROM unnest()
 * of column arrays, over several connections), into the same tables and invariants the service maintains, not
 * through the HTTP API: seeding 100k pairs one request at a time would take longer than the benchmark.
 *
 * Usage: bun bench/dataset.ts [--quick] [--scale N] [--label NAME]   (BENCH_DATABASE_URL: the server to create the database on)
 */
import { writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { v7 } from 'uuid';
import { migrate, openPostgres } from '../src/stores/postgres.js';
import { benchScale } from './lib.js';

export interface Manifest {
  databaseUrl: string;
  quick: boolean;
  /** `--scale N` (1 unless given). */
  scale: number;
  accounts: string[];
  big: { accountId: string; chatId: string; pairs: number };
  small: { accountId: string; chatId: string; pairs: number };
  deep: { accountId: string; chatId: string; depth: number };
  shallow: { accountId: string; chatId: string; depth: number };
  tree1000: { accountId: string; rootChatId: string; count: number };
  tree10: { accountId: string; rootChatId: string; count: number };
  /** Chats for write scenarios, one per account. */
  writeTargets: { accountId: string; chatId: string; responseId: string }[];
  totals: { chats: number; pairs: number; seconds: number };
}

const { quick, scale, suffix } = benchScale();
const divisor = quick ? 10 : 1;
const conversations = (1000 * scale) / divisor;
const bigPairs = (10_000 * scale) / divisor;
const treeBranches = 1000 / divisor;
let seed = 424242;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

interface ChatRow {
  chat_id: string;
  account_id: string;
  root_chat_id: string;
  parent_chat_id: string | null;
  fork_response_id: string | null;
  chat_type: 'main' | 'branch';
  name: string;
  ancestor_ids: string[];
  ancestor_limits: number[];
  own_count: number;
  active: boolean;
  responseIds: string[];
}

const chats: ChatRow[] = [];
const pairs: {
  response_id: string;
  chat_id: string;
  account_id: string;
  seq: number;
  question: string;
  response: string;
}[] = [];
const now = new Date('2026-11-25T12:00:00.000Z');

function text(n: number, words: number): string {
  const vocab = ['branch', 'fork', 'message', 'answer', 'tree', 'chat', 'model', 'context', 'history', 'page'];
  return Array.from({ length: words }, (_, i) => vocab[(n + i * 7) % vocab.length]).join(' ');
}
// A pair's text depends on its seq only: built once per seq (a million pairs share a few hundred strings).
const questions: string[] = [];
const responses: string[] = [];
const question = (seq: number) => (questions[seq] ??= `${text(seq, 12)}?`);
const response = (seq: number) => (responses[seq] ??= `${text(seq + 3, 60)}.`);

function addPairs(chat: ChatRow, n: number) {
  for (let i = 0; i < n; i++) {
    const seq = chat.own_count + 1;
    const id = v7();
    pairs.push({
      response_id: id,
      chat_id: chat.chat_id,
      account_id: chat.account_id,
      seq,
      question: question(seq),
      response: response(seq),
    });
    chat.own_count = seq;
    chat.responseIds.push(id);
  }
}

function root(accountId: string, name: string, n: number): ChatRow {
  const id = v7();
  const c: ChatRow = {
    chat_id: id,
    account_id: accountId,
    root_chat_id: id,
    parent_chat_id: null,
    fork_response_id: null,
    chat_type: 'main',
    name,
    ancestor_ids: [],
    ancestor_limits: [],
    own_count: 0,
    active: true,
    responseIds: [],
  };
  chats.push(c);
  addPairs(c, n);
  return c;
}

function branch(parent: ChatRow, forkSeq: number, n: number): ChatRow {
  const id = v7();
  const c: ChatRow = {
    chat_id: id,
    account_id: parent.account_id,
    root_chat_id: parent.root_chat_id,
    parent_chat_id: parent.chat_id,
    fork_response_id: parent.responseIds[forkSeq - 1] as string,
    chat_type: 'branch',
    name: `branch after ${forkSeq}, depth ${parent.ancestor_ids.length + 1}`,
    ancestor_ids: [...parent.ancestor_ids, parent.chat_id],
    ancestor_limits: [...parent.ancestor_limits, forkSeq],
    own_count: 0,
    active: false,
    responseIds: [],
  };
  chats.push(c);
  addPairs(c, n);
  return c;
}

const started = performance.now();
const accounts = Array.from({ length: 100 }, () => v7());
for (let i = 0; i < conversations; i++) root(accounts[i % accounts.length] as string, `conversation ${i}`, 100);

const owner = accounts[0] as string;
const big = root(owner, `${bigPairs} pairs`, bigPairs);
const small = root(owner, 'one hundred pairs', 100);

// The 1,000-branch tree. First a chain to depth 50 whose history crosses every level early: the first
// link forks after pair 10 of the root, each next link after the first own pair of its parent, so the
// first 50 pairs of the deepest branch come from ~40 different chats. A depth-1 branch forked after pair
// 60 is the comparison (its first 50 pairs come from one chat). Then branches off random chats at random
// fork points until the tree has 1,000 branches.
const tree = root(owner, 'a thousand branches', 100);
const treeChats = [tree];
let tip = branch(tree, 10, 5);
treeChats.push(tip);
for (let d = 2; d <= 50; d++) {
  tip = branch(tip, 1, 5);
  treeChats.push(tip);
}
const deep = tip;
const shallow = branch(tree, 60, 5);
treeChats.push(shallow);
while (treeChats.length < 1 + treeBranches) {
  const parent = treeChats[rnd(treeChats.length)] as ChatRow;
  if (parent.ancestor_ids.length >= 49) continue; // keep depth ≤ 50
  treeChats.push(branch(parent, 1 + rnd(parent.own_count), 5));
}
const tree10 = root(owner, 'ten branches', 100);
for (let i = 0; i < 10; i++) branch(tree10, 1 + rnd(100), 5);

// Exactly one active chat per tree: the root (already), except the deep tree where the deepest is active.
tree.active = false;
deep.active = true;

const generated = performance.now();

// ---- load ----------------------------------------------------------------------------------------
const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `branchat_bench${suffix.replaceAll('-', '_')}`;
const adminClient = new pg.Client({ connectionString: admin });
await adminClient.connect();
await adminClient.query(`drop database if exists ${dbName} with (force)`);
await adminClient.query(`create database ${dbName}`);
await adminClient.end();
const url = new URL(admin);
url.pathname = `/${dbName}`;
const databaseUrl = url.toString();

await migrate(databaseUrl);
// qa_pairs computes a stored tsvector per row (its search column): that is most of a load's time, and it is
// CPU in the server, so the pairs go in over as many connections as there are CPUs (at least 2).
const parallel = Math.min(8, Math.max(2, navigator.hardwareConcurrency));
const orm = await openPostgres({ url: databaseUrl, poolMax: parallel, timeouts: false });
const db = orm.em.fork().getKysely();
const passwordHash = await Bun.password.hash('bench-password', { algorithm: 'argon2id' });

async function insertBatches<T>(rows: T[], size: number, insert: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

await insertBatches(accounts, 1000, (batch) =>
  sql`insert into accounts (account_id, email, password_hash, created_at) values ${sql.join(
    batch.map((id, i) => sql`(${id}, ${`bench${i}-${id.slice(-6)}@example.com`}, ${passwordHash}, ${now})`),
  )}`.execute(db),
);
// Parents before children: chats were generated in that order.
await insertBatches(chats, 500, (batch) =>
  sql`insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
        created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count) values ${sql.join(
          batch.map(
            (c) =>
              sql`(${c.chat_id}, ${c.account_id}, ${c.root_chat_id}, ${c.parent_chat_id}, ${c.fork_response_id}, ${c.chat_type},
                ${c.name}, ${now}, ${now}, ${c.active}, ${c.ancestor_ids}::uuid[], ${c.ancestor_limits}::int[], ${c.own_count})`,
          ),
        )}`.execute(db),
);
const roots = chats.filter((c) => c.parent_chat_id === null);
const branchCounts = new Map<string, number>();
for (const c of chats)
  if (c.parent_chat_id) branchCounts.set(c.root_chat_id, (branchCounts.get(c.root_chat_id) ?? 0) + 1);
await insertBatches(roots, 1000, (batch) =>
  sql`insert into conversations (chat_id, account_id, name, deleted, created_at, last_activity_at, branch_count, version) values ${sql.join(
    batch.map(
      (c) =>
        sql`(${c.chat_id}, ${c.account_id}, ${c.name}, false, ${now}, ${now}, ${branchCounts.get(c.chat_id) ?? 0}, 0)`,
    ),
  )}`.execute(db),
);
// One INSERT … SELECT FROM unnest(arrays) per 5,000 pairs: six parameters a statement instead of 8 per row.
const pairsStarted = performance.now();
const pairBatches: (typeof pairs)[] = [];
for (let i = 0; i < pairs.length; i += 5000) pairBatches.push(pairs.slice(i, i + 5000));
let nextBatch = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    for (let b = pairBatches[nextBatch++]; b; b = pairBatches[nextBatch++])
      // No pair here has token counts, so every running usage total is 0: given, the trigger keeps them (a chat's
      // pairs span batches loaded in parallel, where it could not see the previous batch's rows).
      await sql`insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, type, timestamp,
                                      prompt_tokens_total, completion_tokens_total)
        select r, c, a, s, q, p, 'text', ${now}, 0, 0
        from unnest(${b.map((p) => p.response_id)}::uuid[], ${b.map((p) => p.chat_id)}::uuid[],
          ${b.map((p) => p.account_id)}::uuid[], ${b.map((p) => p.seq)}::int[], ${b.map((p) => p.question)}::text[],
          ${b.map((p) => p.response)}::text[]) as t(r, c, a, s, q, p)`.execute(db);
  }),
);
const pairsSeconds = (performance.now() - pairsStarted) / 1000;
await sql`analyze`.execute(db);
await orm.close();

const writeTargets = accounts.map((accountId) => {
  const c = roots.find((r) => r.account_id === accountId && r.own_count === 100) as ChatRow;
  return { accountId, chatId: c.chat_id, responseId: c.responseIds[49] as string };
});
const manifest: Manifest = {
  databaseUrl,
  quick,
  scale,
  accounts,
  big: { accountId: owner, chatId: big.chat_id, pairs: big.own_count },
  small: { accountId: owner, chatId: small.chat_id, pairs: small.own_count },
  deep: { accountId: owner, chatId: deep.chat_id, depth: deep.ancestor_ids.length },
  shallow: { accountId: owner, chatId: shallow.chat_id, depth: shallow.ancestor_ids.length },
  tree1000: { accountId: owner, rootChatId: tree.chat_id, count: treeChats.length },
  tree10: { accountId: owner, rootChatId: tree10.chat_id, count: 11 },
  writeTargets,
  totals: { chats: chats.length, pairs: pairs.length, seconds: Math.round((performance.now() - started) / 100) / 10 },
};
const out = `${import.meta.dir}/results/dataset${suffix}.json`;
writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `dataset: ${manifest.totals.chats} chats, ${manifest.totals.pairs} pairs in ${manifest.totals.seconds} s ` +
    `(generated in ${((generated - started) / 1000).toFixed(1)} s, pairs loaded in ${pairsSeconds.toFixed(1)} s over ` +
    `${parallel} connections) → ${databaseUrl} (manifest ${out})`,
);
