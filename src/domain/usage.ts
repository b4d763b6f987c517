/**
 * Usage totals: the tokens the generated answers of a chat's visible history cost (get-chat's `chat.usage`,
 * get-branches' nodes). Pairs never change once committed and a chat's chain is immutable, so a chat's usage
 * depends on its own count only; it is computed where the response body is (cached with it).
 */
import type { Ctx } from './context.js';
import { historyLength, rangesFor, segmentsOf } from './history.js';
import type { ChatRecord, PairLocation } from './model.js';
import type { UsageTotals } from './ports.js';

export const NO_USAGE: UsageTotals = { promptTokens: 0, completionTokens: 0 };

export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

/** The usage of a chat's whole visible history: the running totals at its segments' ends (none for an empty history). */
export async function historyUsage(ctx: Ctx, chat: ChatRecord): Promise<UsageTotals> {
  const segments = segmentsOf(chat);
  const ranges = rangesFor(segments, 1, historyLength(segments));
  return ranges.length === 0 ? NO_USAGE : ctx.deps.content.usage(ctx.accountId, ranges);
}

/**
 * The usage of every chat of a tree (its live chats, as listTree reads them), by chat id. The distinct prefixes of
 * a tree are few (each chat adds its own count and the fork points of its children), and one store query gives
 * them all; each chat's usage is then the sum of its history's prefixes. Nothing is allocated per chat and
 * ancestor (a 1,000-branch tree of depth 50 has ~25,000 of them but ~1,650 distinct prefixes): the chains are
 * walked twice, once to collect the prefixes and once to add them up.
 */
export async function treeUsage(ctx: Ctx, chats: ChatRecord[]): Promise<Map<string, UsageTotals>> {
  const index = new Map<string, Map<number, number>>();
  const prefixes: PairLocation[] = [];
  const visit = (chat: ChatRecord, each: (chatId: string, seq: number) => void) => {
    for (let k = 0; k < chat.ancestorIds.length; k++) {
      const limit = chat.ancestorLimits[k] ?? 0;
      if (limit > 0) each(chat.ancestorIds[k] as string, limit);
    }
    if (chat.ownCount > 0) each(chat.chatId, chat.ownCount);
  };
  for (const chat of chats)
    visit(chat, (chatId, seq) => {
      let bySeq = index.get(chatId);
      if (!bySeq) {
        bySeq = new Map();
        index.set(chatId, bySeq);
      }
      if (!bySeq.has(seq)) bySeq.set(seq, prefixes.push({ chatId, seq }) - 1);
    });
  const sums = prefixes.length === 0 ? [] : await ctx.deps.content.usagePrefixes(ctx.accountId, prefixes);
  const out = new Map<string, UsageTotals>();
  for (const chat of chats) {
    let promptTokens = 0;
    let completionTokens = 0;
    visit(chat, (chatId, seq) => {
      const sum = sums[index.get(chatId)?.get(seq) ?? -1];
      if (!sum) return;
      promptTokens += sum.promptTokens;
      completionTokens += sum.completionTokens;
    });
    out.set(chat.chatId, { promptTokens, completionTokens });
  }
  return out;
}
