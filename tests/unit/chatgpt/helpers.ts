/**
 * Shared helpers of the ChatGPT format tests (tests/unit/chatgpt/*.test.ts): hand-built snapshots, parse
 * results, and hand-made conversations in the raw shape (loosely typed, for breaking them).
 */
import { expect } from 'bun:test';
import type { Generation } from '../../../src/domain/model.js';
import { fromChatGpt, type ParseResult, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, SnapshotPair, TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';

export const at = (ms: number) => new Date(ms);
export const T0 = 1_764_090_184_123; // 2025-11-25T17:03:04.123Z

export function pair(
  responseId: string,
  question: string,
  response: string,
  ms: number,
  extra: Partial<SnapshotPair> = {},
) {
  return {
    responseId,
    question,
    response,
    timestamp: at(ms),
    type: 'text',
    language: null,
    url: null,
    generation: null,
    feedback: null,
    ...extra,
  } satisfies SnapshotPair;
}

/** `parent`: [parent chat, fork pair], the fork pair null for a start fork (a branch of the root before its first pair). */
export function chat(
  chatId: string,
  parent: [string, string | null] | null,
  name: string,
  ms: number,
  pairs: SnapshotPair[],
) {
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

export const gen = (
  model: string,
  promptTokens: number | null,
  completionTokens: number | null,
  latencyMs: number | null,
) => ({ model, promptTokens, completionTokens, latencyMs }) satisfies Generation;

/**
 * R: r1 (generated), r2 (code), r3 (link)
 * ├─ B after r1: b1, b2
 * │  └─ C after b1: c1          (inherits r1 and b1)
 * ├─ D after r1: (empty)
 * └─ E after r2: (empty)
 */
export function sample(activeChatId = 'C', systemPrompt: string | null = 'Be brief.'): TreeSnapshot {
  return {
    title: 'Trip',
    systemPrompt,
    activeChatId,
    chats: [
      chat('R', null, 'Trip', T0, [
        pair('r1', 'Where in March?', 'Lisbon.', T0 + 1000, {
          generation: gen('gpt-x', 10, 20, 300),
          feedback: { rating: 'up', comment: 'Just right.', updatedAt: at(T0 + 9000) },
        }),
        pair('r2', 'Show me code', 'print(1)', T0 + 2000, { type: 'code', language: 'python' }),
        pair('r3', 'A guide?', 'This one.', T0 + 3000, { type: 'link', url: 'https://example.org/guide' }),
      ]),
      chat('B', ['R', 'r1'], 'Trip (B)', T0 + 4000, [
        pair('b1', 'What about May?', 'Porto.', T0 + 4001, { generation: gen('gpt-y', null, 5, null) }),
        pair('b2', 'And June?', '', T0 + 4002, {
          feedback: { rating: 'down', comment: null, updatedAt: at(T0 + 9001) },
        }),
      ]),
      chat('C', ['B', 'b1'], 'Trip (C) 🙂', T0 + 5000, [pair('c1', 'Cheaper?', 'Braga.', T0 + 5001)]),
      chat('D', ['R', 'r1'], 'Trip (D)', T0 + 6000, []),
      chat('E', ['R', 'r2'], 'Trip (E)', T0 + 7000, []),
    ],
  };
}

/**
 * Start forks (branches of the root before its first pair):
 * R: r1, r2
 * ├─ B after r1: b1
 * ├─ S1 (start fork): s1, s2
 * │  └─ X after s1: x1          (inherits s1 only: none of R's pairs)
 * ├─ S2 (start fork, empty)
 * └─ S3 (start fork): s3
 */
export function startForks(activeChatId = 'X', systemPrompt: string | null = 'Be brief.'): TreeSnapshot {
  return {
    title: 'Plans',
    systemPrompt,
    activeChatId,
    chats: [
      chat('R', null, 'Plans', T0, [
        pair('r1', 'Where to?', 'Lisbon.', T0 + 1000),
        pair('r2', 'When?', 'May.', T0 + 2000),
      ]),
      chat('B', ['R', 'r1'], 'Plans (B)', T0 + 3000, [pair('b1', 'Why?', 'Sun.', T0 + 3001)]),
      chat('S1', ['R', null], 'Where to, really?', T0 + 4000, [
        pair('s1', 'Where to, really?', 'Porto.', T0 + 4001, { generation: gen('gpt-x', 1, 2, 3) }),
        pair('s2', 'And then?', 'Braga.', T0 + 4002, { type: 'code', language: 'sh' }),
      ]),
      chat('X', ['S1', 's1'], 'Plans (X)', T0 + 4500, [pair('x1', 'Cheaper?', 'Coimbra.', T0 + 4501)]),
      chat('S2', ['R', null], 'Plans (S2)', T0 + 5000, []),
      chat('S3', ['R', null], 'Third way', T0 + 6000, [pair('s3', 'Anywhere?', 'Faro.', T0 + 6001)]),
    ],
  };
}

export function expectOk(r: ParseResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors, null, 2)}`);
  return r;
}

export function only(r: ParseResult): TreeSnapshot {
  const ok = expectOk(r);
  expect(ok.snapshots).toHaveLength(1);
  return ok.snapshots[0] as TreeSnapshot;
}

export function errorsOf(input: unknown) {
  const r = fromChatGpt(input);
  if (r.ok) throw new Error('expected errors, got a snapshot');
  return r.errors;
}

export const pathsOf = (input: unknown) => errorsOf(input).map((e) => e.path);

/** fromChatGpt(toChatGpt(s)) = s, directly and after JSON (the export goes over the wire). */
export function expectRoundTrip(s: TreeSnapshot) {
  const expected: ParseResult = { ok: true, snapshots: [s], notes: [] };
  const exported = toChatGpt(s);
  expect(fromChatGpt(exported)).toEqual(expected);
  expect(fromChatGpt(JSON.parse(JSON.stringify(exported)))).toEqual(expected);
}

/** A copy without any `branchat` key: what a plain ChatGPT reader keeps. */
export function strip(v: unknown): unknown {
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
export function histories(s: TreeSnapshot) {
  const byId = new Map(s.chats.map((c) => [c.chatId, c]));
  const historyOf = (c: SnapshotChat): SnapshotPair[] => {
    // The root and start forks inherit nothing.
    const parent = c.forkResponseId === null ? undefined : byId.get(c.parentChatId as string);
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
export interface RawMessage {
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
export interface RawNode {
  id: unknown;
  parent: unknown;
  children: unknown;
  message: RawMessage | null;
}
export interface RawConversation {
  mapping: Record<string, RawNode>;
  [key: string]: unknown;
}

export interface Spec {
  id: string;
  parent: string | null;
  role?: string;
  text?: string;
  time?: number | null;
  content?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export const ROOT: Spec = { id: 'root', parent: null };
export const u = (id: string, parent: string, text: string, time: number | null = null): Spec => ({
  id,
  parent,
  role: 'user',
  text,
  time,
});
export const a = (id: string, parent: string, text: string, time: number | null = null): Spec => ({
  id,
  parent,
  role: 'assistant',
  text,
  time,
  metadata: { model_slug: 'gpt-4o' },
});

/** A conversation from node specs (children in list order); current_node defaults to the last node. */
export function conversation(specs: Spec[], top: Record<string, unknown> = {}): RawConversation {
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
export function shape(s: TreeSnapshot) {
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

export const message = (conv: RawConversation, id: string) => conv.mapping[id]?.message as RawMessage;
