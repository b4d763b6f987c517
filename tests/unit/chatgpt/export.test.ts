/**
 * toChatGpt's shape: nodes, links and ids, messages, conversation fields, current_node; a snapshot that is not a
 * tree throws.
 */
import { describe, expect, test } from 'bun:test';
import { ROOT_NODE_ID, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import { chat, pair, sample, T0 } from './helpers.js';

describe('toChatGpt', () => {
  test('nodes, links and ids: a question node and its answer per pair, continuations before branches', () => {
    const conv = toChatGpt(sample());
    const m = conv.mapping;
    for (const [key, node] of Object.entries(m)) {
      expect(node.id).toBe(key);
      for (const child of node.children) expect(m[child]?.parent).toBe(key);
      if (node.parent !== null) expect(m[node.parent]?.children).toContain(key);
    }
    expect(m[ROOT_NODE_ID]).toEqual({ id: ROOT_NODE_ID, message: null, parent: null, children: ['system-R'] });
    expect(m['system-R']?.message?.author.role).toBe('system');
    expect(m['system-R']?.message?.content.parts).toEqual(['Be brief.']);
    expect(m['system-R']?.children).toEqual(['q-r1']);
    expect(m['q-r1']?.children).toEqual(['r1']);
    // r1: R continues first, then B's first question (D is empty: no node at all).
    expect(m.r1?.children).toEqual(['q-r2', 'q-b1']);
    expect(m.r2?.children).toEqual(['q-r3']);
    expect(m.b1?.children).toEqual(['q-b2', 'q-c1']);
    expect(m.r3?.children).toEqual([]);
    // 1 root + 1 system + 2 × 6 pairs.
    expect(Object.keys(m)).toHaveLength(14);
    expect(m['q-b1']?.message?.content.parts).toEqual(['What about May?']);
    expect(m.b2?.message?.content.parts).toEqual(['']);
  });

  test('messages: roles, times in float seconds, metadata with model_slug and the extension', () => {
    const conv = toChatGpt(sample());
    const m = conv.mapping;
    expect(m['q-r1']?.message).toEqual({
      id: 'q-r1',
      author: { role: 'user', name: null, metadata: {} },
      create_time: 1764090185.123,
      update_time: null,
      content: { content_type: 'text', parts: ['Where in March?'] },
      status: 'finished_successfully',
      end_turn: null,
      weight: 1,
      metadata: { branchat: { chat_id: 'R', type: 'text' } },
      recipient: 'all',
    });
    expect(m.r1?.message?.author.role).toBe('assistant');
    expect(m.r1?.message?.end_turn).toBe(true);
    expect(m.r1?.message?.create_time).toBe(1764090185.123);
    expect(m.r1?.message?.metadata).toEqual({
      model_slug: 'gpt-x',
      branchat: {
        chat_id: 'R',
        prompt_tokens: 10,
        completion_tokens: 20,
        latency_ms: 300,
        feedback: { rating: 'up', comment: 'Just right.', updated_at: new Date(T0 + 9000).toISOString() },
      },
    });
    expect(m.b1?.message?.metadata).toEqual({
      model_slug: 'gpt-y',
      branchat: { chat_id: 'B', prompt_tokens: null, completion_tokens: 5, latency_ms: null },
    });
    // No generation: no model_slug and no counts; no feedback: no feedback key.
    expect(m.r2?.message?.metadata).toEqual({ branchat: { chat_id: 'R' } });
    expect(m.b2?.message?.metadata).toEqual({
      branchat: {
        chat_id: 'B',
        feedback: { rating: 'down', comment: null, updated_at: new Date(T0 + 9001).toISOString() },
      },
    });
    expect(m['q-r2']?.message?.metadata).toEqual({ branchat: { chat_id: 'R', type: 'code', language: 'python' } });
    expect(m['q-r3']?.message?.metadata).toEqual({
      branchat: { chat_id: 'R', type: 'link', url: 'https://example.org/guide' },
    });
    expect(m['q-c1']?.message?.metadata).toEqual({ branchat: { chat_id: 'C', type: 'text' } });
  });

  test('conversation fields: times, ids, current_node, default_model_slug and the chat list', () => {
    const conv = toChatGpt(sample());
    expect(conv.title).toBe('Trip');
    expect(conv.create_time).toBe(1764090184.123);
    expect(conv.update_time).toBe(1764090191.123); // E's updatedAt, the latest time of the tree
    expect(conv.id).toBe('R');
    expect(conv.conversation_id).toBe('R');
    expect(conv.current_node).toBe('c1');
    expect(conv.default_model_slug).toBe('gpt-y'); // the most recent generated answer
    expect(conv.branchat.version).toBe(1);
    expect(conv.branchat.active_chat_id).toBe('C');
    expect(conv.branchat.chats).toEqual([
      {
        chat_id: 'R',
        name: 'Trip',
        parent_chat_id: null,
        fork_response_id: null,
        created_at: '2025-11-25T17:03:04.123Z',
        updated_at: '2025-11-25T17:03:07.123Z',
      },
      {
        chat_id: 'B',
        name: 'Trip (B)',
        parent_chat_id: 'R',
        fork_response_id: 'r1',
        created_at: '2025-11-25T17:03:08.123Z',
        updated_at: '2025-11-25T17:03:08.125Z',
      },
      {
        chat_id: 'C',
        name: 'Trip (C) 🙂',
        parent_chat_id: 'B',
        fork_response_id: 'b1',
        created_at: '2025-11-25T17:03:09.123Z',
        updated_at: '2025-11-25T17:03:09.124Z',
      },
      {
        chat_id: 'D',
        name: 'Trip (D)',
        parent_chat_id: 'R',
        fork_response_id: 'r1',
        created_at: '2025-11-25T17:03:10.123Z',
        updated_at: '2025-11-25T17:03:10.123Z',
      },
      {
        chat_id: 'E',
        name: 'Trip (E)',
        parent_chat_id: 'R',
        fork_response_id: 'r2',
        created_at: '2025-11-25T17:03:11.123Z',
        updated_at: '2025-11-25T17:03:11.123Z',
      },
    ]);
    const bare = { ...sample(), activeChatId: 'R', chats: [chat('R', null, 'Trip', T0, [])] };
    expect('default_model_slug' in toChatGpt(bare)).toBe(false);
  });

  test('current_node: the active chat’s last answer, else its fork pair’s, else the system or root node', () => {
    expect(toChatGpt(sample('R')).current_node).toBe('r3');
    expect(toChatGpt(sample('B')).current_node).toBe('b2');
    expect(toChatGpt(sample('E')).current_node).toBe('r2'); // empty branch: its fork pair
    expect(toChatGpt(sample('D')).current_node).toBe('r1');
    const empty = (systemPrompt: string | null) => ({
      title: 'Empty',
      systemPrompt,
      activeChatId: 'R',
      chats: [chat('R', null, 'Empty', T0, [])],
    });
    expect(toChatGpt(empty('Hi')).current_node).toBe('system-R');
    expect(toChatGpt(empty(null)).current_node).toBe(ROOT_NODE_ID);
    expect(Object.keys(toChatGpt(empty(null)).mapping)).toEqual([ROOT_NODE_ID]);
  });

  test('a snapshot that is not a tree is a programming error: it throws', () => {
    const s = sample();
    const broken = { ...s, chats: s.chats.map((c) => (c.chatId === 'C' ? { ...c, forkResponseId: 'r1' } : c)) };
    expect(() => toChatGpt(broken)).toThrow('does not fork after a pair of its parent');
    expect(() => toChatGpt({ ...s, activeChatId: 'nope' })).toThrow('active chat');
    const clash = { ...s, chats: [chat('R', null, 'x', T0, [pair('a', 'q', 'r', T0), pair('a', 'q', 'r', T0)])] };
    expect(() => toChatGpt({ ...clash, activeChatId: 'R' })).toThrow('two nodes');
  });
});
