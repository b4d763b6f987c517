import { Migration } from '@mikro-orm/migrations';

/**
 * Read leases (src/events/pg.feed.ts, README.md "Chat rows from memory"): a process that answers reads
 * from memory holds a row here, renewed on its change-feed connection. A writer, after its commit, reads the
 * rows of the other live holders with its NOTIFY (FOR SHARE, so no holder extends its lease past that notice
 * unseen) and answers only once each has applied the change or its lease has run out.
 */
export class Migration20261203030000_read_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table read_leases (
        holder text primary key,
        expires_at timestamptz not null
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists read_leases');
  }
}
