/**
 * The MongoDB wire-protocol double (tests/support/mongo-double) driven by the official driver directly:
 * what the content adapter relies on, plus the "fails loudly" guarantees.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { deserialize, serialize } from 'bson';
import { type Db, type Document, MongoClient, MongoServerError } from 'mongodb';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { stemEnglish } from '../support/mongo-double/text.js';
import { crc32c } from '../support/mongo-double/wire.js';

let double: MongoDouble;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  double = await startMongoDouble({ log: true });
  client = new MongoClient(double.url, { serverSelectionTimeoutMS: 2000 });
  await client.connect();
  db = client.db('double_test');
});

afterAll(async () => {
  await client?.close();
  await double?.stop();
});

async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MongoServerError);
    return e as MongoServerError;
  }
  throw new Error('expected the double to answer with an error');
}

describe('mongo-double', () => {
  test('handshake and ping: a MongoDB 7.0 server', async () => {
    expect(await db.command({ ping: 1 })).toEqual({ ok: 1 });
    const info = await db.admin().command({ buildInfo: 1 });
    expect(info.version).toBe('7.0.0');
    expect(double.commands).toContain('ismaster');
  });

  test('insert and find in batches: getMore until exhausted, killCursors when closed early', async () => {
    const items = db.collection('items');
    const docs = Array.from({ length: 250 }, (_, i) => ({ n: i, even: i % 2 === 0 }));
    expect((await items.insertMany(docs)).insertedCount).toBe(250);

    const before = double.commands.filter((c) => c === 'getMore').length;
    const all = await items.find({}, { batchSize: 60 }).sort({ n: 1 }).toArray();
    expect(all.map((d) => d.n)).toEqual(docs.map((d) => d.n));
    expect(double.commands.filter((c) => c === 'getMore').length - before).toBe(4); // 60 + 4 more batches

    const evens = await items
      .find({ even: true }, { projection: { _id: 0, n: 1 } })
      .skip(10)
      .limit(5)
      .toArray();
    expect(evens.map((d) => Object.keys(d))).toEqual(Array(5).fill(['n']));
    expect(evens.map((d) => d.n)).toEqual([20, 22, 24, 26, 28]);

    const cursor = items.find({}, { batchSize: 10 });
    expect((await cursor.next())?.n).toBe(0);
    await cursor.close();
    expect(double.commands.at(-1)).toBe('killCursors');
  });

  test('upsert: inserts from the filter and $setOnInsert, then updates in place', async () => {
    const pairs = db.collection<{
      chat: string;
      seq: number;
      text: string;
      created: number;
      edits: number;
      log: string[];
    }>('upserts');
    const first = await pairs.updateOne(
      { chat: 'c1', seq: 1 },
      { $set: { text: 'a' }, $setOnInsert: { created: 1 }, $inc: { edits: 1 } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    const second = await pairs.updateOne(
      { chat: 'c1', seq: 1 },
      { $set: { text: 'b' }, $setOnInsert: { created: 2 }, $inc: { edits: 1 }, $push: { log: 'x' } },
      { upsert: true },
    );
    expect([second.matchedCount, second.modifiedCount, second.upsertedCount]).toEqual([1, 1, 0]);
    const { _id, ...doc } = (await pairs.findOne({ chat: 'c1' }))!;
    expect(doc).toEqual({ chat: 'c1', seq: 1, text: 'b', created: 1, edits: 2, log: ['x'] });
  });

  test('unique indexes, compound included: a duplicate is E11000 (code 11000)', async () => {
    const pairs = db.collection('unique');
    await pairs.createIndexes([
      { key: { chat: 1, seq: 1 }, name: 'chat_seq_uq', unique: true },
      { key: { rid: 1 }, name: 'rid_uq', unique: true },
    ]);
    const indexes = await pairs.listIndexes().toArray();
    expect(indexes.map((i) => [i.name, i.unique ?? false])).toEqual([
      ['_id_', false],
      ['chat_seq_uq', true],
      ['rid_uq', true],
    ]);
    await pairs.insertOne({ chat: 'c1', seq: 1, rid: 'r1' });
    await pairs.insertOne({ chat: 'c1', seq: 2, rid: 'r2' }); // same chat, other seq: fine

    const dup = await serverError(pairs.insertOne({ chat: 'c1', seq: 1, rid: 'r3' }));
    expect(dup.code).toBe(11000);
    expect(dup.message).toBe(
      'E11000 duplicate key error collection: double_test.unique index: chat_seq_uq dup key: { chat: "c1", seq: 1 }',
    );
    expect(dup.keyValue).toEqual({ chat: 'c1', seq: 1 });

    const viaUpsert = await serverError(
      pairs.updateOne({ chat: 'c2', seq: 1 }, { $set: { rid: 'r1' } }, { upsert: true }),
    );
    expect(viaUpsert.code).toBe(11000);
    const viaUpdate = await serverError(pairs.updateOne({ rid: 'r2' }, { $set: { seq: 1 } }));
    expect(viaUpdate.code).toBe(11000);
    expect(await pairs.countDocuments({})).toBe(2); // nothing written by the failed statements
  });

  test('a $or of ranges with a sort', async () => {
    const pairs = db.collection('ranges');
    await pairs.insertMany(
      ['a', 'b', 'c'].flatMap((chat) => Array.from({ length: 5 }, (_, i) => ({ chat, seq: i + 1, acct: 'x' }))),
    );
    const found = await pairs
      .find({
        acct: 'x',
        $or: [
          { chat: 'a', seq: { $gte: 2, $lte: 3 } },
          { chat: 'c', seq: { $gte: 4, $lte: 9 } },
        ],
      })
      .sort({ chat: -1, seq: 1 })
      .project({ _id: 0, chat: 1, seq: 1 })
      .toArray();
    expect(found).toEqual([
      { chat: 'c', seq: 4 },
      { chat: 'c', seq: 5 },
      { chat: 'a', seq: 2 },
      { chat: 'a', seq: 3 },
    ]);
  });

  test('findAndModify, delete, count, aggregate, dropIndexes, drop', async () => {
    const c = db.collection('misc');
    await c.insertMany([{ k: 1 }, { k: 2 }, { k: 3 }]);
    expect(await c.findOneAndUpdate({ k: 2 }, { $set: { seen: true } }, { returnDocument: 'after' })).toMatchObject({
      k: 2,
      seen: true,
    });
    expect((await c.deleteMany({ k: { $gte: 3 } })).deletedCount).toBe(1);
    expect(await c.estimatedDocumentCount()).toBe(2);
    expect(await c.aggregate([{ $group: { _id: null, total: { $sum: '$k' } } }]).toArray()).toEqual([
      { _id: null, total: 3 },
    ]);
    await c.createIndex({ k: 1 }, { name: 'k_1' });
    await c.dropIndex('k_1');
    expect(await c.drop()).toBe(true);
    expect(double.commands).toEqual(
      expect.arrayContaining(['findAndModify', 'delete', 'count', 'aggregate', 'dropIndexes', 'drop']),
    );
  });

  test('an unsupported command fails loudly, naming it', async () => {
    const err = await serverError(db.command({ frobnicate: 1 }));
    expect(err.code).toBe(59);
    expect(err.message).toBe("mongo-double: unsupported command 'frobnicate'");
    expect(double.unsupported).toContain("mongo-double: unsupported command 'frobnicate'");
  });

  test('unsupported operators and options fail loudly, naming them', async () => {
    const c = db.collection('ops');
    await c.insertOne({ a: 1 });
    expect((await serverError(c.find({ a: { $frob: 1 } }).toArray())).message).toContain('$frob');
    expect((await serverError(c.updateOne({ a: 1 }, { $zap: { a: 2 } } as never))).message).toContain('$zap');
    expect((await serverError(c.aggregate([{ $nope: {} }]).toArray())).message).toContain('$nope');
    const option = await serverError(c.find({}, { collation: { locale: 'fr' } }).toArray());
    expect(option.message).toBe("mongo-double: unsupported option 'collation' in 'find'");
    expect(double.unsupported.length).toBeGreaterThanOrEqual(4);
  });

  test('it announces a one-member replica set: the driver discovers rs0 with this primary', async () => {
    const hello = await db.admin().command({ hello: 1 });
    const me = `127.0.0.1:${double.port}`;
    expect(hello).toMatchObject({ setName: 'rs0', hosts: [me], primary: me, me, isWritablePrimary: true });
    expect(hello.logicalSessionTimeoutMinutes).toBe(30);
    expect(hello.topologyVersion.processId).toBeDefined();
    const seen: string[] = [];
    const c = new MongoClient(double.url, { serverSelectionTimeoutMS: 2000 });
    c.on('topologyDescriptionChanged', (e) => seen.push(e.newDescription.type));
    try {
      await c.db('double_test').command({ ping: 1 });
      expect(seen).toContain('ReplicaSetWithPrimary');
    } finally {
      await c.close();
    }
  });

  test('retryable writes: the driver sends a txnNumber; a retry after a lost answer is not applied twice', async () => {
    const coll = db.collection('retry');
    await coll.insertOne({ k: 'a' });
    const sent = double.log?.findLast((c) => c.name === 'insert')?.command;
    expect(sent?.insert).toBe('retry');
    expect(sent?.lsid).toBeDefined();
    expect(Number(sent?.txnNumber)).toBeGreaterThan(0);
    // A dropped connection after the insert ran: the driver retries with the same lsid and txnNumber.
    const raw = new MongoClient(double.url, { serverSelectionTimeoutMS: 2000 });
    try {
      const session = raw.startSession();
      const lsid = session.id;
      const insert = (txnNumber: number, k: string) =>
        raw.db('double_test').command({ insert: 'retry', documents: [{ k }], lsid, txnNumber });
      expect((await insert(1, 'b')).n).toBe(1);
      expect((await insert(1, 'b')).n).toBe(1); // the first answer, again
      expect(await coll.countDocuments({ k: 'b' })).toBe(1);
      expect((await insert(2, 'b')).n).toBe(1); // a new number is a new write
      expect(await coll.countDocuments({ k: 'b' })).toBe(2);
      const old = await serverError(insert(1, 'b'));
      expect(old.codeName).toBe('TransactionTooOld');
      const notRetryable = await serverError(
        raw.db('double_test').command({ find: 'retry', filter: {}, lsid, txnNumber: 3 }),
      );
      expect(notRetryable.code).toBe(50768);
      await session.endSession();
    } finally {
      await raw.close();
    }
  });

  test('transactions: commit keeps the writes, abort undoes inserts, updates and deletes', async () => {
    const coll = db.collection<{ _id: number; v?: string }>('tx');
    await coll.insertMany([
      { _id: 1, v: 'kept' },
      { _id: 2, v: 'kept' },
    ]);
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 3, v: 'new' }, { session });
        await coll.updateOne({ _id: 1 }, { $set: { v: 'changed' } }, { session });
      });
      expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, v: 'changed' },
        { _id: 2, v: 'kept' },
        { _id: 3, v: 'new' },
      ]);
      session.startTransaction();
      await coll.insertOne({ _id: 4, v: 'gone' }, { session });
      await coll.updateOne({ _id: 1 }, { $set: { v: 'again' } }, { session });
      await coll.deleteOne({ _id: 2 }, { session });
      await session.abortTransaction();
      expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, v: 'changed' },
        { _id: 2, v: 'kept' },
        { _id: 3, v: 'new' },
      ]);
      // The unique index is restored too: _id 4 can be inserted, _id 2 still cannot.
      await coll.insertOne({ _id: 4, v: 'now' });
      expect((await serverError(coll.insertOne({ _id: 2 }))).code).toBe(11000);
      expect(double.commands).toContain('commitTransaction');
      expect(double.commands).toContain('abortTransaction');
    } finally {
      await session.endSession();
    }
  });

  test('OP_MSG with checksumPresent: a good CRC-32C is answered, a bad one closes the connection', async () => {
    const message = (checksum: (m: Buffer) => number) => {
      const body = serialize({ ping: 1, $db: 'admin' });
      const msg = Buffer.alloc(16 + 4 + 1 + body.length + 4);
      msg.writeInt32LE(msg.length, 0);
      msg.writeInt32LE(7, 4);
      msg.writeInt32LE(2013, 12);
      msg.writeUInt32LE(1, 16); // checksumPresent
      body.forEach((b, i) => {
        msg[21 + i] = b;
      });
      msg.writeUInt32LE(checksum(msg.subarray(0, msg.length - 4)), msg.length - 4);
      return msg;
    };
    const exchange = (msg: Buffer) =>
      new Promise<Buffer | 'closed'>((resolve) => {
        const socket = connect(double.port, '127.0.0.1', () => socket.write(msg));
        socket.once('data', (d: Buffer) => {
          resolve(d);
          socket.destroy();
        });
        socket.once('close', () => resolve('closed'));
      });
    const reply = await exchange(message(crc32c));
    expect(reply).not.toBe('closed');
    const r = reply as Buffer;
    expect([r.readInt32LE(8), r.readInt32LE(12)]).toEqual([7, 2013]);
    expect(deserialize(r.subarray(21))).toEqual({ ok: 1 });
    expect(await exchange(message((m) => crc32c(m) ^ 1))).toBe('closed');
  });
});

/**
 * Text indexes and $text, as the MongoDB content store uses them: a compound text index with an account_id
 * prefix and a language_override, queried through aggregate (and find) with the text score. Expected values
 * follow MongoDB 7.0 (see tests/support/mongo-double/text.ts for the sources).
 */
describe('mongo-double: text indexes and $text', () => {
  const TEXT_KEY = { account_id: 1, question: 'text', response: 'text', url: 'text' } as const;
  const TEXT_OPTIONS = {
    name: 'qa_pairs_text_idx',
    default_language: 'english',
    language_override: 'text_language',
    weights: { question: 1, response: 1, url: 1 },
  };
  type Pair = {
    account_id: string;
    chat_id: string;
    seq: number;
    response_id: string;
    question: string;
    response: string;
    url: string | null;
    language: string | null;
  };
  const pair = (response_id: string, account_id: string, chat_id: string, seq: number, text: Partial<Pair>): Pair => ({
    account_id,
    chat_id,
    seq,
    response_id,
    question: '',
    response: '',
    url: null,
    language: null,
    ...text,
  });
  const PAIRS = [
    pair('r1', 'A', 'c1', 1, {
      question: 'How do I keep the tests running?',
      response: 'Run them with bun test; it runs them in parallel.',
      language: 'python', // a code language, not a text language: only fine because of language_override
    }),
    pair('r2', 'A', 'c1', 2, {
      question: 'Connection refused on port 5432',
      response: 'The database connections are closed; check the connection string.',
      url: 'https://example.com/postgres/connections',
      language: 'bash',
    }),
    pair('r3', 'A', 'c2', 1, {
      question: 'Searching for a needle',
      response: 'Use the search index: searches are fast.',
    }),
    pair('r4', 'B', 'c9', 1, { question: 'How do I keep the tests running?', response: 'Run them.' }),
    pair('r5', 'A', 'c2', 2, { question: 'the and of to', response: 'a an the' }),
    pair('r6', 'A', 'c3', 1, { question: 'Connect the dots', response: 'connected components of a graph' }),
    pair('r7', 'A', 'c3', 2, { question: 'my_var is undefined', response: "Don't panic: declare it first." }),
    pair('r8', 'A', 'c4', 1, { question: 'Run the search again', response: 'Same text.' }),
    pair('r9', 'A', 'c4', 2, { question: 'Run the search again', response: 'Same text.' }),
  ];

  let seeded = 0;
  /** A fresh collection with the content store's text index and PAIRS. */
  async function seedQa() {
    const qa = db.collection<Pair>(`qa_text_${++seeded}`);
    await qa.createIndex(TEXT_KEY, TEXT_OPTIONS);
    await qa.insertMany(PAIRS.map((p) => ({ ...p })));
    return qa;
  }
  /** The response ids a $text search finds for account A, best score first. */
  async function searchA(qa: Awaited<ReturnType<typeof seedQa>>, search: string) {
    const found = await qa
      .find(
        { account_id: 'A', $text: { $search: search } },
        { projection: { response_id: 1, score: { $meta: 'textScore' } } },
      )
      .sort({ score: { $meta: 'textScore' }, response_id: 1 })
      .toArray();
    return found.map((d) => d.response_id);
  }

  test('the compound text index: created once (re-creating is a no-op), listed in its stored form', async () => {
    const qa = db.collection('text_index');
    expect(await qa.createIndex(TEXT_KEY, TEXT_OPTIONS)).toBe('qa_pairs_text_idx');
    expect(await qa.createIndex(TEXT_KEY, TEXT_OPTIONS)).toBe('qa_pairs_text_idx');
    const indexes = await qa.listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(['_id_', 'qa_pairs_text_idx']);
    expect(indexes[1]).toEqual({
      v: 2,
      key: { account_id: 1, _fts: 'text', _ftsx: 1 },
      name: 'qa_pairs_text_idx',
      weights: { question: 1, response: 1, url: 1 },
      default_language: 'english',
      language_override: 'text_language',
      textIndexVersion: 3,
    });
  });

  test('one text index per collection; conflicting specs and malformed text keys are refused like the server', async () => {
    const qa = db.collection('text_index_conflicts');
    await qa.createIndex(TEXT_KEY, TEXT_OPTIONS);
    const second = await serverError(qa.createIndex({ question: 'text' }, { name: 'question_text' }));
    expect([second.code, second.message]).toEqual([
      67,
      'only one text index per collection allowed, found existing text index "qa_pairs_text_idx"',
    ]);
    // same name, same stored key ({ account_id: 1, _fts: 'text', _ftsx: 1 }), other weights
    const otherOptions = await serverError(
      qa.createIndex({ account_id: 1, question: 'text' }, { name: 'qa_pairs_text_idx' }),
    );
    expect(otherOptions.code).toBe(85);
    const otherKey = await serverError(qa.createIndex({ question: 'text' }, { name: 'qa_pairs_text_idx' }));
    expect(otherKey.code).toBe(86);
    const renamed = await serverError(qa.createIndex(TEXT_KEY, { ...TEXT_OPTIONS, name: 'another_name' }));
    expect([renamed.code, renamed.message]).toEqual([
      85,
      'Index already exists with a different name: qa_pairs_text_idx',
    ]);
    expect((await qa.listIndexes().toArray()).length).toBe(2);

    const notAdjacent = await serverError(db.collection('text_bad').createIndex({ a: 'text', b: 1, c: 'text' }));
    expect([notAdjacent.code, notAdjacent.message]).toEqual([67, "'text' fields in index must all be adjacent"]);
    const badLanguage = await serverError(
      db.collection('text_bad').createIndex({ a: 'text' }, { default_language: 'klingon' }),
    );
    expect([badLanguage.code, badLanguage.message]).toEqual([67, 'default_language is not valid']);
    const geo = await serverError(db.collection('text_bad').createIndex({ loc: '2dsphere' }));
    expect(geo.message).toBe('mongo-double: unsupported index type { loc: "2dsphere" }');
  });

  test('the default language override field is `language`: a document with language "python" cannot be written', async () => {
    const plain = db.collection('text_default_override');
    await plain.createIndex({ question: 'text' });
    const insert = await serverError(plain.insertOne({ question: 'print()', language: 'python' }));
    expect([insert.code, insert.message]).toEqual([17262, 'language override unsupported: python']);
    const notString = await serverError(plain.insertOne({ question: 'x', language: 7 }));
    expect(notString.code).toBe(17261);
    await plain.insertOne({ question: 'hola', language: 'ES' }); // a language MongoDB knows (case-insensitive alias)
    await plain.insertOne({ question: 'no language field' });
    const update = await serverError(
      plain.updateOne({ question: 'no language field' }, { $set: { language: 'python' } }),
    );
    expect(update.code).toBe(17262);
    expect(await plain.countDocuments({ language: 'python' })).toBe(0);

    // building the index over such a document fails the same way, and leaves no index behind
    const existing = db.collection('text_index_over_python');
    await existing.insertOne({ question: 'print()', language: 'python' });
    expect((await serverError(existing.createIndex({ question: 'text' }))).code).toBe(17262);
    expect((await existing.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);

    // with the content store's language_override the `language` field is just data; the override field is checked
    const qa = await seedQa();
    expect(await qa.countDocuments({ language: 'python' })).toBe(1);
    const override = await serverError(
      qa.insertOne({ ...pair('rx', 'A', 'c1', 9, {}), text_language: 'python' } as never),
    );
    expect([override.code, override.message]).toEqual([17262, 'language override unsupported: python']);

    // a language MongoDB has but the double does not implement: accepted, and refused loudly once searched
    await qa.insertOne({ ...pair('rf', 'B', 'c8', 1, { question: 'Où est la gare ?' }), text_language: 'fr' } as never);
    expect(await searchA(qa, 'keep')).toEqual(['r1']); // account A: the French document is never tokenized
    const french = await serverError(qa.find({ account_id: 'B', $text: { $search: 'gare' } }).toArray());
    expect(french.message).toBe(
      "mongo-double: unsupported text search language 'french' (only english and none are implemented)",
    );
  });

  test('the scores of the MongoDB manual example (stores: "java coffee shop")', async () => {
    const stores = db.collection<{ _id: number; name: string; description: string; score?: number }>('text_stores');
    await stores.insertMany([
      { _id: 1, name: 'Java Hut', description: 'Coffee and cakes' },
      { _id: 2, name: 'Burger Buns', description: 'Gourmet hamburgers' },
      { _id: 3, name: 'Coffee Shop', description: 'Just coffee' },
      { _id: 4, name: 'Clothes Clothes Clothes', description: 'Discount clothing' },
      { _id: 5, name: 'Java Shopping', description: 'Indonesian goods' },
    ]);
    await stores.createIndex({ name: 'text', description: 'text' });
    const found = await stores
      .find({ $text: { $search: 'java coffee shop' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' }, _id: 1 })
      .toArray();
    // coffee shop: name 0.75 + 0.75, description 0.75 ("just" is not a stop word); java hut, java shopping: 1.5
    expect(found).toEqual([
      { _id: 3, name: 'Coffee Shop', description: 'Just coffee', score: 2.25 },
      { _id: 1, name: 'Java Hut', description: 'Coffee and cakes', score: 1.5 },
      { _id: 5, name: 'Java Shopping', description: 'Indonesian goods', score: 1.5 },
    ]);
    const ids = async (search: string) =>
      (await stores.find({ $text: { $search: search } }).toArray()).map((d) => d._id).sort();
    expect(await ids('java "coffee shop"')).toEqual([3]); // a phrase is required, the other terms only score
    expect(await ids('java shop -coffee')).toEqual([5]);
    expect(await ids('clothing')).toEqual([4]); // clothes/clothing: both "cloth"
    // repeated terms: 1 + 1/2 + 1/4 for three "clothes" out of 3 tokens, coeff 1 → 1.75 for the name
    const [clothes] = await stores
      .find<Document>({ $text: { $search: 'clothes' } }, { projection: { _id: 0, score: { $meta: 'textScore' } } })
      .toArray();
    // plus 0.75 for "clothing" in the description; an exclusion projection keeps the other fields
    expect(clothes).toEqual({ name: 'Clothes Clothes Clothes', description: 'Discount clothing', score: 2.5 });

    // a field that is exactly the (stemmed) term gets a 1.1 boost: "Search" yes, "Searches" (stem "search") no
    const titles = db.collection<{ _id: number; title: string; score?: number }>('text_titles');
    await titles.insertMany([
      { _id: 1, title: 'Search' },
      { _id: 2, title: 'Searches' },
    ]);
    await titles.createIndex({ title: 'text' });
    const scores = await titles
      .find({ $text: { $search: 'searching' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ _id: 1 })
      .toArray();
    expect(scores.map((d) => d.score)).toEqual([1.1, 1]);
  });

  test('stemming, case, stop words and tokens, within one account', async () => {
    const qa = await seedQa();
    expect(await searchA(qa, 'running')).toEqual(['r1', 'r8', 'r9']); // "Run …"; r4 (account B) has it too
    expect(await searchA(qa, 'RUNS')).toEqual(['r1', 'r8', 'r9']);
    expect(await searchA(qa, 'searches')).toEqual(['r3', 'r8', 'r9']);
    expect(await searchA(qa, 'connections')).toEqual(['r2', 'r6']); // connection/connections/connected/Connect
    expect(await searchA(qa, 'the and of')).toEqual([]); // only stop words: nothing, though r5 is made of them
    expect(await searchA(qa, "don't")).toEqual([]); // a stop word: in English "'" is a word character
    expect(await searchA(qa, 'panic')).toEqual(['r7']);
    expect(await searchA(qa, 'postgres')).toEqual(['r2']); // URL parts are words
    expect(await searchA(qa, '5432')).toEqual(['r2']);
    expect(await searchA(qa, 'my_var')).toEqual(['r7']); // `_` is not a delimiter for MongoDB
    expect(await searchA(qa, 'var')).toEqual([]);
    expect(await searchA(qa, 'running')).toEqual(await searchA(qa, 'run'));
  });

  test('phrases are ANDed and required, negations exclude', async () => {
    const qa = await seedQa();
    expect(await searchA(qa, '"connection string"')).toEqual(['r2']);
    expect(await searchA(qa, '"CONNECTION STRING"')).toEqual(['r2']); // case-insensitive substring
    expect(await searchA(qa, '"connection string" "database connections"')).toEqual(['r2']);
    expect(await searchA(qa, '"connection string" "connected components"')).toEqual([]); // not in one document
    expect(await searchA(qa, 'needle "connection string"')).toEqual(['r2']); // the phrase is required
    expect(await searchA(qa, '"search again"')).toEqual(['r8', 'r9']);
    expect(await searchA(qa, 'connect -graph')).toEqual(['r2']);
    expect(await searchA(qa, 'connect -"connected components"')).toEqual(['r2']);
    expect(await searchA(qa, 'connect - graph')).toEqual(['r2', 'r6']); // "- graph": no negation
    expect(await searchA(qa, '-connect')).toEqual([]); // only negations: nothing
  });

  test('$text needs a text index and, for a compound one, equality on its prefix; $meta needs $text', async () => {
    const qa = await seedQa();
    const noPrefix = await serverError(qa.find({ $text: { $search: 'run' } }).toArray());
    expect(noPrefix.code).toBe(291);
    expect(noPrefix.message).toContain(
      'failed to use text index to satisfy $text query (if text index is compound, are equality predicates given for all prefix fields?)',
    );
    const inList = await serverError(qa.find({ account_id: { $in: ['A'] }, $text: { $search: 'run' } }).toArray());
    expect(inList.code).toBe(291);
    const nested = await serverError(qa.find({ $or: [{ account_id: 'A' }], $text: { $search: 'run' } }).toArray());
    expect(nested.code).toBe(291);
    expect(await qa.countDocuments({ account_id: { $eq: 'A' }, $text: { $search: 'run' } })).toBe(3);
    expect(await qa.countDocuments({ $and: [{ account_id: 'A' }, { $text: { $search: 'run' } }] })).toBe(3);

    await db.collection('text_none').insertOne({ question: 'run' });
    const noIndex = await serverError(
      db
        .collection('text_none')
        .find({ $text: { $search: 'run' } })
        .toArray(),
    );
    expect([noIndex.code, noIndex.message]).toEqual([27, 'text index required for $text query']);
    const noCollection = await serverError(
      db
        .collection('text_missing')
        .find({ $text: { $search: 'run' } })
        .toArray(),
    );
    expect([noCollection.code, noCollection.message]).toEqual([
      27,
      "text index required for $text query (no such collection 'double_test.text_missing')",
    ]);

    const metaSort = await serverError(
      qa
        .find({ account_id: 'A' })
        .sort({ score: { $meta: 'textScore' } })
        .toArray(),
    );
    expect([metaSort.code, metaSort.message]).toEqual([
      40218,
      'query requires text score metadata, but it is not available',
    ]);
    const metaAgg = await serverError(
      qa.aggregate([{ $match: { account_id: 'A' } }, { $addFields: { s: { $meta: 'textScore' } } }]).toArray(),
    );
    expect(metaAgg.code).toBe(40218);
    const twice = await serverError(
      qa.find({ account_id: 'A', $text: { $search: 'run' }, $and: [{ $text: { $search: 'search' } }] }).toArray(),
    );
    expect([twice.code, twice.message]).toEqual([2, 'Too many text expressions']);
    const late = await serverError(
      qa
        .aggregate([{ $match: { account_id: 'A' } }, { $match: { account_id: 'A', $text: { $search: 'run' } } }])
        .toArray(),
    );
    expect([late.code, late.message]).toEqual([17313, '$match with $text is only allowed as the first pipeline stage']);
    const inOr = await serverError(
      qa.find({ account_id: 'A', $or: [{ $text: { $search: 'run' } }, { seq: 1 }] }).toArray(),
    );
    expect(inOr.message).toStartWith('mongo-double: unsupported $text');
    const language = await serverError(
      qa.find({ account_id: 'A', $text: { $search: 'run', $language: 'xx' } }).toArray(),
    );
    expect([language.code, language.message]).toEqual([2, 'unsupported language: "xx" for text index version 3']);
  });

  test('the content store query: aggregate with $addFields textScore, a keyset $match on the score, $sort, $limit', async () => {
    const qa = await seedQa();
    const page = (after: { score: number; response_id: string } | null, limit: number) =>
      qa
        .aggregate<Pair & { score: number }>([
          {
            $match: {
              account_id: 'A',
              $text: { $search: 'run search connect', $language: 'english' },
              $or: [
                { chat_id: 'c1', seq: { $gte: 1, $lte: 5 } },
                { chat_id: 'c2', seq: { $gte: 1, $lte: 5 } },
                { chat_id: 'c3', seq: { $gte: 1, $lte: 1 } },
                { chat_id: 'c4', seq: { $gte: 1, $lte: 5 } },
                { chat_id: 'c9', seq: { $gte: 1, $lte: 5 } },
              ],
            },
          },
          { $addFields: { score: { $meta: 'textScore' } } },
          ...(after
            ? [
                {
                  $match: {
                    $or: [
                      { score: { $lt: after.score } },
                      { score: after.score, response_id: { $lt: after.response_id } },
                    ],
                  },
                },
              ]
            : []),
          { $sort: { score: -1, response_id: -1 } },
          { $limit: limit },
        ])
        .toArray();

    const all = await page(null, 100);
    // r4 is another account's, r5/r7 do not match, r6 (c3 seq 1) does; r8 and r9 tie
    expect(all.map((d) => d.response_id).sort()).toEqual(['r1', 'r2', 'r3', 'r6', 'r8', 'r9']);
    for (const [i, d] of all.entries()) {
      expect(d.score).toBeGreaterThan(0);
      expect(Object.keys(d)).not.toContain('__mongoDoubleTextScore');
      const next = all[i + 1];
      if (next) expect(d.score > next.score || (d.score === next.score && d.response_id > next.response_id)).toBe(true);
    }
    expect(all.find((d) => d.response_id === 'r8')!.score).toBe(all.find((d) => d.response_id === 'r9')!.score);

    const pages: string[] = [];
    let after: { score: number; response_id: string } | null = null;
    for (let i = 0; i < 10; i++) {
      const rows = await page(after, 2);
      pages.push(...rows.map((d) => d.response_id));
      if (rows.length < 2) break;
      const last = rows.at(-1)!;
      after = { score: last.score, response_id: last.response_id };
    }
    expect(pages).toEqual(all.map((d) => d.response_id));

    // a score depends only on the document and the query: the same with other documents filtered out
    const r1Alone = await qa
      .find<Document>(
        { account_id: 'A', chat_id: 'c1', seq: 1, $text: { $search: 'run search connect' } },
        { projection: { _id: 0, response_id: 1, score: { $meta: 'textScore' } } },
      )
      .toArray();
    expect(r1Alone).toEqual([{ response_id: 'r1', score: all.find((d) => d.response_id === 'r1')!.score }]);
  });

  test('find: a textScore projection with an inclusion projection, and $project in aggregate', async () => {
    const qa = await seedQa();
    const [r2] = await qa
      .find(
        { account_id: 'A', $text: { $search: '"connection string"' } },
        { projection: { response_id: 1, score: { $meta: 'textScore' } } },
      )
      .toArray();
    expect(Object.keys(r2!).sort()).toEqual(['_id', 'response_id', 'score']);
    const projected = await qa
      .aggregate([
        { $match: { account_id: 'A', $text: { $search: 'connect' } } },
        { $project: { _id: 0, response_id: 1 } },
        { $sort: { s: { $meta: 'textScore' } } },
        { $project: { response_id: 1, s: { $meta: 'textScore' } } },
      ])
      .toArray();
    expect(projected.map((d) => Object.keys(d))).toEqual([
      ['response_id', 's'],
      ['response_id', 's'],
    ]);
    expect(projected.map((d) => d.response_id)).toEqual(['r2', 'r6']);
    expect(projected[0]!.s).toBeGreaterThan(projected[1]!.s);
    const grouped = await serverError(
      qa
        .aggregate([
          { $match: { account_id: 'A', $text: { $search: 'connect' } } },
          { $group: { _id: '$chat_id' } },
          { $sort: { s: { $meta: 'textScore' } } },
        ])
        .toArray(),
    );
    expect(grouped.message).toStartWith(
      "mongo-double: unsupported { $meta: 'textScore' } after aggregation stage '$group'",
    );
    expect(
      await qa.aggregate([{ $match: { account_id: 'A', $text: { $search: 'connect' } } }, { $count: 'n' }]).toArray(),
    ).toEqual([{ n: 2 }]);
  });

  test('the English stemmer is Snowball English (Porter2), as in MongoDB', () => {
    const vocabulary: Record<string, string> = {
      consign: 'consign',
      consigned: 'consign',
      consignment: 'consign',
      consistency: 'consist',
      consistently: 'consist',
      consolation: 'consol',
      consolatory: 'consolatori',
      consolidate: 'consolid',
      consolingly: 'consol',
      conspicuous: 'conspicu',
      conspiracy: 'conspiraci',
      conspirator: 'conspir',
      constable: 'constabl',
      constancy: 'constanc',
      knackeries: 'knackeri',
      kneaded: 'knead',
      knightly: 'knight',
      knitting: 'knit',
      knives: 'knive',
      knocker: 'knocker',
      generously: 'generous',
      running: 'run',
      runs: 'run',
      connection: 'connect',
      connections: 'connect',
      connected: 'connect',
      searches: 'search',
      searching: 'search',
      coffee: 'coffe',
      shopping: 'shop',
      hoping: 'hope',
      hopping: 'hop',
      cries: 'cri',
      ties: 'tie',
      gas: 'gas',
      gaps: 'gap',
      flying: 'fli',
      skies: 'sky',
      dying: 'die',
      succeeding: 'succeed',
      "dog's": 'dog',
    };
    expect(Object.fromEntries(Object.keys(vocabulary).map((w) => [w, stemEnglish(w)]))).toEqual(vocabulary);
  });
});

describe('mongo-double: what MongoDB refuses', () => {
  test('empty or malformed $or / $and / $nor: code 2 BadValue, in find, update, delete, count and aggregate', async () => {
    const c = db.collection('logical');
    await c.insertOne({ a: 1 });
    for (const op of ['$or', '$and', '$nor']) {
      const empty = await serverError(c.find({ [op]: [] }).toArray());
      expect([empty.code, empty.codeName, empty.message]).toEqual([
        2,
        'BadValue',
        '$and/$or/$nor must be a nonempty array',
      ]);
      const notObjects = await serverError(c.find({ [op]: [1] } as Document).toArray());
      expect([notObjects.code, notObjects.message]).toEqual([2, '$or/$and/$nor entries need to be full objects']);
      const notArray = await serverError(c.find({ [op]: { a: 1 } } as Document).toArray());
      expect([notArray.code, notArray.message]).toEqual([2, `${op} must be an array`]);
    }
    // Nested too (inside another $or, or $elemMatch), and in every command that takes a filter.
    expect((await serverError(c.find({ $or: [{ a: 1 }, { $and: [] }] }).toArray())).code).toBe(2);
    expect((await serverError(c.find({ xs: { $elemMatch: { $or: [] } } }).toArray())).code).toBe(2);
    expect((await serverError(c.updateOne({ $or: [] }, { $set: { b: 1 } }))).code).toBe(2);
    expect((await serverError(c.deleteMany({ $nor: [] }))).code).toBe(2);
    expect((await serverError(c.countDocuments({ $and: [] }))).code).toBe(2);
    expect((await serverError(c.aggregate([{ $match: { a: 1 } }, { $match: { $or: [] } }]).toArray())).code).toBe(2);
    // Nothing was changed by the refused writes; a non-empty $or still works.
    expect<Document[]>(await c.find({ $or: [{ a: 1 }] }, { projection: { _id: 0 } }).toArray()).toEqual([{ a: 1 }]);
    expect(double.unsupported.filter((u) => u.includes('$or'))).toEqual([]);
  });

  test('two update operators on one path (or a path and its prefix): code 40 ConflictingUpdateOperators', async () => {
    const c = db.collection('conflicts');
    await c.insertOne({ k: 1, a: 1 });
    const setAndInsert = await serverError(
      c.updateOne({ k: 2 }, { $set: { a: 1 }, $setOnInsert: { a: 2 } }, { upsert: true }),
    );
    // (A write error carries code and errmsg; the driver raises it as the command's error.)
    expect([setAndInsert.code, setAndInsert.message]).toEqual([
      40,
      "Updating the path 'a' would create a conflict at 'a'",
    ]);
    // Refused when parsed: also when the filter matches an existing document, and for prefixes of a path.
    expect((await serverError(c.updateOne({ k: 1 }, { $set: { a: 1 }, $setOnInsert: { a: 2 } }))).code).toBe(40);
    const prefix = await serverError(c.updateOne({ k: 1 }, { $set: { 'a.b': 1 }, $unset: { a: '' } }));
    expect([prefix.code, prefix.message]).toEqual([40, "Updating the path 'a' would create a conflict at 'a'"]);
    expect((await serverError(c.updateOne({ k: 1 }, { $set: { a: 1, 'a.x': 2 } }))).code).toBe(40);
    expect((await serverError(c.updateOne({ k: 1 }, { $rename: { a: 'b' }, $set: { b: 1 } }))).code).toBe(40);
    expect((await serverError(c.findOneAndUpdate({ k: 1 }, { $inc: { a: 1 }, $set: { a: 5 } }))).code).toBe(40);
    // Different paths are fine, and nothing above was written.
    await c.updateOne({ k: 3 }, { $set: { a: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect<Document[]>(await c.find({}, { projection: { _id: 0 }, sort: { k: 1 } }).toArray()).toEqual([
      { k: 1, a: 1 },
      { k: 3, a: 1, created: true },
    ]);
  });

  test('documents over 16 MiB: 2 BadValue on insert, 10334 BSONObjectTooLarge when an update grows one', async () => {
    const c = db.collection('sizes');
    // Binary, not strings: bson serializes large strings slowly under Bun.
    const nineMiB = Buffer.alloc(9 * 1024 * 1024, 1);
    // Just over 16 MiB: the driver's serializer cannot build a message with a document over 17 MiB at all.
    const tooBig = Buffer.alloc(16 * 1024 * 1024 + 100, 1);
    const e = await serverError(c.insertOne({ _id: 'big' as never, a: tooBig }));
    expect(e.code).toBe(2);
    expect(e.message).toMatch(/^object to insert too large\. size in bytes: \d+, max size: 16777216$/);
    await c.insertOne({ _id: 'grow' as never, a: nineMiB });
    const grown = await serverError(c.updateOne({ _id: 'grow' as never }, { $set: { b: nineMiB } }));
    expect([grown.code, grown.message]).toEqual([10334, 'Resulting document after update is larger than 16777216']);
    const sevenMiB = Buffer.alloc(7.5 * 1024 * 1024, 1);
    const upserted = await serverError(
      c.updateOne({ key: 'new' }, { $set: { a: nineMiB, b: sevenMiB } }, { upsert: true }),
    );
    expect(upserted.code).toBe(10334);
    // Nothing half-written: the grown document is unchanged, the refused ones are absent.
    const docs = await c.find({}, { projection: { a: 0 } }).toArray();
    expect(docs).toEqual([{ _id: 'grow' as never }]);
  });

  test('nesting deeper than 100 levels: code 15 Overflow, on insert and on update', async () => {
    const c = db.collection('depth');
    const nested = (levels: number) => {
      let v: Document = { leaf: true };
      for (let i = 1; i < levels; i++) v = { v };
      return v; // `levels` objects deep, the document itself included
    };
    await c.insertOne({ _id: 'ok' as never, ...nested(100) });
    const tooDeep = await serverError(c.insertOne({ _id: 'deep' as never, ...nested(101) }));
    expect([tooDeep.code, tooDeep.message]).toEqual([15, 'Document exceeds maximum nesting depth of 100']);
    expect((await serverError(c.updateOne({ _id: 'ok' as never }, { $set: { w: nested(100) } }))).code).toBe(15);
    expect(await c.countDocuments()).toBe(1);
    expect(await c.countDocuments({ w: { $exists: true } })).toBe(0);
  });
});

describe('mongo-double: fault injection and interleaving', () => {
  test('failNext answers the next matching command with a server error and its labels, then runs normally', async () => {
    const c = db.collection('faults');
    await c.insertOne({ k: 1 });
    double.failNext({
      command: 'insert',
      collection: 'faults',
      code: 91,
      codeName: 'ShutdownInProgress',
      errmsg: 'The server is in quiesce mode and will shut down',
      labels: ['RetryableWriteError'],
      times: 2, // the driver retries a write once by itself (a replica set, retryWrites)
    });
    const e = await serverError(c.insertOne({ k: 2 }));
    expect([e.code, e.codeName, e.message]).toEqual([
      91,
      'ShutdownInProgress',
      'The server is in quiesce mode and will shut down',
    ]);
    expect(e.hasErrorLabel('RetryableWriteError')).toBe(true);
    expect(double.injected.slice(-2)).toEqual([
      { kind: 'fault', command: 'insert' },
      { kind: 'fault', command: 'insert' },
    ]);
    // Consumed: the next insert works, and the refused one was never run.
    await c.insertOne({ k: 3 });
    expect((await c.find({}, { sort: { k: 1 } }).toArray()).map((d) => d.k)).toEqual([1, 3]);
  });

  test('failNext with `times` outlasts the driver’s own retry of a read; other collections are unaffected', async () => {
    const c = db.collection('faults2');
    await c.insertOne({ k: 1 });
    double.failNext({
      command: 'find',
      collection: 'faults2',
      code: 11600,
      codeName: 'InterruptedAtShutdown',
      times: 2,
    });
    expect(await db.collection('faults').countDocuments()).toBe(2); // an aggregate elsewhere: not failed
    const e = await serverError(c.find({}).toArray());
    expect(e.code).toBe(11600);
    expect(double.injected.filter((i) => i.kind === 'fault' && i.command === 'find')).toHaveLength(2);
    expect(await c.countDocuments()).toBe(1);
  });

  test('failNext with `network`: the connection is dropped without an answer (a MongoNetworkError)', async () => {
    const c = db.collection('faults3');
    // One dropped connection: the driver's retry (same txnNumber) stores the write once.
    double.failNext({ command: 'insert', collection: 'faults3', network: true });
    await c.insertOne({ k: 0 });
    expect(await c.countDocuments({ k: 0 })).toBe(1);
    await c.deleteMany({});
    // Two: the retry fails too, and the error reaches the caller.
    double.failNext({ command: 'insert', collection: 'faults3', network: true, times: 2 });
    const error = await c.insertOne({ k: 1 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.name).toBe('MongoNetworkError');
    expect(await c.countDocuments()).toBe(0);
    await c.insertOne({ k: 2 }); // a new connection works
    expect(await c.countDocuments()).toBe(1);
  });

  test('interleave at upsert-insert: a competing insert lands in the race window, the upsert loses with E11000', async () => {
    const c = db.collection('race');
    await c.createIndex({ chat: 1, seq: 1 }, { unique: true, name: 'race_uq' });
    double.interleave({
      command: 'update',
      collection: 'race',
      at: 'upsert-insert',
      run: { insert: 'race', documents: [{ chat: 'c', seq: 1, who: 'competitor' }] },
    });
    const e = await serverError(c.updateOne({ chat: 'c', seq: 1 }, { $set: { who: 'upsert' } }, { upsert: true }));
    expect(e.code).toBe(11000);
    expect(e.message).toContain('index: race_uq dup key: { chat: "c", seq: 1 }');
    expect(double.injected.at(-1)).toMatchObject({ kind: 'interleave', command: 'update', reply: { n: 1, ok: 1 } });
    // Retried, the upsert now matches the competitor's document and updates it.
    await c.updateOne({ chat: 'c', seq: 1 }, { $set: { who: 'upsert' } }, { upsert: true });
    expect<Document[]>(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([
      { chat: 'c', seq: 1, who: 'upsert' },
    ]);
  });

  test('interleave before: the competing command runs first, then the command itself', async () => {
    const c = db.collection('race2');
    double.interleave({
      command: 'find',
      collection: 'race2',
      at: 'before',
      run: { insert: 'race2', documents: [{ k: 1 }] },
    });
    expect<Document[]>(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ k: 1 }]);
  });
});
