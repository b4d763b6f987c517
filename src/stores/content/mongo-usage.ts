/**
 * Usage totals over qa_pairs documents (ContentStore.usage and usagePrefixes): aggregations that return sums, never
 * the pairs. A document whose response the client gave has `generation: null`, and a count the source did not
 * report is null: both add 0.
 */
import type { Collection, Document } from 'mongodb';
import type { SeqRange } from '../../domain/history.js';
import type { PairLocation } from '../../domain/model.js';
import type { UsageTotals } from '../../domain/ports.js';
import { accountHash } from './mongo-shard-key.js';

const PROMPT = { $ifNull: ['$generation.prompt_tokens', 0] };
const COMPLETION = { $ifNull: ['$generation.completion_tokens', 0] };

const totals = (d: Document | undefined): UsageTotals => ({
  promptTokens: Number(d?.prompt_tokens ?? 0),
  completionTokens: Number(d?.completion_tokens ?? 0),
});

/** One $group over the ranges' documents (an index range on (chat_id, seq) each). */
export async function usageOf(qaPairs: Collection<Document>, accountId: string, ranges: SeqRange[]) {
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
 * Running sums per chat ($setWindowFields over (chat_id, seq); each chat's documents read once, up to its longest
 * prefix), kept at the prefixes' ends only. A prefix whose end has no document (seq 0) sums to 0.
 */
export async function usagePrefixesOf(
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
