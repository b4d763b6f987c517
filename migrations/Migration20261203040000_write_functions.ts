import { Migration } from '@mikro-orm/migrations';

/**
 * Writes in one round trip (src/stores/metadata/postgres-metadata.store.ts; README.md "Writes in one call"). Each
 * function is one statement for the service, run in its own implicit transaction, with its plans cached per
 * connection by PL/pgSQL; it does what the locking transaction does in six statements:
 *
 * - branchat_append_pair: with the content in PostgreSQL, a pair whose slot the service computed from the chat row
 *   it read (seq = own_count + 1, the timestamp after updated_at, the events' data). Moves the tree (its row lock
 *   is the tree lock) only if its version is still the one read (every write to the tree moves it); if not, it
 *   changes nothing and returns null, and the service writes through the locking transaction instead. Else: the
 *   chat's counters, the content row (fencing token taken under the lock) and the events; returns the tree's new
 *   event_seq. A check failing after the tree moved raises 40001 (the call rolls back; the service retries through
 *   the locking transaction).
 * - branchat_create_branch: a branch without a first pair (its record is complete before the write): moves the
 *   tree (null when it is gone), checks the parent is live (else 40001), deactivates the active chat if asked,
 *   inserts the branch and appends the events; returns the tree's new event_seq.
 *
 * - branchat_append_pairs, branchat_create_branches: several of them in one call and one transaction (the service
 *   groups the writes that arrive in one event-loop turn: one commit for all), items sorted by tree.
 *
 * Both trim the tree's log to p_retention when its seq passes a multiple of p_trim_every (as the writes in the
 * store do). Timestamps arrive in milliseconds and are stored as timestamptz(3).
 */
const TRIM = `
    if v_n > 0 then
      insert into tree_events (root_chat_id, seq, event, at, data)
        select p_root, v_last - v_n + i, p_events[i], p_at, p_data[i] from generate_subscripts(p_events, 1) as i;
      if v_last - v_n >= 0 and v_last / p_trim_every > (v_last - v_n) / p_trim_every then
        delete from tree_events where root_chat_id = p_root and seq <= v_last - p_retention;
      end if;
    end if`;

export class Migration20261203040000_write_functions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function branchat_append_pair(
        p_account uuid, p_chat uuid, p_root uuid, p_version bigint, p_own int, p_updated timestamptz,
        p_now timestamptz, p_window_end timestamptz,
        p_response_id uuid, p_question text, p_response text, p_type varchar, p_language varchar, p_url varchar,
        p_model varchar, p_prompt_tokens int, p_completion_tokens int, p_latency_ms int, p_search_lang regconfig,
        p_events text[], p_data text[], p_at timestamptz, p_retention bigint, p_trim_every bigint
      ) returns bigint language plpgsql as $$
      declare
        v_n int := coalesce(cardinality(p_events), 0);
        v_last bigint;
        v_account uuid;
        v_deleted boolean;
      begin
        -- The tree first (every writer locks it first), only if its version is the one read. Conditions on the
        -- primary key only, the rest checked on the row: a generic plan (these are cached) must not pick another
        -- index (with account_id and deleted_at in the WHERE, it used the account's partial index, reading every
        -- live chat of the account).
        update conversations
          set last_activity_at = least(greatest(last_activity_at, p_now), p_window_end), version = version + 1,
              event_seq = event_seq + v_n
          where chat_id = p_root and version = p_version
          returning event_seq, account_id, deleted into v_last, v_account, v_deleted;
        if not found then return null; end if;
        if v_account <> p_account or v_deleted then
          raise exception 'tree % is not live for this account', p_root using errcode = '40001';
        end if;
        -- Every write moves the version, so the chat is as read; checked all the same (the whole call then fails).
        update chats set own_count = p_own + 1, updated_at = p_now
          where chat_id = p_chat and own_count = p_own and updated_at = p_updated
          returning account_id, deleted_at is not null into v_account, v_deleted;
        if not found or v_account <> p_account or v_deleted then
          raise exception 'chat % changed under tree version %', p_chat, p_version using errcode = '40001';
        end if;
        insert into qa_pairs (response_id, chat_id, account_id, seq, question, response, type, language, url,
                              timestamp, model, prompt_tokens, completion_tokens, latency_ms, fence, search_lang)
          values (p_response_id, p_chat, p_account, p_own + 1, p_question, p_response, p_type, p_language, p_url,
                  p_now, p_model, p_prompt_tokens, p_completion_tokens, p_latency_ms, nextval('content_fence'),
                  p_search_lang)
          on conflict (chat_id, seq) do update set
            response_id = excluded.response_id, account_id = excluded.account_id, question = excluded.question,
            response = excluded.response, type = excluded.type, language = excluded.language, url = excluded.url,
            timestamp = excluded.timestamp, model = excluded.model, prompt_tokens = excluded.prompt_tokens,
            completion_tokens = excluded.completion_tokens, latency_ms = excluded.latency_ms, fence = excluded.fence,
            search_lang = excluded.search_lang
          where qa_pairs.fence < excluded.fence;
        if not found then raise exception 'stale content write at % / %', p_chat, p_own + 1 using errcode = '40001'; end if;
        ${TRIM};
        return v_last;
      end $$`);
    this.addSql(`
      create function branchat_create_branch(
        p_account uuid, p_root uuid, p_chat uuid, p_parent uuid, p_fork_response uuid, p_name varchar,
        p_created timestamptz, p_updated timestamptz, p_activate boolean, p_ancestor_ids uuid[], p_ancestor_limits int[],
        p_window_end timestamptz,
        p_events text[], p_data text[], p_at timestamptz, p_retention bigint, p_trim_every bigint
      ) returns bigint language plpgsql as $$
      declare
        v_n int := coalesce(cardinality(p_events), 0);
        v_last bigint;
        v_account uuid;
        v_deleted boolean;
      begin
        -- Primary-key conditions only, the rest checked on the row (see branchat_append_pair).
        update conversations
          set last_activity_at = least(greatest(last_activity_at, p_created), p_window_end), version = version + 1,
              branch_count = branch_count + 1, event_seq = event_seq + v_n
          where chat_id = p_root
          returning event_seq, account_id, deleted into v_last, v_account, v_deleted;
        if not found then return null; end if;
        if v_account <> p_account or v_deleted then
          raise exception 'tree % is not live for this account', p_root using errcode = '40001';
        end if;
        select deleted_at is not null into v_deleted from chats where chat_id = p_parent;
        if not found or v_deleted then
          raise exception 'parent % of a new branch is gone', p_parent using errcode = '40001';
        end if;
        if p_activate then
          update chats set active = false where root_chat_id = p_root and active;
        end if;
        insert into chats (chat_id, account_id, root_chat_id, parent_chat_id, fork_response_id, chat_type, name,
                           created_at, updated_at, active, ancestor_ids, ancestor_limits, own_count)
          values (p_chat, p_account, p_root, p_parent, p_fork_response, 'branch', p_name, p_created, p_updated,
                  p_activate, p_ancestor_ids, p_ancestor_limits, 0);
        ${TRIM};
        return v_last;
      end $$`);
    // Several appends in one call and one transaction (the service groups the ones that arrive together): each
    // item as branchat_append_pair, in the order given (the service sorts them by tree, so concurrent calls lock
    // trees in one order); per item the tree's new event_seq, or null where the item changed nothing.
    this.addSql(`
      create function branchat_append_pairs(p_items jsonb) returns text[] language plpgsql as $$
      declare
        r record;
        v_out text[] := '{}';
      begin
        for r in
          select * from jsonb_to_recordset(p_items) as x(
            account uuid, chat uuid, root uuid, version bigint, own int, updated timestamptz, now timestamptz,
            window_end timestamptz, response_id uuid, question text, response text, type varchar, language varchar,
            url varchar, model varchar, prompt_tokens int, completion_tokens int, latency_ms int, search_lang regconfig,
            events text[], data text[], at timestamptz, retention bigint, trim_every bigint)
        loop
          v_out := v_out || branchat_append_pair(
            r.account, r.chat, r.root, r.version, r.own, r.updated, r.now, r.window_end, r.response_id, r.question,
            r.response, r.type, r.language, r.url, r.model, r.prompt_tokens, r.completion_tokens, r.latency_ms,
            r.search_lang, r.events, r.data, r.at, r.retention, r.trim_every)::text;
        end loop;
        return v_out;
      end $$`);

    // The same for new branches.
    this.addSql(`
      create function branchat_create_branches(p_items jsonb) returns text[] language plpgsql as $$
      declare
        r record;
        v_out text[] := '{}';
      begin
        for r in
          select * from jsonb_to_recordset(p_items) as x(
            account uuid, root uuid, chat uuid, parent uuid, fork_response uuid, name varchar, created timestamptz,
            updated timestamptz, activate boolean, ancestor_ids uuid[], ancestor_limits int[], window_end timestamptz,
            events text[], data text[], at timestamptz, retention bigint, trim_every bigint)
        loop
          v_out := v_out || branchat_create_branch(
            r.account, r.root, r.chat, r.parent, r.fork_response, r.name, r.created, r.updated, r.activate,
            r.ancestor_ids, r.ancestor_limits, r.window_end, r.events, r.data, r.at, r.retention, r.trim_every)::text;
        end loop;
        return v_out;
      end $$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists branchat_create_branches');
    this.addSql('drop function if exists branchat_append_pairs');
    this.addSql('drop function if exists branchat_append_pair');
    this.addSql('drop function if exists branchat_create_branch');
  }
}
