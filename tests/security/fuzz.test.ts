/**
 * Property-based fuzz (fast-check) of every route's body and query: whatever arrives, the service answers
 * a 2xx or a 4xx problem, never a 5xx. Bodies are arbitrary JSON, and valid bodies with fields replaced by
 * arbitrary values; queries are arbitrary key/value strings mixed with the real parameter names.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';

let a: Client;
let chatId = '';
let responseId = '';
let shareToken = '';
beforeAll(async () => {
  const { app } = await testApp();
  a = await newAccount(app);
  const c = await a.chatWith(2);
  chatId = c.chatId;
  responseId = c.ids[0] as string;
  const s = await a.call('POST', '/api/v1/shares/create-share', { body: { chat_id: chatId } });
  shareToken = s.body.token;
});

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const json = fc.jsonValue({ maxDepth: 3 });
const anyValue = fc.oneof(
  json,
  fc.string(),
  fc.constantFrom('', '$ne', '{"$gt":""}', '__proto__', 'end', '-1', '1e9', '\u0000'),
);

function bodyFor(valid: () => Record<string, unknown>) {
  return fc.oneof(
    json,
    fc
      .record({ key: fc.string({ maxLength: 20 }), value: anyValue })
      .map(({ key, value }) => ({ ...valid(), [key]: value })),
    fc
      .record({ key: fc.constantFrom(...Object.keys(valid())), value: anyValue })
      .map(({ key, value }) => ({ ...valid(), [key]: value })),
  );
}

const msg = (role: string, text: string) => ({
  id: crypto.randomUUID(),
  author: { role },
  create_time: 1764090184.5,
  content: { content_type: 'text', parts: [text] },
});

const posts: [string, string, () => Record<string, unknown>][] = [
  ['POST', '/api/v1/chats/create-chat', () => ({ name: 'fuzz' })],
  ['PUT', '/api/v1/chats/update-chat', () => ({ chat_id: chatId, name: 'fuzz' })],
  ['POST', '/api/v1/messages/add-message', () => ({ chat_id: chatId, question: 'q', response: 'r' })],
  ['POST', '/api/v1/branches/create-branch', () => ({ chat_id: chatId, response_id: responseId, activate: false })],
  ['PUT', '/api/v1/branches/set-active-branch', () => ({ chat_id: chatId })],
  ['POST', '/api/v1/shares/create-share', () => ({ chat_id: chatId, live: true, expires_in_seconds: 60 })],
  ['POST', '/api/v1/auth/login', () => ({ email: 'nobody@example.com', password: 'password123' })],
  [
    'POST',
    '/api/v1/chats/import-chat',
    () => ({
      title: 't',
      current_node: 'a',
      mapping: {
        r: { id: 'r', message: null, parent: null, children: ['q'] },
        q: { id: 'q', message: msg('user', 'hi'), parent: 'r', children: ['a'] },
        a: { id: 'a', message: msg('assistant', 'hello'), parent: 'q', children: [] },
      },
    }),
  ],
];

const gets: [string, string, string[]][] = [
  ['GET', '/api/v1/chats/get-chat', ['chat_id', 'limit', 'after', 'before']],
  ['GET', '/api/v1/chats/list-chats', ['limit', 'cursor']],
  ['GET', '/api/v1/branches/get-branches', ['chat_id']],
  ['DELETE', '/api/v1/chats/delete-chat', ['chat_id']],
  ['GET', '/api/v1/chats/export-chat', ['chat_id', 'format']],
  ['GET', '/api/v1/shares/list-shares', ['chat_id', 'limit', 'cursor']],
  ['DELETE', '/api/v1/shares/delete-share', ['share_id']],
];

describe('fuzz: never a 5xx for bad input', () => {
  for (const [method, path, valid] of posts) {
    test(`${method} ${path} body`, async () => {
      await fc.assert(
        fc.asyncProperty(bodyFor(valid), async (body) => {
          const r = await a.call(method, path, { body });
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) expect(r.headers.get('content-type')).toContain('application/problem+json');
        }),
        { numRuns: RUNS },
      );
    });
  }

  test('POST /api/v1/chats/import-chat: arbitrary node graphs and node contents', async () => {
    const key = fc.constantFrom('r', 'q', 'a', 'b', 'client-created-root');
    const message = fc.record(
      {
        id: anyValue,
        author: fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), anyValue) }),
        create_time: fc.oneof(fc.double(), anyValue),
        content: fc.record(
          {
            content_type: fc.oneof(fc.constantFrom('text', 'code', 'multimodal_text', 'thoughts'), anyValue),
            parts: fc.oneof(fc.array(fc.oneof(fc.string(), anyValue), { maxLength: 3 }), anyValue),
            text: anyValue,
          },
          { requiredKeys: [] },
        ),
        metadata: fc.oneof(fc.record({ branchat: json, model_slug: anyValue }, { requiredKeys: [] }), anyValue),
      },
      { requiredKeys: [] },
    );
    const node = fc.record(
      {
        id: fc.oneof(key, anyValue),
        message: fc.oneof(fc.constant(null), message, anyValue),
        parent: fc.oneof(key, fc.constant(null), anyValue),
        children: fc.oneof(fc.array(key, { maxLength: 3 }), anyValue),
      },
      { requiredKeys: [] },
    );
    const conversation = fc.record(
      {
        title: fc.oneof(fc.string(), anyValue),
        create_time: anyValue,
        current_node: fc.oneof(key, anyValue),
        mapping: fc.oneof(fc.dictionary(key, node, { maxKeys: 5 }), anyValue),
        branchat: json,
      },
      { requiredKeys: ['mapping'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(conversation, fc.array(conversation, { maxLength: 3 })), async (body) => {
        const r = await a.call('POST', '/api/v1/chats/import-chat', { body });
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) expect(r.headers.get('content-type')).toContain('application/problem+json');
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test('GET /api/v1/public/shares/{token}: any token, any query, no Authorization', async () => {
    // JSON text, not String(): String() of a generated object with a non-function `toString` or `valueOf` key throws
    // (a failure of the generator, not of the route).
    const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
    const token = fc.oneof(fc.constant(shareToken), fc.string({ minLength: 1, maxLength: 80 }), anyValue.map(asText));
    const pairs = fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('limit', 'after', 'before'), fc.string({ maxLength: 12 })),
        fc.oneof(
          fc.constantFrom(responseId, 'end', '0', '1', '1001', crypto.randomUUID()),
          fc.string({ maxLength: 40 }),
        ),
      ),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(token, pairs, async (t, kv) => {
        const qs = new URLSearchParams(kv).toString();
        const r = await a.call('GET', `/api/v1/public/shares/${encodeURIComponent(t || 'x')}?${qs}`, { token: null });
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) expect(r.headers.get('content-type')).toContain('application/problem+json');
      }),
      { numRuns: RUNS },
    );
  });

  for (const [method, path, names] of gets) {
    test(`${method} ${path} query`, async () => {
      const realValues = fc.constantFrom(
        chatId,
        responseId,
        'end',
        '0',
        '1',
        '1000',
        '1001',
        crypto.randomUUID(),
        'json',
        'markdown',
        'chatgpt',
      );
      const pairs = fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })),
          fc.oneof(realValues, fc.string({ maxLength: 40 })),
        ),
        { maxLength: 4 },
      );
      await fc.assert(
        fc.asyncProperty(pairs, async (kv) => {
          const qs = new URLSearchParams(kv).toString();
          const r = await a.call(method, `${path}?${qs}`);
          expect(r.status).toBeLessThan(500);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
