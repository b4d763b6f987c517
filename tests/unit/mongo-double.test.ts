/**
 * The MongoDB wire-protocol double (tests/support/mongo-double) driven by the official driver directly:
 * what the content adapter relies on, plus the "fails loudly" guarantees.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { deserialize, serialize } from 'bson';
import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { crc32c } from '../support/mongo-double/wire.js';

let double: MongoDouble;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  double = await startMongoDouble();
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
  test('handshake and ping: a MongoDB 7.0 standalone', async () => {
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

  test('transactions are refused', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      const err = await serverError(db.collection('tx').insertOne({ a: 1 }, { session }));
      expect(err.message).toContain("'startTransaction'");
    } finally {
      await session.abortTransaction().catch(() => {});
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
