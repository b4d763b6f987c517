import { Migration } from '@mikro-orm/migrations';

/**
 * Automatic titles, archive and pin (docs/api.md, "Chats"). Conversation-level facts, so on `conversations` (one row
 * per tree):
 *
 * - `name_source`: where the conversation's name (its root chat's) came from. `user` (create-chat with a name,
 *   update-chat, imports and forks: the default, so every existing tree keeps its name), `default` (create-chat
 *   without a name: "New chat", waiting for a title) or `auto` (the title the responder proposed after the first
 *   pair). A title is written only while it is still `default`, under the tree lock, so a name the user gave is
 *   never replaced.
 * - `archived`, `pinned`: set by update-chat from any chat of the tree.
 *
 * list-chats orders pinned conversations first, then by latest activity, and hides archived ones unless asked: the
 * index below serves each of its filters (archived = false, archived = true) as one index scan in that order, so
 * it replaces the first migration's conversations_list_idx (account, last_activity_at desc, chat_id desc), which
 * it covers.
 */
export class Migration20261204030000_titles_archive_pin extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table conversations
        add column name_source text not null default 'user',
        add column archived boolean not null default false,
        add column pinned boolean not null default false,
        add constraint conversations_name_source_ck check (name_source in ('user', 'auto', 'default'))`);
    this.addSql(`
      create index conversations_order_idx
        on conversations (account_id, archived, pinned desc, last_activity_at desc, chat_id desc) where not deleted`);
    this.addSql('drop index if exists conversations_list_idx');
  }

  override async down(): Promise<void> {
    this.addSql(
      'create index if not exists conversations_list_idx on conversations (account_id, last_activity_at desc, chat_id desc) where not deleted',
    );
    this.addSql('drop index if exists conversations_order_idx');
    this.addSql(`
      alter table conversations
        drop constraint if exists conversations_name_source_ck,
        drop column if exists name_source,
        drop column if exists archived,
        drop column if exists pinned`);
  }
}
