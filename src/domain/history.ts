/**
 * History assembly, as pure functions.
 *
 * A chat's visible history is a list of segments, one per chain member (root … parent, then the chat):
 * segment i holds seqs 1..limit_i of chain member i. Positions are 1-based over the whole history.
 * A page is a position range, mapped to at most one seq range per segment, so its cost depends on the
 * page size and the depth, never on the length of the history or the number of branches in the tree.
 */
import type { ChatRecord, PairLocation } from './model.js';

export interface Segment {
  chatId: string;
  /** Number of history positions before this segment. */
  offset: number;
  /** Number of this chain member's own pairs visible in the history. */
  length: number;
}

export interface SeqRange {
  chatId: string;
  fromSeq: number;
  toSeq: number;
}

export function segmentsOf(
  chat: Pick<ChatRecord, 'chatId' | 'ancestorIds' | 'ancestorLimits' | 'ownCount'>,
): Segment[] {
  const segments: Segment[] = [];
  let offset = 0;
  chat.ancestorIds.forEach((chatId, i) => {
    const length = chat.ancestorLimits[i] ?? 0;
    segments.push({ chatId, offset, length });
    offset += length;
  });
  segments.push({ chatId: chat.chatId, offset, length: chat.ownCount });
  return segments;
}

export function historyLength(segments: Segment[]): number {
  const last = segments[segments.length - 1];
  return last ? last.offset + last.length : 0;
}

/**
 * The first `length` positions of a history (a frozen share: what the chat showed then). A chat's history only
 * grows at its end (ancestors' limits never change, own pairs are appended), so these positions hold the same pairs
 * for as long as the chat lives.
 */
export function truncateSegments(segments: Segment[], length: number): Segment[] {
  return segments.map((s) => ({ ...s, length: Math.max(0, Math.min(s.length, length - s.offset)) }));
}

/** Position (1-based) of a stored pair in this history, or null when the pair is not visible here. */
export function positionOf(segments: Segment[], loc: PairLocation): number | null {
  for (const s of segments) {
    if (s.chatId === loc.chatId) {
      return loc.seq >= 1 && loc.seq <= s.length ? s.offset + loc.seq : null;
    }
  }
  return null;
}

/** The seq ranges, in history order, that cover positions from..to (inclusive, clamped to the history). */
export function rangesFor(segments: Segment[], from: number, to: number): SeqRange[] {
  const ranges: SeqRange[] = [];
  for (const s of segments) {
    const lo = Math.max(from, s.offset + 1);
    const hi = Math.min(to, s.offset + s.length);
    if (lo <= hi) ranges.push({ chatId: s.chatId, fromSeq: lo - s.offset, toSeq: hi - s.offset });
  }
  return ranges;
}

export type PageCursor =
  | { kind: 'first' }
  | { kind: 'after'; position: number }
  | { kind: 'before'; position: number }
  | { kind: 'end' };

/** Which positions a page covers. Returns an empty window (from > to) when nothing is there. */
export function pageWindow(total: number, cursor: PageCursor, limit: number): { from: number; to: number } {
  switch (cursor.kind) {
    case 'first':
      return { from: 1, to: Math.min(total, limit) };
    case 'after':
      return { from: cursor.position + 1, to: Math.min(total, cursor.position + limit) };
    case 'before':
      return { from: Math.max(1, cursor.position - limit), to: cursor.position - 1 };
    case 'end':
      return { from: Math.max(1, total - limit + 1), to: total };
  }
}

/**
 * Where a branch forking after pair `loc` (visible in `chat`) attaches: to the chat that stores the pair,
 * which is `chat` itself or one of its ancestors. Returns the new branch's chain.
 */
export function resolveFork(
  chat: Pick<ChatRecord, 'chatId' | 'ancestorIds' | 'ancestorLimits' | 'ownCount'>,
  loc: PairLocation,
): { parentChatId: string; ancestorIds: string[]; ancestorLimits: number[] } | null {
  const segments = segmentsOf(chat);
  if (positionOf(segments, loc) === null) return null;
  const index = segments.findIndex((s) => s.chatId === loc.chatId);
  const ids = [...chat.ancestorIds, chat.chatId].slice(0, index + 1);
  const limits = [...chat.ancestorLimits.slice(0, index), loc.seq];
  return { parentChatId: loc.chatId, ancestorIds: ids, ancestorLimits: limits };
}
