import { Migration } from '@mikro-orm/migrations';

/**
 * Fencing tokens for content writes (README, "Writes that cannot be lost"). Every append takes the next
 * value of `content_fence` while it holds its tree lock; a content write may replace the pair at its slot
 * only with a higher token, so a late write from a transaction that already failed can never overwrite a
 * pair that committed after it. Rows written before this migration carry 0.
 */
export class Migration20261125020000_content_fence extends Migration {
  override async up(): Promise<void> {
    this.addSql('create sequence content_fence as bigint');
    this.addSql('alter table qa_pairs add column fence bigint not null default 0');
  }

  override async down(): Promise<void> {
    this.addSql('alter table qa_pairs drop column if exists fence');
    this.addSql('drop sequence if exists content_fence');
  }
}
