/**
 * The ordered list of migrations. Listed explicitly (not discovered by glob) so that the same list runs
 * under Bun and Node and from a compiled bundle. Add each new migration here.
 */
import { Migration20261125000000_init } from './Migration20261125000000_init.js';
import { Migration20261125010000_idempotency } from './Migration20261125010000_idempotency.js';
import { Migration20261125020000_content_fence } from './Migration20261125020000_content_fence.js';
import { Migration20261125030000_message_types } from './Migration20261125030000_message_types.js';
import { Migration20261125040000_search } from './Migration20261125040000_search.js';
import { Migration20261125050000_llm } from './Migration20261125050000_llm.js';
import { Migration20261203000000_time_window } from './Migration20261203000000_time_window.js';
import { Migration20261203010000_idempotency_lease } from './Migration20261203010000_idempotency_lease.js';
import { Migration20261203020000_event_log } from './Migration20261203020000_event_log.js';
import { Migration20261203030000_read_leases } from './Migration20261203030000_read_leases.js';
import { Migration20261203040000_write_functions } from './Migration20261203040000_write_functions.js';
import { Migration20261203050000_readable_times } from './Migration20261203050000_readable_times.js';
import { Migration20261204000000_start_forks } from './Migration20261204000000_start_forks.js';
import { Migration20261204010000_shares } from './Migration20261204010000_shares.js';
import { Migration20261204020000_feedback } from './Migration20261204020000_feedback.js';
import { Migration20261204030000_titles_archive_pin } from './Migration20261204030000_titles_archive_pin.js';
import { Migration20261204040000_running_usage } from './Migration20261204040000_running_usage.js';

export const migrationsList = [
  { name: 'Migration20261125000000_init', class: Migration20261125000000_init },
  { name: 'Migration20261125010000_idempotency', class: Migration20261125010000_idempotency },
  { name: 'Migration20261125020000_content_fence', class: Migration20261125020000_content_fence },
  { name: 'Migration20261125030000_message_types', class: Migration20261125030000_message_types },
  { name: 'Migration20261125040000_search', class: Migration20261125040000_search },
  { name: 'Migration20261125050000_llm', class: Migration20261125050000_llm },
  { name: 'Migration20261203000000_time_window', class: Migration20261203000000_time_window },
  { name: 'Migration20261203010000_idempotency_lease', class: Migration20261203010000_idempotency_lease },
  { name: 'Migration20261203020000_event_log', class: Migration20261203020000_event_log },
  { name: 'Migration20261203030000_read_leases', class: Migration20261203030000_read_leases },
  { name: 'Migration20261203040000_write_functions', class: Migration20261203040000_write_functions },
  { name: 'Migration20261203050000_readable_times', class: Migration20261203050000_readable_times },
  { name: 'Migration20261204000000_start_forks', class: Migration20261204000000_start_forks },
  { name: 'Migration20261204010000_shares', class: Migration20261204010000_shares },
  { name: 'Migration20261204020000_feedback', class: Migration20261204020000_feedback },
  { name: 'Migration20261204030000_titles_archive_pin', class: Migration20261204030000_titles_archive_pin },
  { name: 'Migration20261204040000_running_usage', class: Migration20261204040000_running_usage },
];
