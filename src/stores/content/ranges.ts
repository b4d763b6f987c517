import type { SeqRange } from '../../domain/history.js';
import type { PairRecord } from '../../domain/model.js';

/** Puts pairs read in any order into history order: by range, then by seq. */
export function orderByRanges(ranges: SeqRange[], pairs: PairRecord[]): PairRecord[] {
  const rank = new Map(ranges.map((r, i) => [r.chatId, i]));
  return pairs
    .filter((p) => rank.has(p.chatId))
    .sort((a, b) => (rank.get(a.chatId) as number) - (rank.get(b.chatId) as number) || a.seq - b.seq);
}
