/**
 * The ordered list of migrations. Listed explicitly (not discovered by glob) so that the same list runs
 * under Bun and Node and from a compiled bundle. Add each new migration here.
 */
import { Migration20261125000000_init } from './Migration20261125000000_init.js';

export const migrationsList = [{ name: 'Migration20261125000000_init', class: Migration20261125000000_init }];
