/**
 * wrk (https://github.com/wg/wrk; Debian's `wrk` package) as a load generator for the bench harness: one wrk
 * process per run, its text output parsed. A C load generator costs the machine less than autocannon (which
 * runs in the harness's own JavaScript), so on a small machine it leaves more CPU to the server under test.
 *
 * Rotating requests (a write spread over many accounts' chats) and status counts go through a Lua script
 * written to a temporary file: wrk.format() builds each request once, `request()` cycles through them.
 *
 * Note: wrk's "Non-2xx or 3xx responses" line counts statuses ≥ 400 only (wrk.c: `if (status > 399)`), so a
 * 304 never shows there; `countStatuses` counts every status in Lua instead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/messages/add-message`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  /** A request slower than this counts as a timeout (a socket error). Default 10 s, autocannon's default. */
  timeoutSeconds?: number;
  /** Headers of the one request (ignored with `requests`). */
  headers?: Record<string, string>;
  /** Requests to cycle through, in order, instead of GET `url`. */
  requests?: WrkRequest[];
  /**
   * Count the responses by status: a Lua response hook, so wrk copies every response's headers and body into Lua.
   * Next to nothing for bodyless 304s; for 67 KB 200s it halved wrk's rate on a 2-CPU machine.
   */
  countStatuses?: boolean;
  /**
   * With `requests`: every `{{n}}` in a body becomes a marker unique to that request (`<thread>-<count>`), and
   * the first capture of `pattern` (a Lua pattern) in each response with status `status` is written to a file of
   * `dir`, one a line (`acks-<thread>.txt`, line-buffered, so nothing is lost when wrk exits): the requests the
   * server acknowledged, to check against what it stored (bench/processes.ts). `wrk()` reads them into `acks`.
   */
  acknowledge?: { pattern: string; status: number };
}

export interface WrkResult {
  requests: number;
  rps: number;
  /** Milliseconds. */
  latencyMeanMs: number;
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** wrk's "Non-2xx or 3xx responses": statuses ≥ 400. */
  status4xx5xx: number;
  /** Bytes read (headers and bodies), from "N requests in T, B read". */
  bytesRead: number;
  /** With `countStatuses`: responses per status. */
  statuses?: Record<string, number>;
  /** With `acknowledge`: the markers of the acknowledged requests. */
  acks?: string[];
  /** CPU seconds wrk itself used (user + system), where the runtime reports it. */
  cpuSeconds?: number;
  output: string;
}

/** The wrk binary, or null. */
export function wrkBinary(): string | null {
  if (process.env.BENCH_GENERATOR === 'autocannon') return null;
  return Bun.which('wrk') ?? Bun.which('wrk', { PATH: '/usr/bin:/usr/local/bin' });
}

/** wrk's time units (us, ms, s, m, h) → milliseconds. */
export function durationMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new Error(`wrk: cannot read a duration from "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] as 'us' | 'ms' | 's' | 'm' | 'h';
  return n * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Parses the output of `wrk --latency` (and of the status-count script's `done`). */
export function parseWrk(output: string): WrkResult {
  const need = (re: RegExp, what: string) => {
    const m = re.exec(output);
    if (!m) throw new Error(`wrk: no ${what} in its output:\n${output}`);
    return m;
  };
  const mean = need(/^\s*Latency\s+(\S+)/m, 'mean latency')[1] as string;
  const pct = (p: number) => durationMs(need(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm'), `p${p}`)[1] as string);
  const total = Number(need(/^\s*(\d+) requests in /m, 'request count')[1]);
  const rps = Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const st = /^wrk-statuses:(.*)$/m.exec(output);
  const result: WrkResult = {
    requests: total,
    rps,
    latencyMeanMs: round3(durationMs(mean)),
    p50: round3(pct(50)),
    p75: round3(pct(75)),
    p90: round3(pct(90)),
    p99: round3(pct(99)),
    socketErrors: {
      connect: Number(sock?.[1] ?? 0),
      read: Number(sock?.[2] ?? 0),
      write: Number(sock?.[3] ?? 0),
      timeout: Number(sock?.[4] ?? 0),
    },
    status4xx5xx: Number(non?.[1] ?? 0),
    bytesRead: bytesOf(/requests in \S+, ([\d.]+)([KMGT]?B) read/.exec(output)),
    output,
  };
  if (st) {
    result.statuses = {};
    for (const pair of (st[1] as string).trim().split(/\s+/).filter(Boolean)) {
      const [code, n] = pair.split('=');
      result.statuses[code as string] = Number(n);
    }
  }
  return result;
}

/** wrk's "12.34MB" (binary units) → bytes; 0 when absent. */
function bytesOf(m: RegExpExecArray | null): number {
  if (!m) return 0;
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[m[2] as 'B'] ?? 1;
  return Number(m[1]) * unit;
}

/** A Lua string literal for any string (bytes outside printable ASCII as \ddd). */
export function luaString(s: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(s)) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The Lua script for `requests`, `countStatuses` and/or `acknowledge`, or null when plain wrk does (one GET, `-H` headers). */
export function wrkScript(
  opts: Pick<WrkOptions, 'requests' | 'countStatuses' | 'acknowledge'>,
  ackDir?: string,
): string | null {
  const parts: string[] = [];
  const unique = opts.acknowledge !== undefined;
  if (opts.requests?.length) {
    const table = opts.requests
      .map((r) => {
        const headers = Object.entries(r.headers ?? {})
          .map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`)
          .join(', ');
        const body = r.body === undefined ? 'nil' : luaString(r.body);
        return `  { ${luaString(r.method)}, ${luaString(r.path)}, { ${headers} }, ${body} },`;
      })
      .join('\n');
    parts.push(`-- Built by bench/wrk.ts: cycle through ${opts.requests.length} ${unique ? "requests, each body's {{n}} made unique" : 'pre-formatted requests'}.
local specs = {
${table}
}
local built = {}
local i = 0
local n = 0

function init(args)
  for k, r in ipairs(specs) do
    local headers = { Host = wrk.headers["Host"] }
    for name, value in pairs(r[3]) do headers[name] = value end
    built[k] = ${unique ? '{ r[1], r[2], headers, r[4] }' : 'wrk.format(r[1], r[2], headers, r[4])'}
  end${
    unique
      ? `
  acks = io.open(${luaString(`${ackDir}/acks-`)} .. tid .. ".txt", "w")
  acks:setvbuf("line")`
      : ''
  }
end

function request()
  i = i % #built + 1
${
  unique
    ? `  n = n + 1
  local r = built[i]
  local body = r[4] and (string.gsub(r[4], "{{n}}", tid .. "-" .. n))
  return wrk.format(r[1], r[2], r[3], body)`
    : '  return built[i]'
}
end
`);
  }
  if (opts.countStatuses || unique) {
    parts.push(`-- Thread numbers${opts.countStatuses ? ', and responses per status summed over the threads, printed as "wrk-statuses: 200=n 304=m"' : ''}.
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function response(status, headers, body)${
      opts.countStatuses
        ? `
  statuses[status] = (statuses[status] or 0) + 1`
        : ''
    }${
      unique
        ? `
  if status == ${opts.acknowledge?.status} then
    local m = string.match(body, ${luaString(opts.acknowledge?.pattern ?? '')})
    if m then acks:write(m, "\\n") end
  end`
        : ''
    }
end
${
  opts.countStatuses
    ? `
function done(summary, latency, requests)
  local sum = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do sum[code] = (sum[code] or 0) + n end
  end
  local out = {}
  for code, n in pairs(sum) do out[#out + 1] = code .. "=" .. n end
  table.sort(out)
  io.write("wrk-statuses: " .. table.concat(out, " ") .. "\\n")
end
`
    : ''
}`);
  }
  return parts.length ? parts.join('\n') : null;
}

/** One wrk run (`-t<threads> -c<connections> -d<seconds>s --latency`), parsed. */
export async function wrk(opts: WrkOptions): Promise<WrkResult> {
  const bin = wrkBinary();
  if (!bin) throw new Error('wrk is not installed');
  const args = [
    bin,
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    `--timeout`,
    `${opts.timeoutSeconds ?? 10}s`,
    '--latency',
  ];
  if (!opts.requests) for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (opts.acknowledge && !opts.requests?.length) throw new Error('wrk: `acknowledge` needs `requests`');
  const dir = mkdtempSync(join(tmpdir(), 'branchat-wrk-'));
  const script = wrkScript(opts, dir);
  if (script) {
    const file = join(dir, 'script.lua');
    writeFileSync(file, script);
    args.push('-s', file);
  }
  args.push(opts.url);
  try {
    // Async, so the harness's own timers (the server's RSS sampling) keep running meanwhile.
    const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`wrk exited ${code}: ${err}${out}`);
    const result = parseWrk(out + err);
    const cpu = proc.resourceUsage()?.cpuTime.total;
    if (cpu !== undefined) result.cpuSeconds = Number(cpu) / 1e6;
    if (opts.acknowledge) {
      result.acks = readdirSync(dir)
        .filter((f) => f.startsWith('acks-'))
        .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
