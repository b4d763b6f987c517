/**
 * The shard key of the MongoDB content collection `qa_pairs` (docs/scaling.md, "MongoDB sharded"): what every
 * targeted command's filter starts with.
 */
import { createHash } from 'node:crypto';

/**
 * The first field of the shard key (docs/scaling.md): a 32-bit hash of the account id. Account ids are UUIDv7,
 * which grow with time, so a ranged key led by `account_id` would send every new account's writes to the last
 * chunk; their hash spreads them. A hashed shard key cannot back the unique indexes the fencing relies on, so the
 * hash is a stored field under a ranged key. Deterministic: any process computes the same value for an account.
 */
export function accountHash(accountId: string): number {
  return createHash('sha256').update(accountId).digest().readInt32BE(0);
}

/**
 * The shard key of `qa_pairs`, in order (docs/scaling.md). Every hot-path command's filter starts with the first
 * two (equalities), so mongos sends it to the shard that holds the account's range; the upsert of a slot names all
 * four, as a sharded upsert must. Also the unique index of a slot (qa_pairs_slot_uq).
 */
export const SHARD_KEY = { account_hash: 1, account_id: 1, chat_id: 1, seq: 1 } as const;

/** The shard-key prefix of an account's documents, as raw driver fields. */
export const accountKey = (accountId: string) => ({ account_hash: accountHash(accountId), account_id: accountId });
