/** Preloaded by bun test (bunfig.toml): releases the shared test database once all files have run. */
import { afterAll } from 'bun:test';
import { closeTestServices } from './app.js';
import { dropTestDatabase } from './db.js';

afterAll(async () => {
  await closeTestServices();
  await dropTestDatabase();
});
