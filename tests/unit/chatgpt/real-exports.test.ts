/**
 * Import rules for real exports (1 of 2): transparent nodes, question texts, unanswered questions, edits,
 * regenerations, the first question, the system prompt.
 */
import { describe, expect, test } from 'bun:test';
import { fromChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import { a, at, conversation, expectOk, only, ROOT, shape, u } from './helpers.js';

describe('fromChatGpt: real-export rules', () => {
  test('message-less, system, tool and hidden nodes are transparent; consecutive answers merge with a blank line', () => {
    const conv = conversation([
      ROOT,
      { id: 'sys', parent: 'root', role: 'system', text: '', metadata: { is_visually_hidden_from_conversation: true } },
      u('u1', 'sys', 'Hello'),
      {
        id: 'hid',
        parent: 'u1',
        role: 'user',
        text: 'secret context',
        metadata: { is_visually_hidden_from_conversation: true },
      },
      a('a1', 'hid', 'Let me look.'),
      { id: 'empty', parent: 'a1', role: 'assistant', text: '' }, // an empty answer adds nothing to the merge
      { id: 'tool', parent: 'empty', role: 'tool', content: { content_type: 'tether_browsing_display', result: 'x' } },
      { id: 'think', parent: 'tool', role: 'assistant', content: { content_type: 'thoughts', thoughts: [] } },
      {
        id: 'code',
        parent: 'think',
        role: 'assistant',
        content: { content_type: 'code', language: 'python', text: 'print(1)' },
      },
      { id: 'blank', parent: 'code', role: 'tool', text: 'ran' },
      a('a2', 'blank', 'Found it.'),
    ]);
    const s = only(fromChatGpt(conv));
    expect(shape(s)).toEqual({
      chats: [['conv', null, null, 'Hello → Let me look.\n\nprint(1)\n\nFound it.']],
      active: 'conv',
    });
    expect(s.chats[0]?.pairs[0]?.responseId).toBe('a2');
    expect(s.systemPrompt).toBeNull();
  });

  test('question texts: parts joined, attachments named, empty → "[empty message]", other kinds omitted', () => {
    const conv = conversation([
      ROOT,
      u('u1', 'root', ''),
      a('a1', 'u1', 'ok'),
      {
        id: 'u2',
        parent: 'a1',
        role: 'user',
        content: {
          content_type: 'multimodal_text',
          parts: [{ content_type: 'image_asset_pointer', asset_pointer: 'file-service://f' }, '', { width: 3 }, 'Look'],
        },
      },
      a('a2', 'u2', 'nice'),
      { id: 'u3', parent: 'a2', role: 'user', content: { content_type: 'text', parts: ['one', 'two'] } },
      a('a3', 'u3', 'ok'),
      { id: 'u4', parent: 'a3', role: 'user', content: { content_type: 'user_editable_context', user_profile: 'x' } },
      a('a4', 'u4', 'noted'),
    ]);
    expect(shape(only(fromChatGpt(conv))).chats[0]?.slice(3)).toEqual([
      '[empty message] → ok',
      '[image_asset_pointer omitted]\n[attachment omitted]\nLook → nice',
      'one\ntwo → ok',
      '[user_editable_context omitted] → noted',
    ]);
  });

  test('unanswered questions: a question followed by a question, and a last question, get an empty answer', () => {
    const conv = conversation([
      ROOT,
      u('u1', 'root', 'first'),
      u('u2', 'u1', 'second'),
      a('a2', 'u2', 'ans'),
      u('u3', 'a2', 'last'),
    ]);
    const s = only(fromChatGpt(conv));
    expect(shape(s).chats).toEqual([['conv', null, null, 'first → ', 'second → ans', 'last → ']]);
    expect(s.chats[0]?.pairs.map((p) => p.responseId)).toEqual(['u1', 'a2', 'u3']);
    expect(s.chats[0]?.pairs[0]?.generation).toBeNull();
  });

  test('an edit (an answer with several questions after it): the current path continues, the others branch', () => {
    const specs = [
      ROOT,
      u('u1', 'root', 'q1', 10),
      a('a1', 'u1', 'a1', 11),
      u('u2', 'a1', 'q2', 20),
      a('a2', 'u2', 'a2', 21),
      u('u2x', 'a1', 'q2 edited', 30),
      a('a2x', 'u2x', 'a2x', 31),
      u('u2y', 'a1', 'q2 again', 40),
    ];
    const onEdit = only(fromChatGpt(conversation(specs, { current_node: 'a2x' })));
    expect(shape(onEdit)).toEqual({
      chats: [
        ['conv', null, null, 'q1 → a1', 'q2 edited → a2x'],
        ['u2', 'conv', 'a1', 'q2 → a2'],
        ['u2y', 'conv', 'a1', 'q2 again → '],
      ],
      active: 'conv',
    });
    // Without current_node: the first question continues; the root is active.
    const first = only(fromChatGpt(conversation(specs, { current_node: null })));
    expect(shape(first).chats.map((c) => c[0])).toEqual(['conv', 'u2x', 'u2y']);
    expect(shape(first).chats[0]).toEqual(['conv', null, null, 'q1 → a1', 'q2 → a2']);
  });

  test('a regeneration (a question with several answers): a branch after the previous pair repeating the question', () => {
    const specs = [
      ROOT,
      u('u1', 'root', 'q1', 10),
      a('a1', 'u1', 'a1', 11),
      u('u2', 'a1', 'q2', 20),
      a('a2', 'u2', 'first answer', 21),
      u('u3', 'a2', 'q3', 22),
      a('a3', 'u3', 'a3', 23),
      a('a2r', 'u2', 'second answer', 30),
      u('u3r', 'a2r', 'q3 after the second', 31),
    ];
    const s = only(fromChatGpt(conversation(specs, { current_node: 'a3' })));
    expect(shape(s)).toEqual({
      chats: [
        ['conv', null, null, 'q1 → a1', 'q2 → first answer', 'q3 → a3'],
        ['a2r', 'conv', 'a1', 'q2 → second answer', 'q3 after the second → '],
      ],
      active: 'conv',
    });
    expect(s.chats[1]?.createdAt).toEqual(at(30_000)); // its first pair's time
    // current_node below the second answer: that one stays in the root (the chat holding current_node).
    const onSecond = only(fromChatGpt(conversation(specs, { current_node: 'u3r' })));
    expect(shape(onSecond)).toEqual({
      chats: [
        ['conv', null, null, 'q1 → a1', 'q2 → second answer', 'q3 after the second → '],
        ['a2', 'conv', 'a1', 'q2 → first answer', 'q3 → a3'],
      ],
      active: 'conv',
    });
  });

  test('the first question forks: its other answers and other versions become start forks (see start-forks.test.ts)', () => {
    const specs = [
      ROOT,
      u('u1', 'root', 'q1'),
      a('a1', 'u1', 'one'),
      a('a1b', 'u1', 'two'),
      a('a1c', 'u1', 'three'),
      u('u1x', 'root', 'q1 edited'),
      a('a1x', 'u1x', 'edited answer'),
    ];
    const r = expectOk(fromChatGpt(conversation(specs, { current_node: 'a1b', title: 'Zoo' })));
    expect(shape(r.snapshots[0] as TreeSnapshot)).toEqual({
      chats: [
        ['conv', null, null, 'q1 → two'],
        ['u1x', 'conv', null, 'q1 edited → edited answer'],
        ['a1', 'conv', null, 'q1 → one'],
        ['a1c', 'conv', null, 'q1 → three'],
      ],
      active: 'conv',
    });
    expect(r.notes).toEqual([]);
    // current_node on the edited first question: that version is the root.
    const edited = only(fromChatGpt(conversation(specs, { current_node: 'a1x', title: 'Zoo' })));
    expect(shape(edited).chats).toEqual([
      ['conv', null, null, 'q1 edited → edited answer'],
      ['u1', 'conv', null, 'q1 → one'],
      ['a1b', 'conv', null, 'q1 → two'],
      ['a1c', 'conv', null, 'q1 → three'],
    ]);
  });

  test('the system prompt: the first non-empty system message on the current path, else the first found', () => {
    const specs = [
      ROOT,
      { id: 's0', parent: 'root', role: 'system', text: '', metadata: { is_visually_hidden_from_conversation: true } },
      { id: 's1', parent: 's0', role: 'system', text: 'Prompt one' },
      u('u1', 's1', 'q'),
      a('a1', 'u1', 'r'),
      { id: 's2', parent: 'root', role: 'system', text: 'Prompt two' },
    ];
    expect(only(fromChatGpt(conversation(specs, { current_node: 'a1' }))).systemPrompt).toBe('Prompt one');
    expect(only(fromChatGpt(conversation(specs, { current_node: 's2' }))).systemPrompt).toBe('Prompt two');
    expect(only(fromChatGpt(conversation(specs, { current_node: null }))).systemPrompt).toBe('Prompt one');
    expect(only(fromChatGpt(conversation(specs.slice(0, 2), { current_node: null }))).systemPrompt).toBeNull();
  });
});
