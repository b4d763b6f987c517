/** History assembly and fork resolution, as pure functions. */
import { describe, expect, test } from 'bun:test';
import { buildTree } from '../../src/domain/branches/branches.service.js';
import { historyLength, pageWindow, positionOf, rangesFor, resolveFork, segmentsOf } from '../../src/domain/history.js';
import type { ChatRecord } from '../../src/domain/model.js';

// root R (5 own pairs) → B forks after R#3 and has 4 own → C forks after B#2 and has 2 own.
const R = { chatId: 'R', ancestorIds: [], ancestorLimits: [], ownCount: 5 };
const B = { chatId: 'B', ancestorIds: ['R'], ancestorLimits: [3], ownCount: 4 };
const C = { chatId: 'C', ancestorIds: ['R', 'B'], ancestorLimits: [3, 2], ownCount: 2 };

describe('segmentsOf', () => {
  test('a chain becomes contiguous segments: ancestors’ visible prefixes, then own pairs', () => {
    expect(segmentsOf(C)).toEqual([
      { chatId: 'R', offset: 0, length: 3 },
      { chatId: 'B', offset: 3, length: 2 },
      { chatId: 'C', offset: 5, length: 2 },
    ]);
    expect(historyLength(segmentsOf(C))).toBe(7);
    expect(historyLength(segmentsOf(R))).toBe(5);
  });
});

describe('positionOf', () => {
  test('finds inherited and own pairs; pairs past a fork point or of other chats are not visible', () => {
    const s = segmentsOf(C);
    expect(positionOf(s, { chatId: 'R', seq: 1 })).toBe(1);
    expect(positionOf(s, { chatId: 'R', seq: 3 })).toBe(3);
    expect(positionOf(s, { chatId: 'R', seq: 4 })).toBeNull(); // added to R after B forked
    expect(positionOf(s, { chatId: 'B', seq: 2 })).toBe(5);
    expect(positionOf(s, { chatId: 'B', seq: 3 })).toBeNull(); // added to B after C forked
    expect(positionOf(s, { chatId: 'C', seq: 2 })).toBe(7);
    expect(positionOf(s, { chatId: 'C', seq: 3 })).toBeNull();
    expect(positionOf(s, { chatId: 'X', seq: 1 })).toBeNull();
    expect(positionOf(s, { chatId: 'R', seq: 0 })).toBeNull();
  });
});

describe('rangesFor', () => {
  test('maps a position window to one seq range per overlapping segment, in order', () => {
    const s = segmentsOf(C);
    expect(rangesFor(s, 1, 7)).toEqual([
      { chatId: 'R', fromSeq: 1, toSeq: 3 },
      { chatId: 'B', fromSeq: 1, toSeq: 2 },
      { chatId: 'C', fromSeq: 1, toSeq: 2 },
    ]);
    expect(rangesFor(s, 3, 4)).toEqual([
      { chatId: 'R', fromSeq: 3, toSeq: 3 },
      { chatId: 'B', fromSeq: 1, toSeq: 1 },
    ]);
    expect(rangesFor(s, 6, 6)).toEqual([{ chatId: 'C', fromSeq: 1, toSeq: 1 }]);
    expect(rangesFor(s, 8, 10)).toEqual([]);
  });

  test('a page never touches more than the segments it overlaps (cost independent of history length)', () => {
    const long = { chatId: 'L', ancestorIds: ['R'], ancestorLimits: [100_000], ownCount: 100_000 };
    expect(rangesFor(segmentsOf(long), 150_001, 150_200)).toEqual([{ chatId: 'L', fromSeq: 50_001, toSeq: 50_200 }]);
  });
});

describe('pageWindow', () => {
  test('first, after, before and end windows are clamped to the history', () => {
    expect(pageWindow(7, { kind: 'first' }, 3)).toEqual({ from: 1, to: 3 });
    expect(pageWindow(7, { kind: 'first' }, 10)).toEqual({ from: 1, to: 7 });
    expect(pageWindow(7, { kind: 'after', position: 5 }, 3)).toEqual({ from: 6, to: 7 });
    expect(pageWindow(7, { kind: 'after', position: 7 }, 3)).toEqual({ from: 8, to: 7 });
    expect(pageWindow(7, { kind: 'before', position: 5 }, 3)).toEqual({ from: 2, to: 4 });
    expect(pageWindow(7, { kind: 'before', position: 2 }, 3)).toEqual({ from: 1, to: 1 });
    expect(pageWindow(7, { kind: 'before', position: 1 }, 3)).toEqual({ from: 1, to: 0 });
    expect(pageWindow(7, { kind: 'end' }, 3)).toEqual({ from: 5, to: 7 });
    expect(pageWindow(0, { kind: 'end' }, 3)).toEqual({ from: 1, to: 0 });
  });
});

describe('resolveFork', () => {
  test('forking from an own pair attaches to the chat itself', () => {
    expect(resolveFork(C, { chatId: 'C', seq: 1 })).toEqual({
      parentChatId: 'C',
      ancestorIds: ['R', 'B', 'C'],
      ancestorLimits: [3, 2, 1],
    });
  });

  test('forking from an inherited pair attaches to the ancestor that stores it', () => {
    expect(resolveFork(C, { chatId: 'R', seq: 2 })).toEqual({
      parentChatId: 'R',
      ancestorIds: ['R'],
      ancestorLimits: [2],
    });
    expect(resolveFork(C, { chatId: 'B', seq: 2 })).toEqual({
      parentChatId: 'B',
      ancestorIds: ['R', 'B'],
      ancestorLimits: [3, 2],
    });
  });

  test('a pair outside the visible history cannot be forked from', () => {
    expect(resolveFork(C, { chatId: 'R', seq: 4 })).toBeNull();
    expect(resolveFork(B, { chatId: 'C', seq: 1 })).toBeNull();
  });
});

describe('buildTree', () => {
  const chat = (id: string, parent: string | null, active = false): ChatRecord => ({
    chatId: id,
    accountId: 'a',
    rootChatId: 'R',
    parentChatId: parent,
    forkResponseId: parent ? 'p' : null,
    chatType: parent ? 'branch' : 'main',
    name: id,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    active,
    ancestorIds: [],
    ancestorLimits: [],
    ownCount: 0,
    treeVersion: 0,
    systemPrompt: null,
    archived: false,
    pinned: false,
  });

  test('nests children under parents in the given (oldest-first) order', () => {
    const t = buildTree([chat('R', null), chat('B1', 'R', true), chat('B2', 'R'), chat('C', 'B1')]);
    expect(t.count).toBe(4);
    expect(t.activeChatId).toBe('B1');
    expect(t.tree.chat.chatId).toBe('R');
    expect(t.tree.children.map((n) => n.chat.chatId)).toEqual(['B1', 'B2']);
    expect(t.tree.children[0]?.children.map((n) => n.chat.chatId)).toEqual(['C']);
  });

  test('refuses a tree without an active chat (the invariant is broken, not silently papered over)', () => {
    expect(() => buildTree([chat('R', null)])).toThrow();
  });
});
