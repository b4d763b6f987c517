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
beforeAll(async () => {
  const { app } = await testApp();
  a = await newAccount(app);
  const c = await a.chatWith(2);
  chatId = c.chatId;
  responseId = c.ids[0] as string;
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

const posts: [string, string, () => Record<string, unknown>][] = [
  ['POST', '/api/v1/chats/create-chat', () => ({ name: 'fuzz' })],
  ['PUT', '/api/v1/chats/update-chat', () => ({ chat_id: chatId, name: 'fuzz' })],
  ['POST', '/api/v1/messages/add-message', () => ({ chat_id: chatId, question: 'q', response: 'r' })],
  ['POST', '/api/v1/branches/create-branch', () => ({ chat_id: chatId, response_id: responseId, activate: false })],
  ['PUT', '/api/v1/branches/set-active-branch', () => ({ chat_id: chatId })],
  ['POST', '/api/v1/auth/login', () => ({ email: 'nobody@example.com', password: 'password123' })],
];

const gets: [string, string, string[]][] = [
  ['GET', '/api/v1/chats/get-chat', ['chat_id', 'limit', 'after', 'before']],
  ['GET', '/api/v1/chats/list-chats', ['limit', 'cursor']],
  ['GET', '/api/v1/branches/get-branches', ['chat_id']],
  ['DELETE', '/api/v1/chats/delete-chat', ['chat_id']],
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

  for (const [method, path, names] of gets) {
    test(`${method} ${path} query`, async () => {
      const realValues = fc.constantFrom(chatId, responseId, 'end', '0', '1', '1000', '1001', crypto.randomUUID());
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
