import { Migration } from '@mikro-orm/migrations';

/** Idempotency-Key records (API.md, "Safe retries"): one per account and key, kept at least 24 hours. */
export class Migration20261125010000_idempotency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table idempotency_keys (
        account_id uuid not null references accounts (account_id),
        key varchar(255) not null,
        request_hash char(64) not null,
        state text not null check (state in ('in_flight', 'done')),
        response_status int,
        response_body text,
        created_at timestamptz(3) not null default now(),
        primary key (account_id, key)
      )`);
    this.addSql('create index idempotency_keys_created_idx on idempotency_keys (created_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists idempotency_keys');
  }
}
