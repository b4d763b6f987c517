/** The docs/api.md flow end to end through app.request() against a real PostgreSQL. */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

describe('create-chat', () => {
  test('creates an active root chat with no messages', async () => {
    const a = await newAccount(app);
    const r = await a.createChat('Trip ideas');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      account_id: a.accountId,
      chat_type: 'main',
      name: 'Trip ideas',
      active: true,
      parent_chat_id: null,
      fork_response_id: null,
      message_count: 0,
    });
    expect(r.body.root_chat_id).toBe(r.body.chat_id);
    expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('add-message', () => {
  test('appends pairs in order; absent response asks the responder, "" stays empty', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const r1 = await a.addMessage(chatId, 'hello');
    expect(r1.status).toBe(201);
    expect(r1.body.response.length).toBeGreaterThan(0);
    expect(r1.body).toMatchObject({ chat_id: chatId, question: 'hello', type: 'text', branches: [] });
    const r2 = await a.addMessage(chatId, 'second', '');
    expect(r2.body.response).toBe('');
    const page = await a.getChat(chatId);
    expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['hello', 'second']);
    expect(page.body.chat.message_count).toBe(2);
  });
});
