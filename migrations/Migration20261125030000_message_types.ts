import { Migration } from '@mikro-orm/migrations';

/**
 * Message types (README, "Message types"): a pair is `text`, `code` (with a language) or `link` (with an
 * http/https URL). Existing rows are text. The check keeps each extra field with its own type only.
 */
export class Migration20261125030000_message_types extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table qa_pairs add column language varchar(32), add column url varchar(2048)');
    this.addSql(`
      alter table qa_pairs add constraint qa_pairs_kind_ck check (
        (type = 'text' and language is null and url is null)
        or (type = 'code' and language is not null and url is null)
        or (type = 'link' and url is not null and language is null))`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table qa_pairs drop constraint if exists qa_pairs_kind_ck');
    this.addSql('alter table qa_pairs drop column if exists language, drop column if exists url');
  }
}
