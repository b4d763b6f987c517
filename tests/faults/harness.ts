/**
 * Helpers for the tests that run the real server process (tests/faults, tests/e2e, tests/events, tests/browser):
 * databases of their own on the test PostgreSQL, the server on one of them (tests/support/server-process.ts, the
 * one process harness, with the environment these tests use), and a small HTTP client. Everything started here is
 * registered and torn down by `cleanup()` (call it from afterAll).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { openPostgres } from '../../src/stores/postgres.js';
import { testDatabase } from '../support/db.js';
import { type ServerProcess, startServerProcess, stopServers } from '../support/server-process.js';

export { freePort, logsOnFailure, reasonToSkip, root, ServerProcess } from '../support/server-process.js';

/** Why these tests cannot run here, or null. Checked once per file at load time. */
export async function unavailable(): Promise<string | null> {
  try {
    await testDatabase();
    return null;
  } catch (e) {
    return `no PostgreSQL for the server process (tests/support/db.ts found none): ${(e as Error).message}`;
  }
}

// ---- resources to release --------------------------------------------------------------------------

const databases = new Set<string>();
const dirs = new Set<string>();

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

/**
 * A fresh database migrated up to the migration just before `name` (a migration's test writes rows as the earlier
 * schema had them, then runs the rest). Throws if `name` is not a listed migration after the first.
 */
export async function databaseBefore(name: string): Promise<string> {
  const index = migrationsList.findIndex((m) => m.name === name);
  if (index < 1) throw new Error(`${name}: not a listed migration after the first`);
  const url = await freshDatabase();
  const orm = await openPostgres({ url, poolMax: 2, timeouts: false });
  try {
    await orm.migrator.up({ to: migrationsList[index - 1]?.name });
  } finally {
    await orm.close();
  }
  return url;
}

/** A temporary directory (removed by cleanup()). */
export function tempDir(prefix = 'branchat-faults-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Kills the servers still running, drops the databases, removes the directories. */
export async function cleanup(): Promise<void> {
  await stopServers();
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

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  jwtSecret: string;
  logLevel?: string;
  extraEnv?: Record<string, string>;
}

/** `bun src/server.ts` on `databaseUrl` with a DATA_DIR of its own, ready (/healthz). */
export function startServer(options: ServerOptions): Promise<ServerProcess> {
  return startServerProcess({
    port: options.port,
    readyTimeoutMs: 20_000,
    env: {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      JWT_SECRET: options.jwtSecret,
      DATA_DIR: tempDir(),
      LOG_LEVEL: options.logLevel ?? 'warn',
      // Off, should a write rate limit exist: the burst must not be throttled.
      WRITE_RATE_LIMIT: '0',
      ...options.extraEnv,
    },
  });
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
