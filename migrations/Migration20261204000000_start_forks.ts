import { Migration } from '@mikro-orm/migrations';

/**
 * Branching as people use it (docs/api.md, "Branches"):
 *
 * - Start forks: a branch that forks before the first pair of its tree (create-branch with `response_id` null,
 *   regenerate of a first question). It hangs under the root and sees none of the root's pairs: parent = root,
 *   `fork_response_id` null, chain `[root]` with limit `[0]`. The old rule "a branch has a fork pair" becomes "a
 *   branch has a fork pair, or is a start fork", checked by the database. get-chat lists a tree's start forks
 *   (`start_branches`) through their own partial index.
 * - Forked conversations (fork-chat): the tree records the chat and pair it was copied from. Plain columns, no
 *   foreign key: the source may be deleted (soft) or belong to a tree that outlives nothing of the copy.
 */
export class Migration20261204000000_start_forks extends Migration {
  override async up(): Promise<void> {
    // The unnamed check of the first migration, found by what its definition says (its generated name, and the
    // exact text PostgreSQL prints for it, are not part of the schema). Not found: stop, rather than leave a check
    // that would refuse every start fork.
    this.addSql(`
      do $$
      declare v_name text; v_found int := 0;
      begin
        for v_name in select conname from pg_constraint
          where conrelid = 'chats'::regclass and contype = 'c'
            and pg_get_constraintdef(oid) ilike '%parent_chat_id is null%=%fork_response_id is null%'
        loop
          execute format('alter table chats drop constraint %I', v_name);
          v_found := v_found + 1;
        end loop;
        if v_found = 0 then
          raise exception 'start_forks: the check (parent_chat_id is null) = (fork_response_id is null) on chats was not found';
        end if;
      end $$`);
    this.addSql(`
      alter table chats add constraint chats_fork_point_ck check (
        case
          when parent_chat_id is null then fork_response_id is null
          when fork_response_id is null then parent_chat_id = root_chat_id and ancestor_limits = '{0}'::int[]
          else true
        end
      )`);
    this.addSql(`
      create index chats_start_idx on chats (root_chat_id, created_at, chat_id)
        where deleted_at is null and parent_chat_id is not null and fork_response_id is null`);
    this.addSql(`
      alter table conversations
        add column forked_from_chat_id uuid,
        add column forked_from_response_id uuid`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table conversations drop column forked_from_chat_id, drop column forked_from_response_id');
    this.addSql('drop index if exists chats_start_idx');
    this.addSql(`
      do $$
      begin
        if exists (select 1 from chats where parent_chat_id is not null and fork_response_id is null) then
          raise exception 'start forks exist (chats with a parent and no fork pair): delete them before migrating down';
        end if;
      end $$`);
    this.addSql('alter table chats drop constraint chats_fork_point_ck');
    this.addSql('alter table chats add check ((parent_chat_id is null) = (fork_response_id is null))');
  }
}
