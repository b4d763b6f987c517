/**
 * Input the schemas alone did not stop (issue 16): text a store cannot keep in query strings, numbers that
 * are not decimal integers, JSON nested without bound, and If-Match values that must not match. Each one
 * answers a problem (never 500) and changes nothing. Content goes to PostgreSQL or the MongoDB double.
 */

import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIfMatch } from '../../src/http/chats/chats.handlers.js';
import { errorResponses } from '../../src/http/errors.js';
import { JSON_MAX_DEPTH, jsonDepthExceeds, jsonTextDepthExceeds } from '../../src/http/middleware/json-body.js';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
let app: App;
beforeAll(async () => {
  ({ app } = await testApp());
});

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const SEARCH = '/api/v1/messages/search-messages';

/** A chat with pairs to find, so that a search really reaches the content store. */
async function searchable(a: Client) {
  const { chatId } = await a.createChat('nul').then((r) => ({ chatId: r.body.chat_id as string }));
  await a.add(chatId, 'where is the lighthouse', 'on the northern cape');
  return chatId;
}

describe('query strings: text a store cannot keep → 422', () => {
  test('search-messages with U+0000 in q → 422 naming q (was PostgreSQL "invalid byte sequence", 500)', async () => {
    const a = await newAccount(app);
    const chatId = await searchable(a);
    for (const q of ['a\u0000b', 'lighthouse\u0000', '\u0000lighthouse cape']) {
      for (const query of [{ q }, { q, chat_id: chatId }]) {
        const r = await a.call('GET', SEARCH, { query });
        expectProblem(r, 422);
        expect(r.body.errors).toContainEqual({ path: 'q', message: expect.stringContaining('U+0000') });
      }
    }
    // The same search without the NUL finds the pair: the rule refuses only what cannot be stored.
    const ok = await a.call('GET', SEARCH, { query: { q: 'lighthouse' } });
    expect(ok.status).toBe(200);
    expect(ok.body.hits).toHaveLength(1);
  });

  test('every query parameter of every route, names included, follows the same rule', async () => {
    const a = await newAccount(app);
    const chatId = await searchable(a);
    const routes: [string, string, Record<string, string>][] = [
      ['GET', SEARCH, { q: 'lighthouse', chat_id: chatId, limit: '5', cursor: 'abc' }],
      ['GET', '/api/v1/chats/get-chat', { chat_id: chatId, limit: '5', before: 'end' }],
      ['GET', '/api/v1/chats/list-chats', { limit: '5', cursor: 'abc' }],
      ['GET', '/api/v1/branches/get-branches', { chat_id: chatId }],
      ['GET', '/api/v1/chats/export-chat', { chat_id: chatId, format: 'json' }],
      ['DELETE', '/api/v1/chats/delete-chat', { chat_id: chatId }],
    ];
    for (const [method, path, query] of routes) {
      for (const name of Object.keys(query)) {
        const r = await a.call(method, path, { query: { ...query, [name]: `${query[name]}\u0000` } });
        expectProblem(r, 422);
        expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(name);
      }
      const r = await a.call(method, path, { query: { ...query, 'x\u0000': '1' } });
      expectProblem(r, 422);
    }
    // Nothing was deleted on the way.
    expect((await a.getChat(chatId)).status).toBe(200);
  });

  test('percent-encoded bytes (invalid UTF-8, encoded NULs) never make a 500', async () => {
    const a = await newAccount(app);
    await searchable(a);
    for (const raw of ['%ED%A0%80', '%FF', '%C0%80', 'a%00%00', '%F4%90%80%80']) {
      const r = await a.call('GET', `${SEARCH}?q=${raw}`);
      expect(r.status === 200 || r.status === 422).toBe(true);
    }
  });
});

describe('numeric parameters: decimal integers only', () => {
  const BAD = ['0x10', '1e3', '0b11', '0o7', ' 5', '5 ', '5.0', '+5', '', 'Infinity', '1_0', '١٢', '5abc'];

  test('limit of get-chat, list-chats and search-messages refuses anything but digits → 422 naming limit', async () => {
    const a = await newAccount(app);
    const chatId = await searchable(a);
    const routes: [string, Record<string, string>][] = [
      ['/api/v1/chats/get-chat', { chat_id: chatId }],
      ['/api/v1/chats/list-chats', {}],
      [SEARCH, { q: 'lighthouse' }],
    ];
    for (const [path, query] of routes) {
      for (const limit of BAD) {
        const r = await a.call('GET', path, { query: { ...query, limit } });
        expectProblem(r, 422);
        expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('limit');
      }
      for (const limit of ['5', '007', '1']) {
        const r = await a.call('GET', path, { query: { ...query, limit } });
        expect(r.status).toBe(200);
      }
      // Digits, but out of range.
      for (const limit of ['0', '-1', '99999999999999999999']) {
        expectProblem(await a.call('GET', path, { query: { ...query, limit } }), 422);
      }
    }
    // The decimal value is the one used: a page of exactly 1.
    await a.add(chatId, 'second', 'pair');
    const page = await a.getChat(chatId, { limit: '01' });
    expect(page.body.qa_pairs).toHaveLength(1);
  });
});

/** `{"name":"x","deep":[[…]]}` whose arrays and objects nest `depth` levels in all. */
const nested = (depth: number) => `{"name":"x","deep":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

describe('JSON nesting: at most JSON_MAX_DEPTH levels, checked once at parsing', () => {
  test(`the limit is ${JSON_MAX_DEPTH} and documented with the 400 answer`, () => {
    expect(JSON_MAX_DEPTH).toBe(64);
    expect(errorResponses[400].description).toContain(String(JSON_MAX_DEPTH));
    expect(jsonDepthExceeds(JSON.parse(nested(64)), 64)).toBe(false);
    expect(jsonDepthExceeds(JSON.parse(nested(65)), 64)).toBe(true);
    expect(jsonDepthExceeds('text', 0)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: {} }] }, 4)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: { c: 1 } }] }, 3)).toBe(true);
  });

  test('the depth is read off the text before parsing: brackets inside strings and escapes do not count', () => {
    for (const depth of [2, 3, 63, 64, 65, 200]) {
      const text = nested(depth);
      expect(jsonTextDepthExceeds(text, 64)).toBe(jsonDepthExceeds(JSON.parse(text), 64));
    }
    expect(jsonTextDepthExceeds('{"a":"[[[[[[","b":"\\"}', 1)).toBe(false);
    expect(jsonTextDepthExceeds('{"a":"\\"","b":[[]]}', 2)).toBe(true);
    expect(jsonTextDepthExceeds('["\\\\",[{}]]', 2)).toBe(true);
    expect(jsonTextDepthExceeds('"no containers"', 0)).toBe(false);
    // A body nested far deeper than the limit is refused after scanning its first levels: no parse, no memory.
    const huge = `${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}`;
    expect(jsonTextDepthExceeds(huge, 64)).toBe(true);
  });

  test('~20,000 levels with an Idempotency-Key → 400, not a stack overflow (500); without the key → 400 too', async () => {
    const a = await newAccount(app);
    const body = nested(20_000);
    for (const headers of [{ ...JSON_HEADERS, 'Idempotency-Key': `deep-${crypto.randomUUID()}` }, JSON_HEADERS]) {
      const r = await a.call('POST', '/api/v1/chats/create-chat', { rawBody: body, headers });
      expectProblem(r, 400);
      expect(r.body.detail).toContain(String(JSON_MAX_DEPTH));
    }
    expect((await a.listChats()).body.chats).toHaveLength(0);
  });

  test('64 levels reach validation; 65 do not; every body route, and the check itself survives 500,000 levels', async () => {
    const a = await newAccount(app);
    const ok = await a.call('POST', '/api/v1/chats/create-chat', { rawBody: nested(64), headers: JSON_HEADERS });
    expectProblem(ok, 422); // past the parser: `deep` is an unknown field
    expect(JSON.stringify(ok.body.errors)).toContain('deep');
    const routes: [string, string][] = [
      ['POST', '/api/v1/chats/create-chat'],
      ['PUT', '/api/v1/chats/update-chat'],
      ['POST', '/api/v1/messages/add-message'],
      ['POST', '/api/v1/branches/create-branch'],
      ['PUT', '/api/v1/branches/set-active-branch'],
      ['POST', '/api/v1/chats/import-chat'],
      ['POST', '/api/v1/auth/login'],
    ];
    for (const [method, path] of routes) {
      const r = await a.call(method, path, { rawBody: nested(65), headers: JSON_HEADERS });
      expectProblem(r, 400);
    }
    // 1 MB of brackets (just under the 1 MiB body limit), as an array at the top and inside an object.
    for (const raw of [`${'['.repeat(500_000)}${']'.repeat(500_000)}`, nested(499_990)]) {
      const r = await a.call('POST', '/api/v1/chats/create-chat', {
        rawBody: raw,
        headers: { ...JSON_HEADERS, 'Idempotency-Key': `deeper-${crypto.randomUUID()}` },
      });
      expectProblem(r, 400);
    }
    expect((await a.listChats()).body.chats).toHaveLength(0);
  });

  test('a ChatGPT conversations.json nests far less than the limit and still imports', async () => {
    const file = readFileSync(join(import.meta.dir, '..', 'fixtures', 'chatgpt-conversation.json'), 'utf8');
    expect(jsonDepthExceeds(JSON.parse(file), 16)).toBe(false);
    const a = await newAccount(app);
    const r = await a.call('POST', '/api/v1/chats/import-chat', { rawBody: file, headers: JSON_HEADERS });
    expect(r.status).toBe(201);
  });
});

describe('If-Match: strong comparison (RFC 9110 §13.1.1)', () => {
  async function chatWithTag(a: Client) {
    const { chatId } = await a.chatWith(1, 'original');
    const page = await a.getChat(chatId);
    return { chatId, tag: page.headers.get('ETag') as string };
  }

  test('a weak tag never matches, even the current one; a quoted "*" is not the wildcard → 412, nothing changed', async () => {
    const a = await newAccount(app);
    const { chatId, tag } = await chatWithTag(a);
    for (const header of [`W/${tag}`, '"*"', `W/${tag}, "*"`, `"other", W/${tag}`]) {
      const r = await a.updateChat(chatId, 'changed', { 'If-Match': header });
      expectProblem(r, 412);
    }
    const after = await a.getChat(chatId);
    expect(after.body.chat.name).toBe('original');
    expect(after.headers.get('ETag')).toBe(tag);
  });

  test('malformed If-Match (unquoted, lower-case w/, * in a list, junk) → 412, nothing changed', async () => {
    const a = await newAccount(app);
    const { chatId, tag } = await chatWithTag(a);
    for (const header of [
      tag.slice(1, -1),
      `w/${tag}`,
      `*, ${tag}`,
      `${tag} x`,
      `${tag};`,
      `"unterminated`,
      `${tag}"`,
    ]) {
      const r = await a.updateChat(chatId, 'changed', { 'If-Match': header });
      expectProblem(r, 412);
    }
    expect((await a.getChat(chatId)).body.chat.name).toBe('original');
  });

  test('the current tag alone or in a list, and a bare *, match', async () => {
    const a = await newAccount(app);
    const chat = await chatWithTag(a);
    const { chatId } = chat;
    let { tag } = chat;
    const forms = [(t: string) => t, (t: string) => `"stale", ${t}`, (t: string) => ` ${t} ,W/"x",`, () => '*'];
    for (const [i, form] of forms.entries()) {
      const r = await a.updateChat(chatId, `renamed ${i}`, { 'If-Match': form(tag) });
      expect(r.status).toBe(200);
      tag = r.headers.get('ETag') as string;
    }
  });

  test('parseIfMatch: list syntax of RFC 9110 (commas inside a tag, empty elements, weak tags left out)', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBe('*');
    expect(parseIfMatch('"a,b", W/"c" ,, "d"')).toEqual(['a,b', 'd']);
    expect(parseIfMatch('"*"')).toEqual(['*']);
    expect(parseIfMatch('')).toEqual([]);
    expect(() => parseIfMatch('a')).toThrow();
    expect(() => parseIfMatch('"a" "b"')).toThrow();
    expect(() => parseIfMatch('"a\u0001"')).toThrow();
  });
});
