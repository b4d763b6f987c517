/**
 * Message search at scale (npm run bench:search). The server runs as a separate process on local PostgreSQL
 * (BENCH_DATABASE_URL, default the local `postgres` database), with content in PostgreSQL. Seeds, in SQL for
 * speed, ACCOUNTS accounts × CHATS chats × PAIRS pairs of text drawn from a skewed vocabulary (a few words
 * are in most pairs, most words are rare), then loads search-messages with autocannon for the account under
 * test: rare and common words, two words, a short prefix, and one chat's history.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { api, type LoadResult, load, startServer, table } from './lib.js';

const ACCOUNTS = Number(process.env.SEARCH_ACCOUNTS ?? 4);
const CHATS = Number(process.env.SEARCH_CHATS ?? 200);
const PAIRS = Number(process.env.SEARCH_PAIRS ?? 250);

const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const db = `branchat_bench_search_${Date.now()}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`create database ${db}`);
const url = new URL(admin);
url.pathname = `/${db}`;

// Head of the vocabulary (frequent), then a long tail of made-up rare terms.
const HEAD = `time person year way day thing man world life hand part child eye woman place work week case point
government company number group problem fact server database network error connection request response cache
branch message question answer search index query memory thread socket stream token account deploy build test`
  .split(/\s+/)
  .filter(Boolean);
const VOCAB = [...HEAD, ...Array.from({ length: 20_000 }, (_, i) => `zq${i.toString(36)}x`)];

const results: LoadResult[] = [];
const server = await startServer(
  { DATABASE_URL: url.toString(), JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123', CACHE_MODE: 'off' },
  40000 + Math.floor(Math.random() * 10000),
);
const dbc = new pg.Client({ connectionString: url.toString() });
try {
  await dbc.connect();
  const tokens: string[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const { token } = await api(server.base, 'POST', '/api/v1/auth/register', {
      email: `search${a}@example.com`,
      password: 'bench-password',
    });
    tokens.push(token);
    for (let c = 0; c < CHATS; c++)
      await api(server.base, 'POST', '/api/v1/chats/create-chat', { name: `c${c}` }, token);
  }
  const t0 = performance.now();
  // power(random(), 4) skews towards the head: the first words land in most pairs, tail terms in a few.
  await dbc.query(
    `insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, type, timestamp, fence, search_lang)
     select gen_random_uuid(), c.chat_id, c.account_id, s.seq,
            (select string_agg(($1::text[])[1 + floor(power(random(), 4) * $2)::int], ' ') from generate_series(1, 12) where s.seq > 0),
            (select string_agg(($1::text[])[1 + floor(power(random(), 4) * $2)::int], ' ') from generate_series(1, 60) where s.seq > 0),
            'text', now() - make_interval(secs => s.seq), 0, 'english'
     from chats c, generate_series(1, $3) s(seq)`,
    [VOCAB, VOCAB.length, PAIRS],
  );
  await dbc.query('update chats set own_count = $1', [PAIRS]);
  await dbc.query('analyze qa_pairs');
  const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const total = ACCOUNTS * CHATS * PAIRS;
  console.log(`seeded ${total} pairs in ${seedSeconds} s`);

  const token = tokens[0] as string;
  const { rows } = await dbc.query<{ chat_id: string }>(
    `select c.chat_id from chats c join accounts a using (account_id) where a.email = 'search0@example.com' limit 1`,
  );
  const oneChat = rows[0]?.chat_id as string;
  const count = async (q: string) =>
    (
      await dbc.query<{ n: string }>(
        `select count(*) as n from qa_pairs p join accounts a using (account_id)
         where a.email = 'search0@example.com'
           and p.search_vector @@ (select string_agg(quote_literal(lexeme) || ':*', ' & ')
                                   from unnest(to_tsvector('english', branchat_search_text($1))))::tsquery`,
        [q],
      )
    ).rows[0]?.n;
  const rare = VOCAB[HEAD.length + 5000] as string;
  const scenarios: [string, string][] = [
    ['rare word', `q=${rare}`],
    ['uncommon word', 'q=test'],
    ['common word', 'q=time'],
    ['two common words', 'q=time%20person'],
    ['3-letter prefix', 'q=ser'],
    ['common word, one chat', `q=time&chat_id=${oneChat}`],
  ];
  for (const [name, qs] of scenarios) {
    const q = new URLSearchParams(qs).get('q') as string;
    const hits = await count(q);
    const r = await load(
      `${name} (\`${q}\`: ${hits} of ${CHATS * PAIRS} pairs match)`,
      `${server.base}/api/v1/messages/search-messages?${qs}&limit=20`,
      { Authorization: `Bearer ${token}` },
      { seconds: 5, warmupSeconds: 1, connections: 8 },
    );
    results.push(r);
    console.log(`${r.name}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
  }
  const md = [
    `# search-messages (PostgreSQL content), ${new Date().toISOString()}`,
    '',
    `${total.toLocaleString('en')} pairs in the database (${ACCOUNTS} accounts × ${CHATS} chats × ${PAIRS} pairs, 72 words each),`,
    `searched by one account (${(CHATS * PAIRS).toLocaleString('en')} pairs); autocannon, 8 connections, 5 s after 1 s of warm-up,`,
    `cache off; seeding took ${seedSeconds} s. Peak RSS of the server: ${server.peakRssMb()} MB.`,
    '',
    table(results),
    '',
  ].join('\n');
  writeFileSync(`${import.meta.dir}/results/search.md`, md);
  console.log(md);
} finally {
  await server.stop();
  await dbc.end().catch(() => {});
  if (process.env.BENCH_KEEP_DB) console.log(`kept database ${db}`);
  else await client.query(`drop database if exists ${db} with (force)`);
  await client.end();
}
