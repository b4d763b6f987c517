import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed's log (src/events/pg.feed.ts, README.md "Real-time events"): each write to a tree appends its
 * events here in its own transaction, numbered by `conversations.event_seq`, which the write increments under the
 * tree lock it already holds, so seq order is commit order and a committed write always has its events.
 *
 * - `data` is the event's JSON text exactly as sent (key order kept; jsonb would reorder it).
 * - Retention: the last EVENTS_RETENTION per tree (trimmed by writes, in their statement, every 32 events) and
 *   nothing older than EVENTS_RETENTION_HOURS (pruned by each process's feed through `tree_events_at_brin`: rows
 *   are appended in time order, so a BRIN index finds old ones at almost no cost to each insert).
 * - Trees that existed before this migration start at event_seq 0 with an empty log: their first new event is 1.
 */
export class Migration20261203020000_event_log extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table conversations add column event_seq bigint not null default 0');
    this.addSql(`
      create table tree_events (
        root_chat_id uuid not null,
        seq bigint not null,
        event text not null,
        at timestamptz(3) not null,
        data text not null,
        primary key (root_chat_id, seq)
      )`);
    this.addSql('create index tree_events_at_brin on tree_events using brin (at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists tree_events');
    this.addSql('alter table conversations drop column if exists event_seq');
  }
}
