/**
 * Preloaded by bun test (bunfig.toml).
 * - TEST_CONTENT_STORE=mongo-double: starts the in-memory MongoDB wire-protocol double (tests/support/
 *   mongo-double) and points MONGO_URL at it, so the same suites run with MongoDB content.
 * - Releases the shared test database once all files have run, after killing any server process left running.
 */
import { afterAll } from 'bun:test';
import { closeTestServices } from './app.js';
import { dropTestDatabase } from './db.js';
import { stopServers } from './server-process.js';

let stopDouble: (() => Promise<void>) | undefined;

if (process.env.TEST_CONTENT_STORE === 'mongo-double') {
  const { startMongoDouble } = await import('./mongo-double/server.js');
  const double = await startMongoDouble();
  process.env.MONGO_URL = double.url;
  stopDouble = double.stop;
  console.info(`[content store] MongoDB wire-protocol double at ${double.url}`);
} else if (process.env.MONGO_URL) {
  console.info('[content store] MongoDB at MONGO_URL');
} else {
  console.info('[content store] PostgreSQL');
}

afterAll(async () => {
  // Any server process a file left running (bun test emits no 'exit' for server-process.ts to act on).
  await stopServers();
  await closeTestServices();
  await dropTestDatabase();
  await stopDouble?.();
});
