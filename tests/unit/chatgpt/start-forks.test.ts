/**
 * Start forks (branches of the root that fork before its first pair) in the ChatGPT format: where the export puts
 * them (more children of the root's start), the round trip (empty ones, ones with branches, an empty root), real
 * exports with several first questions or first answers, and the extension's rules for them.
 */
import { describe, expect, test } from 'bun:test';
import { fromChatGpt, ROOT_NODE_ID, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import {
  a,
  chat,
  conversation,
  errorsOf,
  expectOk,
  expectRoundTrip,
  histories,
  message,
  only,
  pair,
  pathsOf,
  type RawConversation,
  ROOT,
  shape,
  startForks,
  strip,
  T0,
  u,
} from './helpers.js';

describe('toChatGpt: start forks', () => {
  test('a start fork’s first question is another child of the root’s start, in chat order; its branches as usual', () => {
    const m = toChatGpt(startForks()).mapping;
    expect(m[ROOT_NODE_ID]?.children).toEqual(['system-R']);
    // The root's first question, then S1's and S3's (S2 is empty: no node).
    expect(m['system-R']?.children).toEqual(['q-r1', 'q-s1', 'q-s3']);
    expect(m['q-s1']?.parent).toBe('system-R');
    expect(m.s1?.children).toEqual(['q-s2', 'q-x1']);
    expect(m['q-s1']?.message?.metadata).toEqual({ branchat: { chat_id: 'S1', type: 'text' } });
    // Without a system prompt: children of the root node itself.
    expect(toChatGpt(startForks('X', null)).mapping[ROOT_NODE_ID]?.children).toEqual(['q-r1', 'q-s1', 'q-s3']);
  });

  test('the extension lists a start fork with its parent (the root) and fork_response_id null', () => {
    const listed = toChatGpt(startForks()).branchat.chats.map((c) => [c.chat_id, c.parent_chat_id, c.fork_response_id]);
    expect(listed).toEqual([
      ['R', null, null],
      ['B', 'R', 'r1'],
      ['S1', 'R', null],
      ['X', 'S1', 's1'],
      ['S2', 'R', null],
      ['S3', 'R', null],
    ]);
  });

  test('current_node: an active empty start fork has no message of its own: the system or root node', () => {
    expect(toChatGpt(startForks('S2')).current_node).toBe('system-R');
    expect(toChatGpt(startForks('S2', null)).current_node).toBe(ROOT_NODE_ID);
    expect(toChatGpt(startForks('S3')).current_node).toBe('s3');
  });

  test('a start fork whose parent is not the root is not a tree: it throws', () => {
    const s = startForks();
    const broken = { ...s, chats: s.chats.map((c) => (c.chatId === 'X' ? { ...c, forkResponseId: null } : c)) };
    expect(() => toChatGpt(broken)).toThrow('is not the root');
  });
});

describe('round trip with start forks: fromChatGpt(toChatGpt(s)) = s', () => {
  const emptyRoot: TreeSnapshot = {
    title: 'Blank',
    systemPrompt: null,
    activeChatId: 'S',
    chats: [
      chat('R', null, 'Blank', T0, []),
      chat('S', ['R', null], 'Asked again', T0 + 10, [pair('s1', 'Hi', 'Hello', T0 + 11)]),
      chat('T', ['S', 's1'], 'Below', T0 + 20, [pair('t1', 'More', 'Sure', T0 + 21)]),
    ],
  };
  const cases: [string, TreeSnapshot][] = [
    ['start forks with pairs, an empty one, one with a branch (active)', startForks()],
    ['the same without a system prompt, the root active', startForks('R', null)],
    ['an empty start fork active', startForks('S2')],
    ['a start fork active', startForks('S3', null)],
    ['an empty root with a start fork and a branch of it', emptyRoot],
    [
      'an empty root, only empty start forks',
      {
        ...emptyRoot,
        activeChatId: 'R',
        chats: [
          chat('R', null, 'Blank', T0, []),
          chat('S', ['R', null], 'One', T0, []),
          chat('S2', ['R', null], 'Two', T0 + 1, []),
        ],
      },
    ],
  ];
  for (const [name, s] of cases) test(name, () => expectRoundTrip(s));

  test('without the extension: the same histories (start forks keep their first question at the start)', () => {
    const s = { ...startForks('R'), chats: startForks().chats.filter((c) => c.pairs.length > 0) };
    const back = only(fromChatGpt(strip(toChatGpt(s))));
    expect(histories(back)).toEqual(histories(s));
    expect(shape(back).chats.map((c) => c.slice(0, 3))).toEqual([
      ['R', null, null],
      ['q-b1', 'R', 'r1'],
      ['q-s1', 'R', null],
      ['q-x1', 'q-s1', 's1'],
      ['q-s3', 'R', null],
    ]);
  });

  test('message metadata without the top-level extension: the start forks keep their chat ids', () => {
    const { branchat: _ext, ...partial } = toChatGpt(startForks('X'));
    const back = only(fromChatGpt(partial));
    expect(back.chats.map((c) => [c.chatId, c.parentChatId, c.forkResponseId])).toEqual([
      ['R', null, null],
      ['B', 'R', 'r1'],
      ['S1', 'R', null],
      ['X', 'S1', 's1'],
      ['S3', 'R', null],
    ]);
    expect(back.activeChatId).toBe('X');
  });
});

describe('fromChatGpt: several first questions or first answers (real exports) become start forks', () => {
  // Below a hidden system node, as real exports have it: two versions of the first question, three answers to the
  // first, and a branch below the edited one.
  const specs = [
    ROOT,
    { id: 's0', parent: 'root', role: 'system', text: '', metadata: { is_visually_hidden_from_conversation: true } },
    u('u1', 's0', 'q1', 10),
    a('a1', 'u1', 'one', 11),
    a('a1b', 'u1', 'two', 12),
    a('a1c', 'u1', 'three', 13),
    u('u1x', 's0', 'q1 edited', 20),
    a('a1x', 'u1x', 'edited answer', 21),
    u('u2x', 'a1x', 'q2', 22),
    a('a2x', 'u2x', 'a2', 23),
    u('u2y', 'a1x', 'q2 other', 30),
    a('a2y', 'u2y', 'a2 other', 31),
  ];

  test('the current path stays in the root; every other first question and first answer is a start fork', () => {
    const r = expectOk(fromChatGpt(conversation(specs, { current_node: 'a1b' })));
    expect(r.notes).toEqual([]);
    expect(shape(r.snapshots[0] as TreeSnapshot)).toEqual({
      chats: [
        ['conv', null, null, 'q1 → two'],
        ['a1', 'conv', null, 'q1 → one'],
        ['a1c', 'conv', null, 'q1 → three'],
        ['u1x', 'conv', null, 'q1 edited → edited answer', 'q2 → a2'],
        ['u2y', 'u1x', 'a1x', 'q2 other → a2 other'],
      ],
      active: 'conv',
    });
  });

  test('current_node in the edited version: that one is the root, the original and its answers start forks', () => {
    const s = only(fromChatGpt(conversation(specs, { current_node: 'a2y' })));
    expect(shape(s)).toEqual({
      chats: [
        ['conv', null, null, 'q1 edited → edited answer', 'q2 other → a2 other'],
        ['u1', 'conv', null, 'q1 → one'],
        ['a1b', 'conv', null, 'q1 → two'],
        ['a1c', 'conv', null, 'q1 → three'],
        ['u2x', 'conv', 'a1x', 'q2 → a2'],
      ],
      active: 'conv',
    });
    // Without current_node: the first of them is the root.
    const none = only(fromChatGpt(conversation(specs, { current_node: null })));
    expect(none.chats[0]?.pairs.map((p) => p.question)).toEqual(['q1']);
    expect(none.chats.filter((c) => c.parentChatId !== null && c.forkResponseId === null)).toHaveLength(3);
  });

  test('a start fork imported without the extension survives its own round trip', () => {
    const s = only(fromChatGpt(conversation(specs, { current_node: 'a2x' })));
    expectRoundTrip(s);
  });
});

describe('fromChatGpt: the extension and start forks', () => {
  const exported = () => JSON.parse(JSON.stringify(toChatGpt(startForks()))) as RawConversation;
  const ext = (c: RawConversation) =>
    c.branchat as { version: unknown; active_chat_id: unknown; chats: Record<string, unknown>[] };
  const listed = (c: RawConversation, id: string) =>
    ext(c).chats.find((x) => x.chat_id === id) as Record<string, unknown>;

  test('a start fork must hang under the root; the root has no fork pair', () => {
    const c = exported();
    listed(c, 'S2').parent_chat_id = 'S1';
    listed(c, 'R').fork_response_id = 'r1';
    expect(errorsOf(c)).toEqual([
      { path: 'branchat.chats[0].fork_response_id', message: 'must be null when parent_chat_id is null' },
      {
        path: 'branchat.chats[4].parent_chat_id',
        message: 'names "S1", but a start fork (fork_response_id null) hangs under the root "R"',
      },
    ]);
  });

  test('the extension disagreeing with the messages about a start fork', () => {
    // Listed as a start fork, but its first question follows r1.
    const moved = exported();
    listed(moved, 'B').fork_response_id = null;
    expect(errorsOf(moved)).toEqual([
      { path: 'branchat.chats[1].fork_response_id', message: 'is null, but the messages make it "r1"' },
    ]);
    // Listed after r1, but its first question is at the start.
    const started = exported();
    listed(started, 'S3').fork_response_id = 'r1';
    expect(pathsOf(started)).toEqual(['branchat.chats[5].fork_response_id']);
    // An empty chat listed as a start fork of a chat that is not the root: reported by readExtension above; one
    // whose parent is unlisted too.
    const ghost = exported();
    listed(ghost, 'S2').parent_chat_id = 'ghost';
    expect(pathsOf(ghost)).toEqual(['branchat.chats[4].parent_chat_id']);
  });

  test('two first questions carrying the root’s chat id', () => {
    const c = exported();
    message(c, 'q-s3').metadata = { branchat: { chat_id: 'R', type: 'text' } };
    expect(errorsOf(c)).toContainEqual({
      path: 'mapping.q-s3.message.metadata.branchat.chat_id',
      message: 'starts chat "R", which already starts with "q-r1"',
    });
  });

  test('an extension naming a root whose first question the messages do not have: an empty root', () => {
    // Every first question carries its chat id and none is the root's: the root is empty, the others start forks.
    const s = startForks('S1');
    const noRootPairs = {
      ...s,
      chats: [{ ...(s.chats[0] as TreeSnapshot['chats'][number]), pairs: [] }, ...s.chats.slice(2)],
    };
    const back = only(fromChatGpt(toChatGpt(noRootPairs)));
    expect(back).toEqual(noRootPairs);
    expect(back.chats[0]?.pairs).toEqual([]);
  });
});
