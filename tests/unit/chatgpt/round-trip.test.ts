/**
 * The round trip fromChatGpt(toChatGpt(s)) = s: hand-built trees, and random ones (fast-check), with and without
 * the extension.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { NAME_MAX, storableText } from '../../../src/domain/limits.js';
import { fromChatGpt, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, SnapshotPair, TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import { at, chat, expectRoundTrip, histories, only, pair, sample, strip, T0 } from './helpers.js';

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
  // each branch forking after an own pair of an earlier chat that has one, or a start fork of the root.
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
  /** Feedback on the answer, set `delta` ms after it. */
  const feedback = fc.option(
    fc.record({
      rating: fc.constantFrom('up' as const, 'down' as const),
      comment: fc.option(text(1, 16), { nil: null }),
      delta: step,
    }),
    { nil: null },
  );
  const pairContent = fc.record({
    question: text(1, 16),
    response: text(0, 16),
    kind,
    generation,
    feedback,
    delta: step,
  });
  const chatContent = fc.record({
    name: text(1, 24),
    pairs: fc.array(pairContent, { maxLength: 4 }),
    delta: step,
    updatedDelta: step,
    parent: fc.nat(),
    fork: fc.nat(),
    /** 0: a start fork (a branch of the root before its first pair), about one branch in four. */
    start: fc.nat({ max: 3 }),
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
      let parent: [string, string | null] | null = null;
      if (i > 0 && spec.start === 0) parent = [(chats[0] as SnapshotChat).chatId, null];
      else if (i > 0) {
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
          feedback: c.feedback
            ? { rating: c.feedback.rating, comment: c.feedback.comment, updatedAt: at(t + c.feedback.delta) }
            : null,
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
