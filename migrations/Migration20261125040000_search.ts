import { Migration } from '@mikro-orm/migrations';

/**
 * Full-text search (README, "Search"). Each pair keeps the text-search configuration it was indexed with
 * (SEARCH_LANGUAGE when written) and a stored tsvector of its question, response and URL, under a GIN index.
 *
 * The text goes through branchat_search_text() first, which turns ASCII punctuation into spaces: the default
 * parser keeps `json.loads`, `example.org/albatross` or `a@b.io` as single host/file/email tokens, so their
 * parts could never be found. Queries go through the same function (PostgresContentStore.search).
 *
 * Searching every chat of an account reads the account's live chats: an index for that too. Adding a stored
 * generated column rewrites qa_pairs once (the table is locked meanwhile: plan it on a large table).
 */
/** ASCII punctuation but `?` (added as chr(63): a bare `?` could be taken for a bind parameter). */
const PUNCTUATION = `!"#$%&'()*+,-./:;<=>@[\\]^_\`{|}~`;
const FROM = `'${PUNCTUATION.replaceAll("'", "''")}' || chr(63)`;
const TO = `'${' '.repeat(PUNCTUATION.length + 1)}'`;

export class Migration20261125040000_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function branchat_search_text(t text) returns text language sql immutable parallel safe
      as $$ select translate(t, ${FROM}, ${TO}) $$`);
    this.addSql(`alter table qa_pairs add column search_lang regconfig not null default 'english'`);
    this.addSql(`
      alter table qa_pairs add column search_vector tsvector generated always as (
        to_tsvector(search_lang, branchat_search_text(question || ' ' || response || ' ' || coalesce(url, '')))) stored`);
    this.addSql('create index qa_pairs_search_idx on qa_pairs using gin (search_vector)');
    this.addSql('create index chats_account_live_idx on chats (account_id) where deleted_at is null');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists chats_account_live_idx');
    this.addSql('drop index if exists qa_pairs_search_idx');
    this.addSql('alter table qa_pairs drop column if exists search_vector, drop column if exists search_lang');
    this.addSql('drop function if exists branchat_search_text(text)');
  }
}
