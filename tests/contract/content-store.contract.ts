/**
 * The content-store contract: one set of tests, written once against the ContentStore port, run against
 * every adapter (see the *.contract.test.ts runners). What the port promises:
 * - append stores a pair at (chat_id, seq); a second append at the same slot replaces the first (this is
 *   how a write whose metadata never committed is overwritten); response ids are unique;
 * - readRanges returns exactly the pairs of the ranges, in range order and ascending seq, scoped to the account;
 * - locate finds where a response id is stored, scoped to the account;
 * - text comes back verbatim: no operator or path interpretation of `$` and `.`, full unicode;
 * - search matches every word (stemmed) inside the given ranges of the account only, ranks by score then
 *   response id (descending), pages with `after`, and marks matches in its snippet.
 * `branches` lists and soft delete are tree facts kept in the metadata store; they are exercised per content
 * store by running the whole API suite on each (see README, "Testing the MongoDB adapter").
 */
import { describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import { StaleWriteError } from '../../src/domain/errors.js';
import type { SeqRange } from '../../src/domain/history.js';
import type { PairRecord } from '../../src/domain/model.js';
import {
  type ContentHit,
  type ContentSlot,
  type ContentStore,
  MARK_END,
  MARK_START,
  type SearchCursor,
  type SlotCursor,
} from '../../src/domain/ports.js';

export function pair(over: Partial<PairRecord> & Pick<PairRecord, 'chatId' | 'seq' | 'accountId'>): PairRecord {
  return {
    responseId: v7(),
    question: `q${over.seq}`,
    response: `a${over.seq}`,
    type: 'text',
    language: null,
    url: null,
    timestamp: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, over.seq)),
    generation: null,
    ...over,
  };
}

/** Fencing tokens as the metadata store hands them out: increasing across the whole run. */
let fenceCounter = 0;
const nextFence = () => ++fenceCounter;

export function contentStoreContract(name: string, open: () => Promise<ContentStore>) {
  describe(`content store contract: ${name}`, () => {
    const ctx = () => ({ accountId: v7(), chatA: v7(), chatB: v7() });

    async function fill(store: ContentStore, accountId: string, chatId: string, n: number) {
      const pairs = Array.from({ length: n }, (_, i) => pair({ accountId, chatId, seq: i + 1 }));
      // Out of order on purpose: order must come from seq, not from insertion.
      for (const p of [...pairs].reverse()) await store.append(p, nextFence());
      return pairs;
    }

    test('append then read a range: every field back, ascending seq', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const pairs = await fill(store, accountId, chatA, 5);
      const got = await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 5 }]);
      expect(got).toEqual(pairs);
    });

    test('ranges come back in range order (not chat id order), each ascending', async () => {
      const store = await open();
      const { accountId } = ctx();
      const [first, second] = [v7(), v7()].sort() as [string, string]; // first < second
      await fill(store, accountId, first, 3);
      await fill(store, accountId, second, 3);
      const got = await store.readRanges(accountId, [
        { chatId: second, fromSeq: 2, toSeq: 3 },
        { chatId: first, fromSeq: 1, toSeq: 2 },
      ]);
      expect(got.map((p) => [p.chatId, p.seq])).toEqual([
        [second, 2],
        [second, 3],
        [first, 1],
        [first, 2],
      ]);
    });

    test('paging forwards and backwards over ranges covers the history exactly once', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      await fill(store, accountId, chatA, 10);
      const forward: number[] = [];
      for (let from = 1; from <= 10; from += 3) {
        const page = await store.readRanges(accountId, [
          { chatId: chatA, fromSeq: from, toSeq: Math.min(10, from + 2) },
        ]);
        forward.push(...page.map((p) => p.seq));
      }
      const backward: number[] = [];
      for (let to = 10; to >= 1; to -= 4) {
        const page = await store.readRanges(accountId, [{ chatId: chatA, fromSeq: Math.max(1, to - 3), toSeq: to }]);
        backward.unshift(...page.map((p) => p.seq));
      }
      const all = Array.from({ length: 10 }, (_, i) => i + 1);
      expect(forward).toEqual(all);
      expect(backward).toEqual(all);
    });

    test('fork-point reads: a range ending at the fork seq excludes the parent’s later pairs', async () => {
      const store = await open();
      const { accountId, chatA, chatB } = ctx();
      await fill(store, accountId, chatA, 6); // parent: 6 pairs, the branch forked after #3
      await fill(store, accountId, chatB, 2); // branch's own pairs
      const history = await store.readRanges(accountId, [
        { chatId: chatA, fromSeq: 1, toSeq: 3 },
        { chatId: chatB, fromSeq: 1, toSeq: 2 },
      ]);
      expect(history.map((p) => `${p.chatId === chatA ? 'A' : 'B'}${p.seq}`)).toEqual(['A1', 'A2', 'A3', 'B1', 'B2']);
    });

    test('empty and out-of-range reads return nothing', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      await fill(store, accountId, chatA, 2);
      expect(await store.readRanges(accountId, [])).toEqual([]);
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 3, toSeq: 9 }])).toEqual([]);
      expect(await store.readRanges(accountId, [{ chatId: v7(), fromSeq: 1, toSeq: 9 }])).toEqual([]);
    });

    test('locate finds the storing chat and seq; unknown ids and other accounts get null', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const pairs = await fill(store, accountId, chatA, 3);
      const target = pairs[1] as PairRecord;
      expect(await store.locate(accountId, target.responseId)).toEqual({ chatId: chatA, seq: 2 });
      expect(await store.locate(accountId, v7())).toBeNull();
      expect(await store.locate(v7(), target.responseId)).toBeNull();
    });

    test('reads are scoped to the account', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      await fill(store, accountId, chatA, 2);
      expect(await store.readRanges(v7(), [{ chatId: chatA, fromSeq: 1, toSeq: 2 }])).toEqual([]);
    });

    test('a second append at the same slot with a higher fence replaces the first (the old response id is gone)', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const orphan = pair({ accountId, chatId: chatA, seq: 1, question: 'never committed' });
      await store.append(orphan, nextFence());
      const real = pair({ accountId, chatId: chatA, seq: 1, question: 'committed' });
      const fence = nextFence();
      await store.append(real, fence);
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 1 }])).toEqual([real]);
      expect(await store.locate(accountId, orphan.responseId)).toBeNull();
      // Replaying the same write (same fence) is refused and changes nothing.
      await expect(store.append(real, fence)).rejects.toBeInstanceOf(StaleWriteError);
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 5 }])).toEqual([real]);
    });

    test('fencing: a late write with a lower fence never replaces a later one', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const zombieFence = nextFence(); // taken first, by a writer whose transaction then failed
      const committed = pair({ accountId, chatId: chatA, seq: 1, question: 'committed later' });
      await store.append(committed, nextFence());
      const zombie = pair({ accountId, chatId: chatA, seq: 1, question: 'late write' });
      await expect(store.append(zombie, zombieFence)).rejects.toBeInstanceOf(StaleWriteError);
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 1 }])).toEqual([committed]);
      expect(await store.locate(accountId, zombie.responseId)).toBeNull();
    });

    test('removeSlot removes only the write that carries the given fence', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const first = nextFence();
      await store.append(pair({ accountId, chatId: chatA, seq: 1 }), first);
      const second = nextFence();
      const kept = pair({ accountId, chatId: chatA, seq: 1, question: 'kept' });
      await store.append(kept, second);
      expect(await store.removeSlot(accountId, chatA, 1, first)).toBe(false);
      expect(await store.removeSlot(v7(), chatA, 1, second)).toBe(false); // another account's slot
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 1 }])).toEqual([kept]);
      expect(await store.removeSlot(accountId, chatA, 1, second)).toBe(true);
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 1 }])).toEqual([]);
      expect(await store.removeSlot(accountId, chatA, 1, second)).toBe(false);
    });

    test('scanSlots pages through a time window in (timestamp, response id) order', async () => {
      const store = await open();
      const { accountId, chatA, chatB } = ctx();
      // A window of its own, far from other tests' timestamps.
      const base = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9);
      const at = (ms: number) => new Date(base + ms);
      const written = [
        { ...pair({ accountId, chatId: chatA, seq: 1 }), timestamp: at(10) },
        { ...pair({ accountId, chatId: chatB, seq: 1 }), timestamp: at(10) },
        { ...pair({ accountId, chatId: chatA, seq: 2 }), timestamp: at(20) },
        { ...pair({ accountId, chatId: chatB, seq: 2 }), timestamp: at(30) },
        { ...pair({ accountId, chatId: chatA, seq: 3 }), timestamp: at(40) }, // outside [0, 40)
      ];
      const fences = new Map<string, number>();
      for (const p of written) {
        const f = nextFence();
        fences.set(p.responseId, f);
        await store.append(p, f);
      }
      const expected = written
        .slice(0, 4)
        .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.responseId.localeCompare(b.responseId));
      const seen: ContentSlot[] = [];
      let after: SlotCursor | null = null;
      for (;;) {
        const page = await store.scanSlots({ from: at(0), to: at(40), after, limit: 3 });
        seen.push(...page);
        if (page.length < 3) break;
        const last = page[page.length - 1] as ContentSlot;
        after = { timestamp: last.timestamp, responseId: last.responseId };
      }
      expect(seen).toEqual(
        expected.map((p) => ({
          accountId: p.accountId,
          chatId: p.chatId,
          seq: p.seq,
          fence: fences.get(p.responseId) as number,
          responseId: p.responseId,
          timestamp: p.timestamp,
        })),
      );
    });

    test('message types round-trip: text, code with its language, link with its URL', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const pairs = [
        pair({ accountId, chatId: chatA, seq: 1 }),
        pair({ accountId, chatId: chatA, seq: 2, type: 'code', language: 'typescript', response: 'const x = 1;\n' }),
        pair({ accountId, chatId: chatA, seq: 3, type: 'link', url: 'https://example.org/a?b=c&d=$e.f#g' }),
      ];
      for (const p of pairs) await store.append(p, nextFence());
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 3 }])).toEqual(pairs);
    });

    test('a response id is unique: reusing it at another slot is refused', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const p = pair({ accountId, chatId: chatA, seq: 1 });
      await store.append(p, nextFence());
      await expect(store.append({ ...p, seq: 2 }, nextFence())).rejects.toThrow();
      expect((await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 9 }])).map((x) => x.seq)).toEqual([
        1,
      ]);
    });

    test('concurrent appends to one chat: none lost or duplicated, positions unique', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const pairs = Array.from({ length: 40 }, (_, i) => pair({ accountId, chatId: chatA, seq: i + 1 }));
      await Promise.all(pairs.map((p) => store.append(p, nextFence())));
      const got = await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 40 }]);
      expect(got.map((p) => p.seq)).toEqual(pairs.map((p) => p.seq));
      expect(new Set(got.map((p) => p.responseId)).size).toBe(40);
    });

    test('documents at the limits of docs/api.md round-trip exactly', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const question = '🌍'.repeat(16_000); // 32,000 UTF-16 code units
      const response = `${'x'.repeat(99_998)}é!`; // 100,000
      const big = pair({ accountId, chatId: chatA, seq: 1, question, response });
      await store.append(big, nextFence());
      const [got] = await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 1 }]);
      expect(got?.question).toBe(question);
      expect(got?.response).toBe(response);
    });

    test('user text is stored verbatim: `$` and `.` are never operators or paths', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const texts = [
        '{"$gt": ""}',
        '$where: function() { return true }',
        '$set',
        'a.b.c',
        '$.x.$[0]',
        'נשאל בעברית · 中文 · 👩🏽‍💻',
        'line\u2028separator\ttab\n',
      ];
      const pairs = texts.map((t, i) =>
        pair({ accountId, chatId: chatA, seq: i + 1, question: t, response: Array.from(t).reverse().join('') }),
      );
      for (const p of pairs) await store.append(p, nextFence());
      expect(await store.readRanges(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: texts.length }])).toEqual(pairs);
    });

    // ---- search ----------------------------------------------------------------------------------

    const search = (store: ContentStore, accountId: string, text: string, ranges: SeqRange[], extra = {}) =>
      store.search({ accountId, text, ranges, limit: 50, after: null, ...extra });
    const ids = (hits: ContentHit[]) => hits.map((h) => h.pair.responseId).sort();

    test('search: every word must match, stemmed, only inside the given ranges, scoped to the account', async () => {
      const store = await open();
      const { accountId, chatA, chatB } = ctx();
      const a1 = pair({ accountId, chatId: chatA, seq: 1, question: 'Pelicans eating fish', response: 'yes' });
      const a2 = pair({
        accountId,
        chatId: chatA,
        seq: 2,
        question: 'A pelican',
        response: 'flying over the fish market',
      });
      const a3 = pair({ accountId, chatId: chatA, seq: 3, question: 'pelican fish', response: 'beyond the range' });
      const b1 = pair({ accountId, chatId: chatB, seq: 1, question: 'no birds here', response: 'just fish' });
      for (const p of [a1, a2, a3, b1]) await store.append(p, nextFence());
      const ranges = [
        { chatId: chatA, fromSeq: 1, toSeq: 2 },
        { chatId: chatB, fromSeq: 1, toSeq: 1 },
      ];
      expect(ids(await search(store, accountId, 'pelican fish', ranges))).toEqual(
        [a1.responseId, a2.responseId].sort(),
      );
      expect(ids(await search(store, accountId, 'FISH', ranges))).toEqual(
        [a1.responseId, a2.responseId, b1.responseId].sort(),
      );
      expect(await search(store, accountId, 'pelican birds', ranges)).toEqual([]);
      expect(await search(store, v7(), 'fish', ranges)).toEqual([]);
      expect(await search(store, accountId, 'fish', [])).toEqual([]);
      const [hit] = await search(store, accountId, 'birds', ranges);
      expect(hit?.pair).toEqual(b1);
      expect(hit?.score).toBeGreaterThan(0);
      expect(hit?.snippet).toContain(`${MARK_START}birds${MARK_END}`);
    });

    test('search: a word that appears verbatim is found, whether or not its stem is a prefix of it', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      // Snowball stems that are not prefixes of the word: happi, citi, histori, parti, studi, queri.
      const words = ['happy', 'city', 'history', 'party', 'study', 'studies', 'query'];
      const pairs = words.map((w, i) =>
        pair({ accountId, chatId: chatA, seq: i + 1, question: `About the ${w}, please`, response: `Yes: ${w}.` }),
      );
      for (const p of pairs) await store.append(p, nextFence());
      const all = [{ chatId: chatA, fromSeq: 1, toSeq: words.length }];
      const stemsOf: Record<string, string[]> = { study: ['study', 'studies'], studies: ['study', 'studies'] };
      for (const w of words) {
        const expected = pairs.filter((p) => (stemsOf[w] ?? [w]).some((x) => p.question.includes(` ${x},`)));
        expect({ w, hits: ids(await search(store, accountId, w, all)) }).toEqual({
          w,
          hits: expected.map((p) => p.responseId).sort(),
        });
      }
      // Several such words are ANDed, and a pair found on them carries a mark on its match.
      const both = pair({
        accountId,
        chatId: chatA,
        seq: 8,
        question: 'A happy city',
        response: 'with a long history',
      });
      await store.append(both, nextFence());
      const range8 = [{ chatId: chatA, fromSeq: 1, toSeq: 8 }];
      expect(ids(await search(store, accountId, 'happy city history', range8))).toEqual([both.responseId]);
      expect(await search(store, accountId, 'happy party', range8)).toEqual([]);
      const [hit] = await search(store, accountId, 'city', [{ chatId: chatA, fromSeq: 8, toSeq: 8 }]);
      expect(hit?.snippet).toContain(`${MARK_START}city${MARK_END}`);
    });

    test('search: code pairs (with a `language` field) and link URLs are indexed', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const code = pair({
        accountId,
        chatId: chatA,
        seq: 1,
        question: 'parse json',
        response: 'import json\njson.loads(text)',
        type: 'code',
        language: 'python',
      });
      const link = pair({
        accountId,
        chatId: chatA,
        seq: 2,
        question: 'docs?',
        response: 'here',
        type: 'link',
        url: 'https://example.org/albatross-guide',
      });
      await store.append(code, nextFence());
      await store.append(link, nextFence());
      const all = [{ chatId: chatA, fromSeq: 1, toSeq: 2 }];
      expect(ids(await search(store, accountId, 'loads', all))).toEqual([code.responseId]);
      expect(ids(await search(store, accountId, 'albatross', all))).toEqual([link.responseId]);
    });

    test('search: ordered by score then response id, both descending; `after` pages without repeats', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const pairs = Array.from({ length: 12 }, (_, i) =>
        pair({ accountId, chatId: chatA, seq: i + 1, question: `otter ${'otter '.repeat(i % 3)}story ${i}` }),
      );
      for (const p of pairs) await store.append(p, nextFence());
      const ranges = [{ chatId: chatA, fromSeq: 1, toSeq: 12 }];
      const all = await search(store, accountId, 'otter', ranges);
      expect(all).toHaveLength(12);
      for (let i = 1; i < all.length; i++) {
        const [prev, cur] = [all[i - 1] as ContentHit, all[i] as ContentHit];
        expect(prev.score > cur.score || (prev.score === cur.score && prev.pair.responseId > cur.pair.responseId)).toBe(
          true,
        );
      }
      const seen: ContentHit[] = [];
      let after: SearchCursor | null = null;
      for (let page = 0; page < 10; page++) {
        const hits: ContentHit[] = await search(store, accountId, 'otter', ranges, { limit: 5, after });
        seen.push(...hits);
        const last = hits[hits.length - 1];
        if (hits.length < 5 || !last) break;
        after = { score: last.score, responseId: last.pair.responseId };
      }
      expect(seen.map((h) => h.pair.responseId)).toEqual(all.map((h) => h.pair.responseId));
    });

    test('search: the snippet marks matches and never carries the text’s own mark characters', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      const p = pair({
        accountId,
        chatId: chatA,
        seq: 1,
        question: `Tell me ${MARK_START}about${MARK_END} walruses`,
        response: 'They are big.',
      });
      await store.append(p, nextFence());
      const [hit] = await search(store, accountId, 'walrus', [{ chatId: chatA, fromSeq: 1, toSeq: 1 }]);
      expect(hit?.snippet).toContain(`${MARK_START}walruses${MARK_END}`);
      expect(hit?.snippet.split(MARK_START)).toHaveLength(2);
      expect(hit?.pair.question).toBe(p.question); // stored verbatim all the same
    });

    /** A generated pair with these token counts (null: not reported); `given`: a response the client gave. */
    const counted = (
      at: Pick<PairRecord, 'accountId' | 'chatId' | 'seq'>,
      prompt: number | null,
      completion: number | null,
    ) => pair({ ...at, generation: { model: 'm', promptTokens: prompt, completionTokens: completion, latencyMs: 1 } });
    const given = (at: Pick<PairRecord, 'accountId' | 'chatId' | 'seq'>) => pair({ ...at, generation: null });

    test('usage: ranges and prefixes sum the token counts of exactly their pairs, whatever their length', async () => {
      const store = await open();
      const { accountId, chatA, chatB } = ctx();
      // chatA: counts 1..20 for prompt, 100 + seq for completion; every 5th pair given, every 7th with null counts.
      const expected = (from: number, to: number) => {
        let promptTokens = 0;
        let completionTokens = 0;
        for (let seq = from; seq <= to; seq++) {
          if (seq % 5 === 0 || seq % 7 === 0) continue;
          promptTokens += seq;
          completionTokens += 100 + seq;
        }
        return { promptTokens, completionTokens };
      };
      for (let seq = 1; seq <= 20; seq++) {
        const at = { accountId, chatId: chatA, seq };
        const p = seq % 5 === 0 ? given(at) : seq % 7 === 0 ? counted(at, null, null) : counted(at, seq, 100 + seq);
        await store.append(p, nextFence());
      }
      await store.append(counted({ accountId, chatId: chatB, seq: 1 }, 1000, 2000), nextFence());
      await store.append(counted({ accountId, chatId: chatB, seq: 2 }, 10, 20), nextFence());
      for (const [from, to] of [
        [1, 20],
        [1, 1],
        [3, 9],
        [7, 7],
        [5, 5],
        [11, 20],
        [2, 19],
      ] as const)
        expect(await store.usage(accountId, [{ chatId: chatA, fromSeq: from, toSeq: to }])).toEqual(expected(from, to));
      // Several ranges add up; an empty range adds nothing.
      expect(
        await store.usage(accountId, [
          { chatId: chatA, fromSeq: 1, toSeq: 4 },
          { chatId: chatB, fromSeq: 2, toSeq: 2 },
          { chatId: chatA, fromSeq: 9, toSeq: 8 },
        ]),
      ).toEqual({
        promptTokens: expected(1, 4).promptTokens + 10,
        completionTokens: expected(1, 4).completionTokens + 20,
      });
      expect(await store.usage(accountId, [])).toEqual({ promptTokens: 0, completionTokens: 0 });
      // Prefixes, in the order asked; seq 0 is an empty prefix.
      expect(
        await store.usagePrefixes(accountId, [
          { chatId: chatB, seq: 1 },
          { chatId: chatA, seq: 20 },
          { chatId: chatA, seq: 0 },
          { chatId: chatA, seq: 6 },
          { chatId: chatB, seq: 2 },
        ]),
      ).toEqual([
        { promptTokens: 1000, completionTokens: 2000 },
        expected(1, 20),
        { promptTokens: 0, completionTokens: 0 },
        expected(1, 6),
        { promptTokens: 1010, completionTokens: 2020 },
      ]);
      // Scoped to the account.
      expect(await store.usage(v7(), [{ chatId: chatA, fromSeq: 1, toSeq: 20 }])).toEqual({
        promptTokens: 0,
        completionTokens: 0,
      });
    });

    test('usage: a slot replaced with a higher fence counts its new pair only, and so do the pairs after it', async () => {
      const store = await open();
      const { accountId, chatA } = ctx();
      await store.append(counted({ accountId, chatId: chatA, seq: 1 }, 5, 6), nextFence());
      await store.append(counted({ accountId, chatId: chatA, seq: 2 }, 500, 600), nextFence()); // never committed
      await store.append(counted({ accountId, chatId: chatA, seq: 2 }, 7, 8), nextFence()); // the committed one
      await store.append(counted({ accountId, chatId: chatA, seq: 3 }, 1, 1), nextFence());
      expect(await store.usage(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 3 }])).toEqual({
        promptTokens: 13,
        completionTokens: 15,
      });
      expect(await store.usagePrefixes(accountId, [{ chatId: chatA, seq: 2 }])).toEqual([
        { promptTokens: 12, completionTokens: 14 },
      ]);
    });

    test('usage: pairs stored together (appendMany, new chats) sum like appended ones, in any order given', async () => {
      const store = await open();
      const { accountId, chatA, chatB } = ctx();
      const pairs = [
        counted({ accountId, chatId: chatB, seq: 2 }, 3, 4),
        counted({ accountId, chatId: chatA, seq: 1 }, 1, 2),
        given({ accountId, chatId: chatA, seq: 2 }),
        counted({ accountId, chatId: chatB, seq: 1 }, 30, 40),
        counted({ accountId, chatId: chatA, seq: 3 }, 10, 20),
      ];
      await store.appendMany(pairs, nextFence());
      expect(
        await store.usagePrefixes(accountId, [
          { chatId: chatA, seq: 1 },
          { chatId: chatA, seq: 2 },
          { chatId: chatA, seq: 3 },
          { chatId: chatB, seq: 2 },
        ]),
      ).toEqual([
        { promptTokens: 1, completionTokens: 2 },
        { promptTokens: 1, completionTokens: 2 },
        { promptTokens: 11, completionTokens: 22 },
        { promptTokens: 33, completionTokens: 44 },
      ]);
      expect(await store.usage(accountId, [{ chatId: chatB, fromSeq: 2, toSeq: 2 }])).toEqual({
        promptTokens: 3,
        completionTokens: 4,
      });
      // An append after them continues the chat's totals.
      await store.append(counted({ accountId, chatId: chatA, seq: 4 }, 100, 200), nextFence());
      expect(await store.usage(accountId, [{ chatId: chatA, fromSeq: 1, toSeq: 4 }])).toEqual({
        promptTokens: 111,
        completionTokens: 222,
      });
    });

    test('ping answers', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
