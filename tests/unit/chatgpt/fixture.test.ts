/**
 * The hand-written fixture of a real ChatGPT export (tests/fixtures/chatgpt-conversation.json): an edit, a
 * regeneration, a tool call and an image.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromChatGpt } from '../../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, TreeSnapshot } from '../../../src/domain/transfer/snapshot.js';
import { expectOk, expectRoundTrip, only } from './helpers.js';

describe('the hand-written ChatGPT fixture', () => {
  const fixture = () =>
    JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'fixtures', 'chatgpt-conversation.json'), 'utf8'));
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
