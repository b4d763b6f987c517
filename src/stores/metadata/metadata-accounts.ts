/** The account rows of the PostgreSQL metadata store (postgres-metadata.store.ts), through MikroORM and Kysely. */

import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ConflictError } from '../../domain/errors.js';
import type { AccountRecord } from '../../domain/model.js';
import { AccountEntity } from '../entities/metadata.entities.js';
import { isUniqueViolation } from '../errors.js';
import type { Db } from '../pg-tx.js';

export async function createAccount(em: EntityManager, account: AccountRecord): Promise<void> {
  try {
    await em.insert(AccountEntity, {
      accountId: account.accountId,
      email: account.email,
      passwordHash: account.passwordHash,
      createdAt: account.createdAt,
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError('An account with this email already exists');
    throw e;
  }
}

export async function findAccountByEmail(em: EntityManager, email: string): Promise<AccountRecord | null> {
  const a = await em.findOne(AccountEntity, { email });
  return a ? { accountId: a.accountId, email: a.email, passwordHash: a.passwordHash, createdAt: a.createdAt } : null;
}

export async function accountExists(db: Db, accountId: string): Promise<boolean> {
  const r = await sql`select 1 from accounts where account_id = ${accountId}`.execute(db);
  return r.rows.length > 0;
}
