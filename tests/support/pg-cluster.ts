/**
 * Real PostgreSQL topologies for the tests of issue 23 (tests/e2e/pgbouncer.test.ts, tests/e2e/replica.test.ts):
 * a PgBouncer in transaction pooling mode in front of a PostgreSQL, and a primary with a streaming replica, each
 * started in the test's own temporary folder on free ports and stopped by `stop()` (the folders are removed by
 * the caller's cleanup).
 *
 * Debian's binaries: `pgbouncer` (package pgbouncer; .ci/run installs it) and PostgreSQL 15's server binaries
 * under /usr/lib/postgresql/15/bin (PG_BIN to use others). Neither PostgreSQL nor PgBouncer runs as root: as
 * root, they are run as the `postgres` system user (setpriv), which then owns the test's folder.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function pgbouncerBinary(): string | null {
  return which('pgbouncer') ?? (existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : null);
}

/** The system user the servers run as when this process is root (neither server starts as root). */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root and there is no postgres user to run as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** `cmd` as the server user when root: setpriv execs it in place, so a signal to the child reaches the server. */
function asServerUser(cmd: string[]): string[] {
  return runAs() ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', ...cmd] : cmd;
}

/** Makes `dir` (created if needed) the server user's. */
function own(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const u = runAs();
  if (u) chownSync(dir, u.uid, u.gid);
  chmodSync(dir, 0o700);
}

function run(cmd: string[], what: string): void {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Why the replica test cannot run here, or null. */
export function replicaUnavailable(): string | null {
  for (const b of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) {
    if (!existsSync(join(PG_BIN, b))) return `no ${join(PG_BIN, b)} (PostgreSQL 15 server binaries; PG_BIN)`;
  }
  try {
    runAs();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** Why the PgBouncer test cannot run here, or null. */
export function pgbouncerUnavailable(): string | null {
  if (!pgbouncerBinary()) return 'no pgbouncer binary (Debian package pgbouncer; .ci/run installs it)';
  try {
    runAs();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** Resolves once a PostgreSQL-protocol server on `url` answers `select 1` (or throws after `ms`). */
export async function waitForSql(url: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('select 1');
      await c.end();
      return;
    } catch (e) {
      await c.end().catch(() => {});
      if (Date.now() > until) throw new Error(`${url} does not answer: ${(e as Error).message}`);
      await Bun.sleep(100);
    }
  }
}

export interface PgBouncer {
  port: number;
  /** A URL for `database` through the pooler. */
  url(database: string): string;
  /** `SHOW <what>` on the admin console (pools, stats, config …). */
  show(what: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * PgBouncer in `pool_mode = transaction` in front of `host:port`, trust authentication (auth_type trust, an
 * auth_file naming the user): every database name is passed through. Its log is `dir/pgbouncer.log`.
 */
export async function startPgBouncer(options: {
  dir: string;
  host: string;
  port: number;
  user?: string;
  poolSize?: number;
}): Promise<PgBouncer> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error('no pgbouncer');
  own(options.dir);
  const port = await freePort();
  const user = options.user ?? 'postgres';
  const ini = join(options.dir, 'pgbouncer.ini');
  writeFileSync(join(options.dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      // The server's timeouts for statements outside transactions, as docs/operations.md asks of the pooler (or of
      // the role): a transaction-mode pooler takes no startup parameters.
      `* = host=${options.host} port=${options.port} connect_query='SET statement_timeout = 30000'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(options.dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      // What docs/operations.md asks of a pooler in front of branchat: nothing of a session survives a transaction.
      'server_reset_query =',
      'max_client_conn = 500',
      `default_pool_size = ${options.poolSize ?? 8}`,
      'max_db_connections = 0',
      // pg sends extra_float_digits; nothing else is a startup parameter under DATABASE_POOLER=transaction.
      'ignore_startup_parameters = extra_float_digits',
      `admin_users = ${user}`,
      `logfile = ${join(options.dir, 'pgbouncer.log')}`,
      `pidfile = ${join(options.dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const u = runAs();
  if (u) for (const f of ['pgbouncer.ini', 'userlist.txt']) chownSync(join(options.dir, f), u.uid, u.gid);
  const proc = Bun.spawn(asServerUser([bin, ini]), { stdout: 'ignore', stderr: 'pipe' });
  const url = (database: string) => `postgresql://${user}@127.0.0.1:${port}/${database}`;
  try {
    await waitForSql(url('pgbouncer').replace('/pgbouncer', '/postgres'));
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`pgbouncer did not start: ${(e as Error).message}; ${await new Response(proc.stderr).text()}`);
  }
  return {
    port,
    url,
    async show(what: string) {
      // The admin console speaks the simple query protocol only.
      const c = new pg.Client({ connectionString: url('pgbouncer') });
      await c.connect();
      try {
        return (await c.query(`show ${what}`)).rows;
      } finally {
        await c.end();
      }
    },
    async stop() {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}

export interface ReplicatedPair {
  primaryUrl(database: string): string;
  replicaUrl(database: string): string;
  primaryPort: number;
  replicaPort: number;
  /** Stops the replica only (immediate shutdown). */
  stopReplica(): Promise<void>;
  stop(): Promise<void>;
}

function pgCtl(dataDir: string, action: 'start' | 'stop', logFile: string): void {
  const args = [join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-w', '-t', '60', '-l', logFile, action];
  if (action === 'stop') args.push('-m', 'immediate');
  run(asServerUser(args), `pg_ctl ${action} ${dataDir}`);
}

/**
 * A new primary (initdb, in `dir/primary`, on a free port) and a streaming replica of it (pg_basebackup -R -X
 * stream, in `dir/replica`, on another), both PostgreSQL 15, trust authentication on 127.0.0.1 (replication
 * included). The machine's own PostgreSQL allows no replication connections, and a base backup of it would copy
 * everything else on it: hence a primary of the test's own.
 */
export async function startPrimaryWithReplica(dir: string): Promise<ReplicatedPair> {
  own(dir);
  const primary = join(dir, 'primary');
  const replica = join(dir, 'replica');
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  run(
    asServerUser([
      join(PG_BIN, 'initdb'),
      '-D',
      primary,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]),
    'initdb',
  );
  appendFileSync(
    join(primary, 'postgresql.conf'),
    [
      '',
      `port = ${primaryPort}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'wal_level = replica',
      'max_wal_senders = 4',
      'hot_standby = on',
      'fsync = off',
      'shared_buffers = 32MB',
      'max_connections = 60',
      '',
    ].join('\n'),
  );
  appendFileSync(join(primary, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  let primaryUp = false;
  let replicaUp = false;
  const stop = async () => {
    const errors: unknown[] = [];
    for (const [up, dataDir] of [
      [replicaUp, replica],
      [primaryUp, primary],
    ] as const) {
      try {
        if (up) pgCtl(dataDir, 'stop', join(dir, 'stop.log'));
      } catch (e) {
        errors.push(e);
      }
    }
    replicaUp = false;
    primaryUp = false;
    if (errors.length > 0) throw errors[0];
  };
  try {
    pgCtl(primary, 'start', join(dir, 'primary.log'));
    primaryUp = true;
    run(
      asServerUser([
        join(PG_BIN, 'pg_basebackup'),
        '-h',
        '127.0.0.1',
        '-p',
        String(primaryPort),
        '-U',
        'postgres',
        '-D',
        replica,
        '-R',
        '-X',
        'stream',
        '--no-sync',
      ]),
      'pg_basebackup',
    );
    appendFileSync(join(replica, 'postgresql.conf'), `\nport = ${replicaPort}\n`);
    pgCtl(replica, 'start', join(dir, 'replica.log'));
    replicaUp = true;
  } catch (e) {
    await stop();
    throw e;
  }
  const at = (port: number) => (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  const stopReplica = async () => {
    if (replicaUp) pgCtl(replica, 'stop', join(dir, 'replica.log'));
    replicaUp = false;
  };
  return { primaryUrl: at(primaryPort), replicaUrl: at(replicaPort), primaryPort, replicaPort, stopReplica, stop };
}
