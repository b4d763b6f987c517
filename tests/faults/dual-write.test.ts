/**
 * The dual write under injected failures, on both content stores (PostgreSQL content, and MongoDB content on
 * the wire-protocol double). Order: content first, under the tree lock and with a fencing token; then the
 * metadata commit that makes it visible (README, "Writes that cannot be lost").
 *
 * Failures are injected by a content store wrapper around the real one:
 * - "connection killed": the content write succeeds, then the PostgreSQL backend of the open metadata
 *   transaction is terminated (pg_terminate_backend), so the commit fails for real;
 * - "certain rollback": the content write returns, then the metadata transaction fails (a metadata wrapper);
 * - "process died": the content write succeeds and then nothing else runs (no clean-up either);
 * - "late write": the content write is held back until a later request has committed at the same slot.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import type { Services } from '../../src/bootstrap.js';
import { StaleWriteError } from '../../src/domain/errors.js';
import type { ChatRecord, PairRecord } from '../../src/domain/model.js';
import type { AppendSlot, ContentStore, MetadataStore } from '../../src/domain/ports.js';
import { reconcileContent } from '../../src/domain/reconcile.js';
import { PostgresMetadataStore } from '../../src/stores/metadata/postgres-metadata.store.js';
import { appFor, openExtraServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { testDatabase } from '../support/db.js';
import { type MongoDouble, startMongoDouble } from '../support/mongo-double/server.js';
import { expectProblem } from '../support/problem.js';

type Mode = 'ok' | 'kill-connection' | 'crash' | 'hold';

/** The real content store with a switchable failure after (or instead of) each append. */
class FaultyContent implements ContentStore {
  mode: Mode = 'ok';
  held: { pair: PairRecord; fence: number } | null = null;
  /** The last pair the real store accepted. */
  last: PairRecord | null = null;
  constructor(
    readonly inner: ContentStore,
    private readonly killTransaction: () => Promise<void>,
  ) {}
  get name() {
    return this.inner.name;
  }
  get atomicWithMetadata() {
    return this.inner.atomicWithMetadata;
  }
  async append(pair: PairRecord, fence: number) {
    const mode = this.mode;
    this.mode = 'ok'; // one fault per arming
    if (mode === 'hold') {
      this.held = { pair, fence };
      throw new Error('injected: content write held back');
    }
    await this.inner.append(pair, fence);
    this.last = pair;
    if (mode === 'kill-connection') await this.killTransaction();
    if (mode === 'crash') {
      this.crashed = true;
      throw new Error('injected: process died after the content write');
    }
  }
  appendMany(pairs: PairRecord[], fence: number) {
    return this.inner.appendMany(pairs, fence);
  }
  removeChats(accountId: string, chatIds: string[], fence: number) {
    return this.inner.removeChats(accountId, chatIds, fence);
  }
  /** After a simulated crash nothing runs any more, clean-up included. */
  crashed = false;
  async removeSlot(accountId: string, chatId: string, seq: number, fence: number) {
    if (this.crashed) {
      this.crashed = false;
      return false;
    }
    return this.inner.removeSlot(accountId, chatId, seq, fence);
  }
  scanSlots(o: Parameters<ContentStore['scanSlots']>[0]) {
    return this.inner.scanSlots(o);
  }
  search(q: Parameters<ContentStore['search']>[0]) {
    return this.inner.search(q);
  }
  readRanges(accountId: string, ranges: Parameters<ContentStore['readRanges']>[1]) {
    return this.inner.readRanges(accountId, ranges);
  }
  usage(accountId: string, ranges: Parameters<ContentStore['usage']>[1]) {
    return this.inner.usage(accountId, ranges);
  }
  usagePrefixes(accountId: string, prefixes: Parameters<ContentStore['usagePrefixes']>[1]) {
    return this.inner.usagePrefixes(accountId, prefixes);
  }
  locate(accountId: string, responseId: string) {
    return this.inner.locate(accountId, responseId);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

let double: MongoDouble;
let failAfterWrite = false;
let dbUrl: string;
beforeAll(async () => {
  double = await startMongoDouble();
  dbUrl = (await testDatabase()).url;
});
afterAll(async () => {
  await double?.stop();
});

/** Terminates the backend of this database's open transaction (the request's, at the moment of the fault). */
async function terminateOpenTransactions() {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'`,
    );
  } finally {
    await c.end();
  }
}

for (const store of ['postgresql', 'mongodb'] as const) {
  describe(`dual write with ${store} content`, () => {
    let services: Services;
    let faulty: FaultyContent;
    let app: ReturnType<typeof appFor>;

    beforeAll(async () => {
      services = await openExtraServices(
        store === 'mongodb'
          ? { MONGO_URL: double.url, MONGO_DB: `dual_${process.pid}`, CACHE_MODE: 'off', DB_POOL_MAX: '3' }
          : { MONGO_URL: '', CACHE_MODE: 'off', DB_POOL_MAX: '3' },
      );
      // These faults fall between the content write and the metadata commit of the locking transaction. With the
      // content in PostgreSQL, add-message and create-branch are one function call by default (no such window: the
      // call commits or not as one statement); that path is turned off here so the transaction's is exercised.
      if (services.deps.meta instanceof PostgresMetadataStore) services.deps.meta.onePassWrites = false;
      faulty = new FaultyContent(services.deps.content, terminateOpenTransactions);
      // Metadata whose transaction, when armed, fails right after the content write returned (a certain
      // rollback, as when a statement after the write is refused).
      const meta = services.deps.meta;
      const failing = (write: (slot: AppendSlot) => Promise<void>) => async (slot: AppendSlot) => {
        await write(slot);
        if (failAfterWrite) {
          failAfterWrite = false;
          throw new Error('injected: the transaction fails after the content write');
        }
      };
      const wrappedMeta: MetadataStore = Object.assign(Object.create(meta), {
        appendPair: (
          accountId: string,
          chatId: string,
          write: (slot: AppendSlot) => Promise<void>,
          announce: Parameters<MetadataStore['appendPair']>[3],
        ) => meta.appendPair(accountId, chatId, failing(write), announce),
        createBranch: (
          branch: ChatRecord,
          o: Parameters<MetadataStore['createBranch']>[1],
          announce: Parameters<MetadataStore['createBranch']>[2],
        ) => meta.createBranch(branch, { ...o, writeFirst: o.writeFirst && failing(o.writeFirst) }, announce),
      });
      app = appFor({ ...services, deps: { ...services.deps, content: faulty, meta: wrappedMeta } });
    });
    afterAll(async () => {
      await services?.close();
    });

    /** The pairs the content store holds for a chat, visible or not. */
    const stored = async (accountId: string, chatId: string) =>
      (await faulty.inner.readRanges(accountId, [{ chatId, fromSeq: 1, toSeq: 1000 }])).map((p) => p.question);

    test('connection killed between the writes: 503 with Retry-After, nothing visible, nothing left behind', async () => {
      const a = await newAccount(app);
      const { chatId, ids } = await a.chatWith(2);
      faulty.mode = 'kill-connection';
      const r = await a.addMessage(chatId, 'lost', 'never committed');
      expectProblem(r, 503);
      expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
      // PostgreSQL content rolled back with the transaction. With MongoDB the service cannot know whether the
      // COMMIT went through before the connection died, so the content stays: invisible, replaced by the next
      // write at that slot or swept by the reconciler (which reads the committed own_count).
      expect(await stored(a.accountId as string, chatId)).toEqual(
        store === 'mongodb' ? ['q1', 'q2', 'lost'] : ['q1', 'q2'],
      );

      // The same fault on create-branch with a first pair: no branch, no pair, the fork point unchanged.
      faulty.mode = 'kill-connection';
      expectProblem(
        await a.createBranch({ chat_id: chatId, response_id: ids[0], question: 'bq', response: 'ba' }),
        503,
      );
      const tree = await a.getBranches(chatId);
      expect(tree.body.count).toBe(1);
      const page = await a.getChat(chatId);
      expect(page.body.qa_pairs[0].branches).toEqual([]);

      // The service carries on: the next write takes the same position.
      await a.add(chatId, 'q3', 'a3');
      expect(await a.questions(chatId)).toEqual(['q1', 'q2', 'q3']);
      expect(await stored(a.accountId as string, chatId)).toEqual(['q1', 'q2', 'q3']);
    });

    test('a certain rollback after the content write (an error inside the transaction) removes the content at once', async () => {
      const a = await newAccount(app);
      const { chatId, ids } = await a.chatWith(1);
      failAfterWrite = true;
      expectProblem(await a.addMessage(chatId, 'rolled back', 'x'), 500);
      expect(await a.questions(chatId)).toEqual(['q1']);
      expect(await stored(a.accountId as string, chatId)).toEqual(['q1']);
      failAfterWrite = true;
      expectProblem(await a.createBranch({ chat_id: chatId, response_id: ids[0], question: 'b', response: 'r' }), 500);
      expect((await a.getBranches(chatId)).body.count).toBe(1);
      // The branch never existed, and neither does its first pair's content.
      const ghost = faulty.last as PairRecord;
      expect(ghost.question).toBe('b');
      expect(await faulty.inner.locate(a.accountId as string, ghost.responseId)).toBeNull();
    });

    test('more killed transactions than the pool has connections: every one 503, then the service works on', async () => {
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      for (let i = 0; i < 5; i++) {
        faulty.mode = 'kill-connection';
        expectProblem(await a.addMessage(chatId, `lost ${i}`, 'x'), 503);
      }
      await a.add(chatId, 'q2', 'a2');
      expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
    });

    test('process died between the writes: the orphan is invisible, replaced by the next write, swept by the reconciler', async () => {
      const a = await newAccount(app);
      const accountId = a.accountId as string;
      const { chatId, ids } = await a.chatWith(1);

      faulty.mode = 'crash';
      expect((await a.addMessage(chatId, 'orphan', 'x')).status).toBe(500);
      expect(await a.questions(chatId)).toEqual(['q1']);
      const page = await a.getChat(chatId);
      expect(page.body.qa_pairs.length).toBe(1);
      // With MongoDB the orphan is really there (seq 2) but nothing shows it; with PostgreSQL it rolled back.
      expect(await stored(accountId, chatId)).toEqual(store === 'mongodb' ? ['q1', 'orphan'] : ['q1']);

      // The next append at that slot replaces the orphan (its fence is higher).
      await a.add(chatId, 'q2', 'a2');
      expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
      expect(await stored(accountId, chatId)).toEqual(['q1', 'q2']);

      // A branch whose row never committed leaves content under a chat id PostgreSQL does not know.
      faulty.mode = 'crash';
      expect(
        (await a.createBranch({ chat_id: chatId, response_id: ids[0], question: 'ghost', response: 'g' })).status,
      ).toBe(500);
      expect((await a.getBranches(chatId)).body.count).toBe(1);
      // And one more orphan at the end of the main chat.
      faulty.mode = 'crash';
      expect((await a.addMessage(chatId, 'orphan 2', 'x')).status).toBe(500);

      const report = await reconcileContent(services.deps, { since: new Date(Date.now() - 60_000), graceMs: 0 });
      if (store === 'mongodb') {
        expect(report.removed).toBeGreaterThanOrEqual(2);
        expect(report.scanned).toBeGreaterThanOrEqual(report.removed);
      } else {
        expect(report).toMatchObject({ scanned: 0, removed: 0 }); // nothing to do: one transaction
      }
      expect(await stored(accountId, chatId)).toEqual(['q1', 'q2']);
      const all = await faulty.inner.scanSlots({
        from: new Date(Date.now() - 60_000),
        to: new Date(Date.now() + 60_000),
        after: null,
        limit: 10_000,
      });
      const counts = await services.deps.meta.ownCounts([...new Set(all.map((s) => s.chatId))]);
      for (const s of all) expect(s.seq).toBeLessThanOrEqual(counts.get(s.chatId) ?? 0);
      // Visible data is untouched by the sweep.
      expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
    });

    test('the reconciler leaves content younger than its grace period alone', async () => {
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      faulty.mode = 'crash';
      await a.addMessage(chatId, 'young orphan', 'x');
      const report = await reconcileContent(services.deps, {
        since: new Date(Date.now() - 60_000),
        graceMs: 30_000,
      });
      expect(report.removed).toBe(0);
      expect(await stored(a.accountId as string, chatId)).toEqual(
        store === 'mongodb' ? ['q1', 'young orphan'] : ['q1'],
      );
    });

    test('a late write from a failed request cannot overwrite the pair committed after it (fencing)', async () => {
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      faulty.mode = 'hold';
      expect((await a.addMessage(chatId, 'late', 'x')).status).toBe(500);
      const held = faulty.held as { pair: PairRecord; fence: number };
      expect(held.pair.seq).toBe(2);
      await a.add(chatId, 'q2', 'a2'); // commits at seq 2 with a later fence
      await expect(faulty.inner.append(held.pair, held.fence)).rejects.toBeInstanceOf(StaleWriteError);
      expect(await a.questions(chatId)).toEqual(['q1', 'q2']);
      expect(await stored(a.accountId as string, chatId)).toEqual(['q1', 'q2']);
    });

    test('a retry with the same Idempotency-Key after a failed write stores the pair exactly once', async () => {
      const a = await newAccount(app);
      const { chatId } = await a.chatWith(1);
      const send = () =>
        a.call('POST', '/api/v1/messages/add-message', {
          body: { chat_id: chatId, question: 'once', response: 'r' },
          headers: { 'Idempotency-Key': `dual-${crypto.randomUUID().slice(0, 8)}-${store}` },
        });
      const key = `k-${crypto.randomUUID()}`;
      const sendKey = () =>
        a.call('POST', '/api/v1/messages/add-message', {
          body: { chat_id: chatId, question: 'once', response: 'r' },
          headers: { 'Idempotency-Key': key },
        });
      faulty.mode = 'kill-connection';
      expectProblem(await sendKey(), 503);
      const first = await sendKey();
      expect(first.status).toBe(201);
      const replay = await sendKey();
      expect(replay.status).toBe(201);
      expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(await a.questions(chatId)).toEqual(['q1', 'once']);
      // A different key is a different request.
      expect((await send()).status).toBe(201);
      expect(await a.questions(chatId)).toEqual(['q1', 'once', 'once']);
    });
  });
}
