import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema: metadata (accounts, chats, conversations) and the PostgreSQL content table (qa_pairs).
 * Indexes are chosen for the access paths in src/stores/metadata/postgres-metadata.store.ts.
 */
export class Migration20261125000000_init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table accounts (
        account_id uuid primary key,
        email text not null,
        password_hash text not null,
        created_at timestamptz(3) not null
      )`);
    this.addSql('create unique index accounts_email_uq on accounts (email)');

    this.addSql(`
      create table chats (
        chat_id uuid primary key,
        account_id uuid not null references accounts (account_id),
        root_chat_id uuid not null references chats (chat_id),
        parent_chat_id uuid references chats (chat_id),
        fork_response_id uuid,
        chat_type text not null check (chat_type in ('main', 'branch')),
        name varchar(200) not null,
        created_at timestamptz(3) not null,
        updated_at timestamptz(3) not null,
        active boolean not null default false,
        deleted_at timestamptz(3),
        ancestor_ids uuid[] not null default '{}',
        ancestor_limits int[] not null default '{}',
        own_count int not null default 0 check (own_count >= 0),
        check ((chat_type = 'main') = (parent_chat_id is null)),
        check ((parent_chat_id is null) = (fork_response_id is null)),
        check (cardinality(ancestor_ids) = cardinality(ancestor_limits))
      )`);
    // Exactly one active chat per tree: at most one by this index, at least one by the services'
    // transactions (which hold the conversation row lock while moving the flag).
    this.addSql('create unique index chats_one_active_per_tree on chats (root_chat_id) where active');
    // get-branches: the live chats of a tree, oldest first.
    this.addSql('create index chats_tree_idx on chats (root_chat_id, created_at, chat_id) where deleted_at is null');
    // branches of a page of pairs.
    this.addSql(
      'create index chats_fork_idx on chats (fork_response_id, created_at, chat_id) where deleted_at is null',
    );

    this.addSql(`
      create table conversations (
        chat_id uuid primary key references chats (chat_id),
        account_id uuid not null references accounts (account_id),
        name varchar(200) not null,
        deleted boolean not null default false,
        created_at timestamptz(3) not null,
        last_activity_at timestamptz(3) not null,
        branch_count int not null default 0 check (branch_count >= 0),
        version bigint not null default 0
      )`);
    // list-chats: an account's live trees by latest activity, keyset-paged.
    this.addSql(
      'create index conversations_list_idx on conversations (account_id, last_activity_at desc, chat_id desc) where not deleted',
    );

    this.addSql(`
      create table qa_pairs (
        response_id uuid primary key,
        chat_id uuid not null,
        account_id uuid not null,
        seq int not null check (seq >= 1),
        question text not null,
        response text not null,
        type varchar(16) not null default 'text',
        timestamp timestamptz(3) not null
      )`);
    this.addSql('create unique index qa_pairs_chat_seq_uq on qa_pairs (chat_id, seq)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists qa_pairs');
    this.addSql('drop table if exists conversations');
    this.addSql('drop table if exists chats');
    this.addSql('drop table if exists accounts');
  }
}
