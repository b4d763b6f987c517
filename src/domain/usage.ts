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

/** The usage of a chat's whole visible history: one aggregate over its segments (none for an empty history). */
export async function historyUsage(ctx: Ctx, chat: ChatRecord): Promise<UsageTotals> {
  const segments = segmentsOf(chat);
  const ranges = rangesFor(segments, 1, historyLength(segments));
  return ranges.length === 0 ? NO_USAGE : ctx.deps.content.usage(ctx.accountId, ranges);
}

/**
 * The prefixes whose sums make up a chat's visible history: for each chain member, its pairs 1..limit, then the
 * chat's own 1..ownCount (empty ones left out).
 */
export function historyPrefixes(chat: Pick<ChatRecord, 'chatId' | 'ancestorIds' | 'ancestorLimits' | 'ownCount'>) {
  return segmentsOf(chat)
    .filter((s) => s.length > 0)
    .map((s): PairLocation => ({ chatId: s.chatId, seq: s.length }));
}

/**
 * The usage of every chat of a tree (its live chats, as listTree reads them), by chat id. The distinct prefixes of
 * a tree are few (each chat adds its own count and the fork points of its children), and one store query gives
 * them all; each chat's usage is then the sum of its history's prefixes.
 */
export async function treeUsage(ctx: Ctx, chats: ChatRecord[]): Promise<Map<string, UsageTotals>> {
  const index = new Map<string, number>();
  const prefixes: PairLocation[] = [];
  const perChat = chats.map((chat) =>
    historyPrefixes(chat).map((p) => {
      const key = `${p.chatId}:${p.seq}`;
      let i = index.get(key);
      if (i === undefined) {
        i = prefixes.push(p) - 1;
        index.set(key, i);
      }
      return i;
    }),
  );
  const sums = prefixes.length === 0 ? [] : await ctx.deps.content.usagePrefixes(ctx.accountId, prefixes);
  const out = new Map<string, UsageTotals>();
  chats.forEach((chat, c) => {
    let total = NO_USAGE;
    for (const i of perChat[c] ?? []) total = addUsage(total, sums[i] ?? NO_USAGE);
    out.set(chat.chatId, total);
  });
  return out;
}
