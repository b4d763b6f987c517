/**
 * compare-branches: where two chats of one tree part ways, and what each says after that.
 *
 * Two visible histories share a common prefix, and each goes on with its own tail. The prefix comes from the chain
 * metadata alone (segmentsOf): segment by segment, while the chain members are the same chat, both histories show
 * that chat's pairs 1..min(their two limits); they part at the first member that differs, or inside a member whose
 * two limits differ (one goes on with that chat's next pair, the other with a branch of it, or ends). A start fork
 * holds none of the root's pairs (limit 0 on the root), so it shares nothing with the root or its other branches.
 *
 * Cost: the two chat rows, at most one locate per cursor, one content read (the last shared pair and both tail
 * pages) with one metadata read of their branches and feedback, and per non-empty tail one usage read (content:
 * the running totals at the ends of its ranges)
 * and one feedback count (metadata): O(page + depth), whatever the length of the histories.
 */
import { type PairView, requireChat } from '../chats/chats.service.js';
import type { Ctx } from '../context.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { historyLength, positionOf, rangesFor, type Segment, type SeqRange, segmentsOf } from '../history.js';
import type { ChatRecord, PairRecord } from '../model.js';
import type { FeedbackCounts, UsageTotals } from '../ports.js';
import { NO_USAGE } from '../usage.js';

/** What a whole tail holds: its pairs, the tokens of its generated answers, and how its answers were rated. */
export interface TailTotals extends UsageTotals {
  pairs: number;
  feedback: FeedbackCounts;
}

const NO_FEEDBACK: FeedbackCounts = { up: 0, down: 0 };

export interface TailPage {
  /** One page of the tail, in conversation order. */
  pairs: PairView[];
  hasMoreAfter: boolean;
  /** The `after` of the next page (the page's last pair), or null when the tail has no more. */
  nextAfter: string | null;
  totals: TailTotals;
}

export interface Comparison {
  chat: ChatRecord;
  other: ChatRecord;
  /** Length of the common prefix of the two visible histories. */
  commonCount: number;
  /** The pair at position commonCount (the last one both histories show), or null when they share none. */
  lastShared: PairView | null;
  tails: { chat: TailPage; other: TailPage };
}

export interface CompareInput {
  chatId: string;
  otherChatId: string;
  limit: number;
  /** A pair of chat's tail: its page starts after it. */
  after?: string;
  /** A pair of other's tail: its page starts after it. */
  otherAfter?: string;
}

/** Length of the common prefix of two histories of one tree, from their segments only (see above). */
export function commonPrefix(a: Segment[], b: Segment[]): number {
  let shared = 0;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i] as Segment;
    const y = b[i] as Segment;
    if (x.chatId !== y.chatId) break;
    shared += Math.min(x.length, y.length);
    if (x.length !== y.length) break;
  }
  return shared;
}

/** A tail's page as positions: after `cursor` (a pair of the tail) or from the tail's start, at most `limit`. */
async function tailWindow(
  ctx: Ctx,
  chat: ChatRecord,
  segments: Segment[],
  common: number,
  limit: number,
  cursor: string | undefined,
): Promise<{ from: number; to: number; total: number }> {
  const total = historyLength(segments);
  let from = common + 1;
  if (cursor !== undefined) {
    const loc = await ctx.deps.content.locate(ctx.accountId, cursor);
    const position = loc ? positionOf(segments, loc) : null;
    if (position === null || position <= common) {
      throw new NotFoundError(`Pair ${cursor} is not in the tail of chat ${chat.chatId} (after the common prefix)`);
    }
    from = position + 1;
  }
  return { from, to: Math.min(total, from + limit - 1), total };
}

const slot = (chatId: string, seq: number) => `${chatId}:${seq}`;

/** The pairs of `ranges`, in order, from what one read returned (by slot); every slot must be there. */
function pick(read: Map<string, PairRecord>, ranges: SeqRange[]): PairRecord[] {
  const out: PairRecord[] = [];
  for (const r of ranges) {
    for (let seq = r.fromSeq; seq <= r.toSeq; seq++) {
      const pair = read.get(slot(r.chatId, seq));
      // Metadata says these positions exist; content must have them (it is written before metadata commits).
      if (!pair) throw new Error(`content store has no pair at ${r.chatId} seq ${seq}`);
      out.push(pair);
    }
  }
  return out;
}

export async function compareBranches(ctx: Ctx, input: CompareInput): Promise<Comparison> {
  const [chat, other] = await Promise.all([
    requireChat(ctx, input.chatId),
    ctx.deps.meta.getChat(ctx.accountId, input.otherChatId),
  ]);
  if (!other) throw new NotFoundError(`Chat ${input.otherChatId} not found`);
  if (other.rootChatId !== chat.rootChatId) {
    throw new ValidationError('The chats are in different conversations', [
      { path: 'other_chat_id', message: 'must be a chat of the same conversation tree as chat_id' },
    ]);
  }

  const segments = { chat: segmentsOf(chat), other: segmentsOf(other) };
  const common = commonPrefix(segments.chat, segments.other);
  const [wChat, wOther] = await Promise.all([
    tailWindow(ctx, chat, segments.chat, common, input.limit, input.after),
    tailWindow(ctx, other, segments.other, common, input.limit, input.otherAfter),
  ]);

  const lastRanges = common > 0 ? rangesFor(segments.chat, common, common) : [];
  const pageRanges = {
    chat: rangesFor(segments.chat, wChat.from, wChat.to),
    other: rangesFor(segments.other, wOther.from, wOther.to),
  };
  const tailRanges = {
    chat: rangesFor(segments.chat, common + 1, wChat.total),
    other: rangesFor(segments.other, common + 1, wOther.total),
  };
  const allRanges = [...lastRanges, ...pageRanges.chat, ...pageRanges.other];
  const usageOf = (ranges: SeqRange[]) =>
    ranges.length === 0 ? Promise.resolve(NO_USAGE) : ctx.deps.content.usage(ctx.accountId, ranges);
  const feedbackOf = (ranges: SeqRange[]) =>
    ranges.length === 0 ? Promise.resolve(NO_FEEDBACK) : ctx.deps.meta.feedbackCounts(ctx.accountId, ranges);
  const [read, usageChat, usageOther, feedbackChat, feedbackOther] = await Promise.all([
    allRanges.length === 0 ? Promise.resolve([]) : ctx.deps.content.readRanges(ctx.accountId, allRanges),
    usageOf(tailRanges.chat),
    usageOf(tailRanges.other),
    feedbackOf(tailRanges.chat),
    feedbackOf(tailRanges.other),
  ]);

  const bySlot = new Map(read.map((p) => [slot(p.chatId, p.seq), p]));
  const last = pick(bySlot, lastRanges);
  const pages = { chat: pick(bySlot, pageRanges.chat), other: pick(bySlot, pageRanges.other) };
  const { branches, feedback } = await ctx.deps.meta.pairExtras(
    ctx.accountId,
    [...last, ...pages.chat, ...pages.other].map((p) => p.responseId),
  );
  const view = (p: PairRecord): PairView => ({
    ...p,
    branches: branches.get(p.responseId) ?? [],
    feedback: feedback.get(p.responseId) ?? null,
  });

  const tail = (
    pairs: PairRecord[],
    w: { to: number; total: number },
    usage: UsageTotals,
    rated: FeedbackCounts,
  ): TailPage => {
    const hasMoreAfter = pairs.length > 0 && w.to < w.total;
    return {
      pairs: pairs.map(view),
      hasMoreAfter,
      nextAfter: hasMoreAfter ? (pairs[pairs.length - 1] as PairRecord).responseId : null,
      totals: { pairs: w.total - common, ...usage, feedback: rated },
    };
  };
  const lastPair = last[0];
  return {
    chat,
    other,
    commonCount: common,
    lastShared: lastPair ? view(lastPair) : null,
    tails: {
      chat: tail(pages.chat, wChat, usageChat, feedbackChat),
      other: tail(pages.other, wOther, usageOther, feedbackOther),
    },
  };
}
