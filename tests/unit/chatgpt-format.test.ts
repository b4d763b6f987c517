/**
 * The ChatGPT export format as pure functions: toChatGpt's shape, the round trip fromChatGpt(toChatGpt(s)) = s
 * (hand-built trees and random ones, fast-check), the hand-written fixture of a real export, the import rules
 * for real exports (edits, regenerations, transparent nodes, …) and every kind of malformed input.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type Generation,
  NAME_MAX,
  QUESTION_MAX,
  RESPONSE_MAX,
  SYSTEM_PROMPT_MAX,
  storableText,
} from '../../src/domain/model.js';
import {
  type ChatGptConversation,
  fromChatGpt,
  MAX_ISSUES,
  MAX_MESSAGES,
  type ParseResult,
  ROOT_NODE_ID,
  toChatGpt,
} from '../../src/domain/transfer/chatgpt.js';
import type { SnapshotChat, SnapshotPair, TreeSnapshot } from '../../src/domain/transfer/snapshot.js';

// ---- helpers -----------------------------------------------------------------------------------------------

const at = (ms: number) => new Date(ms);
const T0 = 1_764_090_184_123; // 2025-11-25T17:03:04.123Z

function pair(responseId: string, question: string, response: string, ms: number, extra: Partial<SnapshotPair> = {}) {
  return {
    responseId,
    question,
    response,
    timestamp: at(ms),
    type: 'text',
    language: null,
    url: null,
    generation: null,
    ...extra,
  } satisfies SnapshotPair;
}

function chat(chatId: string, parent: [string, string] | null, name: string, ms: number, pairs: SnapshotPair[]) {
  return {
    chatId,
    parentChatId: parent?.[0] ?? null,
    forkResponseId: parent?.[1] ?? null,
    name,
    createdAt: at(ms),
    updatedAt: at(pairs.at(-1)?.timestamp.getTime() ?? ms),
    pairs,
  } satisfies SnapshotChat;
}

const gen = (model: string, promptTokens: number | null, completionTokens: number | null, latencyMs: number | null) =>
  ({ model, promptTokens, completionTokens, latencyMs }) satisfies Generation;

/**
 * R: r1 (generated), r2 (code), r3 (link)
 * ├─ B after r1: b1, b2
 * │  └─ C after b1: c1          (inherits r1 and b1)
 * ├─ D after r1: (empty)
 * └─ E after r2: (empty)
 */
function sample(activeChatId = 'C', systemPrompt: string | null = 'Be brief.'): TreeSnapshot {
  return {
    title: 'Trip',
    systemPrompt,
    activeChatId,
    chats: [
      chat('R', null, 'Trip', T0, [
        pair('r1', 'Where in March?', 'Lisbon.', T0 + 1000, { generation: gen('gpt-x', 10, 20, 300) }),
        pair('r2', 'Show me code', 'print(1)', T0 + 2000, { type: 'code', language: 'python' }),
        pair('r3', 'A guide?', 'This one.', T0 + 3000, { type: 'link', url: 'https://example.org/guide' }),
      ]),
      chat('B', ['R', 'r1'], 'Trip (B)', T0 + 4000, [
        pair('b1', 'What about May?', 'Porto.', T0 + 4001, { generation: gen('gpt-y', null, 5, null) }),
        pair('b2', 'And June?', '', T0 + 4002),
      ]),
      chat('C', ['B', 'b1'], 'Trip (C) 🙂', T0 + 5000, [pair('c1', 'Cheaper?', 'Braga.', T0 + 5001)]),
      chat('D', ['R', 'r1'], 'Trip (D)', T0 + 6000, []),
      chat('E', ['R', 'r2'], 'Trip (E)', T0 + 7000, []),
    ],
  };
}

function expectOk(r: ParseResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors, null, 2)}`);
  return r;
}

function only(r: ParseResult): TreeSnapshot {
  const ok = expectOk(r);
  expect(ok.snapshots).toHaveLength(1);
  return ok.snapshots[0] as TreeSnapshot;
}

function errorsOf(input: unknown) {
  const r = fromChatGpt(input);
  if (r.ok) throw new Error('expected errors, got a snapshot');
  return r.errors;
}

const pathsOf = (input: unknown) => errorsOf(input).map((e) => e.path);

/** fromChatGpt(toChatGpt(s)) = s, directly and after JSON (the export goes over the wire). */
function expectRoundTrip(s: TreeSnapshot) {
  const expected: ParseResult = { ok: true, snapshots: [s], notes: [] };
  const exported = toChatGpt(s);
  expect(fromChatGpt(exported)).toEqual(expected);
  expect(fromChatGpt(JSON.parse(JSON.stringify(exported)))).toEqual(expected);
}

/** A copy without any `branchat` key: what a plain ChatGPT reader keeps. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'branchat')
        .map(([k, x]) => [k, strip(x)]),
    );
  }
  return v;
}

/** Every chat's whole visible history (inherited pairs, then its own) as [question, response, ms, model]. */
function histories(s: TreeSnapshot) {
  const byId = new Map(s.chats.map((c) => [c.chatId, c]));
  const historyOf = (c: SnapshotChat): SnapshotPair[] => {
    const parent = c.parentChatId === null ? undefined : byId.get(c.parentChatId);
    if (!parent) return c.pairs;
    const inherited = historyOf(parent);
    const cut = inherited.findIndex((p) => p.responseId === c.forkResponseId);
    return [...inherited.slice(0, cut + 1), ...c.pairs];
  };
  const row = (p: SnapshotPair) => [p.question, p.response, p.timestamp.getTime(), p.generation?.model ?? null];
  const all = s.chats.map((c) => JSON.stringify(historyOf(c).map(row)));
  return { all: [...all].sort(), active: all[s.chats.findIndex((c) => c.chatId === s.activeChatId)] };
}

// Hand-made conversations in the raw shape (the fields a reader looks at, loosely typed for breaking them).
interface RawMessage {
  id: string;
  author: Record<string, unknown>;
  create_time: unknown;
  update_time: null;
  content: Record<string, unknown>;
  status: string;
  end_turn: boolean | null;
  weight: number;
  metadata: Record<string, unknown>;
  recipient: string;
}
interface RawNode {
  id: unknown;
  parent: unknown;
  children: unknown;
  message: RawMessage | null;
}
interface RawConversation {
  mapping: Record<string, RawNode>;
  [key: string]: unknown;
}

interface Spec {
  id: string;
  parent: string | null;
  role?: string;
  text?: string;
  time?: number | null;
  content?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

const ROOT: Spec = { id: 'root', parent: null };
const u = (id: string, parent: string, text: string, time: number | null = null): Spec => ({
  id,
  parent,
  role: 'user',
  text,
  time,
});
const a = (id: string, parent: string, text: string, time: number | null = null): Spec => ({
  id,
  parent,
  role: 'assistant',
  text,
  time,
  metadata: { model_slug: 'gpt-4o' },
});

/** A conversation from node specs (children in list order); current_node defaults to the last node. */
function conversation(specs: Spec[], top: Record<string, unknown> = {}): RawConversation {
  const mapping: Record<string, RawNode> = {};
  for (const s of specs) {
    mapping[s.id] = {
      id: s.id,
      parent: s.parent,
      children: [],
      message: s.role
        ? {
            id: s.id,
            author: { role: s.role, name: null, metadata: {} },
            create_time: s.time ?? null,
            update_time: null,
            content: s.content ?? { content_type: 'text', parts: [s.text ?? ''] },
            status: 'finished_successfully',
            end_turn: s.role === 'assistant' ? true : null,
            weight: 1,
            metadata: s.metadata ?? {},
            recipient: 'all',
          }
        : null,
    };
  }
  for (const s of specs)
    if (s.parent !== null)
      (mapping[s.parent] as RawNode).children = [...((mapping[s.parent] as RawNode).children as string[]), s.id];
  return {
    title: 'Talk',
    create_time: 1_700_000_000.5,
    mapping,
    current_node: specs.at(-1)?.id ?? null,
    id: 'conv',
    ...top,
  };
}

/** A compact view: each chat as [id, parent, fork, 'question → response', …]; the active chat id last. */
function shape(s: TreeSnapshot) {
  return {
    chats: s.chats.map((c) => [
      c.chatId,
      c.parentChatId,
      c.forkResponseId,
      ...c.pairs.map((p) => `${p.question} → ${p.response}`),
    ]),
    active: s.activeChatId,
  };
}

const message = (conv: RawConversation, id: string) => conv.mapping[id]?.message as RawMessage;

// ---- export ------------------------------------------------------------------------------------------------

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
      branchat: { chat_id: 'R', prompt_tokens: 10, completion_tokens: 20, latency_ms: 300 },
    });
    expect(m.b1?.message?.metadata).toEqual({
      model_slug: 'gpt-y',
      branchat: { chat_id: 'B', prompt_tokens: null, completion_tokens: 5, latency_ms: null },
    });
    // No generation: no model_slug and no counts.
    expect(m.r2?.message?.metadata).toEqual({ branchat: { chat_id: 'R' } });
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

// ---- round trip --------------------------------------------------------------------------------------------

describe('round trip: fromChatGpt(toChatGpt(s)) = s', () => {
  const rootOnly: TreeSnapshot = {
    title: 'Solo',
    systemPrompt: null,
    activeChatId: 'R',
    chats: [chat('R', null, 'Solo', T0, [pair('p1', 'Hi', 'Hello', T0 + 1), pair('p2', 'Bye', 'See you', T0 + 2)])],
  };
  const cases: [string, TreeSnapshot][] = [
    ['root only', rootOnly],
    ['an empty root, no system prompt', { ...rootOnly, chats: [chat('R', null, 'Solo', T0, [])] }],
    [
      'an empty root with a system prompt',
      { ...rootOnly, systemPrompt: 'Sys', chats: [chat('R', null, 'Solo', T0, [])] },
    ],
    ['branches off inherited pairs, empty branches, an active branch of a branch', sample('C')],
    ['an empty active branch', sample('E')],
    ['the root active, no system prompt', sample('R', null)],
    [
      'a branch at the root’s last pair (its continuation is only the extension’s to say)',
      {
        ...rootOnly,
        activeChatId: 'B',
        chats: [...rootOnly.chats, chat('B', ['R', 'p2'], 'After', T0 + 9, [pair('b1', 'More?', 'Yes', T0 + 10)])],
      },
    ],
    [
      'a question of whitespace, an empty answer, unicode everywhere',
      {
        title: 'Ünïcödé 👩‍💻',
        systemPrompt: '  \n',
        activeChatId: 'R',
        chats: [
          chat('R', null, 'Ünïcödé 👩‍💻', T0, [
            pair('p', ' ', '', T0 + 1),
            pair('q', '中文 🙂\u200d', '"\\\n', T0 + 2),
          ]),
        ],
      },
    ],
  ];
  for (const [name, s] of cases) test(name, () => expectRoundTrip(s));

  // Random trees: chats in creation order (so every chat comes after its parent, siblings oldest first),
  // each branch forking after an own pair of an earlier chat that has one.
  const unit = fc.oneof(
    fc.constantFrom('a', 'Z', ' ', '\n', '\t', 'é', 'ß', '中', '🙂', '👩‍💻', '"', '\\', '\u200d', '[', ']'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  );
  const text = (minLength: number, maxLength: number) =>
    fc.string({ unit, minLength, maxLength }).filter((s) => storableText(s) && s.length <= NAME_MAX);
  const kind = fc.oneof(
    fc.constant({ type: 'text' as const, language: null, url: null }),
    fc
      .stringMatching(/^[A-Za-z0-9][A-Za-z0-9_+#.-]{0,31}$/)
      .map((language) => ({ type: 'code' as const, language, url: null })),
    fc
      .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.stringMatching(/^[a-z0-9/_-]{0,12}$/))
      .map(([scheme, host, path]) => ({ type: 'link' as const, language: null, url: `${scheme}://${host}/${path}` })),
  );
  const count = fc.option(fc.nat({ max: 1_000_000 }), { nil: null });
  const generation = fc.option(
    fc.record({ model: text(1, 12), promptTokens: count, completionTokens: count, latencyMs: count }),
    { nil: null },
  );
  const step = fc.nat({ max: 10_000_000 }); // ms between two chats' creation (0: the same ms)
  const pairContent = fc.record({ question: text(1, 16), response: text(0, 16), kind, generation, delta: step });
  const chatContent = fc.record({
    name: text(1, 24),
    pairs: fc.array(pairContent, { maxLength: 4 }),
    delta: step,
    updatedDelta: step,
    parent: fc.nat(),
    fork: fc.nat(),
  });

  type ChatSpec = typeof chatContent extends fc.Arbitrary<infer C> ? C : never;

  function buildTree(
    start: Date,
    specs: ChatSpec[],
    active: number,
    systemPrompt: string | null,
    opts: { forkBeforeLast?: boolean } = {},
  ): TreeSnapshot {
    const chats: SnapshotChat[] = [];
    let time = start.getTime();
    specs.forEach((spec, i) => {
      time += spec.delta;
      let parent: [string, string] | null = null;
      if (i > 0) {
        // forkBeforeLast: only pairs the parent continues after (what plain ChatGPT data can tell apart).
        const minPairs = opts.forkBeforeLast ? 2 : 1;
        const candidates = chats.filter((c) => c.pairs.length >= minPairs);
        const p = candidates[spec.parent % candidates.length];
        if (!p) return;
        const fork = p.pairs[spec.fork % (p.pairs.length - minPairs + 1)] as SnapshotPair;
        parent = [p.chatId, fork.responseId];
      }
      const id = `chat-${i}`;
      let t = time;
      const pairs = spec.pairs.map((c, k) => {
        t += c.delta;
        return {
          responseId: `resp-${i}-${k}`,
          question: c.question,
          response: c.response,
          timestamp: at(t),
          ...c.kind,
          generation: c.generation,
        };
      });
      chats.push({
        chatId: id,
        parentChatId: parent?.[0] ?? null,
        forkResponseId: parent?.[1] ?? null,
        name: spec.name,
        createdAt: at(time),
        updatedAt: at(t + spec.updatedDelta),
        pairs,
      });
    });
    const root = chats[0] as SnapshotChat;
    return {
      title: root.name,
      systemPrompt,
      activeChatId: (chats[active % chats.length] as SnapshotChat).chatId,
      chats,
    };
  }

  // Inside the stored-time window (1970 … now + 1 day; the tree's own steps add at most a few days).
  const start = fc.date({
    min: new Date('1990-01-01T00:00:00Z'),
    max: new Date('2025-01-01T00:00:00Z'),
    noInvalidDate: true,
  });
  const systemPrompt = fc.option(text(1, 30), { nil: null });

  test('random trees (property): the same snapshot back, directly and through JSON', () => {
    fc.assert(
      fc.property(
        start,
        fc.array(chatContent, { minLength: 1, maxLength: 7 }),
        fc.nat(),
        systemPrompt,
        (t, specs, active, sp) => {
          expectRoundTrip(buildTree(t, specs, active, sp));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('random trees without the extension (property): the same histories, active history and system prompt', () => {
    const nonEmpty = chatContent.filter((c) => c.pairs.length >= 1);
    fc.assert(
      fc.property(
        start,
        fc.array(nonEmpty, { minLength: 1, maxLength: 7 }),
        fc.nat(),
        systemPrompt,
        (t, specs, active, sp) => {
          const s = buildTree(t, specs, active, sp, { forkBeforeLast: true });
          const back = only(fromChatGpt(strip(JSON.parse(JSON.stringify(toChatGpt(s))))));
          expect(back.chats).toHaveLength(s.chats.length);
          expect(histories(back)).toEqual(histories(s));
          expect(back.systemPrompt).toBe(s.systemPrompt);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- the fixture -------------------------------------------------------------------------------------------

describe('the hand-written ChatGPT fixture', () => {
  const fixture = () =>
    JSON.parse(readFileSync(join(import.meta.dir, '..', 'fixtures', 'chatgpt-conversation.json'), 'utf8'));
  const CONV = '6744528c-1f3e-800a-9c0d-2e1b7f4a9c5d';
  const A1 = '5d0c8e4a-7b2f-4e91-a6c3-2f8d1b0e4c21';
  const A2 = '8e3f1a6b-9c4d-4e2a-b7f0-6d1c8a3e5b51';
  const U3 = 'aaa7c2d9-3f1e-4a6b-8e5c-4d2b9f0a7e61';
  const A3 = '2b9e7f4c-1d3a-4f8e-9a6b-7c0d5e2f1a71';
  const A3R = 'f7a2c5e9-4b1d-4c8f-a3e6-8b1f0d7c9e81';
  const A3E = '9f4b2d7a-6e1c-4a8f-b3d9-2c7e5a1f0b81';
  const A4E = '0c6d2f8b-5e3a-4b1c-9d7e-8f2a1b4c6d11';
  const Q3 = 'What day trips can I do from there?';

  test('imports as the edited path (root, active) plus the original question and its regeneration as branches', () => {
    const r = expectOk(fromChatGpt(fixture()));
    expect(r.notes).toEqual([]);
    expect(r.snapshots).toHaveLength(1);
    const s = r.snapshots[0] as TreeSnapshot;
    expect(s.title).toBe('Long weekend in Lisbon');
    expect(s.systemPrompt).toBeNull(); // only a hidden empty system message
    expect(s.activeChatId).toBe(CONV);
    expect(s.chats.map((c) => [c.chatId, c.parentChatId, c.forkResponseId, c.name])).toEqual([
      [CONV, null, null, 'Long weekend in Lisbon'],
      [U3, CONV, A2, 'Long weekend in Lisbon (branch)'], // the original 3rd question (an edit replaced it)
      [A3R, CONV, A2, 'Long weekend in Lisbon (branch)'], // the regenerated answer to it
    ]);
    const [root, edit, regen] = s.chats as [SnapshotChat, SnapshotChat, SnapshotChat];
    expect(root.pairs.map((p) => [p.responseId, p.question, p.response])).toEqual([
      [
        A1,
        "I'm spending three days in Lisbon in March. Which neighbourhood should I stay in?",
        'For a first visit, Baixa or Chiado: central, flat by Lisbon standards, and close to the trams. Alfama is more atmospheric but hilly.',
      ],
      [
        A2, // the tool node between the question and the answer is transparent
        '[image_asset_pointer omitted]\nThis is the hotel I booked in Alfama. Is it a good base?',
        "Yes: it's a 10-minute walk down to Baixa, and the viewpoints are on your doorstep. Bring comfortable shoes.",
      ],
      [
        A3E, // two answers around a tool node merge; the pair takes the last one's id
        'What day trips can I do by train from Lisbon?',
        'Let me check the current train times.\n\nSintra (40 min from Rossio) and Cascais (35 min from Cais do Sodré) both have trains every 20 minutes.',
      ],
      [
        A4E,
        'Great. Can you write me a day-by-day plan?',
        'Day 1: Baixa, Chiado and a sunset at a miradouro.\nDay 2: Sintra by train.\nDay 3: Alfama, Belém and pastéis de nata.',
      ],
    ]);
    expect(edit.pairs.map((p) => [p.responseId, p.question, p.response])).toEqual([
      [A3, Q3, 'Sintra is the classic one: palaces and forest, 40 minutes by train.'],
    ]);
    expect(regen.pairs.map((p) => [p.responseId, p.question, p.response])).toEqual([
      [A3R, Q3, "Three easy ones: Sintra, Cascais by the sea, and Évora if you don't mind a longer ride."],
    ]);
    // Times: the answer's create_time (the first of merged answers), ms precision kept.
    expect(root.pairs[0]?.timestamp.toISOString()).toBe('2024-11-25T10:40:15.877Z');
    expect(root.pairs[2]?.timestamp.toISOString()).toBe('2024-11-25T10:45:02.500Z');
    expect(root.createdAt.toISOString()).toBe('2024-11-25T10:40:00.512Z'); // the conversation's create_time
    expect(root.updatedAt.toISOString()).toBe('2024-11-25T10:46:52.625Z');
    expect(edit.createdAt.toISOString()).toBe('2024-11-25T10:43:25.500Z');
    expect(regen.createdAt.toISOString()).toBe('2024-11-25T10:44:20.750Z');
    for (const c of s.chats) {
      for (const p of c.pairs) {
        expect(p.generation).toEqual({ model: 'gpt-4o', promptTokens: null, completionTokens: null, latencyMs: null });
        expect([p.type, p.language, p.url]).toEqual(['text', null, null]);
      }
    }
  });

  test('the imported fixture survives its own round trip', () => {
    expectRoundTrip(only(fromChatGpt(fixture())));
  });

  test('without current_node: the first question of the edit continues the root, and the root is active', () => {
    const f = fixture();
    delete f.current_node;
    const s = only(fromChatGpt(f));
    expect(s.activeChatId).toBe(CONV);
    expect(s.chats.map((c) => [c.chatId, c.parentChatId, c.forkResponseId, c.pairs.length])).toEqual([
      [CONV, null, null, 3],
      [A3R, CONV, A2, 1],
      ['aaa9d4e1-6c2b-4f7a-9b3d-5e8a1c0f2b91', CONV, A2, 2],
    ]);
  });
});

// ---- import without the extension -------------------------------------------------------------------------

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

// ---- import rules for real exports --------------------------------------------------------------------------

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

  test('the first question cannot fork: its other answers and other versions are left out, with notes', () => {
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
      chats: [['conv', null, null, 'q1 → two']],
      active: 'conv',
    });
    expect(r.notes).toEqual([
      "conversation 'Zoo': 2 alternative answers to the first question were not imported (a conversation cannot fork before its first pair)",
      "conversation 'Zoo': 1 other version of the first question was not imported (a conversation cannot fork before its first pair)",
    ]);
    // current_node on the edited first question: that version is kept.
    const edited = expectOk(fromChatGpt(conversation(specs, { current_node: 'a1x', title: 'Zoo' })));
    expect(shape(edited.snapshots[0] as TreeSnapshot).chats).toEqual([
      ['conv', null, null, 'q1 edited → edited answer'],
    ]);
    expect(edited.notes).toHaveLength(1);
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

  test('times: the answer’s, else the question’s, else the conversation’s, else 1970; rounded to the ms', () => {
    const conv = conversation([
      ROOT,
      u('u1', 'root', 'q1', 100.0004),
      a('a1', 'u1', 'r1', 200.0006),
      u('u2', 'a1', 'q2', 300.25),
      a('a2', 'u2', 'r2', null),
      u('u3', 'a2', 'q3', null),
      a('a3', 'u3', 'r3', null),
    ]);
    const times = () => only(fromChatGpt(conv)).chats[0]?.pairs.map((p) => p.timestamp.getTime());
    expect(times()).toEqual([200_001, 300_250, 1_700_000_000_500]);
    conv.create_time = null;
    expect(times()).toEqual([200_001, 300_250, 0]);
    expect(only(fromChatGpt(conv)).chats[0]?.createdAt).toEqual(at(200_001)); // no create_time: the first pair's
  });

  test('times outside the stored window (1970 … now + 1 day) move to its nearest end, with a note each', () => {
    const now = new Date('2026-06-01T00:00:00.000Z');
    const end = now.getTime() + 86_400_000; // 2026-06-02T00:00:00.000Z
    const odd = conversation(
      [
        ROOT,
        u('u1', 'root', 'q1'),
        a('a1', 'u1', 'r1', 253_402_300_799.999), // 9999-12-31T23:59:59.999Z → the end
        u('u2', 'a1', 'q2'),
        a('a2', 'u2', 'r2', end / 1000), // the end itself: kept
        u('u3', 'a2', 'q3', -100), // 1969 → the start
        a('a3', 'u3', 'r3'),
        u('u4', 'a3', 'q4', 0), // the start itself: kept
        a('a4', 'u4', 'r4'),
      ],
      { title: 'Odd times', create_time: -1e9 },
    );
    // The extension's ISO times too.
    const exported = toChatGpt(sample());
    (exported.branchat.chats[1] as { created_at: string }).created_at = '1969-12-31T23:59:59.999Z';
    const r = expectOk(fromChatGpt(JSON.parse(JSON.stringify([odd, exported])), { now }));
    const [s, t] = r.snapshots as [TreeSnapshot, TreeSnapshot];
    expect(s.chats[0]?.pairs.map((p) => p.timestamp.getTime())).toEqual([end, end, 0, 0]);
    expect(s.chats[0]?.createdAt.getTime()).toBe(0);
    const expected = sample();
    (expected.chats[1] as SnapshotChat).createdAt = at(0);
    expect(t).toEqual(expected);
    expect(r.notes).toEqual([
      "conversation 'Odd times': 3 times outside 1970-01-01T00:00:00.000Z … 2026-06-02T00:00:00.000Z (the times " +
        'this service stores) were moved to the nearest end of that range',
      "conversation 'Trip': 1 time outside 1970-01-01T00:00:00.000Z … 2026-06-02T00:00:00.000Z (the times this " +
        'service stores) was moved to the nearest end of that range',
    ]);
    // Without `now`: the window of the real clock (a time two days ahead moves back to one day ahead).
    const ahead = Date.now() + 2 * 86_400_000;
    const later = only(fromChatGpt(conversation([ROOT, u('u1', 'root', 'q1'), a('a1', 'u1', 'r1', ahead / 1000)])));
    const stamped = later.chats[0]?.pairs[0]?.timestamp.getTime() as number;
    expect(stamped).toBeLessThan(ahead);
    expect(stamped).toBeGreaterThanOrEqual(ahead - 86_400_000 - 60_000);
    // Not a time at all (outside years 1 to 9999) is still a problem, not moved.
    expect(pathsOf(conversation([ROOT, u('u1', 'root', 'q1', 2.6e11)]))).toEqual(['mapping.u1.message.create_time']);
  });

  test('the active chat: the one holding current_node’s pair (also from a node below it); the root without one', () => {
    const specs = [
      ROOT,
      u('u1', 'root', 'q1'),
      a('a1', 'u1', 'a1'),
      u('u2', 'a1', 'q2'),
      a('a2', 'u2', 'a2'),
      u('u2x', 'a1', 'q2x'),
      a('a2x', 'u2x', 'a2x'),
      u('u3', 'a2', 'q3'),
      a('a3', 'u3', 'a3'),
      { id: 'after', parent: 'a3', role: 'tool', text: 'tool output' },
    ];
    // current_node on a3's tool child: the path goes through u2, so u2 continues the root.
    expect(only(fromChatGpt(conversation(specs, { current_node: 'after' }))).activeChatId).toBe('conv');
    // current_node on u2x's answer: u2x continues the root, which is active; u2 branches.
    const s = only(fromChatGpt(conversation(specs, { current_node: 'a2x' })));
    expect(shape(s).chats.map((c) => c[0])).toEqual(['conv', 'u2']);
    expect(s.activeChatId).toBe('conv');
    // current_node on the shared first pair: the root.
    expect(only(fromChatGpt(conversation(specs, { current_node: 'a1' }))).activeChatId).toBe('conv');
    expect(only(fromChatGpt(conversation(specs, { current_node: undefined }))).activeChatId).toBe('conv');
  });

  test('names and ids: title trimmed and cut (never inside a surrogate pair), defaults; root id from id/conversation_id', () => {
    const specs = [ROOT, u('u1', 'root', 'q'), a('a1', 'u1', 'r'), u('u2', 'root', 'other')];
    const long = `  ${'x'.repeat(NAME_MAX - 1)}🙂tail  `;
    const s = only(fromChatGpt(conversation(specs, { title: long, current_node: 'a1' })));
    expect(s.title).toBe('x'.repeat(NAME_MAX - 1));
    expect(only(fromChatGpt(conversation(specs, { title: '   ' }))).title).toBe('Imported conversation');
    expect(only(fromChatGpt(conversation(specs, { title: null }))).title).toBe('Imported conversation');
    const ids = (top: Record<string, unknown>) => only(fromChatGpt(conversation(specs, top))).chats[0]?.chatId;
    expect(ids({ id: 'A', conversation_id: 'B' })).toBe('A');
    expect(ids({ id: undefined, conversation_id: 'B' })).toBe('B');
    expect(ids({ id: undefined })).toBe('root');

    const branchy = conversation(
      [ROOT, u('u1', 'root', 'q'), a('a1', 'u1', 'r'), u('u2', 'a1', 'x'), u('u3', 'a1', 'y')],
      {
        title: 'é'.repeat(NAME_MAX),
      },
    );
    const b = only(fromChatGpt(branchy)).chats[1] as SnapshotChat;
    expect(b.name).toBe('é'.repeat(NAME_MAX)); // "(branch)" does not fit
    expect(b.chatId).toBe('u2'); // current_node (the last node, u3) continues the root
  });

  test('invented chat ids never clash with ids the source gives', () => {
    const c = JSON.parse(JSON.stringify(toChatGpt(sample()))) as RawConversation;
    // A regenerated answer to b2 (toChatGpt never writes one) whose node id is also a listed chat's id.
    c.mapping.D = { id: 'D', parent: 'q-b2', children: [], message: { ...message(c, 'b2'), id: 'D' } };
    (c.mapping['q-b2'] as RawNode).children = ['b2', 'D'];
    const s = only(fromChatGpt(c));
    const alternative = s.chats.find((x) => x.pairs[0]?.responseId === 'D');
    expect(alternative).toMatchObject({
      chatId: 'D-2',
      parentChatId: 'B',
      forkResponseId: 'b1',
      name: 'Trip (branch)',
    });
    expect(s.chats.find((x) => x.chatId === 'D')).toMatchObject({ parentChatId: 'R', forkResponseId: 'r1', pairs: [] });
  });

  test('siblings are ordered by creation time, whatever their order in the source', () => {
    const conv = conversation(
      [
        ROOT,
        u('u1', 'root', 'q1', 1),
        a('a1', 'u1', 'a1', 2),
        u('late', 'a1', 'late', 50),
        u('main', 'a1', 'main', 3),
        u('early', 'a1', 'early', 10),
      ],
      { current_node: 'main' },
    );
    expect(shape(only(fromChatGpt(conv))).chats.map((c) => c[0])).toEqual(['conv', 'early', 'late']);
  });

  test('an array (a conversations.json): one snapshot per conversation, notes of all of them', () => {
    const one = conversation([ROOT, u('u1', 'root', 'q'), a('a1', 'u1', 'r'), a('a1b', 'u1', 'r2')], { title: 'One' });
    const two = conversation([ROOT, u('u1', 'root', 'q')], { title: 'Two' });
    const r = expectOk(fromChatGpt([one, two]));
    expect(r.snapshots.map((s) => s.title)).toEqual(['One', 'Two']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toStartWith("conversation 'One': 1 alternative answer to the first question was not imported");
  });

  test('an empty conversation (no question at all) is an empty root chat', () => {
    const s = only(fromChatGpt(conversation([ROOT], { title: 'Nothing' })));
    expect(s.chats).toEqual([
      {
        chatId: 'conv',
        parentChatId: null,
        forkResponseId: null,
        name: 'Nothing',
        createdAt: at(1_700_000_000_500),
        updatedAt: at(1_700_000_000_500),
        pairs: [],
      },
    ]);
  });
});

// ---- malformed input ---------------------------------------------------------------------------------------

describe('fromChatGpt: malformed input → every problem, with its path', () => {
  const good = () =>
    conversation([
      ROOT,
      u('u1', 'root', 'q1', 1),
      a('a1', 'u1', 'r1', 2),
      u('u2', 'a1', 'q2', 3),
      a('a2', 'u2', 'r2', 4),
    ]);

  test('not a conversation: a string, a number, null, an empty array, an array element', () => {
    for (const input of ['x', 42, null, undefined, true]) expect(pathsOf(input)).toEqual(['(input)']);
    expect(errorsOf([])).toEqual([
      { path: '(input)', message: 'is an empty array; expected at least one conversation' },
    ]);
    expect(pathsOf([good(), 'nope'])).toEqual(['[1]']);
  });

  test('mapping missing or not an object', () => {
    const { mapping: _m, ...rest } = good();
    expect(pathsOf(rest)).toEqual(['mapping']);
    expect(pathsOf({ ...good(), mapping: [] })).toEqual(['mapping']);
    expect(pathsOf({ ...good(), mapping: {} })).toEqual(['mapping', 'current_node']); // no root; a2 is gone
  });

  test('node key ≠ node.id; parent naming an unknown node; a child list inconsistent with the parents', () => {
    const c = good();
    (c.mapping.u2 as RawNode).id = 'other';
    expect(pathsOf(c)).toEqual(['mapping.u2.id']);

    const d = good();
    (d.mapping.a2 as RawNode).parent = 'ghost';
    expect(pathsOf(d)).toEqual(['mapping.a2.parent']);

    const e = good();
    (e.mapping.root as RawNode).children = ['u1', 'a2']; // a2's parent is u2
    (e.mapping.u1 as RawNode).children = []; // … and u1 no longer lists a1
    expect(pathsOf(e).sort()).toEqual(['mapping.a1.parent', 'mapping.root.children[1]']);

    const f = good();
    (f.mapping.root as RawNode).children = ['u1', 'nowhere', 'u1', 7];
    expect(pathsOf(f)).toEqual(['mapping.root.children[1]', 'mapping.root.children[2]', 'mapping.root.children[3]']);
  });

  test('no root, several roots, a cycle', () => {
    const none = good();
    (none.mapping.root as RawNode).parent = 'a2';
    (none.mapping.a2 as RawNode).children = ['root'];
    const errors = errorsOf(none);
    expect(errors.map((e) => e.path)).toEqual(['mapping', 'mapping.root.parent']);
    expect(errors[1]?.message).toBe('is part of a cycle: root → a2 → u2 → a1 → u1 → root');

    const two = good();
    (two.mapping.u2 as RawNode).parent = null;
    (two.mapping.a1 as RawNode).children = [];
    expect(errorsOf(two)).toEqual([
      { path: 'mapping.u2.parent', message: 'is null, but "root" is already the root; there must be only one' },
    ]);

    const cycle = good();
    cycle.mapping.x = { id: 'x', parent: 'y', children: ['y'], message: null };
    cycle.mapping.y = { id: 'y', parent: 'x', children: ['x'], message: null };
    const cycleErrors = errorsOf(cycle);
    expect(cycleErrors.map((e) => e.path)).toEqual(['mapping.x.parent']);
    expect(cycleErrors[0]?.message).toContain('cycle');
  });

  test('current_node naming no node; create_time not a number', () => {
    expect(pathsOf({ ...good(), current_node: 'ghost' })).toEqual(['current_node']);
    expect(pathsOf({ ...good(), current_node: 5 })).toEqual(['current_node']);
    expect(pathsOf({ ...good(), create_time: 'yesterday' })).toEqual(['create_time']);
    const c = good();
    message(c, 'a1').create_time = '2024-01-01';
    message(c, 'u2').create_time = 1e300;
    expect(pathsOf(c)).toEqual(['mapping.a1.message.create_time', 'mapping.u2.message.create_time']);
  });

  test('author.role missing; parts not an array; content missing; code without text', () => {
    const c = good();
    message(c, 'u1').author = { name: null };
    message(c, 'a1').content = { content_type: 'text', parts: 'r1' };
    message(c, 'u2').content = { content_type: 'code' };
    (c.mapping.a2 as RawNode).message = { ...message(c, 'a2'), content: 'r2' as never };
    expect(pathsOf(c)).toEqual([
      'mapping.u1.message.author.role',
      'mapping.a1.message.content.parts',
      'mapping.u2.message.content.text',
      'mapping.a2.message.content',
    ]);
  });

  test('text limits in UTF-16 units: at the limit passes, one unit more fails; unstorable text fails', () => {
    const emoji = '🙂'; // 2 units
    const atLimit = good();
    message(atLimit, 'u1').content = { content_type: 'text', parts: [emoji.repeat(QUESTION_MAX / 2)] };
    message(atLimit, 'a1').content = { content_type: 'text', parts: ['r'.repeat(RESPONSE_MAX)] };
    expect(only(fromChatGpt(atLimit)).chats[0]?.pairs[0]?.question).toHaveLength(QUESTION_MAX);

    const over = good();
    message(over, 'u1').content = { content_type: 'text', parts: [`${emoji.repeat(QUESTION_MAX / 2)}x`] };
    message(over, 'a1').content = { content_type: 'text', parts: ['r'.repeat(RESPONSE_MAX + 1)] };
    message(over, 'u2').content = { content_type: 'text', parts: ['nul \u0000 inside'] };
    message(over, 'a2').content = { content_type: 'text', parts: ['lone \uD800 surrogate'] };
    expect(pathsOf(over)).toEqual([
      'mapping.u1.message.content',
      'mapping.a1.message.content',
      'mapping.u2.message.content',
      'mapping.a2.message.content',
    ]);
  });

  test('merged answers over the limit; an over-long system prompt', () => {
    const half = 'r'.repeat(RESPONSE_MAX / 2);
    const merged = conversation([ROOT, u('u1', 'root', 'q'), a('a1', 'u1', half), a('a1b', 'a1', half)]);
    expect(pathsOf(merged)).toEqual(['mapping.a1b.message.content']);
    const sys = conversation([
      ROOT,
      { id: 's', parent: 'root', role: 'system', text: 's'.repeat(SYSTEM_PROMPT_MAX + 1) },
      u('u1', 's', 'q'),
    ]);
    expect(pathsOf(sys)).toEqual(['mapping.s.message.content']);
  });

  test('an answer with no question before it on its path', () => {
    const c = conversation([ROOT, a('a0', 'root', 'hello'), u('u1', 'a0', 'q'), a('a1', 'u1', 'r')]);
    expect(errorsOf(c)).toEqual([{ path: 'mapping.a0.message', message: 'is an answer with no question before it' }]);
  });

  test('more than 20,000 messages; exactly 20,000 pass (a 20,000-deep chain, no recursion)', () => {
    const chain = (n: number) => {
      const specs: Spec[] = [ROOT];
      for (let i = 0; i < n; i++)
        specs.push(i % 2 ? a(`n${i}`, `n${i - 1}`, 'r') : u(`n${i}`, i ? `n${i - 1}` : 'root', 'q'));
      return conversation(specs);
    };
    expect(only(fromChatGpt(chain(MAX_MESSAGES))).chats[0]?.pairs).toHaveLength(MAX_MESSAGES / 2);
    expect(errorsOf(chain(MAX_MESSAGES + 1))).toEqual([
      { path: 'mapping', message: `holds ${MAX_MESSAGES + 1} messages; at most ${MAX_MESSAGES} are allowed` },
    ]);
  });

  test('several problems at once are all listed; the list is bounded', () => {
    const c = good();
    (c.mapping.a2 as RawNode).parent = 'ghost';
    message(c, 'u1').author = {};
    message(c, 'a1').content = { content_type: 'text' };
    c.current_node = 'nope';
    c.title = 7;
    expect(pathsOf(c).sort()).toEqual(
      [
        'title',
        'mapping.a2.parent',
        'mapping.u1.message.author.role',
        'mapping.a1.message.content.parts',
        'current_node',
      ].sort(),
    );

    const many = good();
    for (let i = 0; i < 200; i++)
      many.mapping[`bad${i}`] = { id: `bad${i}`, parent: 'ghost', children: [], message: null };
    const errors = errorsOf(many);
    expect(errors).toHaveLength(MAX_ISSUES + 1);
    expect(errors.at(-1)).toEqual({
      path: '(input)',
      message: `more problems were found; only the first ${MAX_ISSUES} are listed`,
    });
  });

  test('an array with a good and a bad conversation: only the bad one’s problems, prefixed with its index', () => {
    const bad = good();
    (bad.mapping.u2 as RawNode).parent = 'ghost';
    message(bad, 'a1').author = {};
    expect(pathsOf([good(), bad])).toEqual(['[1].mapping.a1.message.author.role', '[1].mapping.u2.parent']);
    expect(pathsOf([good(), { ...good(), mapping: 'not an object' }])).toEqual(['[1].mapping']);
  });

  describe('the extension', () => {
    const exported = () => JSON.parse(JSON.stringify(toChatGpt(sample()))) as RawConversation;
    const ext = (c: RawConversation) =>
      c.branchat as { version: unknown; active_chat_id: unknown; chats: Record<string, unknown>[] };

    test('a malformed top-level extension', () => {
      const c = exported();
      ext(c).version = 2;
      ext(c).active_chat_id = 'nope';
      Object.assign(ext(c).chats[1] as object, { name: '', created_at: 'yesterday', fork_response_id: null });
      (ext(c).chats[2] as Record<string, unknown>).parent_chat_id = 'ghost';
      expect(pathsOf(c)).toEqual([
        'branchat.version',
        'branchat.chats[1].name',
        'branchat.chats[1].fork_response_id',
        'branchat.chats[1].created_at',
        'branchat.chats[2].parent_chat_id',
        'branchat.active_chat_id',
      ]);
      expect(pathsOf({ ...exported(), branchat: { version: 1, active_chat_id: 'R', chats: [] } })).toEqual([
        'branchat.chats',
      ]);
      expect(pathsOf({ ...exported(), branchat: 'yes' })).toEqual(['branchat']);
    });

    test('the extension disagreeing with the messages', () => {
      const c = exported();
      (ext(c).chats[1] as Record<string, unknown>).fork_response_id = 'r2'; // B forks after r1
      (ext(c).chats[4] as Record<string, unknown>).fork_response_id = 'b1'; // E (empty) claims a pair of B
      expect(pathsOf(c)).toEqual(['branchat.chats[1].fork_response_id', 'branchat.chats[4].fork_response_id']);

      const parent = exported();
      (ext(parent).chats[2] as Record<string, unknown>).parent_chat_id = 'R'; // C is a branch of B
      expect(errorsOf(parent)).toEqual([
        { path: 'branchat.chats[2].parent_chat_id', message: 'is "R", but the messages make it "B"' },
      ]);

      const twice = exported();
      message(twice, 'q-b1').metadata = { branchat: { chat_id: 'R', type: 'text' } }; // a second continuation of R
      // … and C, below it, cannot be placed.
      expect(pathsOf(twice)).toEqual([
        'mapping.q-b1.message.metadata.branchat.chat_id',
        'branchat.chats[2].fork_response_id',
      ]);

      const unlisted = exported();
      message(unlisted, 'q-c1').metadata = { branchat: { chat_id: 'Z', type: 'text' } };
      ext(unlisted).active_chat_id = 'B';
      expect(pathsOf(unlisted)).toEqual(['mapping.q-c1.message.metadata.branchat.chat_id']);

      // A well-formed list naming another root.
      const wrongRoot = exported();
      for (const c of ext(wrongRoot).chats) {
        if (c.chat_id === 'R') c.chat_id = 'R2';
        if (c.parent_chat_id === 'R') c.parent_chat_id = 'R2';
      }
      const errors = errorsOf(wrongRoot);
      expect(errors).toContainEqual({
        path: 'mapping.q-r1.message.metadata.branchat.chat_id',
        message: 'is "R", but branchat.chats makes "R2" the root',
      });
    });

    test('malformed pair metadata: type, language, url, counts, model_slug', () => {
      const c = exported();
      message(c, 'q-r1').metadata = { branchat: { chat_id: 'R', type: 'image' } };
      message(c, 'q-r2').metadata = { branchat: { chat_id: 'R', type: 'code', language: 'C++ 20' } };
      message(c, 'q-r3').metadata = { branchat: { chat_id: 'R', type: 'link', url: 'ftp://example.org/x' } };
      message(c, 'q-b1').metadata = { branchat: { chat_id: 'B', type: 'text', language: 'ts' } };
      message(c, 'b1').metadata = { model_slug: 5, branchat: { chat_id: 'B', prompt_tokens: -1, latency_ms: 1.5 } };
      expect(pathsOf(c)).toEqual([
        'mapping.q-r1.message.metadata.branchat.type',
        'mapping.q-r2.message.metadata.branchat.language',
        'mapping.q-r3.message.metadata.branchat.url',
        'mapping.q-b1.message.metadata.branchat.language',
        'mapping.b1.message.metadata.model_slug',
        'mapping.b1.message.metadata.branchat.prompt_tokens',
        'mapping.b1.message.metadata.branchat.latency_ms',
      ]);
    });
  });
});
