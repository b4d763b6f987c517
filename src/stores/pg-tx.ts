/**
 * Transactions for the raw statements of the PostgreSQL stores. The transaction of the current async
 * context is found through AsyncLocalStorage, so the PostgreSQL content store joins the metadata store's
 * transaction without either passing a handle through the domain.
 *
 * Kysely's callback transaction is used, not MikroORM's `em.transactional`: the latter runs on Kysely's
 * controlled transactions, which release their pooled connection only after a *successful* COMMIT or
 * ROLLBACK. When the server drops the connection mid-transaction (restart, failover, idle timeout,
 * pg_terminate_backend) both fail, the pool slot is lost for good, and after DB_POOL_MAX such failures
 * every request waits forever (found by tests/faults/dual-write.test.ts). The callback form releases its
 * connection in a `finally`, and pg-pool discards a client that is no longer queryable.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type Kysely, sql } from 'kysely';

export type Db = Kysely<any>;

const current = new AsyncLocalStorage<Db>();

/** The current transaction, or the pool (no EntityManager fork: raw statements use no identity map). */
export function pgDb(orm: MikroORM): Db {
  return current.getStore() ?? (orm.em.getKysely() as Db);
}

/** Whether the current async context runs inside a transaction of inTransaction(). */
export function inOpenTransaction(): boolean {
  return current.getStore() !== undefined;
}

/**
 * Settings each transaction of an ORM sets for itself (`set_config(…, true)`, i.e. SET LOCAL) before its first
 * statement: behind a pooler in transaction mode (DATABASE_POOLER=transaction) a connection's startup parameters
 * cannot carry them, and a session-level SET would stay on a server connection other clients then get.
 */
const transactionSettings = new WeakMap<MikroORM, Record<string, string>>();

export function setTransactionSettings(orm: MikroORM, settings: Record<string, string>): void {
  transactionSettings.set(orm, settings);
}

async function applySettings(orm: MikroORM, trx: Db): Promise<void> {
  const settings = transactionSettings.get(orm);
  if (!settings) return;
  const parts = Object.entries(settings).map(([k, v]) => sql`set_config(${k}, ${v}, true)`);
  if (parts.length > 0) await sql`select ${sql.join(parts)}`.execute(trx);
}

/** Runs `fn` in a transaction on one pooled connection; commits if it resolves, rolls back if it throws. */
export function inTransaction<T>(orm: MikroORM, fn: (db: Db) => Promise<T>): Promise<T> {
  return (orm.em.getKysely() as Db).transaction().execute(async (trx) => {
    await applySettings(orm, trx);
    return current.run(trx, () => fn(trx));
  });
}
