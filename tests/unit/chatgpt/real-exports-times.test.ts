/**
 * Import rules for real exports (2 of 2): times, the active chat, names and ids, chat order, arrays, empty
 * conversations.
 */
import { describe, expect, test } from 'bun:test';
import { NAME_MAX } from '../../../src/domain/limits.js';
import { fromChatGpt, toChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import {
  a,
  at,
  conversation,
  expectOk,
  message,
  only,
  pathsOf,
  type RawConversation,
  type RawNode,
  ROOT,
  sample,
  shape,
  u,
} from './helpers.js';

describe('fromChatGpt: real-export rules', () => {
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
    const two = conversation([ROOT, u('u1', 'root', 'q', 253_402_300_799)], { title: 'Two' });
    const r = expectOk(fromChatGpt([one, two]));
    expect(r.snapshots.map((s) => s.title)).toEqual(['One', 'Two']);
    expect(r.snapshots.map((s) => s.chats.length)).toEqual([2, 1]); // the second answer: a start fork
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toStartWith("conversation 'Two': 1 time outside");
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
