import { Migration } from '@mikro-orm/migrations';

/**
 * Share links (docs/api.md, "Shares"): a read-only link to one chat's visible history, reached by a token that only
 * its creator ever sees. Only the token's SHA-256 is stored (`token_hash`, unique: the public read looks a share up
 * by it). A frozen share (`live` false) keeps what the chat showed when it was made: how many pairs of its visible
 * history (`frozen_count`), its name, and the system prompt when the owner chose to include it; a live one follows
 * the chat. Revocation sets `revoked_at`; a deleted chat ends its shares through the chat row (`deleted_at`), which
 * every read joins. No foreign key to `chats` on purpose: shares are account-level rows, never part of a tree write.
 */
export class Migration20261204010000_shares extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table shares (
        share_id uuid primary key,
        account_id uuid not null references accounts (account_id),
        chat_id uuid not null,
        root_chat_id uuid not null,
        token_hash bytea not null check (octet_length(token_hash) = 32),
        live boolean not null,
        frozen_count int check (frozen_count >= 0),
        frozen_name text,
        frozen_system_prompt text,
        include_system_prompt boolean not null default false,
        expires_at timestamptz(3),
        revoked_at timestamptz(3),
        created_at timestamptz(3) not null,
        check (live = (frozen_count is null)),
        check (live = (frozen_name is null)),
        check (not live or frozen_system_prompt is null)
      )`);
    this.addSql('create unique index shares_token_hash_uq on shares (token_hash)');
    // list-shares: an account's unrevoked shares, newest first (optionally of one chat).
    this.addSql(
      'create index shares_account_idx on shares (account_id, created_at desc, share_id desc) where revoked_at is null',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists shares');
  }
}
