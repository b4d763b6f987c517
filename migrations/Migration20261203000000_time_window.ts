import { Migration } from '@mikro-orm/migrations';

/**
 * Every stored time into the stored-time window (src/domain/time.ts): 1970-01-01T00:00:00Z to one day past
 * the clock. Before it existed, an import could store any time of years 1 to 9999 (and a write 1 ms after
 * 9999-12-31T23:59:59.999Z stored year 10000, which the driver cannot read back). Times outside it move to
 * its nearest end, as imports do now. Idempotent; nothing to undo.
 */
const COLUMNS: [table: string, column: string][] = [
  ['chats', 'created_at'],
  ['chats', 'updated_at'],
  ['chats', 'deleted_at'],
  ['conversations', 'created_at'],
  ['conversations', 'last_activity_at'],
  ['qa_pairs', 'timestamp'],
];

export class Migration20261203000000_time_window extends Migration {
  override async up(): Promise<void> {
    const start = "timestamptz '1970-01-01 00:00:00+00'";
    const end = "now() + interval '1 day'";
    for (const [table, column] of COLUMNS) {
      // `infinity`, BC dates and year 10000 compare as expected; null (deleted_at) matches neither condition.
      this.addSql(
        `update ${table} set "${column}" = least(greatest("${column}", ${start}), ${end}) ` +
          `where "${column}" < ${start} or "${column}" > ${end}`,
      );
    }
  }

  override async down(): Promise<void> {
    // The original out-of-range times are not kept: there is nothing to restore.
  }
}
