import { Migration } from '@mikro-orm/migrations';

/**
 * Feedback on answers (set-feedback, docs/api.md "Messages"): an account's rating (`up` or `down`) of a pair's
 * answer, with an optional comment. One row per account and pair, in the metadata: a pair never moves, so its row
 * also records where the pair is stored (its tree, its chat and its seq there), which lets the reads that work on
 * ranges of a history (compare-branches' totals, export, fork-chat) find the feedback of a range with one indexed
 * query, never a read of the pairs. Rows of deleted chats stay (like their pairs) and are never read: every read
 * starts from a live chat's history.
 */
export class Migration20261204020000_feedback extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table pair_feedback (
        account_id uuid not null references accounts (account_id),
        response_id uuid not null,
        root_chat_id uuid not null,
        chat_id uuid not null references chats (chat_id),
        seq int not null check (seq >= 1),
        rating text not null check (rating in ('up', 'down')),
        comment text,
        updated_at timestamptz(3) not null,
        primary key (account_id, response_id)
      )`);
    this.addSql('create index pair_feedback_slot_idx on pair_feedback (chat_id, seq)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists pair_feedback');
  }
}
