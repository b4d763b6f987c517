import { Migration } from '@mikro-orm/migrations';

/**
 * Full-text search (README, "Search"). Each pair keeps the text-search configuration it was indexed with
 * (SEARCH_LANGUAGE when written) and a stored tsvector of its question, response and URL, under a GIN
 * index. A URL is indexed whole and split into its words (the parser keeps `/flamingo` as one path token,
 * so "flamingo" alone would not find it). Searching every chat of an account reads the account's live chats: an index for that too.
 * Adding a stored generated column rewrites qa_pairs once (lock held for the duration on a large table).
 */
export class Migration20261125040000_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table qa_pairs add column search_lang regconfig not null default 'english'`);
    this.addSql(`
      alter table qa_pairs add column search_vector tsvector generated always as (
        to_tsvector(search_lang, question || ' ' || response || ' ' || coalesce(url, '') || ' '
                                 || regexp_replace(coalesce(url, ''), '[^[:alnum:]]+', ' ', 'g'))) stored`);
    this.addSql('create index qa_pairs_search_idx on qa_pairs using gin (search_vector)');
    this.addSql('create index chats_account_live_idx on chats (account_id) where deleted_at is null');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists chats_account_live_idx');
    this.addSql('drop index if exists qa_pairs_search_idx');
    this.addSql('alter table qa_pairs drop column if exists search_vector, drop column if exists search_lang');
  }
}
