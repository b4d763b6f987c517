/** The content-store contract on the MongoDB adapter, against the in-memory wire-protocol double (every CI run). */
import { afterAll } from 'bun:test';
import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { startMongoDouble } from '../support/mongo-double/server.js';
import { contentStoreContract } from './content-store.contract.js';

let opened: Promise<{ store: MongoContentStore; stop: () => Promise<void> }> | undefined;

contentStoreContract('mongodb (wire-protocol double)', async () => {
  opened ??= (async () => {
    const double = await startMongoDouble();
    const store = await MongoContentStore.connect({ url: double.url, dbName: `contract_${process.pid}` });
    return { store, stop: double.stop };
  })();
  return (await opened).store;
});

afterAll(async () => {
  if (!opened) return;
  const { store, stop } = await opened;
  await store.close();
  await stop();
});
