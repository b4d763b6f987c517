/**
 * Usage totals over qa_pairs documents (ContentStore.usage and usagePrefixes).
 *
 * Each document carries `usage_total`: the running sums of its chat's token counts over the pairs 1..seq (written
 * with it, from the document at seq - 1: a chat's pairs are appended in seq order under the tree lock). A range's
 * usage is then its end's total minus the total before its start, and a prefix's is its end's: a targeted read of
 * a few documents, whatever the history's length. Documents written before the field existed have none: a read
 * that meets one computes what it needs the old way (an aggregation over the documents), so results never depend
 * on when a pair was written. A document whose response the client gave has `generation: null`, and a count the
 * source did not report is null: both add 0.
 */
import type { Collection, Document } from 'mongodb';
import type { SeqRange } from '../../domain/history.js';
import type { PairLocation, PairRecord } from '../../domain/model.js';
import type { UsageTotals } from '../../domain/ports.js';
import { accountHash } from './mongo-shard-key.js';
import { runningPoints } from './ranges.js';

/** The running totals stored in a document (snake_case, like the other stored fields). */
export interface UsageTotalDocument {
  prompt_tokens: number;
  completion_tokens: number;
}

const PROMPT = { $ifNull: ['$generation.prompt_tokens', 0] };
const COMPLETION = { $ifNull: ['$generation.completion_tokens', 0] };

const totals = (d: Document | undefined): UsageTotals => ({
  promptTokens: Number(d?.prompt_tokens ?? 0),
  completionTokens: Number(d?.completion_tokens ?? 0),
});

/** Legacy: one $group over the ranges' documents (an index range on (chat_id, seq) each). */
async function aggregateUsage(qaPairs: Collection<Document>, accountId: string, ranges: SeqRange[]) {
  if (ranges.length === 0) return totals(undefined);
  const [sum] = await qaPairs
    .aggregate([
      {
        $match: {
          account_hash: accountHash(accountId),
          account_id: accountId,
          $or: ranges.map((r) => ({ chat_id: r.chatId, seq: { $gte: r.fromSeq, $lte: r.toSeq } })),
        },
      },
      { $group: { _id: null, prompt_tokens: { $sum: PROMPT }, completion_tokens: { $sum: COMPLETION } } },
    ])
    .toArray();
  return totals(sum);
}

/**
 * Legacy: running sums per chat ($setWindowFields over (chat_id, seq); each chat's documents read once, up to its
 * longest prefix), kept at the prefixes' ends only. A prefix whose end has no document (seq 0) sums to 0.
 */
async function aggregatePrefixes(
  qaPairs: Collection<Document>,
  accountId: string,
  prefixes: PairLocation[],
): Promise<UsageTotals[]> {
  if (prefixes.length === 0) return [];
  const tops = new Map<string, number>();
  const ends = new Map<string, number[]>();
  for (const x of prefixes) {
    tops.set(x.chatId, Math.max(tops.get(x.chatId) ?? 0, x.seq));
    ends.set(x.chatId, [...(ends.get(x.chatId) ?? []), x.seq]);
  }
  const running = { documents: ['unbounded', 'current'] };
  const found = await qaPairs
    .aggregate([
      {
        $match: {
          account_hash: accountHash(accountId),
          account_id: accountId,
          $or: [...tops].map(([chatId, top]) => ({ chat_id: chatId, seq: { $gte: 1, $lte: top } })),
        },
      },
      // Only what the sums need travels through the window (not the texts or search stems).
      { $project: { _id: 0, chat_id: 1, seq: 1, generation: 1 } },
      {
        $setWindowFields: {
          partitionBy: '$chat_id',
          sortBy: { seq: 1 },
          output: {
            prompt_tokens: { $sum: PROMPT, window: running },
            completion_tokens: { $sum: COMPLETION, window: running },
          },
        },
      },
      // One clause per chat (its prefix ends as one $in), not one per prefix.
      { $match: { $or: [...ends].map(([chatId, seqs]) => ({ chat_id: chatId, seq: { $in: seqs } })) } },
      { $project: { _id: 0, chat_id: 1, seq: 1, prompt_tokens: 1, completion_tokens: 1 } },
    ])
    .toArray();
  const sums = new Map(found.map((d) => [`${d.chat_id}:${Number(d.seq)}`, totals(d)]));
  return prefixes.map((x) => sums.get(`${x.chatId}:${x.seq}`) ?? totals(undefined));
}

/** The running totals of the pair documents at these slots, by `chat_id:seq` (null: the document has none). */
async function storedTotals(qaPairs: Collection<Document>, accountId: string, slots: PairLocation[]) {
  const seqs = new Map<string, number[]>();
  for (const x of slots) seqs.set(x.chatId, [...(seqs.get(x.chatId) ?? []), x.seq]);
  const docs = await qaPairs
    .find(
      {
        account_hash: accountHash(accountId),
        account_id: accountId,
        $or: [...seqs].map(([chatId, s]) => ({ chat_id: chatId, seq: { $in: s } })),
      },
      { projection: { _id: 0, chat_id: 1, seq: 1, usage_total: 1 } },
    )
    .toArray();
  return new Map(
    docs.map((d) => [`${d.chat_id}:${Number(d.seq)}`, d.usage_total ? totals(d.usage_total) : null] as const),
  );
}

/** The usage of the ranges: signed running totals, or the legacy aggregation if one of them is not stored. */
export async function usageOf(qaPairs: Collection<Document>, accountId: string, ranges: SeqRange[]) {
  const points = runningPoints(ranges);
  if (points.length === 0) return totals(undefined);
  const stored = await storedTotals(qaPairs, accountId, points);
  let promptTokens = 0;
  let completionTokens = 0;
  for (const x of points) {
    const t = stored.get(`${x.chatId}:${x.seq}`);
    if (!t) return aggregateUsage(qaPairs, accountId, ranges);
    promptTokens += x.sign * t.promptTokens;
    completionTokens += x.sign * t.completionTokens;
  }
  return { promptTokens, completionTokens };
}

/** For each prefix, the running totals stored at its end; the legacy aggregation for the ends that have none. */
export async function usagePrefixesOf(
  qaPairs: Collection<Document>,
  accountId: string,
  prefixes: PairLocation[],
): Promise<UsageTotals[]> {
  const ends = prefixes.filter((x) => x.seq > 0);
  if (ends.length === 0) return prefixes.map(() => totals(undefined));
  const stored = await storedTotals(qaPairs, accountId, ends);
  const missing = ends.filter((x) => !stored.get(`${x.chatId}:${x.seq}`));
  if (missing.length > 0) {
    const computed = await aggregatePrefixes(qaPairs, accountId, missing);
    for (const [i, x] of missing.entries()) stored.set(`${x.chatId}:${x.seq}`, computed[i] ?? totals(undefined));
  }
  return prefixes.map((x) => (x.seq > 0 ? stored.get(`${x.chatId}:${x.seq}`) : null) ?? totals(undefined));
}

/** A pair's own token counts (0 where not generated or not reported). */
function ownUsage(pair: PairRecord): UsageTotals {
  return {
    promptTokens: pair.generation?.promptTokens ?? 0,
    completionTokens: pair.generation?.completionTokens ?? 0,
  };
}

function totalDocument(before: UsageTotals, pair: PairRecord): UsageTotalDocument {
  const own = ownUsage(pair);
  return {
    prompt_tokens: before.promptTokens + own.promptTokens,
    completion_tokens: before.completionTokens + own.completionTokens,
  };
}

/** The running totals of a chat's pairs 1..seq (none for seq 0), as stored or, for old documents, aggregated. */
async function totalsUpTo(qaPairs: Collection<Document>, accountId: string, chatId: string, seq: number) {
  if (seq < 1) return totals(undefined);
  const [t] = await usagePrefixesOf(qaPairs, accountId, [{ chatId, seq }]);
  return t ?? totals(undefined);
}

/** The `usage_total` of a pair about to be appended: the total at seq - 1 plus its own counts. */
export async function runningTotalOf(qaPairs: Collection<Document>, pair: PairRecord): Promise<UsageTotalDocument> {
  return totalDocument(await totalsUpTo(qaPairs, pair.accountId, pair.chatId, pair.seq - 1), pair);
}

/**
 * The `usage_total` of each of many pairs (an import's or a fork's new chats), in the order given: summed in memory
 * per chat in seq order, starting from what is stored before a chat's first pair given (nothing for seq 1).
 */
export async function runningTotalsOf(
  qaPairs: Collection<Document>,
  pairs: PairRecord[],
): Promise<UsageTotalDocument[]> {
  const order = pairs
    .map((_, i) => i)
    .sort((a, b) => {
      const x = pairs[a] as PairRecord;
      const y = pairs[b] as PairRecord;
      return x.chatId < y.chatId ? -1 : x.chatId > y.chatId ? 1 : x.seq - y.seq;
    });
  const out: UsageTotalDocument[] = new Array(pairs.length);
  let chat: string | null = null;
  let running = totals(undefined);
  for (const i of order) {
    const pair = pairs[i] as PairRecord;
    if (pair.chatId !== chat) {
      chat = pair.chatId;
      running = await totalsUpTo(qaPairs, pair.accountId, pair.chatId, pair.seq - 1);
    }
    const t = totalDocument(running, pair);
    out[i] = t;
    running = { promptTokens: t.prompt_tokens, completionTokens: t.completion_tokens };
  }
  return out;
}
