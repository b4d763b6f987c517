/**
 * The content-store contract on the MongoDB adapter against a real mongod: MONGO_URL when set (and not the
 * test double), else `mongo:7` started with @testcontainers/mongodb when a Docker engine answers, else the
 * layer is skipped and the reason printed.
 */
import { afterAll, describe, test } from 'bun:test';
import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { contentStoreContract } from './content-store.contract.js';

const MONGO_IMAGE = 'mongo:7'; // the same image as docker-compose.yml's mongo service

async function dockerAnswers(): Promise<string | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return null;
  } catch (e) {
    return e instanceof Error ? (e.message.split('\n')[0] ?? 'unknown error') : String(e);
  }
}

type Source = { url: string; label: string; stop?: () => Promise<unknown> } | { skip: string };

async function findMongo(): Promise<Source> {
  if (process.env.MONGO_URL && process.env.TEST_CONTENT_STORE !== 'mongo-double') {
    return { url: process.env.MONGO_URL, label: 'MONGO_URL' };
  }
  const dockerProblem = await dockerAnswers();
  if (dockerProblem !== null) {
    return { skip: `MONGO_URL is not set and no Docker engine answers (${dockerProblem})` };
  }
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const container = await new MongoDBContainer(MONGO_IMAGE).start();
  return {
    url: `${container.getConnectionString()}?directConnection=true`,
    label: `${MONGO_IMAGE} via testcontainers`,
    stop: () => container.stop(),
  };
}

const source = await findMongo();

if ('skip' in source) {
  console.warn(`[real mongod] SKIPPED the real-MongoDB contract layer: ${source.skip}`);
  describe('content store contract: mongodb (real mongod)', () => {
    test.skip(`skipped: ${source.skip}`, () => {});
  });
} else {
  console.info(`[real mongod] running the contract against ${source.label}`);
  let store: MongoContentStore | undefined;
  contentStoreContract(`mongodb (real mongod, ${source.label})`, async () => {
    store ??= await MongoContentStore.connect({ url: source.url, dbName: `branchat_contract_${process.pid}` });
    return store;
  });
  afterAll(async () => {
    await store?.close();
    await source.stop?.();
  });
}
