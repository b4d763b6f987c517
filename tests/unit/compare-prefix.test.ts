/** The common prefix of two histories from their chains alone (compare-branches), and a tree's usage prefixes. */
import { describe, expect, test } from 'bun:test';
import { commonPrefix } from '../../src/domain/branches/compare.service.js';
import { segmentsOf } from '../../src/domain/history.js';
import { historyPrefixes } from '../../src/domain/usage.js';

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

test('historyPrefixes: one prefix per chain member with pairs, then the chat’s own', () => {
  expect(historyPrefixes({ chatId: 'T', ancestorIds: ['R', 'S'], ancestorLimits: [0, 2], ownCount: 3 })).toEqual([
    { chatId: 'S', seq: 2 },
    { chatId: 'T', seq: 3 },
  ]);
  expect(historyPrefixes({ chatId: 'R', ancestorIds: [], ancestorLimits: [], ownCount: 0 })).toEqual([]);
});
