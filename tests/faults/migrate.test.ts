/**
 * Instances starting together on an empty database: migrations run once, under an advisory lock, and every
 * instance starts (without the lock, two of them raced into duplicate-key errors; see README, "Docker").
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { MIGRATION_LOCK, migrate } from '../../src/stores/postgres.js';
import { cleanup, freshDatabase, reasonToSkip, root, unavailable } from './harness.js';

const why = await reasonToSkip('faults/migrate', unavailable());
afterAll(cleanup);

/** `bun scripts/migrate.ts` (npm run migrate) on `url`, as a process of its own; its exit code and output. */
function migrateProcess(url: string, dataDir: string) {
  const proc = Bun.spawn([process.execPath, 'scripts/migrate.ts'], {
    cwd: root,
    // An explicit environment: nothing of the test process leaks in.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATABASE_URL: url, DATA_DIR: dataDir },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then((o) =>
    o.join(''),
  );
  return { proc, done: Promise.all([proc.exited, output]) };
}

describe.skipIf(Boolean(why))('concurrent migrations', () => {
  test('three at once on an empty database: one applies everything, the others find nothing to do', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const sizes = results.map((r) => r.length).sort((a, b) => a - b);
    expect(sizes[0]).toBe(0);
    expect(sizes[1]).toBe(0);
    expect(sizes[2]).toBeGreaterThanOrEqual(5);
    expect(await migrate(url)).toEqual([]);
  });

  test('two `npm run migrate` processes at once on an empty database: both succeed, each migration applied once', async () => {
    const url = await freshDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'branchat-migrate-'));
    // The test holds the migrators' lock until both processes wait for it, so that they really start together
    // (whatever the machine's speed); then it lets go and they go on by themselves.
    const gate = new pg.Client({ connectionString: url });
    await gate.connect();
    const runs: ReturnType<typeof migrateProcess>[] = [];
    try {
      await gate.query('select pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
      runs.push(migrateProcess(url, dataDir), migrateProcess(url, dataDir));
      const waiting = async () =>
        Number(
          (
            await gate.query(
              `select count(*) as n from pg_locks
                where locktype = 'advisory' and not granted
                  and database = (select oid from pg_database where datname = current_database())`,
            )
          ).rows[0].n,
        );
      const deadline = Date.now() + 30_000;
      while ((await waiting()) < 2) {
        const exited = runs.filter((r) => r.proc.exitCode !== null);
        if (exited.length > 0) {
          const [code, output] = await exited[0]!.done;
          throw new Error(`a migrator exited (${code}) before the lock was free:\n${output}`);
        }
        if (Date.now() > deadline) throw new Error('the two migrators never both waited for the migration lock');
        await Bun.sleep(50);
      }
      await gate.query('select pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
      const results = await Promise.all(runs.map((r) => r.done));
      for (const [code, output] of results) expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
      const outputs = results.map(([, output]) => output);
      expect(outputs.filter((o) => o.includes('migrations applied')).length).toBe(1);
      expect(outputs.filter((o) => o.includes('database is up to date')).length).toBe(1);
      const applied = await gate.query<{ name: string; n: string }>(
        'select name, count(*) as n from mikro_orm_migrations group by name order by name',
      );
      expect(applied.rows.map((r) => ({ name: r.name, n: Number(r.n) }))).toEqual(
        migrationsList.map((m) => ({ name: m.name, n: 1 })).sort((a, b) => a.name.localeCompare(b.name)),
      );
    } finally {
      for (const r of runs) r.proc.kill('SIGKILL');
      await gate.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
