import { Migration } from '@mikro-orm/migrations';

/**
 * Running usage totals per pair (get-chat's `chat.usage`, get-branches' node usage, compare-branches' totals).
 *
 * `prompt_tokens_total` / `completion_tokens_total` of the pair at (chat_id, seq) are the sums of the token counts
 * of that chat's own pairs 1..seq (a null count adds 0). Pairs never change once committed and a chat's own pairs
 * are appended in seq order under the tree lock, so the totals are fixed at write time, and any visible history
 * (a few prefixes: each ancestor's pairs up to its fork point, then the chat's own) sums to one row read per
 * prefix instead of an aggregate over the whole history (which made an uncached page of a 100,000-pair chat ten
 * times slower than a 100-pair one).
 *
 * A trigger fills them on every insert (the write functions, imports, bulk loads) from the previous pair's row (one
 * primary-key probe; the sum of every earlier pair if that row is missing), and again when an update rewrites a
 * slot's counts (a stale slot replaced with a higher fence). An insert that gives both totals keeps them (a bulk
 * load that computed them itself). Existing rows are backfilled here, in the same transaction that adds the
 * trigger: the ALTER TABLE holds off every concurrent write until both are committed, so no row is missed.
 */
export class Migration20261204040000_running_usage extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'alter table qa_pairs add column prompt_tokens_total bigint, add column completion_tokens_total bigint',
    );
    this.addSql(`
      update qa_pairs q
        set prompt_tokens_total = s.prompt_total, completion_tokens_total = s.completion_total
        from (
          select response_id,
                 sum(coalesce(prompt_tokens, 0)) over w as prompt_total,
                 sum(coalesce(completion_tokens, 0)) over w as completion_total
          from qa_pairs
          window w as (partition by chat_id order by seq rows between unbounded preceding and current row)) s
        where q.response_id = s.response_id`);
    this.addSql(`
      alter table qa_pairs
        alter column prompt_tokens_total set not null,
        alter column completion_tokens_total set not null`);
    this.addSql(`
      create function branchat_running_usage() returns trigger language plpgsql as $$
      declare
        v_prompt bigint := 0;
        v_completion bigint := 0;
      begin
        if tg_op = 'INSERT' and new.prompt_tokens_total is not null and new.completion_tokens_total is not null then
          return new;
        end if;
        if new.seq > 1 then
          select prompt_tokens_total, completion_tokens_total into v_prompt, v_completion
            from qa_pairs where chat_id = new.chat_id and seq = new.seq - 1;
          if not found then
            select coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) into v_prompt, v_completion
              from qa_pairs where chat_id = new.chat_id and seq < new.seq;
          end if;
        end if;
        new.prompt_tokens_total := v_prompt + coalesce(new.prompt_tokens, 0);
        new.completion_tokens_total := v_completion + coalesce(new.completion_tokens, 0);
        return new;
      end $$`);
    this.addSql(`
      create trigger qa_pairs_running_usage
        before insert or update of chat_id, seq, prompt_tokens, completion_tokens on qa_pairs
        for each row execute function branchat_running_usage()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists qa_pairs_running_usage on qa_pairs');
    this.addSql('drop function if exists branchat_running_usage()');
    this.addSql(
      'alter table qa_pairs drop column if exists prompt_tokens_total, drop column if exists completion_tokens_total',
    );
  }
}
