import { Migration } from '@mikro-orm/migrations';

/**
 * Every stored time of PostgreSQL stays within what the API can write and read back: ISO 8601 with a four-digit
 * year, 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. Before this, a time put there by hand (`infinity`,
 * a BC date, year 10000) was clamped when read, so two such rows read as the same time while they sorted apart
 * in SQL, and list-chats' cursor could skip one. Now the database refuses them (CHECK constraints), so what a
 * listing orders by is exactly what it shows. Rows already outside move to the nearest end first (what reads
 * showed for them). MongoDB pair times have no such constraint: they are still clamped when read, and no listing
 * pages over them.
 */
const COLUMNS: [table: string, column: string][] = [
  ['chats', 'created_at'],
  ['chats', 'updated_at'],
  ['chats', 'deleted_at'],
  ['conversations', 'created_at'],
  ['conversations', 'last_activity_at'],
  ['qa_pairs', 'timestamp'],
];

const FIRST = "timestamptz '0001-01-01 00:00:00+00'";
const LAST = "timestamptz '9999-12-31 23:59:59.999+00'";

export class Migration20261203050000_readable_times extends Migration {
  override async up(): Promise<void> {
    for (const [table, column] of COLUMNS) {
      this.addSql(
        `update ${table} set "${column}" = least(greatest("${column}", ${FIRST}), ${LAST}) ` +
          `where "${column}" < ${FIRST} or "${column}" > ${LAST}`,
      );
      // NOT VALID then VALIDATE: the check of existing rows takes a lock that lets reads and writes go on.
      this.addSql(
        `alter table ${table} add constraint ${table}_${column}_readable ` +
          `check ("${column}" between ${FIRST} and ${LAST}) not valid`,
      );
      this.addSql(`alter table ${table} validate constraint ${table}_${column}_readable`);
    }
  }

  override async down(): Promise<void> {
    for (const [table, column] of COLUMNS) {
      this.addSql(`alter table ${table} drop constraint if exists ${table}_${column}_readable`);
    }
  }
}
