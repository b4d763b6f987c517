/**
 * Bun's own PostgreSQL client for the hottest statements (the batched chat-row reads and the one-call writes of
 * the metadata store). Profiled under add-message load, 40 % of the server's CPU went to writing `pg`'s queries to
 * its socket through Bun's node:net layer; Bun's client speaks the protocol natively and prepares each statement
 * once per connection (a primary-key read: ~7.6 k/s through `pg` unprepared, ~40 k/s through Bun's client,
 * BENCHMARKS.md). Everything else (MikroORM, migrations, transactions, LISTEN) stays on `pg`.
 *
 * Outside Bun (the Node bundle) there is none: the store uses `pg` for these statements too. Only statements that
 * run on their own (no transaction of ours) go through here.
 */

export interface FastSql {
  /**
   * Runs one statement (fixed text, `$1`… parameters: prepared once per connection); errors carry the SQLSTATE as
   * `code`, like `pg`'s.
   */
  query<T>(text: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

interface BunSqlError {
  errno?: unknown;
  code?: unknown;
  message?: string;
}

/** Bun's errors name the SQLSTATE `errno` and use `code` for their own kind: made to look like `pg`'s. */
function asPgError(e: unknown): unknown {
  if (!e || typeof e !== 'object') return e;
  const b = e as BunSqlError;
  const err = new Error(b.message ?? 'PostgreSQL error', { cause: e }) as Error & { code?: string };
  if (typeof b.errno === 'string' && /^[0-9A-Z]{5}$/.test(b.errno)) err.code = b.errno;
  else if (typeof b.code === 'string' && /CONNECTION|CLOSED|TIMEOUT|ECONN|SOCKET/i.test(b.code))
    err.code = 'ECONNRESET';
  else if (typeof b.code === 'string') err.code = b.code;
  return err;
}

/**
 * Bun's client for `url` with at most `max` connections (and these session settings, e.g. synchronous_commit), or
 * null outside Bun. `prepare: false` behind a pooler in transaction mode (DATABASE_POOLER=transaction): a named
 * prepared statement lives on one server connection, and the pooler hands the next statement to any (PgBouncer
 * before 1.21, or without `max_prepared_statements`, answers "prepared statement … does not exist"); the
 * statements are then sent unnamed (parse, bind, execute in one round trip).
 */
export function openFastSql(
  url: string,
  max: number,
  settings?: Record<string, string>,
  options: { prepare?: boolean } = {},
): FastSql | null {
  const B = (globalThis as { Bun?: { SQL?: new (url: string, o: object) => BunSql } }).Bun;
  if (!B?.SQL) return null;
  const sql = new B.SQL(url, {
    max,
    prepare: options.prepare ?? true,
    // Idle connections close after 5 s: the pool holds what the load needs, not its peak.
    idleTimeout: 5,
    connectionTimeout: 5,
    ...(settings ? { connection: settings } : {}),
  });
  return {
    async query<T>(text: string, params: unknown[]): Promise<T[]> {
      try {
        return (await sql.unsafe(text, params)) as T[];
      } catch (e) {
        throw asPgError(e);
      }
    },
    close: () => sql.close(),
  };
}

interface BunSql {
  unsafe(text: string, params: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}
