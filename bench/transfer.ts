/**
 * Import, export and streaming at size (npm run bench:transfer). The server runs as a separate process on
 * local PostgreSQL (BENCH_DATABASE_URL, default the local `postgres` database) with content in PostgreSQL.
 *
 * - import-chat of one large ChatGPT conversation (a main line of MAIN pairs with EDITS edits along it, each
 *   edit a branch of EDIT_PAIRS pairs; ~600 characters per pair), and of a conversations.json of MANY small ones;
 * - export-chat of the imported tree as json and chatgpt, and of its deepest branch as markdown;
 * - the round trip: the chatgpt export imported again;
 * - add-message with the local responder, as JSON and as an event stream (autocannon, 8 connections).
 */
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { api, startServer } from './lib.js';

const MAIN = Number(process.env.TRANSFER_MAIN ?? 5000);
const EDITS = Number(process.env.TRANSFER_EDITS ?? 200);
const EDIT_PAIRS = Number(process.env.TRANSFER_EDIT_PAIRS ?? 5);
const MANY = Number(process.env.TRANSFER_MANY ?? 300);

const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const db = `branchat_bench_transfer_${Date.now()}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`create database ${db}`);
const url = new URL(admin);
url.pathname = `/${db}`;

const text = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ['lorem', 'ipsum', 'branch', 'answer', 'tree', 'fork'][(seed + i * 7) % 6]).join(
    ' ',
  );

/** A ChatGPT conversation: a main line with edits (a second user child of an answer) along it. */
function conversation(title: string, main: number, edits: number, editPairs: number) {
  const mapping: Record<string, any> = {
    'client-created-root': { id: 'client-created-root', message: null, parent: null, children: [] },
  };
  let t = 1_700_000_000;
  const message = (id: string, role: string, body: string) => ({
    id,
    author: { role },
    create_time: t++,
    content: { content_type: 'text', parts: [body] },
    metadata: role === 'assistant' ? { model_slug: 'gpt-4o' } : {},
  });
  const chain = (prefix: string, parent: string, n: number): string => {
    let last = parent;
    for (let i = 0; i < n; i++) {
      const q = `${prefix}q${i}`;
      const a = `${prefix}a${i}`;
      mapping[last].children.push(q);
      mapping[q] = { id: q, message: message(q, 'user', text(15, i)), parent: last, children: [a] };
      mapping[a] = { id: a, message: message(a, 'assistant', text(80, i)), parent: q, children: [] };
      last = a;
    }
    return last;
  };
  const end = chain('m', 'client-created-root', main);
  for (let e = 0; e < edits; e++) {
    const at = `ma${Math.floor(((e + 1) * main) / (edits + 1))}`;
    chain(`e${e}-`, at, editPairs);
  }
  return { title, create_time: 1_700_000_000, mapping, current_node: end };
}

interface Row {
  name: string;
  ms: number;
  size: string;
  note: string;
}
const rows: Row[] = [];
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function timed(name: string, fn: () => Promise<{ bytes: number; note: string }>) {
  const t0 = performance.now();
  const r = await fn();
  const ms = Math.round(performance.now() - t0);
  rows.push({ name, ms, size: mb(r.bytes), note: r.note });
  console.log(`${name}: ${ms} ms, ${mb(r.bytes)} ${r.note}`);
}

const server = await startServer(
  {
    DATABASE_URL: url.toString(),
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    CACHE_MODE: 'off',
    IMPORT_MAX_MB: '256',
  },
  40000 + Math.floor(Math.random() * 10000),
);
let streamRows: string[] = [];
try {
  const { token } = await api(server.base, 'POST', '/api/v1/auth/register', {
    email: 'transfer@example.com',
    password: 'bench-password',
  });
  const auth = { Authorization: `Bearer ${token}` };
  const post = async (path: string, body: string) => {
    const r = await fetch(`${server.base}${path}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body,
    });
    const json = (await r.json()) as any;
    if (r.status !== 201) throw new Error(`${path} → ${r.status} ${JSON.stringify(json).slice(0, 500)}`);
    return json;
  };
  const get = async (path: string) => {
    const r = await fetch(`${server.base}${path}`, { headers: auth });
    if (r.status !== 200) throw new Error(`${path} → ${r.status}`);
    return r.text();
  };

  const big = JSON.stringify(conversation('Big tree', MAIN, EDITS, EDIT_PAIRS));
  const pairs = MAIN + EDITS * EDIT_PAIRS;
  let imported: any;
  await timed(`import-chat: one conversation, ${pairs} pairs, ${EDITS + 1} chats`, async () => {
    imported = await post('/api/v1/chats/import-chat', big);
    return { bytes: big.length, note: `${imported.conversations[0].pair_count} pairs stored` };
  });
  const root = imported.conversations[0].root_chat_id as string;

  let exported = '';
  await timed('export-chat json (the whole tree)', async () => {
    const body = await get(`/api/v1/chats/export-chat?chat_id=${root}&format=json`);
    return { bytes: body.length, note: `${JSON.parse(body).chats.length} chats` };
  });
  await timed('export-chat chatgpt (the whole tree)', async () => {
    exported = await get(`/api/v1/chats/export-chat?chat_id=${root}&format=chatgpt`);
    return { bytes: exported.length, note: `${Object.keys(JSON.parse(exported).mapping).length} nodes` };
  });
  const tree = JSON.parse(await get(`/api/v1/chats/export-chat?chat_id=${root}&format=json`));
  const deepest = tree.chats[tree.chats.length - 1].chat_id as string;
  await timed('export-chat markdown (the last branch: its whole visible history)', async () => {
    const body = await get(`/api/v1/chats/export-chat?chat_id=${deepest}&format=markdown`);
    return { bytes: body.length, note: '' };
  });
  await timed('import-chat of that chatgpt export (round trip)', async () => {
    const r = await post('/api/v1/chats/import-chat', exported);
    return {
      bytes: exported.length,
      note: `${r.conversations[0].pair_count} pairs, ${r.conversations[0].chat_count} chats`,
    };
  });
  const many = JSON.stringify(Array.from({ length: MANY }, (_, i) => conversation(`Small ${i}`, 20, 2, 3)));
  await timed(`import-chat: conversations.json of ${MANY} conversations (26 pairs each)`, async () => {
    const r = await post('/api/v1/chats/import-chat', many);
    return { bytes: many.length, note: `${r.conversations.length} conversations` };
  });

  // add-message with the local responder: JSON vs event stream.
  const chat = (await api(server.base, 'POST', '/api/v1/chats/create-chat', { name: 'stream' }, token)).chat_id;
  const body = JSON.stringify({ chat_id: chat, question: 'How does branching work?' });
  streamRows = ['| add-message (local responder) | req/s | p50 ms | p99 ms | non-2xx |', '|---|---|---|---|---|'];
  for (const [name, accept] of [
    ['JSON', 'application/json'],
    ['text/event-stream', 'text/event-stream'],
  ] as const) {
    const opts = {
      url: `${server.base}/api/v1/messages/add-message`,
      method: 'POST' as const,
      headers: { ...auth, 'Content-Type': 'application/json', Accept: accept },
      body,
      connections: 8,
    };
    await autocannon({ ...opts, duration: 1 });
    const r = await autocannon({ ...opts, duration: 5 });
    streamRows.push(
      `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} |`,
    );
    console.log(streamRows[streamRows.length - 1]);
  }

  const md = [
    `# Import, export and streaming (PostgreSQL content), ${new Date().toISOString()}`,
    '',
    `\`npm run bench:transfer\`: the server as a separate process on local PostgreSQL, cache off. One request each`,
    `(wall time seen by the client, including transfer). Peak RSS of the server over the run: ${server.peakRssMb()} MB.`,
    '',
    '| request | ms | body | result |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.ms} | ${r.size} | ${r.note} |`),
    '',
    'autocannon, 8 connections, 5 s after 1 s of warm-up, each request appends a pair to one chat:',
    '',
    ...streamRows,
    '',
  ].join('\n');
  writeFileSync(`${import.meta.dir}/results/transfer.md`, md);
  console.log(md);
} finally {
  await server.stop();
  await client.query(`drop database if exists ${db} with (force)`);
  await client.end();
}
