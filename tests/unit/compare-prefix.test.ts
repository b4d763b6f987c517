/** The common prefix of two histories from their chains alone (compare-branches), and a tree's usage totals. */
import { describe, expect, test } from 'bun:test';
import { commonPrefix } from '../../src/domain/branches/compare.service.js';
import type { Ctx } from '../../src/domain/context.js';
import { segmentsOf } from '../../src/domain/history.js';
import type { ChatRecord, PairLocation } from '../../src/domain/model.js';
import { treeUsage } from '../../src/domain/usage.js';

const chat = (chatId: string, ancestorIds: string[], ancestorLimits: number[], ownCount: number) =>
  segmentsOf({ chatId, ancestorIds, ancestorLimits, ownCount });

describe('commonPrefix', () => {
  const root = chat('R', [], [], 5);
  test('a branch and its parent share the parent’s pairs up to the fork', () => {
    expect(commonPrefix(chat('B', ['R'], [3], 2), root)).toBe(3);
    expect(commonPrefix(root, chat('B', ['R'], [5], 2))).toBe(5); // forked at the root's last pair
  });
  test('siblings share up to the earlier fork; nested branches through every shared member', () => {
    expect(commonPrefix(chat('A', ['R'], [2], 4), chat('B', ['R'], [2], 1))).toBe(2);
    expect(commonPrefix(chat('A', ['R'], [2], 4), chat('B', ['R'], [4], 1))).toBe(2);
    expect(commonPrefix(chat('C', ['R', 'A'], [2, 3], 1), chat('A', ['R'], [2], 4))).toBe(5);
    expect(commonPrefix(chat('C', ['R', 'A'], [2, 3], 1), chat('D', ['R', 'A'], [2, 1], 7))).toBe(3);
  });
  test('start forks share nothing with the root, each other, or the root’s branches; a chat shares all with itself', () => {
    const s1 = chat('S1', ['R'], [0], 3);
    expect(commonPrefix(s1, root)).toBe(0);
    expect(commonPrefix(s1, chat('S2', ['R'], [0], 3))).toBe(0);
    expect(commonPrefix(s1, chat('B', ['R'], [1], 3))).toBe(0);
    expect(commonPrefix(chat('T', ['R', 'S1'], [0, 2], 1), s1)).toBe(2);
    expect(commonPrefix(s1, s1)).toBe(3);
    expect(commonPrefix(chat('E', [], [], 0), chat('E', [], [], 0))).toBe(0);
  });
});

test('treeUsage: each chat sums the prefixes of its chain (start forks included), each prefix asked once', async () => {
  const asked: PairLocation[][] = [];
  // The total at (chat, seq): 10^chat-digit × seq, so every sum below names the prefixes it is made of.
  const weight: Record<string, number> = { R: 1, S: 10, T: 100, B: 1000 };
  const content = {
    usagePrefixes: async (_: string, prefixes: PairLocation[]) => {
      asked.push(prefixes);
      return prefixes.map((p) => ({ promptTokens: (weight[p.chatId] ?? 0) * p.seq, completionTokens: p.seq }));
    },
  };
  const ctx = { accountId: 'a', deps: { content } } as unknown as Ctx;
  const row = (chatId: string, ancestorIds: string[], ancestorLimits: number[], ownCount: number) =>
    ({ chatId, ancestorIds, ancestorLimits, ownCount }) as ChatRecord;
  const usage = await treeUsage(ctx, [
    row('R', [], [], 5),
    row('S', ['R'], [0], 2), // a start fork: nothing of the root
    row('T', ['R', 'S'], [0, 2], 3),
    row('B', ['R'], [3], 0), // an empty branch at the root's third pair
    row('E', [], [], 0),
  ]);
  expect(Object.fromEntries(usage)).toEqual({
    R: { promptTokens: 5, completionTokens: 5 },
    S: { promptTokens: 20, completionTokens: 2 },
    T: { promptTokens: 20 + 300, completionTokens: 2 + 3 },
    B: { promptTokens: 3, completionTokens: 3 },
    E: { promptTokens: 0, completionTokens: 0 },
  });
  expect(asked).toEqual([
    [
      { chatId: 'R', seq: 5 },
      { chatId: 'S', seq: 2 },
      { chatId: 'T', seq: 3 },
      { chatId: 'R', seq: 3 },
    ],
  ]);
});
