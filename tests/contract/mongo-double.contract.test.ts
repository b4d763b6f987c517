/** The content-store contract on the MongoDB adapter, against the in-memory wire-protocol double (every CI run). */
import { afterAll, describe, expect, test } from 'bun:test';
import { MongoClient } from 'mongodb';
import { v7 } from 'uuid';
import { MongoContentStore } from '../../src/stores/content/mongo-content.store.js';
import { accountHash } from '../../src/stores/content/mongo-shard-key.js';
import { startMongoDouble } from '../support/mongo-double/server.js';
import { contentStoreContract } from './content-store.contract.js';

let opened: Promise<{ store: MongoContentStore; stop: () => Promise<void>; url: string }> | undefined;

/** One double and store for the contract and the tests below, opened by whichever runs first. */
function openStore() {
  opened ??= (async () => {
    const double = await startMongoDouble();
    const store = await MongoContentStore.connect({ url: double.url, dbName: `contract_${process.pid}` });
    return { store, stop: double.stop, url: double.url };
  })();
  return opened;
}

contentStoreContract('mongodb (wire-protocol double)', async () => (await openStore()).store);

afterAll(async () => {
  if (!opened) return;
  const { store, stop } = await opened;
  await store.close();
  await stop();
});

describe('mongodb adapter (wire-protocol double): documents written before the search fields and the shard key', () => {
  test('connect backfills both in batches (and drops the old indexes); search then finds those pairs', async () => {
    const double = await startMongoDouble();
    const dbName = `backfill_${process.pid}`;
    const client = new MongoClient(double.url);
    try {
      const qa = client.db(dbName).collection('qa_pairs');
      // As an earlier version left them: no search fields (or another tokenizer/language), a text index.
      await qa.createIndex(
        { account_id: 1, question: 'text', response: 'text', url: 'text' },
        { name: 'qa_pairs_text_idx', language_override: 'text_language' },
      );
      const accountId = v7();
      const chatId = v7();
      const docs = Array.from({ length: 1203 }, (_, i) => ({
        response_id: v7(),
        chat_id: chatId,
        account_id: accountId,
        seq: i + 1,
        question: i === 1202 ? 'A happy city' : `filler ${i}`,
        response: i === 0 ? 'with a long history' : 'text',
        type: 'text',
        language: null,
        url: null,
        timestamp: new Date(),
        generation: null,
        fence: 1,
        ...(i === 1 ? { search_stems: ['stale'], search_weights: [1], search_key: '0:english' } : {}),
      }));
      await qa.insertMany(docs);
      // The unique indexes of earlier versions, not prefixed by the shard key.
      await qa.createIndex({ chat_id: 1, seq: 1 }, { name: 'qa_pairs_chat_seq_uq', unique: true });
      await qa.createIndex({ response_id: 1 }, { name: 'qa_pairs_response_id_uq', unique: true });

      const updates = double.commands.filter((c) => c === 'update').length;
      const store = await MongoContentStore.connect({ url: double.url, dbName });
      try {
        // 1,203 documents, 500 per round trip: three bulk updates for the shard key's account_hash, three for
        // the search fields.
        expect(double.commands.filter((c) => c === 'update').length - updates).toBe(6);
        expect(await qa.countDocuments({ search_key: { $ne: '1:english' } })).toBe(0);
        expect(await qa.countDocuments({ account_hash: accountHash(accountId) })).toBe(1203);
        const indexes = (await qa.listIndexes().toArray()).map((i) => i.name);
        for (const old of ['qa_pairs_text_idx', 'qa_pairs_chat_seq_uq', 'qa_pairs_response_id_uq'])
          expect(indexes).not.toContain(old);
        expect(indexes).toContain('qa_pairs_slot_uq');
        const all = [{ chatId, fromSeq: 1, toSeq: 1203 }];
        const found = async (text: string) =>
          (await store.search({ accountId, text, ranges: all, limit: 10, after: null })).map((h) => h.pair.seq);
        expect(await found('happy city')).toEqual([1203]);
        expect(await found('history')).toEqual([1]);
        expect(await found('filler 1')).toEqual([2]); // re-indexed, not left with its stale stems
        expect(await found('stale')).toEqual([]);
        // Idempotent: a second start finds nothing left to do.
        expect(await MongoContentStore.backfillSearchFields(qa, 'english')).toBe(0);
        expect(await MongoContentStore.backfillAccountHash(qa)).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      await client.close();
      await double.stop();
    }
  });
});

describe('mongodb adapter (wire-protocol double): documents written before the running usage totals', () => {
  test('usage of old documents is aggregated; an append after them continues the totals from their sum', async () => {
    const { store, url } = await openStore();
    const client = new MongoClient(url);
    try {
      const qa = client.db(`contract_${process.pid}`).collection('qa_pairs');
      const accountId = v7();
      const chatId = v7();
      // Seven pairs as an earlier version wrote them: token counts in `generation`, no `usage_total`.
      await qa.insertMany(
        Array.from({ length: 7 }, (_, i) => ({
          account_hash: accountHash(accountId),
          response_id: v7(),
          chat_id: chatId,
          account_id: accountId,
          seq: i + 1,
          question: `q${i + 1}`,
          response: `a${i + 1}`,
          type: 'text',
          language: null,
          url: null,
          timestamp: new Date(),
          generation:
            i === 3 ? null : { model: 'm', prompt_tokens: i + 1, completion_tokens: 10 * (i + 1), latency_ms: 1 },
          fence: 1,
        })),
      );
      // Counts 1..7 but seq 4 (given): 24 prompt, 240 completion.
      expect(await store.usage(accountId, [{ chatId, fromSeq: 1, toSeq: 7 }])).toEqual({
        promptTokens: 24,
        completionTokens: 240,
      });
      expect(await store.usage(accountId, [{ chatId, fromSeq: 3, toSeq: 5 }])).toEqual({
        promptTokens: 8,
        completionTokens: 80,
      });
      expect(
        await store.usagePrefixes(accountId, [
          { chatId, seq: 7 },
          { chatId, seq: 2 },
        ]),
      ).toEqual([
        { promptTokens: 24, completionTokens: 240 },
        { promptTokens: 3, completionTokens: 30 },
      ]);
      await store.append(
        {
          responseId: v7(),
          chatId,
          accountId,
          seq: 8,
          question: 'q8',
          response: 'a8',
          type: 'text',
          language: null,
          url: null,
          timestamp: new Date(),
          generation: { model: 'm', promptTokens: 100, completionTokens: 1000, latencyMs: 1 },
        },
        2,
      );
      const eighth = await qa.findOne({ chat_id: chatId, seq: 8 });
      expect(eighth?.usage_total).toEqual({ prompt_tokens: 124, completion_tokens: 1240 });
      expect(await store.usagePrefixes(accountId, [{ chatId, seq: 8 }])).toEqual([
        { promptTokens: 124, completionTokens: 1240 },
      ]);
    } finally {
      await client.close();
    }
  });
});
