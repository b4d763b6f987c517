/**
 * MongoDB content under the errors a real mongod answers while it shuts down or steps down (or drops the
 * connection), which the wire-protocol double injects (`failNext`): the API answers 503 with Retry-After,
 * never 500, and nothing is half-written. Also the adapter's retry of a lost upsert race (E11000), with the
 * competing insert landing in the upsert's race window (`interleave`).
 *
 * Content on a double of its own (whatever TEST_CONTENT_STORE says), metadata on the test PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Services } from '../../src/bootstrap.js';
import { StaleWriteError } from '../../src/domain/errors.js';
import type { PairRecord } from '../../src/domain/model.js';
import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { accountHash } from '../../src/stores/content/mongo-shard-key.js';
import { appFor, openExtraServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import type { Fault } from '../support/mongo-double/engine.js';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { expectProblem } from '../support/problem.js';

let double: MongoDouble;
let services: Services;
let app: ReturnType<typeof appFor>;

beforeAll(async () => {
  double = await startMongoDouble();
  services = await openExtraServices({
    MONGO_URL: double.url,
    MONGO_DB: `mongo_errors_${process.pid}`,
    CACHE_MODE: 'off', // every read reaches the content store
  });
  app = appFor(services);
});

afterAll(async () => {
  await services?.close();
  await double?.stop();
});

/** What a mongod answers while shutting down or stepping down (codes, names, labels as the server sends them). */
const SERVER_ERRORS: Omit<Fault, 'command'>[] = [
  { code: 91, codeName: 'ShutdownInProgress', errmsg: 'The server is in quiesce mode and will shut down' },
  { code: 11600, codeName: 'InterruptedAtShutdown', errmsg: 'interrupted at shutdown' },
  { code: 189, codeName: 'PrimarySteppedDown', errmsg: 'Primary stepped down while waiting for replication' },
  { code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' },
  { code: 13435, codeName: 'NotPrimaryNoSecondaryOk', errmsg: 'not primary and secondaryOk=false' },
  { code: 11602, codeName: 'InterruptedDueToReplStateChange', errmsg: 'operation was interrupted' },
  // A code the adapter does not know, retryable by its label alone.
  { code: 112, codeName: 'WriteConflict', errmsg: 'write conflict', labels: ['TransientTransactionError'] },
  { code: 9999, codeName: 'SomethingNew', errmsg: 'try again', labels: ['RetryableWriteError'] },
  { network: true },
];
const label = (f: Omit<Fault, 'command'>) => (f.network ? 'dropped connection' : `${f.code} ${f.codeName}`);

describe('MongoDB content: a server shutting down or stepping down is a 503 with Retry-After', () => {
  for (const fault of SERVER_ERRORS) {
    test(`${label(fault)}: a read and a write answer 503 + Retry-After; the write stored nothing`, async () => {
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(2, 'faults');
      const before = await a.getChat(chatId);
      expect(before.status).toBe(200);

      // A read of the history: two finds run together (the page, and the usage totals at its segments' ends), and
      // the driver retries a read once by itself: fail all four attempts (what is left is cleared below).
      double.failNext({ ...fault, command: 'find', collection: 'qa_pairs', times: 4 });
      const read = await a.getChat(chatId);
      double.clearFaults();
      expectProblem(read, 503);
      expect(Number(read.headers.get('Retry-After'))).toBeGreaterThan(0);

      // A write: the content upsert fails, so the metadata never commits.
      const injectedBefore = double.injected.length;
      double.failNext({ ...fault, command: 'update', collection: 'qa_pairs' });
      const write = await a.addMessage(chatId, 'during the outage', 'lost?');
      double.clearFaults();
      expect(double.injected.length).toBe(injectedBefore + 1);
      expectProblem(write, 503);
      expect(Number(write.headers.get('Retry-After'))).toBeGreaterThan(0);

      // Nothing half-written: the chat reads back as before, and the next write lands in the next position.
      const after = await a.getChat(chatId);
      expect(after.status).toBe(200);
      expect(after.body).toEqual(before.body);
      expect(await a.questions(chatId)).not.toContain('during the outage');
      const retried = await a.addMessage(chatId, 'after the outage', 'stored');
      expect(retried.status).toBe(201);
      expect((await a.questions(chatId)).at(-1)).toBe('after the outage');
      expect(await a.questions(chatId)).toHaveLength(3);
    });
  }

  test('search: a transient error is a 503 too', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    await a.add(chatId, 'happy otters', 'in the city');
    double.failNext({
      command: 'aggregate',
      collection: 'qa_pairs',
      code: 91,
      codeName: 'ShutdownInProgress',
      times: 2,
    });
    const r = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'happy' } });
    double.clearFaults();
    expectProblem(r, 503);
    expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0);
  });
});

describe('MongoDB content: two upserts of one slot race', () => {
  const pair = (over: Partial<PairRecord>): PairRecord => ({
    responseId: crypto.randomUUID(),
    chatId: 'race-chat',
    accountId: 'race-account',
    seq: 1,
    question: 'q',
    response: 'r',
    type: 'text',
    language: null,
    url: null,
    timestamp: new Date(),
    generation: null,
    ...over,
  });

  /** A competing insert that lands after an upsert's filter found nothing and before its own insert. */
  const competingInsert = (document: Record<string, unknown>) =>
    double.interleave({
      command: 'update',
      collection: 'qa_pairs',
      at: 'upsert-insert',
      run: { insert: 'qa_pairs', documents: [document] },
    });
  const updateCount = () => double.commands.filter((c) => c === 'update').length;

  test('the loser gets E11000, retries once, and replaces the lower-fenced winner', async () => {
    const store = services.deps.content as MongoContentStore;
    expect(store).toBeInstanceOf(MongoContentStore);
    const chatId = crypto.randomUUID();
    const loser = pair({ chatId, question: 'fence 20' });
    // The competing write (fence 10) lands in the upsert's window.
    competingInsert({
      account_hash: accountHash('race-account'),
      chat_id: chatId,
      seq: 1,
      response_id: crypto.randomUUID(),
      account_id: 'race-account',
      fence: 10,
    });
    const updates = updateCount();
    await store.append(loser, 20);
    expect(double.injected.at(-1)).toMatchObject({ kind: 'interleave', command: 'update', reply: { n: 1 } });
    // Two update commands: the first lost the race (E11000 on the slot), the retry replaced the competitor.
    expect(updateCount() - updates).toBe(2);
    expect(await store.readRanges('race-account', [{ chatId, fromSeq: 1, toSeq: 1 }])).toEqual([loser]);
  });

  test('a higher-fenced winner is kept: the retry finds it and the late write is refused as stale', async () => {
    const store = services.deps.content as MongoContentStore;
    const chatId = crypto.randomUUID();
    const winner = pair({ chatId, question: 'fence 30' });
    competingInsert({
      account_hash: accountHash(winner.accountId),
      response_id: winner.responseId,
      chat_id: chatId,
      account_id: winner.accountId,
      seq: 1,
      question: winner.question,
      response: winner.response,
      type: 'text',
      language: null,
      url: null,
      timestamp: winner.timestamp,
      generation: null,
      fence: 30,
    });
    const updates = updateCount();
    const late = pair({ chatId, question: 'fence 20' });
    await expect(store.append(late, 20)).rejects.toBeInstanceOf(StaleWriteError);
    expect(updateCount() - updates).toBe(2);
    expect(await store.readRanges('race-account', [{ chatId, fromSeq: 1, toSeq: 1 }])).toEqual([winner]);
  });
});
