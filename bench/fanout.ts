/**
 * Real-time event fan-out and the cost of the event outbox (npm run bench:fanout, `-- --quick` for a smoke run).
 * README "Real-time events". Servers are separate processes on a fresh PostgreSQL database (dropped at the end),
 * a random JWT_SECRET and no REDIS_URL: events must need nothing but PostgreSQL.
 *
 * 1. Fan-out: SOCKETS sockets over 2 server processes (same DATABASE_URL and JWT_SECRET), PER_TREE sockets per tree,
 *    half of each tree's sockets on each process. WRITES_PER_S add-message writes with an explicit `response` (no
 *    model), round-robin over the trees, alternating the process written to (each tree is written through both).
 *    Per delivered event: receive − the writer's 201 (can be negative: the event may beat the answer) and
 *    receive − the event's `at`. Every acknowledged write must reach each socket of its tree once, seq without gaps.
 * 2. Outbox cost: add-message throughput (autocannon, rotating over the trees) on one server with events on and with
 *    EVENTS=off (no event rows, no NOTIFY, no /api/v1/ws), run in on/off/off/on/on/off order (so drift, e.g. the
 *    growing tables, falls on both alike), same settings; cost = 1 − mean(on)/mean(off).
 *
 * Accounts: one per 10 trees; the servers get WS_MAX_SOCKETS_PER_ACCOUNT=1000 (default 20 per account per process).
 * Latencies are measured in this process, which also hosts every socket: they include its own event-loop delay.
 * Never asserts on timings.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { api, freePort, type LoadResult, type Server, startServer, table } from './lib.js';

const quick = process.argv.includes('--quick');
const SOCKETS = quick ? 100 : 1000;
const TREES = quick ? 10 : 100;
const PER_TREE = SOCKETS / TREES;
const WRITES_PER_S = quick ? 20 : 100;
const SECONDS = quick ? 3 : 20;
const LOAD_SECONDS = quick ? 2 : 10;
const WARMUP_SECONDS = quick ? 1 : 2;
const CONNECTIONS = 32;

const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `bench_fanout_${randomBytes(4).toString('hex')}`;
const dbUrl = new URL(admin);
dbUrl.pathname = `/${dbName}`;
const common: Record<string, string> = {
  DATABASE_URL: dbUrl.toString(),
  JWT_SECRET: randomBytes(32).toString('hex'),
  WS_MAX_SOCKETS_PER_ACCOUNT: '1000',
  SHUTDOWN_GRACE_MS: '2000',
};

/** Wall clock with sub-millisecond resolution (comparable with the server's `at`: same machine). */
const now = () => performance.timeOrigin + performance.now();

type Tree = { chatId: string; token: string };
/** One event as a socket received it (`sockServer`: the process the socket is on). */
type Delivery = { responseId: string; recv: number; at: number; sockServer: number };
type Stats = Record<'gaps' | 'duplicates' | 'outOfOrder' | 'resyncs' | 'errors' | 'unexpectedCloses', number>;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
/** Set before the harness closes its sockets: closes after it are expected. */
let closing = false;
const fmt = (n: number) => (Number.isNaN(n) ? '–' : n.toFixed(1));

/** Opens one socket on `server`, subscribes it to `tree`; resolves once `subscribed` arrives. */
function follow(server: Server, serverIndex: number, tree: Tree, stats: Stats, out: Delivery[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${tree.token}`]);
    let lastSeq = -1;
    const seen = new Set<string>();
    const timer = setTimeout(() => reject(new Error('subscribe timed out')), 15_000);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', chat_id: tree.chatId }));
    ws.onmessage = (m) => {
      const recv = now();
      type Frame = { type: string; seq: number; at: string; data?: { response_id?: string } };
      const f = JSON.parse(String(m.data)) as Frame;
      if (f.type === 'subscribed') {
        lastSeq = f.seq;
        clearTimeout(timer);
        resolve(ws);
      } else if (f.type === 'event') {
        if (f.seq > lastSeq + 1) stats.gaps += f.seq - lastSeq - 1;
        else if (f.seq <= lastSeq) stats.outOfOrder++;
        lastSeq = Math.max(lastSeq, f.seq);
        const responseId = f.data?.response_id ?? '';
        if (seen.has(responseId)) stats.duplicates++;
        seen.add(responseId);
        out.push({ responseId, recv, at: Date.parse(f.at), sockServer: serverIndex });
      } else if (f.type === 'resync') stats.resyncs++;
      else if (f.type === 'error') stats.errors++;
    };
    ws.onclose = (e) => {
      if (!closing) stats.unexpectedCloses++;
      clearTimeout(timer);
      reject(new Error(`socket closed ${e.code} ${e.reason}`));
    };
  });
}

/** Accounts (one per 10 trees) and their trees (one root chat each), created over HTTP. */
async function seed(base: string): Promise<Tree[]> {
  const trees: Tree[] = [];
  for (let a = 0; a < Math.ceil(TREES / 10); a++) {
    const { token } = await api(base, 'POST', '/api/v1/auth/register', {
      email: `fanout${a}@example.com`,
      password: 'bench-password',
    });
    for (let t = 0; t < 10 && trees.length < TREES; t++) {
      const chat = await api(base, 'POST', '/api/v1/chats/create-chat', { name: `tree ${trees.length}` }, token);
      trees.push({ chatId: chat.chat_id, token });
    }
  }
  return trees;
}

async function fanout(servers: Server[], trees: Tree[]): Promise<string> {
  const stats: Stats = { gaps: 0, duplicates: 0, outOfOrder: 0, resyncs: 0, errors: 0, unexpectedCloses: 0 };
  const deliveries: Delivery[] = [];
  const sockets: WebSocket[] = [];
  // Socket j of a tree goes to process j % 2; opened 50 at a time.
  const plan = trees.flatMap((tree) => Array.from({ length: PER_TREE }, (_, j) => ({ tree, s: j % 2 })));
  for (let i = 0; i < plan.length; i += 50) {
    const batch = plan.slice(i, i + 50);
    sockets.push(
      ...(await Promise.all(batch.map((p) => follow(servers[p.s] as Server, p.s, p.tree, stats, deliveries)))),
    );
  }
  console.log(`${sockets.length} sockets subscribed; writing ${WRITES_PER_S}/s for ${SECONDS} s`);

  // Open-loop writes: write i at start + i / rate, whatever the previous ones are doing.
  const acks = new Map<string, { at: number; server: number }>();
  let failed = 0;
  const writes: Promise<void>[] = [];
  const total = WRITES_PER_S * SECONDS;
  const start = performance.now() + 100;
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / WRITES_PER_S - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const tree = trees[i % TREES] as Tree;
    const s = (i + Math.floor(i / TREES)) % 2;
    const body = JSON.stringify({ chat_id: tree.chatId, question: `q${i}`, response: `answer ${i}` });
    writes.push(
      fetch(`${(servers[s] as Server).base}/api/v1/messages/add-message`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tree.token}` },
        body,
      })
        .then(async (r) => {
          const at = now();
          const json = (await r.json()) as { response_id?: string };
          if (r.status === 201 && json.response_id) acks.set(json.response_id, { at, server: s });
          else failed++;
        })
        .catch(() => {
          failed++;
        }),
    );
  }
  await Promise.all(writes);
  // Drain: until every expected delivery arrived, or 3 s of nothing new.
  const expected = acks.size * PER_TREE;
  let last = -1;
  let idleSince = performance.now();
  while (deliveries.length < expected && performance.now() - idleSince < 3000) {
    if (deliveries.length !== last) [last, idleSince] = [deliveries.length, performance.now()];
    await Bun.sleep(50);
  }
  closing = true;
  for (const ws of sockets) ws.close();

  const sinceAck: number[] = [];
  const sinceAt: number[] = [];
  const perWrite = new Map<string, number>();
  let unmatched = 0;
  let same = 0;
  let cross = 0;
  for (const d of deliveries) {
    const ack = acks.get(d.responseId);
    sinceAt.push(d.recv - d.at);
    if (!ack) {
      unmatched++;
      continue;
    }
    sinceAck.push(d.recv - ack.at);
    perWrite.set(d.responseId, (perWrite.get(d.responseId) ?? 0) + 1);
    if (ack.server === d.sockServer) same++;
    else cross++;
  }
  const sameExpected = acks.size * Math.ceil(PER_TREE / 2);
  const exact = [...acks.keys()].filter((id) => perWrite.get(id) === PER_TREE).length;
  sinceAck.sort((a, b) => a - b);
  sinceAt.sort((a, b) => a - b);
  const row = (name: string, v: number[]) =>
    `| ${name} | ${v.length} | ${fmt(pct(v, 0.5))} | ${fmt(pct(v, 0.99))} | ${fmt(v.at(-1) ?? Number.NaN)} |`;
  const out = [
    '| latency (ms) | events | p50 | p99 | max |',
    '|---|---|---|---|---|',
    row('receive − writer got 201', sinceAck),
    row('receive − event `at`', sinceAt),
    '',
    '| delivery | value |',
    '|---|---|',
    `| writes acknowledged (201) / failed | ${acks.size} / ${failed} |`,
    `| events expected / received | ${expected} / ${deliveries.length} |`,
    `| writes delivered to all ${PER_TREE} sockets exactly once | ${exact} / ${acks.size} |`,
    `| same-process deliveries (expected) | ${same} (${sameExpected}) |`,
    `| cross-process deliveries (expected) | ${cross} (${expected - sameExpected}) |`,
    `| seq gaps / out of order / duplicates | ${stats.gaps} / ${stats.outOfOrder} / ${stats.duplicates} |`,
    `| resync / error frames / unexpected closes / unmatched events | ${stats.resyncs} / ${stats.errors} / ${stats.unexpectedCloses} / ${unmatched} |`,
  ].join('\n');
  // Not a timing: a lost, repeated or reordered event is a defect, and the harness says so with its exit code.
  const defects = Object.values(stats).reduce((x, y) => x + y, 0) + unmatched + failed;
  if (deliveries.length !== expected || exact !== acks.size || defects > 0) {
    console.error('fan-out: events were lost, repeated or reordered (see the table)');
    process.exitCode = 1;
  }
  return out;
}

/** add-message throughput on one server, rotating over the trees. */
async function writeLoad(name: string, server: Server, trees: Tree[]): Promise<LoadResult> {
  let n = 0;
  const opts: autocannon.Options = {
    url: server.base,
    connections: CONNECTIONS,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/messages/add-message',
        setupRequest: (req) => {
          const t = trees[n % trees.length] as Tree;
          const body = JSON.stringify({ chat_id: t.chatId, question: `load ${n}`, response: `answer ${n++}` });
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
            body,
          };
        },
      },
    ],
  };
  await autocannon({ ...opts, duration: WARMUP_SECONDS });
  const r = await autocannon({ ...opts, duration: LOAD_SECONDS });
  const { p50, p99 } = r.latency;
  console.log(`${name}: ${Math.round(r.requests.average)} req/s, p50 ${p50} ms, p99 ${p99} ms, non-2xx ${r.non2xx}`);
  return { name, rps: Math.round(r.requests.average), p50, p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/** Whether /api/v1/ws upgrades (it must not with EVENTS=off). */
function wsUpgrades(server: Server, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${token}`]);
    const done = (upgraded: boolean) => {
      clearTimeout(timer);
      ws.close();
      resolve(upgraded);
    };
    const timer = setTimeout(() => done(false), 3000);
    ws.onopen = () => done(true);
    ws.onerror = () => done(false);
  });
}

const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`create database ${dbName}`);
const running: Server[] = [];
const start = async (env: Record<string, string> = {}) => {
  const s = await startServer({ ...common, ...env }, await freePort());
  running.push(s);
  return s;
};
const stopAll = async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
};
let fanoutMd = '';
const loads: LoadResult[] = [];
let offUpgrades = false;
try {
  // One after the other: the first runs the migrations on the fresh database.
  const a = await start();
  const b = await start();
  const trees = await seed(a.base);
  // `--outbox-only`: just the cost of the log (for comparing designs quickly).
  if (!process.argv.includes('--outbox-only')) fanoutMd = await fanout([a, b], trees);
  await stopAll();

  const order = quick ? (['on', 'off'] as const) : (['on', 'off', 'off', 'on', 'on', 'off'] as const);
  for (const mode of order) {
    const server = await start(mode === 'off' ? { EVENTS: 'off' } : {});
    if (mode === 'off') offUpgrades ||= await wsUpgrades(server, (trees[0] as Tree).token);
    loads.push(await writeLoad(`add-message, events ${mode}`, server, trees));
    await stopAll();
  }
} finally {
  closing = true;
  await stopAll();
  await client.query(`drop database if exists ${dbName} with (force)`);
  await client.end();
}

const mean = (mode: string) => {
  const rs = loads.filter((l) => l.name.endsWith(mode)).map((l) => l.rps);
  return rs.reduce((x, y) => x + y, 0) / rs.length;
};
const [on, off] = [mean('events on'), mean('events off')];
const cpu = cpus();
const md = `<!-- written by bench/fanout.ts${quick ? ' --quick' : ''} on ${new Date().toISOString()} -->
# Real-time events: fan-out and outbox cost

Machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), bench client, both servers and PostgreSQL on it; no Redis.

## Fan-out (target: p99 ≤ 50 ms, every event delivered once)

${SOCKETS} sockets over 2 server processes (${SOCKETS / 2} each), ${TREES} trees × ${PER_TREE} sockets, \
${WRITES_PER_S} add-message writes/s for ${SECONDS} s, alternating the process written to; \
accounts: ${Math.ceil(TREES / 10)} (10 trees each), WS_MAX_SOCKETS_PER_ACCOUNT=1000.

${fanoutMd}

## Outbox cost (target ≤ 10 %)

add-message on one server, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${LOAD_SECONDS} s per run, \
${quick ? 'on/off' : 'on/off/off/on/on/off'}, rotating over the ${TREES} trees.

${table(loads)}

events on / off mean: ${Math.round(on)} / ${Math.round(off)} req/s; cost of events: ${((1 - on / off) * 100).toFixed(1)} %.
${offUpgrades ? '\n**EVENTS=off was not honoured: /api/v1/ws still upgraded on that server.**\n' : ''}`;
console.log(md);
writeFileSync(`${import.meta.dir}/results/fanout.md`, md);
