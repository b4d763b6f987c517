import { Migration } from '@mikro-orm/migrations';

/**
 * Model responses (README, "Model responses"): each pair records how its response was generated (model,
 * token counts, latency; all null for a response the client gave), and each conversation may carry a
 * system prompt sent to the model before the history.
 */
export class Migration20261125050000_llm extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table qa_pairs
        add column model varchar(200),
        add column prompt_tokens int check (prompt_tokens >= 0),
        add column completion_tokens int check (completion_tokens >= 0),
        add column latency_ms int check (latency_ms >= 0)`);
    this.addSql(
      'alter table qa_pairs add constraint qa_pairs_generation_ck check (model is not null or (prompt_tokens is null and completion_tokens is null and latency_ms is null))',
    );
    this.addSql('alter table conversations add column system_prompt text');
  }

  override async down(): Promise<void> {
    this.addSql('alter table conversations drop column if exists system_prompt');
    this.addSql('alter table qa_pairs drop constraint if exists qa_pairs_generation_ck');
    this.addSql(
      'alter table qa_pairs drop column if exists model, drop column if exists prompt_tokens, drop column if exists completion_tokens, drop column if exists latency_ms',
    );
  }
}
