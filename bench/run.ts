/**
 * The benchmark harness (npm run bench, or npm run bench:quick; `--scale N` for an N-times larger dataset).
 * Builds the dataset (bench/dataset.ts), starts the real server as a separate process on it, loads each
 * scenario over loopback with wrk (bench/wrk.ts; autocannon where wrk is not installed, or with
 * BENCH_GENERATOR=autocannon), 32 connections, one wrk thread, a warm-up run excluded, then the measured run.
 * Before each measured run it resets the server's peak RSS (VmHWM), and reads it right after: each row has
 * its own peak. The cached ceiling and cached get-chat are measured in alternating rounds (see alternate), and also
 * loaded with autocannon once, for comparison. Runs pgbench as the database's write ceiling right before and right
 * after the write scenarios, and writes bench/results/<date>.json and the results table
 * (bench/results/latest.md for a full run, latest-x<N>.md for a scaled one). Never asserts on timings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { TokenService } from '../src/auth/tokens.js';
import { buildNodeBundle, nodeBinary } from '../tests/support/server-process.js';
import type { Manifest } from './dataset.js';
import { benchScale, freePort, type Server, startServer, vacuum as vacuumDatabase } from './lib.js';
import { type WrkRequest, wrk, wrkBinary } from './wrk.js';

const { quick, scale, suffix } = benchScale();
const seconds = quick ? 3 : 10;
const warmup = quick ? 1 : 2;
const connections = 32;
const threads = 1;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const root = `${import.meta.dir}/..`;
type Generator = 'wrk' | 'autocannon';
const generator: Generator = wrkBinary() ? 'wrk' : 'autocannon';
console.log(
  `load generator: ${generator === 'wrk' ? `wrk (${wrkBinary()})` : 'autocannon (no wrk found, or BENCH_GENERATOR=autocannon)'}`,
);

// 1. Dataset
const ds = Bun.spawnSync(
  [
    process.execPath,
    'bench/dataset.ts',
    ...(quick ? ['--quick'] : []),
    ...(scale === 1 ? [] : ['--scale', String(scale)]),
  ],
  { cwd: root, stdout: 'inherit', stderr: 'inherit' },
);
if (ds.exitCode !== 0) throw new Error('dataset failed');
const manifest = JSON.parse(readFileSync(`${import.meta.dir}/results/dataset${suffix}.json`, 'utf8')) as Manifest;
const tokens = new TokenService(JWT_SECRET, 86_400);
const tokenOf = new Map<string, string>();
for (const a of manifest.accounts) tokenOf.set(a, await tokens.issue(a));
const auth = (accountId: string) => ({ Authorization: `Bearer ${tokenOf.get(accountId)}` });

interface Row {
  scenario: string;
  server: string;
  generator: Generator;
  rps: number;
  latencyMeanMs: number;
  p50: number;
  p99: number;
  /** Socket errors (connect, read, write, timeout). */
  errors: number;
  /** Responses outside 2xx, but for 304s where they are counted (below). wrk alone counts statuses ≥ 400 only. */
  non2xx: number;
  /** 304 Not Modified responses, counted apart (the If-None-Match scenario): neither errors nor non-2xx. */
  notModified?: number;
  /** Responses per status, where counted. */
  statuses?: Record<string, number>;
  /** The server's peak RSS (VmHWM) during the measured run, MB. */
  rssMb: number;
  bytes?: number;
}
const rows: Row[] = [];
const rss: Record<string, number> = {};

interface Load {
  url: string;
  headers?: Record<string, string>;
  /** Requests to rotate through (the writes: one per write target, each with its account's token). */
  requests?: WrkRequest[];
  /** Count responses by status (304s apart). */
  countStatuses?: boolean;
  /**
   * A conditional read: wrk runs without a status hook (which slows it on every response); the responses are 304s
   * when they average under 1 KiB each (a 200 here is the whole page), else counted as 200s.
   */
  expect304?: boolean;
}
type Measured = Pick<Row, 'rps' | 'latencyMeanMs' | 'p50' | 'p99' | 'errors' | 'non2xx' | 'notModified' | 'statuses'>;

/** Splits status counts into non-2xx and 304s. */
function byStatus(statuses: Record<string, number>): Pick<Row, 'non2xx' | 'notModified' | 'statuses'> {
  let non2xx = 0;
  for (const [code, n] of Object.entries(statuses)) {
    const c = Number(code);
    if ((c < 200 || c >= 300) && c !== 304) non2xx += n;
  }
  return { non2xx, notModified: statuses['304'] ?? 0, statuses };
}

async function measure(gen: Generator, load: Load, duration: number): Promise<Measured> {
  if (gen === 'wrk') {
    const r = await wrk({
      url: load.url,
      seconds: duration,
      connections,
      threads,
      ...(load.headers ? { headers: load.headers } : {}),
      ...(load.requests ? { requests: load.requests } : {}),
      ...(load.countStatuses ? { countStatuses: true } : {}),
    });
    const e = r.socketErrors;
    return {
      rps: Math.round(r.rps),
      latencyMeanMs: r.latencyMeanMs,
      p50: r.p50,
      p99: r.p99,
      errors: e.connect + e.read + e.write + e.timeout,
      ...(r.statuses ? byStatus(r.statuses) : { non2xx: r.status4xx5xx }),
      ...(load.expect304 ? { notModified: r.bytesRead / Math.max(1, r.requests) < 1024 ? r.requests : 0 } : {}),
    };
  }
  const base: autocannon.Options = { url: load.url, connections, duration };
  if (load.headers) base.headers = load.headers;
  const list = load.requests;
  if (list?.length) {
    let i = 0;
    base.requests = [
      {
        setupRequest: (req) => {
          const t = list[i++ % list.length] as WrkRequest;
          return { ...req, method: t.method as 'POST', path: t.path, headers: t.headers ?? {}, body: t.body ?? '' };
        },
      },
    ];
  }
  const r = await autocannon(base);
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = s.count ?? 0;
  return {
    rps: Math.round(r.requests.average),
    latencyMeanMs: Math.round(r.latency.average * 100) / 100,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    ...(load.countStatuses ? byStatus(statuses) : { non2xx: r.non2xx }),
  };
}

let rssResetWarned = false;
/** Warm-up (excluded), reset the server's peak RSS, the measured run, read the peak. */
async function run(s: Server, scenario: string, server: string, load: Load, gen: Generator = generator, record = true) {
  await measure(gen, load, warmup);
  if (!s.resetPeakRss() && !rssResetWarned) {
    rssResetWarned = true;
    console.log('bench: cannot reset the peak RSS (/proc/<pid>/clear_refs): each row has the peak since the start');
  }
  const m = await measure(gen, load, seconds);
  const row: Row = { scenario, server, generator: gen, ...m, rssMb: s.readPeakRssMb() };
  if (record) rows.push(row);
  const statuses = row.statuses
    ? `  statuses ${Object.entries(row.statuses)
        .map(([c, n]) => `${c}×${n}`)
        .join(' ')}`
    : '';
  console.log(
    `${server.padEnd(19)} ${scenario.padEnd(56)} ${String(row.rps).padStart(7)} req/s  mean ${row.latencyMeanMs} ms  p50 ${row.p50} ms  p99 ${row.p99} ms  errors ${row.errors}  non-2xx ${row.non2xx}  RSS ${row.rssMb} MB${statuses}`,
  );
  return row;
}

/** Rounds of each compared pair (below): one for --quick, three for a full run. */
const ROUNDS = quick ? 1 : 3;
/** Per compared pair (by name): the ratio each round measured, and their median (see alternate). */
const paired: Record<string, { rounds: number[]; median: number }> = {};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The row of the median round by rate (the table's row of a scenario measured in rounds). */
function medianRow(rounds: Row[]): Row {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)] as Row;
}

/**
 * Two scenarios measured in turns, ROUNDS times each (first, second, first, second, …), each turn with its warm-up:
 * this machine's speed drifts by 10–30 % within minutes, so a ratio of two runs minutes apart measures the drift as
 * much as the scenarios. The table keeps each one's median round; the ratio (`ratioOf`, named `key`) is the median
 * of the rounds' own ratios, each of two runs seconds apart. Default: the second's rate over the first's (a route
 * against its ceiling).
 */
async function alternate(
  s: Server,
  server: string,
  first: [string, Load],
  second: [string, Load],
  ratioOf: (first: Row, second: Row) => number = (a, b) => b.rps / a.rps,
  key = second[0],
) {
  const rounds: { first: Row; second: Row }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push({
      first: await run(s, first[0], server, first[1], generator, false),
      second: await run(s, second[0], server, second[1], generator, false),
    });
  }
  const a = medianRow(rounds.map((r) => r.first));
  const b = medianRow(rounds.map((r) => r.second));
  for (const row of [a, b]) if (!rows.includes(row)) rows.push(row);
  const ratios = rounds.map((x) => Math.round(ratioOf(x.first, x.second) * 100) / 100);
  paired[key] = { rounds: ratios, median: median(ratios) };
  console.log(`${server}: ${key}, by round: ${ratios.join(', ')}`);
  return { first: a, second: b };
}

const find = (server: string, prefix: string): Row => {
  const row = rows.find((r) => r.server === server && r.scenario.startsWith(prefix));
  if (!row) throw new Error(`bench: no ${server} scenario starting with "${prefix}"`);
  return row;
};
const CACHED_GET_CHAT = 'get-chat 100-pair chat, first page';
const NOT_MODIFIED = 'get-chat 100-pair chat, first page, If-None-Match (304)';
const exact = (server: string, scenario: string): Row => {
  const row = rows.find((r) => r.server === server && r.scenario === scenario);
  if (!row) throw new Error(`bench: no ${server} scenario "${scenario}"`);
  return row;
};

/** The keys of `paired` for the comparisons of section 3 and the writes against pgbench of section 4. */
const COMPARE = {
  firstPage: 'first page, large / small chat',
  lastPage: 'before=end, large / small chat',
  tree: 'root, 1,000-branch / 10-branch tree',
  depth: 'deep / shallow branch',
  addMessage: 'add-message / pgbench',
  createBranch: 'create-branch / pgbench',
  addTail: 'add-message p99 / p50',
};
const chatUrl = (base: string, chatId: string, q = '') => `${base}/api/v1/chats/get-chat?chat_id=${chatId}${q}`;
const env = { DATABASE_URL: manifest.databaseUrl, JWT_SECRET, BENCH_ROUTES: '1', DB_POOL_MAX: '10' };

// 2. Reads with the cache, and the ceiling
{
  const s = await startServer({ ...env, CACHE_MODE: 'auto' }, await freePort());
  const small = manifest.small;
  const pageBytes = (
    await (await fetch(chatUrl(s.base, small.chatId), { headers: auth(small.accountId) })).arrayBuffer()
  ).byteLength;
  const ceilingName = `ceiling (pre-serialised ${Math.round(pageBytes / 1024)} KB)`;
  const ceilingLoad: Load = { url: `${s.base}/bench/ceiling?bytes=${pageBytes}` };
  const getChatLoad: Load = { url: chatUrl(s.base, small.chatId), headers: auth(small.accountId) };
  const { first: ceiling, second: cached } = await alternate(
    s,
    'cached',
    [ceilingName, ceilingLoad],
    [CACHED_GET_CHAT, getChatLoad],
  );
  ceiling.bytes = pageBytes;
  cached.bytes = pageBytes;
  // The same read, conditional: the page's ETag in If-None-Match (a 304 without a body where the server
  // supports it; whatever it answers is recorded, with the statuses). Counting statuses costs wrk little on
  // 304s, but a server answering 200s here is measured below its get-chat rate (bench/wrk.ts).
  const first = await fetch(getChatLoad.url, { headers: getChatLoad.headers });
  await first.arrayBuffer();
  const etag = first.headers.get('ETag');
  if (!etag) console.log('bench: get-chat sent no ETag; the If-None-Match scenario runs without the header');
  await run(s, NOT_MODIFIED, 'cached', {
    url: getChatLoad.url,
    headers: { ...getChatLoad.headers, ...(etag ? { 'If-None-Match': etag } : {}) },
    expect304: true,
  });
  await run(s, 'get-branches 1,000-branch tree', 'cached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${manifest.tree1000.rootChatId}`,
    headers: auth(manifest.tree1000.accountId),
  });
  // Both generators once, on the same server: the ceiling and the cached read with autocannon too.
  if (generator === 'wrk') {
    (await run(s, ceilingName, 'cached (autocannon)', ceilingLoad, 'autocannon')).bytes = pageBytes;
    (await run(s, CACHED_GET_CHAT, 'cached (autocannon)', getChatLoad, 'autocannon')).bytes = pageBytes;
  }
  rss.cached = s.peakRssMb();
  await s.stop();
}

// 2b. The same cached read and ceiling on Node 22 (the bundle of `npm run build:node`)
if (nodeBinary().missing === null) {
  buildNodeBundle(`${root}/dist/server.js`);
  const s = await startServer({ ...env, CACHE_MODE: 'auto' }, await freePort(), 'node');
  const small = manifest.small;
  const bytes = find('cached', 'ceiling').bytes ?? 65536;
  await run(s, `ceiling (pre-serialised ${Math.round(bytes / 1024)} KB)`, 'node22', {
    url: `${s.base}/bench/ceiling?bytes=${bytes}`,
  });
  await run(s, CACHED_GET_CHAT, 'node22', {
    url: chatUrl(s.base, small.chatId),
    headers: auth(small.accountId),
  });
  rss.node22 = s.peakRssMb();
  await s.stop();
} else {
  console.log(`node22: skipped (${nodeBinary().missing})`);
}

const vacuum = () => vacuumDatabase(manifest.databaseUrl);

// 3. Reads without the cache
await vacuum();
{
  const s = await startServer({ ...env, CACHE_MODE: 'off' }, await freePort());
  const m = manifest;
  const h = auth(m.small.accountId);
  // Comparisons use pages of 50 on both sides, so they compare equal amounts of output.
  const L = '&limit=50';
  const read = (name: string, url: string): [string, Load] => [name, { url, headers: h }];
  await run(s, 'get-chat 100-pair chat, first page', 'uncached', { url: chatUrl(s.base, m.small.chatId), headers: h });
  // Each comparison of the targets (section 6) in alternating rounds: the larger case's mean latency over the
  // smaller's, round by round.
  const slower = (small: Row, large: Row) => large.latencyMeanMs / small.latencyMeanMs;
  const comparisons: [[string, Load], [string, Load], string][] = [
    [
      read('get-chat 100-pair chat, first 50', chatUrl(s.base, m.small.chatId, L)),
      read(`get-chat ${m.big.pairs}-pair chat, first 50`, chatUrl(s.base, m.big.chatId, L)),
      COMPARE.firstPage,
    ],
    [
      read('get-chat 100-pair chat, before=end 50', chatUrl(s.base, m.small.chatId, `&before=end${L}`)),
      read(`get-chat ${m.big.pairs}-pair chat, before=end 50`, chatUrl(s.base, m.big.chatId, `&before=end${L}`)),
      COMPARE.lastPage,
    ],
    [
      read('get-chat root of 10-branch tree, first 50', chatUrl(s.base, m.tree10.rootChatId, L)),
      read(`get-chat root of ${m.tree1000.count - 1}-branch tree, first 50`, chatUrl(s.base, m.tree1000.rootChatId, L)),
      COMPARE.tree,
    ],
    [
      read(`get-chat depth-${m.shallow.depth} branch, first 50`, chatUrl(s.base, m.shallow.chatId, L)),
      read(`get-chat depth-${m.deep.depth} branch, first 50`, chatUrl(s.base, m.deep.chatId, L)),
      COMPARE.depth,
    ],
  ];
  for (const [small, large, key] of comparisons) await alternate(s, 'uncached', small, large, slower, key);
  await run(s, `get-branches ${m.tree1000.count - 1}-branch tree`, 'uncached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${m.tree1000.rootChatId}`,
    headers: h,
  });
  await run(s, 'get-branches 10-branch tree', 'uncached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${m.tree10.rootChatId}`,
    headers: h,
  });

  rss.uncached = s.peakRssMb();
  await s.stop();
}

// The database's own write ceiling (pgbench, section 5), on a vacuumed database.
async function pgbenchOnVacuumed(): Promise<number> {
  if (!Bun.which('pgbench')) return Number.NaN;
  await vacuum();
  return pgbench();
}
/** pgbench's rate in each round of the writes (section 4). */
const pgRuns: number[] = [];

// 4. Writes under concurrency (spread over 100 accounts' conversations; set-active within one tree), on a server
// with the default configuration (the cache on, so chat rows come from memory under the read lease): each
// scenario cycles through one request per write target, with that target's account's token. Each starts on a
// vacuumed database (the PostgreSQL here runs with autovacuum off; a scenario's dead rows would burden the next).
// add-message and create-branch are measured in ROUNDS rounds, each right after pgbench (the server idle): each is
// compared with its own round's pgbench, and the ratios (and add-message's p99/p50) are the medians of the rounds'.
{
  const s = await startServer({ ...env, CACHE_MODE: 'auto' }, await freePort());
  const writes = (method: 'POST' | 'PUT', path: string, body: (t: Manifest['writeTargets'][number]) => unknown) => ({
    url: `${s.base}${path}`,
    requests: manifest.writeTargets.map(
      (t): WrkRequest => ({
        method,
        path,
        headers: { ...auth(t.accountId), 'Content-Type': 'application/json' },
        body: JSON.stringify(body(t)),
      }),
    ),
  });
  const addMessage = writes('POST', '/api/v1/messages/add-message', (t) => ({
    chat_id: t.chatId,
    question: 'bench question',
    response: 'bench answer',
  }));
  const createBranch = writes('POST', '/api/v1/branches/create-branch', (t) => ({
    chat_id: t.chatId,
    response_id: t.responseId,
    activate: false,
  }));
  const adds: Row[] = [];
  const branches: Row[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    pgRuns.push(await pgbenchOnVacuumed());
    await vacuum();
    adds.push(await run(s, 'add-message (response given)', 'writes', addMessage, generator, false));
    await vacuum();
    branches.push(await run(s, 'create-branch (activate: false)', 'writes', createBranch, generator, false));
  }
  rows.push(medianRow(adds), medianRow(branches));
  const rounds = (key: string, of: (i: number) => number) => {
    const ratios = pgRuns.map((_, i) => Math.round(of(i) * 100) / 100);
    paired[key] = { rounds: ratios, median: median(ratios) };
    console.log(`writes: ${key}, by round: ${ratios.join(', ')}`);
  };
  rounds(COMPARE.addMessage, (i) => (adds[i] as Row).rps / (pgRuns[i] as number));
  rounds(COMPARE.createBranch, (i) => (branches[i] as Row).rps / (pgRuns[i] as number));
  rounds(COMPARE.addTail, (i) => (adds[i] as Row).p99 / (adds[i] as Row).p50);
  await vacuum();
  await run(
    s,
    'set-active-branch (alternating, 100 trees)',
    'writes',
    writes('PUT', '/api/v1/branches/set-active-branch', (t) => ({ chat_id: t.chatId })),
  );
  rss.writes = s.peakRssMb();
  await s.stop();
}

// 5. The database's own write ceiling: pgbench, one INSERT per transaction, same server.
function pgbench(): number {
  const url = new URL(manifest.databaseUrl);
  const args = ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres'];
  const dbName = url.pathname.slice(1);
  Bun.spawnSync([
    'psql',
    ...args,
    '-d',
    dbName,
    '-qc',
    'create table if not exists bench_insert (id bigserial primary key, chat_id uuid, payload text)',
  ]);
  writeFileSync(
    '/tmp/branchat-pgbench.sql',
    "insert into bench_insert (chat_id, payload) values (gen_random_uuid(), 'bench question / bench answer');\n",
  );
  const r = Bun.spawnSync([
    'pgbench',
    ...args,
    '-n',
    '-c',
    String(connections),
    '-j',
    '2',
    '-T',
    String(seconds),
    '-f',
    '/tmp/branchat-pgbench.sql',
    dbName,
  ]);
  const out = r.stdout.toString();
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  console.log(`pgbench single-INSERT: ${Math.round(tps)} tps`);
  return Math.round(tps);
}
const pgTps = Math.round(median(pgRuns));

// 6. Ratios

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const m = manifest;
const inRounds = `median of ${ROUNDS} alternating round${ROUNDS === 1 ? '' : 's'}`;
const ratios = [
  {
    ratio: `cached get-chat / ceiling (req/s, ${inRounds})`,
    value: paired[CACHED_GET_CHAT]?.median ?? Number.NaN,
    target: '≥ 0.8',
    ok: (v: number) => v >= 0.8,
  },
  {
    ratio: '304 get-chat / ceiling (req/s)',
    value: ratio(exact('cached', NOT_MODIFIED).rps, find('cached', 'ceiling').rps),
    target: '≥ 0.9',
    ok: (v: number) => v >= 0.9,
  },
  {
    ratio: `uncached get-chat, ${m.tree1000.count - 1}-branch tree / 10-branch tree (mean latency, ${inRounds})`,
    value: paired[COMPARE.tree]?.median ?? Number.NaN,
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `first page, ${m.big.pairs}-pair chat / 100-pair chat (mean latency, ${inRounds})`,
    value: paired[COMPARE.firstPage]?.median ?? Number.NaN,
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `before=end, ${m.big.pairs}-pair chat / 100-pair chat (mean latency, ${inRounds})`,
    value: paired[COMPARE.lastPage]?.median ?? Number.NaN,
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `depth-${m.deep.depth} / depth-${m.shallow.depth} branch (get-chat mean latency, ${inRounds})`,
    value: paired[COMPARE.depth]?.median ?? Number.NaN,
    target: '≤ 2',
    ok: (v: number) => v <= 2,
  },
  {
    ratio: `add-message / pgbench single-INSERT tps (${inRounds})`,
    value: paired[COMPARE.addMessage]?.median ?? Number.NaN,
    target: '≥ 0.3',
    ok: (v: number) => v >= 0.3,
  },
  {
    ratio: `create-branch / pgbench single-INSERT tps (${inRounds})`,
    value: paired[COMPARE.createBranch]?.median ?? Number.NaN,
    target: '≥ 0.3',
    ok: (v: number) => v >= 0.3,
  },
  {
    ratio: `p99 / p50, add-message (${inRounds})`,
    value: paired[COMPARE.addTail]?.median ?? Number.NaN,
    target: '≤ 3',
    ok: (v: number) => v <= 3,
  },
  {
    // Every row of a Bun server (the Node 22 rows are the comparison, not the service as shipped).
    ratio: 'server peak RSS, any scenario (MB)',
    value: Math.max(...rows.filter((r) => r.server !== 'node22').map((r) => r.rssMb)),
    target: '≤ 200',
    ok: (v: number) => v <= 200,
  },
  {
    ratio: 'Bun / Node 22 throughput on cached get-chat',
    value: rows.some((r) => r.server === 'node22')
      ? ratio(exact('cached', CACHED_GET_CHAT).rps, exact('node22', CACHED_GET_CHAT).rps)
      : Number.NaN,
    target: 'report',
    ok: () => true,
  },
].map((r) => ({ ratio: r.ratio, value: r.value, target: r.target, met: r.ok(r.value) }));

const result = {
  date: new Date().toISOString(),
  quick,
  scale,
  generator,
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: `${process.platform}-${process.arch}` },
  settings: { seconds, warmup, connections, threads },
  dataset: manifest.totals,
  rows,
  pgbenchTps: pgTps,
  pgbenchRuns: pgRuns,
  paired,
  peakRssMb: rss,
  ratios,
};
const stamp = result.date.slice(0, 19).replace(/[:T]/g, '-');
writeFileSync(
  `${import.meta.dir}/results/${quick ? 'quick-' : ''}${scale === 1 ? '' : `x${scale}-`}${stamp}.json`,
  `${JSON.stringify(result, null, 2)}\n`,
);

const table = [
  '| server | scenario | req/s | mean ms | p50 ms | p99 ms | errors | non-2xx | 304 | RSS MB |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.server} | ${r.scenario} | ${r.rps} | ${r.latencyMeanMs} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.notModified ?? '-'} | ${r.rssMb} |`,
  ),
  '',
  `Load: ${generator}, ${connections} connections${generator === 'wrk' ? `, ${threads} thread` : ''}, ${seconds} s measured after a ${warmup} s warm-up; RSS MB: the server's peak RSS (VmHWM) during the measured run; 304: Not Modified responses (not counted as non-2xx). Dataset: ${manifest.totals.chats} chats, ${manifest.totals.pairs} pairs${scale === 1 ? '' : ` (--scale ${scale})`}.`,
  '',
  `pgbench, one INSERT per transaction, ${connections} clients, right before each round of the writes: ${pgRuns.join(', ')} tps (median **${pgTps}**). Ratios measured in alternating rounds (section 6 takes each one's median), by round: ${Object.entries(
    paired,
  )
    .map(([k, v]) => `${k} ${v.rounds.join(', ')}`)
    .join(
      '; ',
    )}. Peak RSS: cached run ${rss.cached} MB, uncached run ${rss.uncached} MB, writes run ${rss.writes} MB, Node 22 cached run ${rss.node22 ?? '-'} MB.`,
  '',
  '| ratio | measured | target | met |',
  '|---|---|---|---|',
  ...ratios.map(
    (r) => `| ${r.ratio} | ${r.value} | ${r.target} | ${r.target === 'report' ? '—' : r.met ? 'yes' : '**no**'} |`,
  ),
].join('\n');
console.log(`\n${table}`);
if (!quick)
  writeFileSync(
    `${import.meta.dir}/results/latest${scale === 1 ? '' : `-x${scale}`}.md`,
    `<!-- bench/run.ts${scale === 1 ? '' : ` --scale ${scale}`}, ${result.date}, ${result.machine.cpus} CPUs, Bun ${Bun.version}, ${generator} -->\n${table}\n`,
  );
