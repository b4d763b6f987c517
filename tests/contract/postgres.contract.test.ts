/** The content-store contract on the PostgreSQL adapter (the embedded default). */
import { PostgresContentStore } from '../../src/stores/content/postgres-content.store.js';
import { testServices } from '../support/app.js';
import { contentStoreContract } from './content-store.contract.js';

let store: PostgresContentStore | undefined;
contentStoreContract('postgresql', async () => {
  store ??= new PostgresContentStore((await testServices()).orm);
  return store;
});
