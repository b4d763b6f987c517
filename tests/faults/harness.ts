/**
 * Harness for the fault tests: the real server process (`bun src/server.ts`, no npm in between, so a signal
 * reaches the server itself), databases of their own on the test PostgreSQL, and a small HTTP client.
 * Everything started here is registered and torn down by `cleanup()` (call it from afterAll).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testDatabase } from '../support/db.js';

export const root = join(import.meta.dir, '..', '..');

/** Why the fault tests cannot run here, or null. Checked once per file at load time. */
export async function unavailable(): Promise<string | null> {
  try {
    await testDatabase();
    return null;
  } catch (e) {
    return `no PostgreSQL for the server process (tests/support/db.ts found none): ${(e as Error).message}`;
  }
}

// ---- resources to release --------------------------------------------------------------------------

const servers = new Set<ServerProcess>();
const databases = new Set<string>();
const dirs = new Set<string>();

// Should the test process itself die before afterAll, take its servers with it.
process.once('exit', () => {
  for (const s of servers) s.kill('SIGKILL');
});

async function adminClient(): Promise<pg.Client> {
  // Any connection to the test server can create and drop other databases on it.
  const c = new pg.Client({ connectionString: (await testDatabase()).url });
  await c.connect();
  return c;
}

/** A database of this test's own on the test PostgreSQL server (dropped by cleanup()). */
export async function freshDatabase(): Promise<string> {
  const base = await testDatabase();
  const name = `branchat_faults_${process.pid}_${randomBytes(4).toString('hex')}`;
  const c = await adminClient();
  try {
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
  databases.add(name);
  const u = new URL(base.url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function cleanup(): Promise<void> {
  for (const s of servers) s.kill('SIGKILL');
  await Promise.all([...servers].map((s) => s.exited));
  servers.clear();
  if (databases.size > 0) {
    const c = await adminClient();
    try {
      for (const name of databases) await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
    databases.clear();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

// ---- the server process ----------------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  jwtSecret: string;
  logLevel?: string;
  extraEnv?: Record<string, string>;
}

export class ServerProcess {
  readonly base: string;
  readonly exited: Promise<number>;
  private readonly proc: ReturnType<typeof Bun.spawn>;
  private readonly out: string[] = [];

  constructor(readonly options: ServerOptions) {
    const dataDir = mkdtempSync(join(tmpdir(), 'branchat-faults-'));
    dirs.add(dataDir);
    // An explicit environment: nothing of the test process (MONGO_URL, REDIS_URL, DATABASE_URL…) leaks in.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      DATABASE_URL: options.databaseUrl,
      JWT_SECRET: options.jwtSecret,
      DATA_DIR: dataDir,
      LOG_LEVEL: options.logLevel ?? 'warn',
      // Off, should a write rate limit exist: the burst must not be throttled.
      WRITE_RATE_LIMIT: '0',
      ...options.extraEnv,
    };
    this.proc = Bun.spawn([process.execPath, 'src/server.ts'], {
      cwd: root,
      env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const drain = async (s: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of s) this.out.push(decoder.decode(chunk, { stream: true }));
    };
    void drain(this.proc.stdout as ReadableStream<Uint8Array>);
    void drain(this.proc.stderr as ReadableStream<Uint8Array>);
    this.base = `http://127.0.0.1:${options.port}`;
    servers.add(this);
    this.exited = this.proc.exited.then((code) => {
      servers.delete(this);
      return code;
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exitCode(): number | null {
    return this.proc.exitCode;
  }

  get signalCode(): string | null {
    const s = this.proc.signalCode;
    return s === null ? null : String(s);
  }

  kill(signal: 'SIGKILL' | 'SIGTERM'): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  log(): string {
    return this.out.join('');
  }

  /** The last lines of the log, for failure messages. */
  tail(lines = 30): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(
          `server exited (${this.proc.exitCode ?? this.proc.signalCode}) before healthy:\n${this.tail()}`,
        );
      }
      try {
        const r = await fetch(`${this.base}/healthz`, { headers: { Connection: 'close' } });
        if (r.ok) return;
      } catch {}
      await Bun.sleep(50);
    }
    throw new Error(`server did not become healthy within ${timeoutMs} ms:\n${this.tail()}`);
  }
}

export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const s = new ServerProcess(options);
  await s.waitHealthy();
  return s;
}

export function randomSecret(): string {
  return randomBytes(32).toString('hex'); // 64 characters
}

// ---- HTTP ------------------------------------------------------------------------------------------

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON call to a served API: the body parsed when it is JSON, else its text. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; retries?: number; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  Object.assign(headers, options.headers);
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fetch(`${base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await r.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      return { status: r.status, body: body as T, headers: r.headers };
    } catch (e) {
      // A pooled keep-alive connection to a killed server fails once; only reads are retried.
      if (attempt >= (options.retries ?? 0)) throw e;
      await Bun.sleep(50);
    }
  }
}

export async function register(base: string): Promise<string> {
  const r = await call(base, 'POST', '/api/v1/auth/register', {
    body: { email: `faults-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery' },
  });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}
