/** ChatRowMemory (src/cache/chat-rows.ts): what may be kept, and what is dropped, under a read lease. */
import { describe, expect, test } from 'bun:test';
import { ChatRowMemory } from '../../src/cache/chat-rows.js';
import type { ChatRecord } from '../../src/domain/model.js';

const chat = (id: string, root: string, version = 1): ChatRecord => ({
  chatId: id,
  accountId: 'a',
  rootChatId: root,
  parentChatId: id === root ? null : root,
  forkResponseId: id === root ? null : 'p',
  chatType: id === root ? 'main' : 'branch',
  name: id,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  active: true,
  ancestorIds: [],
  ancestorLimits: [],
  ownCount: 0,
  treeVersion: version,
  systemPrompt: null,
  archived: false,
  pinned: false,
});

function setup(max = 100) {
  const lease = { generation: 1 as number | null };
  const memory = new ChatRowMemory(() => lease.generation, max, 4);
  return { lease, memory };
}

describe('ChatRowMemory', () => {
  test('a row read under the lease is answered from memory until its tree changes', () => {
    const { memory } = setup();
    const t = memory.begin();
    memory.put(t, chat('R', 'R'));
    memory.put(t, chat('B', 'R'));
    memory.put(t, chat('S', 'S'));
    expect(memory.get('R')?.treeVersion).toBe(1);
    expect(memory.get('B')?.chatId).toBe('B');
    memory.invalidate('R');
    expect(memory.get('R')).toBeUndefined();
    expect(memory.get('B')).toBeUndefined();
    expect(memory.get('S')?.chatId).toBe('S'); // another tree keeps its rows
    expect(memory.hits).toBe(3);
  });

  test('a read that began before a change of its tree stores nothing (it may have read the row before the write)', () => {
    const { memory } = setup();
    const t = memory.begin();
    memory.invalidate('R'); // the notice arrives while the read is in flight
    memory.put(t, chat('R', 'R'));
    expect(memory.get('R')).toBeUndefined();
    memory.put(t, chat('S', 'S')); // a change of another tree does not matter
    expect(memory.get('S')).toBeDefined();
    const later = memory.begin();
    memory.put(later, chat('R', 'R', 2));
    expect(memory.get('R')?.treeVersion).toBe(2);
  });

  test('without a lease nothing is answered or kept; a new lease starts empty', () => {
    const { lease, memory } = setup();
    memory.put(memory.begin(), chat('R', 'R'));
    lease.generation = null;
    expect(memory.get('R')).toBeUndefined();
    expect(memory.leased()).toBe(false);
    memory.put(memory.begin(), chat('S', 'S'));
    lease.generation = 2; // notices may have been missed in between
    expect(memory.get('R')).toBeUndefined();
    expect(memory.get('S')).toBeUndefined();
    // A read that began under the old lease does not store under the new one.
    const old = { tick: 0, generation: 1 };
    memory.put(old, chat('R', 'R'));
    expect(memory.get('R')).toBeUndefined();
  });

  test('a row as this process wrote it is kept, unless a later change of its tree was applied first', () => {
    const { lease, memory } = setup();
    let t = memory.begin();
    memory.invalidate('R', 7); // this process's own write, seq 7, applied
    memory.putWritten(t, chat('R', 'R', 8), 7);
    expect(memory.get('R')?.treeVersion).toBe(8);
    t = memory.begin();
    memory.invalidate('R', 9); // a later write (another process) was applied before the writer kept its row
    memory.putWritten(t, chat('R', 'R', 9), 8);
    expect(memory.get('R')).toBeUndefined();
    memory.putWritten(memory.begin(), chat('S', 'S'), 1); // a tree with no change applied here: nothing to compare
    expect(memory.get('S')).toBeUndefined();
    // The lease lapsed and came back while the write ran: notices may have been missed, nothing is kept.
    t = memory.begin();
    memory.invalidate('T', 3);
    lease.generation = 2;
    memory.putWritten(t, chat('T', 'T'), 3);
    expect(memory.get('T')).toBeUndefined();
  });

  test('a row is read again after maxAgeMs even without a notice (a writer that died before its NOTIFY)', () => {
    let now = 0;
    const memory = new ChatRowMemory(
      () => 1,
      100,
      100,
      5_000,
      () => now,
    );
    memory.put(memory.begin(), chat('R', 'R'));
    now = 4_999;
    expect(memory.get('R')).toBeDefined();
    now = 5_001;
    expect(memory.get('R')).toBeUndefined();
    memory.put(memory.begin(), chat('R', 'R', 2));
    expect(memory.get('R')?.treeVersion).toBe(2);
  });

  test('bounded: the oldest row goes first; trees forgotten from the change list count as just changed', () => {
    const { memory } = setup(2);
    const t = memory.begin();
    memory.put(t, chat('A', 'A'));
    memory.put(t, chat('B', 'B'));
    memory.put(t, chat('C', 'C'));
    expect(memory.size).toBe(2);
    expect(memory.get('A')).toBeUndefined();
    expect(memory.get('C')).toBeDefined();
    // Remembered changes are bounded (4 here): past it, a read older than the forgotten change stores nothing.
    const before = memory.begin();
    for (const r of ['W', 'X', 'Y', 'Z', 'V']) memory.invalidate(r);
    memory.put(before, chat('Q', 'Q'));
    expect(memory.get('Q')).toBeUndefined();
    memory.put(memory.begin(), chat('Q', 'Q'));
    expect(memory.get('Q')).toBeDefined();
  });
});
