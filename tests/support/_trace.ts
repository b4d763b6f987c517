import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { startMongoDouble } from './mongo-double/server.js';

const d = await startMongoDouble();
const step = (s: string) => console.error(`\n===== ${s}`);
step('connect + ensureIndexes');
const store = await MongoContentStore.connect({ url: d.url, dbName: 'trace' });
const pair = (seq: number, chatId = 'c1') => ({
  responseId: `r${chatId}${seq}`,
  chatId,
  accountId: 'a1',
  seq,
  question: 'q',
  response: 'r',
  type: 'text' as const,
  timestamp: new Date(),
});
step('append');
await store.append(pair(1));
step('append (2nd, same chat)');
await store.append(pair(2));
step('append duplicate responseId different seq');
try {
  await store.append({ ...pair(3), responseId: 'rc11' });
} catch (e) {
  console.error('ERR', (e as Error).constructor.name, (e as Error).message);
}
step('readRanges');
console.error(
  await store.readRanges('a1', [
    { chatId: 'c1', fromSeq: 1, toSeq: 2 },
    { chatId: 'c2', fromSeq: 1, toSeq: 5 },
  ]),
);
step('locate');
console.error(await store.locate('a1', 'rc12'));
step('ping');
await store.ping();
step('close');
await store.close();
console.error('unsupported:', d.unsupported);
await d.stop();
