/**
 * Traces what the MongoDB content adapter sends: runs each of its operations against the double and logs
 * every command with its fields. This is how the double's command list was chosen (tests/support/README.md).
 *
 *   node_modules/.bin/bun tests/support/mongo-double/trace.ts
 */
import { MongoContentStore } from '../../../src/stores/content/mongo-content.store.js';
import { startMongoDouble } from './server.js';

process.env.MONGO_DOUBLE_TRACE ??= '1';
const double = await startMongoDouble();
const step = (name: string) => console.error(`\n== ${name}`);
const pair = (seq: number, responseId = `r${seq}`) => ({
  responseId,
  chatId: 'c1',
  accountId: 'a1',
  seq,
  question: 'q',
  response: 'r',
  type: 'text' as const,
  language: null,
  url: null,
  timestamp: new Date(),
  generation: null,
});

step('connect (ensureIndexes)');
const store = await MongoContentStore.connect({ url: double.url, dbName: 'trace' });
step('append');
await store.append(pair(1), 1);
await store.append(pair(2), 2);
step('append with a response id already stored (unique index)');
await store.append(pair(3, 'r1'), 3).catch((e: Error) => console.error(`-> ${e.constructor.name}: ${e.message}`));
step('readRanges');
await store.readRanges('a1', [
  { chatId: 'c1', fromSeq: 1, toSeq: 2 },
  { chatId: 'c2', fromSeq: 1, toSeq: 5 },
]);
step('search');
await store.search({
  accountId: 'a1',
  text: 'q',
  ranges: [{ chatId: 'c1', fromSeq: 1, toSeq: 2 }],
  limit: 20,
  after: null,
});
await store.search({
  accountId: 'a1',
  text: 'q r',
  ranges: [{ chatId: 'c1', fromSeq: 1, toSeq: 2 }],
  limit: 20,
  after: { score: 2.2, responseId: 'r2' },
});
step('locate');
await store.locate('a1', 'r2');
step('ping');
await store.ping();
step('close');
await store.close();
await double.stop();
console.error(`\ncommands: ${double.commands.join(', ')}\nunsupported: ${double.unsupported.length}`);
