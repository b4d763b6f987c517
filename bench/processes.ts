/**
 * Throughput with 1, 2 and 4 API server processes on this machine against one PostgreSQL, and correctness under it
 * (npm run bench:processes; `-- --quick` for a smoke run: 2 s per step, the ceiling at one process only, ~50 s in
 * all). docs/capacity.md.
 *
 * The processes share one port with SO_REUSEPORT (REUSE_PORT=1, src/runtime.ts): the kernel spreads wrk's
 * connections over them, so one wrk (bench/wrk.ts: 32 connections, one thread, as bench/run.ts) measures every
 * step and its percentiles are exact. Steps at N = 1, 2, 4 (processes started one by one, each ready once N
 * sockets listen on the port):
 * - the ceiling (`/bench/ceiling`, a pre-serialised body the size of the page below), same generator, same run;
 * - a cached read: get-chat, first page of a 100-pair chat (CACHE_MODE=auto, the default);
 * - a write: add-message with the response given, spread over 100 accounts' conversations; every request's
 *   question carries a unique marker, and wrk writes down the marker of every 201 (bench/wrk.ts `acknowledge`);
 * - an uncached read: the same get-chat on processes with CACHE_MODE=off.
 * After each write step the database is checked: every acknowledged write stored exactly once, none stored twice,
 * no status but 201, each written chat's own_count equal to its pair count and its highest seq, each tree's event
 * log without gaps and ending at the tree's event_seq, and every process answering each written chat with the same
 * ETag and the stored message count (fresh connections, so the kernel hands them to different processes). Any
 * violation makes the harness exit 1 (timings are never judged).
 *
 * Per step: req/s, p50/p99, errors, each process's peak RSS (VmHWM, reset before the measured run) and CPU, and
 * the CPU of PostgreSQL (this database's backends and the cluster's background processes), of wrk, and of the
 * whole machine (/proc/stat: what is left is other work on the box); PostgreSQL's commits, rows, block reads and
 * WAL bytes per second (pg_stat_database, pg_current_wal_lsn; WAL is the cluster's). The machine's load average is
 * recorded at the start; a step during which other work on the box took more than 0.3 cores is measured again (at
 * most 3 attempts, the quietest kept; every write attempt is checked). Writes bench/results/processes-<date>.json and .md (not for --quick).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { TokenService } from '../src/auth/tokens.js';
import type { Manifest } from './dataset.js';
import { benchScale, cpuSeconds, freePort, type Server, startSharedServer, vacuum } from './lib.js';
import { type WrkRequest, type WrkResult, wrk, wrkBinary } from './wrk.js';

const { quick } = benchScale();
const seconds = quick ? 2 : 10;
const warmup = quick ? 1 : 2;
const connections = 32;
const COUNTS = [1, 2, 4] as const;
const JWT_SECRET = randomBytes(32).toString('hex');
const root = `${import.meta.dir}/..`;
if (!wrkBinary()) {
  console.error('bench:processes needs wrk (Debian package `wrk`): it measures every step with one wrk');
  process.exit(1);
}
const startedAt = performance.now();
const loadAtStart = loadavg();
console.log(`load average at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);

// 1. The dataset (bench/dataset.ts), in a database of its own (`--label processes`): a fresh one each run.
const label = 'processes';
const ds = Bun.spawnSync([process.execPath, 'bench/dataset.ts', '--label', label, ...(quick ? ['--quick'] : [])], {
  cwd: root,
  stdout: 'inherit',
  stderr: 'inherit',
});
if (ds.exitCode !== 0) throw new Error('dataset failed');
const manifest = JSON.parse(
  readFileSync(`${import.meta.dir}/results/dataset-${label}${quick ? '-quick' : ''}.json`, 'utf8'),
) as Manifest;
const tokens = new TokenService(JWT_SECRET, 86_400);
const tokenOf = new Map<string, string>();
for (const a of manifest.accounts) tokenOf.set(a, await tokens.issue(a));
const auth = (accountId: string) => ({ Authorization: `Bearer ${tokenOf.get(accountId)}` });
const env = {
  DATABASE_URL: manifest.databaseUrl,
  JWT_SECRET,
  BENCH_ROUTES: '1',
  DB_POOL_MAX: '10',
  SHUTDOWN_GRACE_MS: '2000',
};
const db = new Bun.SQL(manifest.databaseUrl, { max: 1 });

// ---- accounting ------------------------------------------------------------------------------------------------
/** Busy and total CPU seconds of the whole machine (/proc/stat, first line). */
function machineCpu(): { busy: number; total: number } {
  const f = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / 100, total: (busy + idle + iowait) / 100 };
}
const lsnBytes = (lsn: string) => {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return Number.parseInt(hi, 16) * 2 ** 32 + Number.parseInt(lo, 16);
};
interface Snapshot {
  at: number;
  machine: { busy: number; total: number };
  servers: number[];
  pg: Map<number, number>;
  stats?: {
    commits: number;
    inserted: number;
    blksRead: number;
    blksHit: number;
    wal: number;
    walSyncs: number;
    xids: number;
  };
}
/** This database's backends (but this connection's) and the cluster's background processes. */
async function pgPids(): Promise<{ pids: number[]; connections: number }> {
  const rows = await db`select pid, backend_type = 'client backend' as client from pg_stat_activity
    where pid <> pg_backend_pid() and (datname = current_database() or backend_type <> 'client backend')`;
  return {
    pids: rows.map((r: { pid: number }) => r.pid),
    connections: rows.filter((r: { client: boolean }) => r.client).length,
  };
}
async function pgStats(): Promise<NonNullable<Snapshot['stats']>> {
  const [d] = await db`select xact_commit::float8 as commits, tup_inserted::float8 as inserted,
    blks_read::float8 as blks_read, blks_hit::float8 as blks_hit, pg_current_wal_lsn()::text as lsn,
    (select wal_sync from pg_stat_wal)::float8 as wal_syncs,
    pg_snapshot_xmax(pg_current_snapshot())::text::float8 as xids
    from pg_stat_database where datname = current_database()`;
  return {
    commits: d.commits,
    inserted: d.inserted,
    blksRead: d.blks_read,
    blksHit: d.blks_hit,
    wal: lsnBytes(d.lsn),
    walSyncs: d.wal_syncs,
    xids: d.xids,
  };
}
async function snapshot(servers: Server[], pids: number[]): Promise<Snapshot> {
  return {
    at: performance.now(),
    machine: machineCpu(),
    servers: servers.map((s) => cpuSeconds(s.pid)),
    pg: new Map(pids.map((p) => [p, cpuSeconds(p)])),
    stats: await pgStats(),
  };
}

// ---- steps -----------------------------------------------------------------------------------------------------
interface Step {
  scenario: string;
  processes: number;
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors (connect, read, write, timeout). */
  errors: number;
  /** Statuses ≥ 400 (wrk), or every status but the expected one where counted. */
  bad: number;
  statuses?: Record<string, number>;
  /** Each process's peak RSS during the measured run, MB. */
  rssMb: number[];
  /** CPU seconds per wall second (1 = one core busy): each server process, their sum, PostgreSQL, wrk, the machine. */
  cpu: { servers: number[]; server: number; postgres: number; wrk: number; machine: number; other: number };
  /** Per second, from pg_stat_database (this database) and the WAL position (the cluster). */
  pg: {
    /** The servers' connections to this database when the measured run began. */
    connections: number;
    /** Transaction ids assigned (write transactions, the whole cluster: exact). */
    writeXacts: number;
    commits: number;
    inserted: number;
    blksRead: number;
    blksHit: number;
    walKB: number;
    walSyncs: number;
  };
  check?: WriteCheck;
  /** Which attempt this is (a step is measured again while other work on the box is above NOISY). */
  attempts?: number;
}
const steps: Step[] = [];
const r2 = (n: number) => Math.round(n * 100) / 100;

interface Load {
  url: string;
  headers?: Record<string, string>;
  requests?: WrkRequest[];
  /** Requests for the warm-up, when the measured ones are marked. */
  warmupRequests?: WrkRequest[];
  acknowledge?: { pattern: string; status: number };
}

async function measureOnce(
  scenario: string,
  servers: Server[],
  load: Load,
): Promise<{ step: Step; result: WrkResult }> {
  const base = { url: load.url, connections, threads: 1, ...(load.headers ? { headers: load.headers } : {}) };
  const warmRequests = load.warmupRequests ?? load.requests;
  await wrk({ ...base, seconds: warmup, ...(warmRequests ? { requests: warmRequests } : {}) });
  for (const s of servers) s.resetPeakRss();
  const { pids, connections: pgConnections } = await pgPids();
  const before = await snapshot(servers, pids);
  const result = await wrk({
    ...base,
    seconds,
    ...(load.requests ? { requests: load.requests } : {}),
    ...(load.acknowledge ? { acknowledge: load.acknowledge, countStatuses: true } : {}),
  });
  const machine = machineCpu();
  const serverCpu = servers.map((s) => cpuSeconds(s.pid));
  const pgCpu = pids.map((p) => cpuSeconds(p) - (before.pg.get(p) ?? 0)).filter((v) => Number.isFinite(v));
  const wall = (performance.now() - before.at) / 1000;
  // Under load, backends flush their counters about once a second; a backend gone idle, only after 10 s. The
  // full run waits a second for the last flushes (pg_stat_* are ±1 s of counts; xids and WAL are exact).
  if (!quick) await Bun.sleep(1100);
  const stats = await pgStats();
  const b = before.stats as NonNullable<Snapshot['stats']>;
  const servers_ = serverCpu.map((c, i) => r2((c - (before.servers[i] ?? 0)) / wall));
  const server = r2(servers_.reduce((a, c) => a + c, 0));
  const postgres = r2(pgCpu.reduce((a, c) => a + c, 0) / wall);
  const wrkCpu = r2((result.cpuSeconds ?? Number.NaN) / wall);
  const machineBusy = r2((machine.busy - before.machine.busy) / wall);
  const per = (a: number, z: number) => Math.round((a - z) / wall);
  let bad = result.status4xx5xx;
  if (result.statuses) {
    bad = 0;
    for (const [code, n] of Object.entries(result.statuses)) if (Number(code) !== load.acknowledge?.status) bad += n;
  }
  const s: Step = {
    scenario,
    processes: servers.length,
    rps: Math.round(result.rps),
    p50: result.p50,
    p99: result.p99,
    errors: Object.values(result.socketErrors).reduce((a, c) => a + c, 0),
    bad,
    ...(result.statuses ? { statuses: result.statuses } : {}),
    rssMb: servers.map((x) => x.readPeakRssMb()),
    cpu: {
      servers: servers_,
      server,
      postgres,
      wrk: wrkCpu,
      machine: machineBusy,
      other: r2(Math.max(0, machineBusy - server - postgres - (Number.isFinite(wrkCpu) ? wrkCpu : 0))),
    },
    pg: {
      connections: pgConnections,
      writeXacts: per(stats.xids, b.xids),
      commits: per(stats.commits, b.commits),
      inserted: per(stats.inserted, b.inserted),
      blksRead: per(stats.blksRead, b.blksRead),
      blksHit: per(stats.blksHit, b.blksHit),
      walKB: Math.round((stats.wal - b.wal) / 1024 / wall),
      walSyncs: per(stats.walSyncs, b.walSyncs),
    },
  };
  console.log(
    `${String(s.processes).padStart(1)} proc  ${scenario.padEnd(34)} ${String(s.rps).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  errors ${s.errors}  bad ${s.bad}  RSS ${s.rssMb.join('/')} MB  CPU server ${s.cpu.server} (${s.cpu.servers.join('+')}) pg ${s.cpu.postgres} wrk ${s.cpu.wrk} machine ${s.cpu.machine}`,
  );
  return { step: s, result };
}

/** Other work on the machine (cores) above which a step is measured again (at most 3 attempts; not --quick). */
const NOISY = 0.3;

/**
 * Measures a step; while other work on the box took more than NOISY cores, again (at most 3 attempts, the quietest
 * kept). `load` may depend on the attempt (each write attempt has its own markers); `after` runs after each attempt
 * (the write checks: every attempt is checked, the kept one's result recorded).
 */
async function step(
  scenario: string,
  servers: Server[],
  load: Load | ((attempt: number) => Load),
  after?: (result: WrkResult, attempt: number) => Promise<WriteCheck>,
): Promise<Step> {
  let kept: Step | undefined;
  for (let attempt = 1; ; attempt++) {
    const m = await measureOnce(scenario, servers, typeof load === 'function' ? load(attempt) : load);
    m.step.attempts = attempt;
    if (after) m.step.check = await after(m.result, attempt);
    if (!kept || m.step.cpu.other < kept.cpu.other) kept = m.step;
    if (quick || m.step.cpu.other <= NOISY || attempt === 3) break;
    console.log(`        other work took ${m.step.cpu.other} cores: measured again`);
  }
  steps.push(kept);
  return kept;
}

// ---- correctness after a write step ---------------------------------------------------------------------------
interface WriteCheck {
  acknowledged: number;
  stored: number;
  /** Acknowledged (201) but not in the database. */
  lost: number;
  /** Markers stored more than once. */
  duplicated: number;
  /** Stored but not acknowledged: in flight when wrk stopped (at most one per connection). */
  inFlightAtCut: number;
  /** Written chats whose own_count differs from their pair count or their highest seq. */
  badCounts: number;
  /** Trees whose event log has a gap or does not end at the tree's event_seq. */
  badEventLogs: number;
  /** Written chats answered with more than one ETag, or a message count other than the stored one. */
  etagMismatches: number;
  etagReads: number;
  problems: string[];
}

async function checkWrites(marker: string, acks: string[], servers: Server[], statuses: Record<string, number>) {
  const problems: string[] = [];
  const stored = new Map<string, number>();
  const rows = await db.unsafe(
    `select substr(question, $2) as m, count(*)::int as n from qa_pairs where question like $1 group by 1`,
    [`${marker} %`, marker.length + 2],
  );
  for (const r of rows as { m: string; n: number }[]) stored.set(r.m, r.n);
  const ackSet = new Set(acks);
  if (ackSet.size !== acks.length) problems.push(`wrk recorded ${acks.length - ackSet.size} acknowledgements twice`);
  let lost = 0;
  for (const a of ackSet) if (!stored.has(a)) lost++;
  let duplicated = 0;
  let inFlightAtCut = 0;
  for (const [m, n] of stored) {
    if (n > 1) duplicated++;
    if (!ackSet.has(m)) inFlightAtCut++;
  }
  const created = statuses['201'] ?? 0;
  if (created !== acks.length) problems.push(`${created} responses were 201 but ${acks.length} markers were read`);
  if (lost) problems.push(`${lost} acknowledged writes are not in the database`);
  if (duplicated) problems.push(`${duplicated} writes are stored more than once`);
  if (inFlightAtCut > connections)
    problems.push(`${inFlightAtCut} writes stored without a 201: more than the ${connections} connections in flight`);
  const other = Object.entries(statuses).filter(([c]) => c !== '201');
  if (other.length) problems.push(`statuses other than 201: ${other.map(([c, n]) => `${c}×${n}`).join(' ')}`);

  const chatIds = manifest.writeTargets.map((t) => t.chatId);
  const [counts] = await db.unsafe(
    `select count(*)::int as bad from chats c
       left join (select chat_id, count(*) as n, max(seq) as top from qa_pairs where chat_id = any($1::uuid[])
                  group by chat_id) p using (chat_id)
      where c.chat_id = any($1::uuid[]) and (c.own_count <> coalesce(p.n, 0) or c.own_count <> coalesce(p.top, 0))`,
    [`{${chatIds.join(',')}}`],
  );
  const badCounts = (counts as { bad: number }).bad;
  if (badCounts) problems.push(`${badCounts} chats' own_count differs from their pairs`);
  // The write targets are roots: each is its own tree.
  const [events] = await db.unsafe(
    `select count(*)::int as bad from conversations c
       left join (select root_chat_id, count(*) as n, min(seq) as lo, max(seq) as hi from tree_events
                  where root_chat_id = any($1::uuid[]) group by root_chat_id) e on e.root_chat_id = c.chat_id
      where c.chat_id = any($1::uuid[]) and e.n is not null and (e.hi - e.lo + 1 <> e.n or e.hi <> c.event_seq)`,
    [`{${chatIds.join(',')}}`],
  );
  const badEventLogs = (events as { bad: number }).bad;
  if (badEventLogs) problems.push(`${badEventLogs} trees' event logs have gaps or end before event_seq`);

  // Every process the kernel hands a fresh connection to must answer the same tag and count.
  let etagMismatches = 0;
  let etagReads = 0;
  const sample = manifest.writeTargets.slice(0, 10);
  const owned = new Map(
    (
      (await db.unsafe('select chat_id::text as id, own_count from chats where chat_id = any($1::uuid[])', [
        `{${sample.map((t) => t.chatId).join(',')}}`,
      ])) as { id: string; own_count: number }[]
    ).map((r) => [r.id, r.own_count]),
  );
  for (const t of sample) {
    const tags = new Set<string>();
    let countOk = true;
    for (let i = 0; i < 4 * servers.length; i++) {
      const r = await fetch(`${servers[0]?.base}/api/v1/chats/get-chat?chat_id=${t.chatId}&before=end&limit=1`, {
        headers: { ...auth(t.accountId), Connection: 'close' },
      });
      const body = (await r.json()) as { chat?: { message_count?: number } };
      etagReads++;
      tags.add(r.headers.get('ETag') ?? `(status ${r.status})`);
      if (body.chat?.message_count !== owned.get(t.chatId)) countOk = false;
    }
    if (tags.size !== 1 || !countOk) etagMismatches++;
  }
  if (etagMismatches) problems.push(`${etagMismatches} chats answered with different ETags or a stale count`);
  const check: WriteCheck = {
    acknowledged: acks.length,
    stored: [...stored.values()].reduce((a, c) => a + c, 0),
    lost,
    duplicated,
    inFlightAtCut,
    badCounts,
    badEventLogs,
    etagMismatches,
    etagReads,
    problems,
  };
  console.log(
    `        check: ${check.acknowledged} acknowledged, ${check.stored} stored, lost ${lost}, duplicated ${duplicated}, in flight at the cut ${inFlightAtCut}, own_count mismatches ${badCounts}, event-log mismatches ${badEventLogs}, ETag/count mismatches ${etagMismatches} of ${sample.length} chats (${etagReads} reads)${problems.length ? `\n        PROBLEMS: ${problems.join('; ')}` : ''}`,
  );
  return check;
}

// ---- the run ---------------------------------------------------------------------------------------------------
const chatUrl = (base: string, chatId: string) => `${base}/api/v1/chats/get-chat?chat_id=${chatId}`;
const small = manifest.small;
const run = randomBytes(3).toString('hex');
let pageBytes = 0;

/** Starts processes on one shared port up to each count in COUNTS, and runs `each` at every count. */
async function ladder(extra: Record<string, string>, each: (servers: Server[]) => Promise<void>) {
  const port = await freePort();
  const servers: Server[] = [];
  try {
    for (const n of COUNTS) {
      while (servers.length < n) servers.push(await startSharedServer({ ...env, ...extra }, port, servers.length));
      await each(servers);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const failures: string[] = [];
await ladder({ CACHE_MODE: 'auto' }, async (servers) => {
  const base = servers[0]?.base as string;
  if (!pageBytes) {
    const r = await fetch(chatUrl(base, small.chatId), { headers: auth(small.accountId) });
    pageBytes = (await r.arrayBuffer()).byteLength;
  }
  // --quick measures the ceiling with one process only (it is there to check the harness, in under a minute).
  if (!quick || servers.length === 1)
    await step(`ceiling (pre-serialised ${Math.round(pageBytes / 1024)} KB)`, servers, {
      url: `${base}/bench/ceiling?bytes=${pageBytes}`,
    });
  await step('get-chat first page, cached', servers, {
    url: chatUrl(base, small.chatId),
    headers: auth(small.accountId),
  });
  await vacuum(manifest.databaseUrl);
  const marker = (attempt: number) => `procbench${run}n${servers.length}a${attempt}`;
  const requests = (question: string) =>
    manifest.writeTargets.map(
      (t): WrkRequest => ({
        method: 'POST',
        path: '/api/v1/messages/add-message',
        headers: { ...auth(t.accountId), 'Content-Type': 'application/json' },
        body: JSON.stringify({ chat_id: t.chatId, question, response: 'bench answer' }),
      }),
    );
  await step(
    'add-message (response given)',
    servers,
    (attempt) => ({
      url: `${base}/api/v1/messages/add-message`,
      requests: requests(`${marker(attempt)} {{n}}`),
      warmupRequests: requests('procbench warm-up'),
      acknowledge: { pattern: `"question":"${marker(attempt)} ([%d%-]+)"`, status: 201 },
    }),
    async (result, attempt) => {
      const check = await checkWrites(marker(attempt), result.acks ?? [], servers, result.statuses ?? {});
      for (const p of check.problems) failures.push(`${servers.length} processes, attempt ${attempt}: ${p}`);
      return check;
    },
  );
});

await vacuum(manifest.databaseUrl);
await ladder({ CACHE_MODE: 'off' }, async (servers) => {
  await step('get-chat first page, uncached', servers, {
    url: chatUrl(servers[0]?.base as string, small.chatId),
    headers: auth(small.accountId),
  });
});
await db.close();

// ---- report ----------------------------------------------------------------------------------------------------
const date = new Date().toISOString();
const totalSeconds = Math.round((performance.now() - startedAt) / 100) / 10;
const result = {
  date,
  quick,
  machine: { cpus: cpus().length, bun: Bun.version, platform: `${process.platform}-${process.arch}` },
  loadAverageAtStart: loadAtStart.map(r2),
  settings: { seconds, warmup, connections, threads: 1, generator: 'wrk', dbPoolMaxPerProcess: 10 },
  dataset: manifest.totals,
  steps,
  failures,
  totalSeconds,
};
const scenarios = [...new Set(steps.map((s) => s.scenario))];
const lines = [
  '| scenario | processes | req/s | × 1 process | p50 ms | p99 ms | errors | bad statuses | RSS MB per process | CPU: servers | PostgreSQL | wrk | other work | machine | attempt |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const sc of scenarios) {
  const one = steps.find((s) => s.scenario === sc && s.processes === 1)?.rps ?? Number.NaN;
  for (const s of steps.filter((x) => x.scenario === sc))
    lines.push(
      `| ${sc} | ${s.processes} | ${s.rps} | ${r2(s.rps / one)} | ${s.p50} | ${s.p99} | ${s.errors} | ${s.bad} | ${s.rssMb.join(' / ')} | ${s.cpu.server} (${s.cpu.servers.join(' + ')}) | ${s.cpu.postgres} | ${s.cpu.wrk} | ${s.cpu.other}${s.cpu.other > NOISY ? ' (noisy)' : ''} | ${s.cpu.machine} | ${s.attempts ?? 1} |`,
    );
}
const pgLines = [
  '| scenario | processes | connections | write xacts/s (cluster) | commits/s | rows inserted/s | blocks read/s | buffer hits/s | WAL KB/s (cluster) | WAL syncs/s |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...steps.map(
    (s) =>
      `| ${s.scenario} | ${s.processes} | ${s.pg.connections} | ${s.pg.writeXacts} | ${s.pg.commits} | ${s.pg.inserted} | ${s.pg.blksRead} | ${s.pg.blksHit} | ${s.pg.walKB} | ${s.pg.walSyncs} |`,
  ),
];
const checkLines = [
  '| processes | 201s | stored | lost | duplicated | in flight at the cut | own_count mismatches | event-log mismatches | ETag/count mismatches (reads) |',
  '|---|---|---|---|---|---|---|---|---|',
  ...steps
    .filter((s) => s.check)
    .map((s) => {
      const c = s.check as WriteCheck;
      return `| ${s.processes} | ${c.acknowledged} | ${c.stored} | ${c.lost} | ${c.duplicated} | ${c.inFlightAtCut} | ${c.badCounts} | ${c.badEventLogs} | ${c.etagMismatches} (${c.etagReads}) |`;
    }),
];
const md = [
  `<!-- bench/processes.ts${quick ? ' --quick' : ''}, ${date}, ${result.machine.cpus} CPUs, Bun ${Bun.version}, wrk; load average at the start ${result.loadAverageAtStart.join(' ')} -->`,
  lines.join('\n'),
  '',
  `Load: one wrk, ${connections} connections, 1 thread, ${seconds} s measured after a ${warmup} s warm-up, against N server processes sharing one port (REUSE_PORT=1), DB_POOL_MAX=10 each, one PostgreSQL. CPU: cores busy (CPU seconds per second) during the measured run; PostgreSQL: this database's backends and the cluster's background processes; "machine": the whole box (of 2 cores), "other work": the machine less the three (other work on the box, and the kernel's share not charged to them); a step that saw more than ${NOISY} cores of it is measured again, at most 3 attempts, the quietest kept ("attempt"), "(noisy)" if even that one did. pg_stat_database counts (commits, rows, blocks) are this database's, ±1 s of counts (backends flush them about once a second). RSS: each process's peak (VmHWM) during the measured run. Dataset: ${manifest.totals.chats} chats, ${manifest.totals.pairs} pairs.`,
  '',
  pgLines.join('\n'),
  '',
  'After each add-message step (every 201 checked against the database by its unique marker):',
  '',
  checkLines.join('\n'),
  '',
  failures.length ? `**Failures:** ${failures.join('; ')}` : 'No failures.',
  '',
  `Run time: ${totalSeconds} s.`,
].join('\n');
console.log(`\n${md}`);
console.log(`bench:processes: ${totalSeconds} s`);
if (!quick) {
  const stamp = date.slice(0, 19).replace(/[:T]/g, '-');
  writeFileSync(`${import.meta.dir}/results/processes-${stamp}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${import.meta.dir}/results/processes-${stamp}.md`, `${md}\n`);
}
if (failures.length) console.error(`bench:processes: ${failures.length} correctness failure(s)`);
// At once: a stopped server's grace timer (tests/support/server-process.ts) would keep the event loop ~15 s more.
process.exit(failures.length ? 1 : 0);
