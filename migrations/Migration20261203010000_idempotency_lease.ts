import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency-Key leases (src/stores/idempotency.store.ts): a claim in flight is held by its owner (a random
 * token) until `lease_until`, which the owner renews while its request runs, so a long request keeps its key
 * however long it takes; created_at only drives the 24 h expiry of answers. Rows without a lease (in flight
 * before this migration, or claimed by a process still on the previous version) keep that version's lease:
 * 120 s from created_at.
 */
export class Migration20261203010000_idempotency_lease extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table idempotency_keys add column lease_owner uuid, add column lease_until timestamptz(3)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table idempotency_keys drop column if exists lease_until, drop column if exists lease_owner');
  }
}
