/**
 * Message types: a pair is `text` (default), `code` (with `language`) or `link` (with an http/https `url`),
 * validated as a discriminated union, stored and returned verbatim on every read path. Runs on both
 * content stores (npm run test:pg and test:mongo).
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

const ADD = '/api/v1/messages/add-message';

describe('message types', () => {
  test('old clients: no `type` → a text pair with the fields of docs/api.md (plus `generation`, null here)', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const r = await a.addMessage(chatId, 'hello', 'hi');
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual([
      'branches',
      'chat_id',
      'feedback',
      'generation',
      'question',
      'response',
      'response_id',
      'timestamp',
      'type',
    ]);
    expect(r.body.type).toBe('text');
    expect(r.body.generation).toBeNull(); // the client gave the response
    expect(r.body.feedback).toBeNull(); // a new pair: nobody rated it yet
    const explicit = await a.call('POST', ADD, {
      body: { chat_id: chatId, question: 'q', response: 'r', type: 'text' },
    });
    expect(explicit.status).toBe(201);
    expect(explicit.body.type).toBe('text');
  });

  test('code and link pairs are stored and returned verbatim on add-message, get-chat and create-branch', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const code = 'fn main() {\n    println!("{}", "$where.x");\n}\n';
    const c = await a.call('POST', ADD, {
      body: { chat_id: chatId, question: 'hello world in rust?', response: code, type: 'code', language: 'rust' },
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ type: 'code', language: 'rust', response: code });
    expect(c.body.url).toBeUndefined();
    const url = 'https://example.org/path?q=a+b&x=%24where#frag';
    const l = await a.call('POST', ADD, {
      body: { chat_id: chatId, question: 'a guide?', response: 'this one', type: 'link', url },
    });
    expect(l.status).toBe(201);
    expect(l.body).toMatchObject({ type: 'link', url });
    expect(l.body.language).toBeUndefined();

    const page = await a.getChat(chatId);
    expect(page.body.qa_pairs.map((p: Record<string, unknown>) => [p.type, p.language, p.url])).toEqual([
      ['text', undefined, undefined],
      ['code', 'rust', undefined],
      ['link', undefined, url],
    ]);
    expect(page.body.qa_pairs[1]).toEqual({ ...c.body, branches: [] });

    // A branch's first pair can be typed too, and the inherited typed pairs come along unchanged.
    const b = await a.createBranch({
      chat_id: chatId,
      response_id: l.body.response_id,
      question: 'in C++?',
      response: 'int main() {}',
      type: 'code',
      language: 'c++',
    });
    expect(b.status).toBe(201);
    expect(b.body.qa_pair).toMatchObject({ type: 'code', language: 'c++' });
    const branchPage = await a.getChat(b.body.chat.chat_id);
    expect(branchPage.body.qa_pairs.map((p: { type: string }) => p.type)).toEqual(['text', 'code', 'link', 'code']);
    expect(branchPage.body.qa_pairs[1]).toEqual({ ...c.body, branches: [] });
  });

  test('invalid kinds → 422 naming the field; nothing stored', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(1);
    const base = { chat_id: chatId, question: 'q', response: 'r' };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...base, type: 'code' }, 'language'],
      [{ ...base, type: 'code', language: '' }, 'language'],
      [{ ...base, type: 'code', language: 'type script' }, 'language'],
      [{ ...base, type: 'code', language: 'x'.repeat(33) }, 'language'],
      [{ ...base, type: 'link' }, 'url'],
      [{ ...base, type: 'link', url: 'javascript:alert(1)' }, 'url'],
      [{ ...base, type: 'link', url: 'ftp://example.org/file' }, 'url'],
      [{ ...base, type: 'link', url: 'file:///etc/passwd' }, 'url'],
      [{ ...base, type: 'link', url: 'example.org' }, 'url'],
      [{ ...base, type: 'link', url: `https://example.org/${'a'.repeat(2048)}` }, 'url'],
      [{ ...base, type: 'link', url: { $gt: '' } }, 'url'],
      [{ ...base, type: 'image' }, 'type'],
      [{ ...base, type: 'TEXT' }, 'type'],
      [{ ...base, language: 'rust' }, 'language'], // a text pair has no language
      [{ ...base, type: 'code', language: 'rust', url: 'https://example.org' }, 'url'],
      [{ ...base, type: 'link', url: 'https://example.org', language: 'rust' }, 'language'],
    ];
    for (const [body, field] of bad) {
      const r = await a.call('POST', ADD, { body });
      expectProblem(r, 422);
      expect(JSON.stringify(r.body.errors)).toContain(field);
    }
    // create-branch: a type needs a question.
    expectProblem(await a.createBranch({ chat_id: chatId, response_id: ids[0], type: 'code', language: 'rust' }), 422);
    expect(await a.questions(chatId)).toEqual(['q1']);
    expect((await a.getBranches(chatId)).body.count).toBe(1);
  });
});
