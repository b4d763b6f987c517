/** Shared bench helpers: start the real server as a separate process, seed over HTTP, load with autocannon. */
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { listeningSockets, root, type ServerProcess, startServerProcess } from '../tests/support/server-process.js';

export { freePort, listeningSockets } from '../tests/support/server-process.js';

export interface Server {
  base: string;
  server: ServerProcess;
  pid: number;
  /** The highest VmHWM seen since the start (sampled every 200 ms, so it survives resetPeakRss). */
  peakRssMb(): number;
  /**
   * Resets the process's peak RSS (VmHWM) to its current RSS: `echo 5 > /proc/<pid>/clear_refs` (Linux ≥ 4.0).
   * False where that is not possible (then readPeakRssMb is the peak since the start).
   */
  resetPeakRss(): boolean;
  /** VmHWM now, MB (one decimal): the peak since the last resetPeakRss, or since the start. NaN off Linux. */
  readPeakRssMb(): number;
  stop(): Promise<void>;
}

/** VmHWM of a process, kB (NaN if /proc is not there or the process is gone). */
export function vmHwmKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * The dataset's size and names. `--quick` is a tenth of the full dataset; `--scale N` (or `--scale=N`, a whole
 * number ≥ 1) multiplies its conversations and its big chat. A scaled dataset has its own manifest
 * (`dataset-x10.json`) and database (`branchat_bench_x10`), so it never replaces the default one. `--label NAME`
 * does the same for a harness that must not share the default dataset (bench/processes.ts: `--label processes`).
 */
export function benchScale(argv: string[] = process.argv): { quick: boolean; scale: number; suffix: string } {
  const quick = argv.includes('--quick');
  const option = (name: string) => {
    let value: string | undefined;
    argv.forEach((a, i) => {
      if (a === name) value = argv[i + 1];
      else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
    });
    return value;
  };
  const raw = option('--scale');
  const scale = raw === undefined ? 1 : Number(raw);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`--scale wants a whole number ≥ 1, not ${raw}`);
  const label = option('--label');
  if (label !== undefined && !/^[a-z][a-z0-9]{0,20}$/.test(label))
    throw new Error(`--label wants a short lower-case name (a-z, 0-9), not ${label}`);
  return {
    quick,
    scale,
    suffix: `${label ? `-${label}` : ''}${quick ? '-quick' : ''}${scale === 1 ? '' : `-x${scale}`}`,
  };
}

/**
 * Starts the server (tests/support/server-process.ts) on Bun (default) or on Node 22 (`runtime: 'node'`, the
 * bundle from `npm run build:node`), ready once /readyz answers; its output goes to the bench's own.
 */
export async function startServer(
  env: Record<string, string>,
  port: number,
  runtime: 'bun' | 'node' = 'bun',
): Promise<Server> {
  const server = await startServerProcess({
    port,
    launcher: runtime,
    bundle: `${root}/dist/server.js`,
    readyPath: '/readyz',
    output: 'inherit',
    env: {
      LOG_LEVEL: 'warn',
      // The benchmarks are the volume the write limit exists to stop.
      WRITE_RATE_LIMIT: '0',
      // One account drives every connection: its heavy reads (get-branches, export) may all be in flight and
      // wait for the process's heavy slots (which still bound them below the pool), instead of a 429/503.
      HEAVY_MAX_PER_ACCOUNT: '1000',
      HEAVY_QUEUE_MAX: '10000',
      ...env,
    },
  });
  const pid = server.pid;
  let peak = 0;
  const sample = () => {
    const kb = vmHwmKb(pid);
    if (kb > 0) peak = Math.max(peak, kb / 1024);
    return kb;
  };
  const timer = setInterval(sample, 200);
  return {
    base: server.base,
    server,
    pid,
    peakRssMb: () => Math.round(peak),
    resetPeakRss() {
      sample(); // the peak so far stays in peakRssMb
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    readPeakRssMb: () => Math.round(sample() / 102.4) / 10,
    async stop() {
      clearInterval(timer);
      await server.stop();
    },
  };
}

/**
 * Starts one more server process on a port others already share (REUSE_PORT=1; `others` of them listen there):
 * ready once `others + 1` sockets listen on it (its /readyz may be answered by one of the others).
 */
export async function startSharedServer(env: Record<string, string>, port: number, others: number): Promise<Server> {
  const s = await startServer({ ...env, REUSE_PORT: '1', HOST: '127.0.0.1' }, port);
  const deadline = Date.now() + 30_000;
  while (listeningSockets(port) < others + 1) {
    if (!s.server.running) throw new Error(`server ${others + 1} on port ${port} exited before it listened`);
    if (Date.now() > deadline) throw new Error(`server ${others + 1} did not listen on port ${port} within 30 s`);
    await Bun.sleep(50);
  }
  return s;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), from field 3: utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** USER_HZ: 100 on every Linux architecture Bun runs on. */
const CLOCK_TICKS = 100;

/** VACUUM (ANALYZE) of a database: fresh statistics, no dead rows left by an earlier scenario. */
/**
 * Vacuums (autovacuum is off here) and checkpoints the database: a write scenario, and pgbench, then start from the
 * same clean state, not in the middle of a checkpoint still writing out the dataset's load or the previous scenario.
 */
export async function vacuum(databaseUrl: string) {
  const db = new Bun.SQL(databaseUrl, { max: 1 });
  try {
    await db.unsafe('vacuum analyze', []);
    await db.unsafe('checkpoint', []);
  } finally {
    await db.close();
  }
}

export async function api(base: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as any;
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(json)}`);
  return json;
}

export interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  options: { seconds?: number; connections?: number; warmupSeconds?: number } = {},
): Promise<LoadResult> {
  const connections = options.connections ?? 32;
  // Warm-up, excluded from the numbers.
  await autocannon({ url, headers, connections, duration: options.warmupSeconds ?? 2 });
  const r = await autocannon({ url, headers, connections, duration: options.seconds ?? 10 });
  return {
    name,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export function table(rows: LoadResult[]): string {
  const lines = ['| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`);
  return lines.join('\n');
}
