/**
 * A branchat export stripped of its `branchat` keys (what a plain ChatGPT reader keeps) imports as the same tree
 * shape and histories.
 */
import { describe, expect, test } from 'bun:test';
import { type ChatGptConversation, fromChatGpt, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import { at, chat, gen, histories, only, pair, sample, shape, strip, T0 } from './helpers.js';

describe('a ChatGPT export stripped of the extension', () => {
  test('imports as the same tree shape and histories; names and chat times default', () => {
    // Every branch forks before its parent's last pair, and the root is active: the shape is unambiguous.
    const s: TreeSnapshot = {
      title: 'Plans',
      systemPrompt: 'Be kind.',
      activeChatId: 'R',
      chats: [
        chat('R', null, 'Plans', T0, [
          pair('r1', 'q1', 'a1', T0 + 10, { generation: gen('gpt-4o', 1, 2, 3) }),
          pair('r2', 'q2', 'a2', T0 + 20),
          pair('r3', 'q3', 'a3', T0 + 30, { type: 'code', language: 'ts' }),
        ]),
        chat('B', ['R', 'r1'], 'Named B', T0 + 40, [
          pair('b1', 'qb1', 'ab1', T0 + 41),
          pair('b2', 'qb2', 'ab2', T0 + 42),
        ]),
        chat('C', ['B', 'b1'], 'Named C', T0 + 50, [pair('c1', 'qc1', 'ac1', T0 + 51)]),
        chat('D', ['R', 'r2'], 'Named D', T0 + 60, [pair('d1', 'qd1', 'ad1', T0 + 61)]),
      ],
    };
    const plain = strip(toChatGpt(s)) as ChatGptConversation;
    expect(JSON.stringify(plain)).not.toContain('branchat');
    const back = only(fromChatGpt(plain));
    // Same ids (the node ids carry them; chat ids are invented from the first question's node).
    expect(shape(back)).toEqual({
      chats: [
        ['R', null, null, 'q1 → a1', 'q2 → a2', 'q3 → a3'],
        ['q-b1', 'R', 'r1', 'qb1 → ab1', 'qb2 → ab2'],
        ['q-c1', 'q-b1', 'b1', 'qc1 → ac1'],
        ['q-d1', 'R', 'r2', 'qd1 → ad1'],
      ],
      active: 'R',
    });
    expect(histories(back)).toEqual(histories(s));
    expect(back.systemPrompt).toBe('Be kind.');
    expect(back.title).toBe('Plans');
    expect(back.chats.map((c) => c.name)).toEqual(['Plans', 'Plans (branch)', 'Plans (branch)', 'Plans (branch)']);
    const [root, b] = back.chats as [SnapshotChat, SnapshotChat];
    expect(root.createdAt).toEqual(at(T0)); // the conversation's create_time
    expect(root.updatedAt).toEqual(at(T0 + 30));
    expect(b.createdAt).toEqual(at(T0 + 41)); // a branch: its first pair's time
    expect(b.updatedAt).toEqual(at(T0 + 42));
    // What plain ChatGPT data cannot say: pair kinds and token counts (the model stays).
    expect(root.pairs[2]?.type).toBe('text');
    expect(root.pairs[0]?.generation).toEqual(gen('gpt-4o', null, null, null));
  });

  test('message metadata without the top-level extension: chat ids, kinds and counts stay; the active chat too', () => {
    const s = sample('C');
    const { branchat: _ext, ...partial } = toChatGpt(s);
    const back = only(fromChatGpt(partial));
    const withPairs = s.chats.filter((c) => c.pairs.length > 0); // empty chats only live in the extension
    expect(back.chats.map((c) => [c.chatId, c.parentChatId, c.forkResponseId, c.name])).toEqual([
      ['R', null, null, 'Trip'],
      ['B', 'R', 'r1', 'Trip (branch)'],
      ['C', 'B', 'b1', 'Trip (branch)'],
    ]);
    expect(back.chats.map((c) => c.pairs)).toEqual(withPairs.map((c) => c.pairs));
    expect(back.activeChatId).toBe('C'); // the chat holding current_node's pair
    expect(back.systemPrompt).toBe('Be brief.');
  });

  test('an active branch: the current path stays one chat, the active one, with the same history', () => {
    const s = { ...sample('C', null), chats: sample().chats.filter((c) => c.pairs.length > 0) };
    // B's last pair b2 is no fork point, so every chat still ends at a leaf.
    const back = only(fromChatGpt(strip(toChatGpt(s))));
    expect(histories(back)).toEqual(histories(s));
    // The current path (r1 → b1 → c1) is followed: B's first pair continues the root, C's continues that.
    expect(shape(back).chats.map((c) => c.slice(0, 3))).toEqual([
      ['R', null, null],
      ['q-r2', 'R', 'r1'],
      ['q-b2', 'R', 'b1'],
    ]);
    expect(back.activeChatId).toBe('R');
  });
});
