import type { SeqRange } from '../../domain/history.js';
import type { PairRecord } from '../../domain/model.js';

/** Puts pairs read in any order into history order: by range, then by seq. */
export function orderByRanges(ranges: SeqRange[], pairs: PairRecord[]): PairRecord[] {
  const rank = new Map(ranges.map((r, i) => [r.chatId, i]));
  return pairs
    .filter((p) => rank.has(p.chatId))
    .sort((a, b) => (rank.get(a.chatId) as number) - (rank.get(b.chatId) as number) || a.seq - b.seq);
}

/** A running total to add (sign 1) or subtract (sign -1): the one stored with the pair at (chatId, seq). */
export interface RunningPoint {
  chatId: string;
  seq: number;
  sign: 1 | -1;
}

/**
 * The running totals whose signed sum is the usage of the ranges: each non-empty range is its end's total minus
 * the total just before its start (nothing to subtract for a range from seq 1).
 */
export function runningPoints(ranges: SeqRange[]): RunningPoint[] {
  const points: RunningPoint[] = [];
  for (const r of ranges) {
    const from = Math.max(1, r.fromSeq);
    if (r.toSeq < from) continue;
    points.push({ chatId: r.chatId, seq: r.toSeq, sign: 1 });
    if (from > 1) points.push({ chatId: r.chatId, seq: from - 1, sign: -1 });
  }
  return points;
}
