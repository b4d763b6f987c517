/**
 * Hostile and malformed input: RFC 9457 problem details with the right status, and nothing stored.
 * Also the headers every response carries (X-Request-Id, nosniff, no CORS by default).
 */

import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
let app: App;
beforeAll(async () => {
  ({ app } = await testApp());
});

const MiB = 1024 * 1024;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A chat with one pair and one branch: the fixture every "nothing changed" check compares against. */
async function fixture(a: Client) {
  const { chatId, ids } = await a.chatWith(1, 'fixture');
  const branch = await a.branch(chatId, ids[0] as string, { activate: false, name: 'fixture branch' });
  return { chatId, pair: ids[0] as string, branch, before: await state(a, chatId) };
}

/** Everything observable about an account's data. */
async function state(a: Client, chatId: string) {
  const [list, page, tree] = await Promise.all([
    a.listChats(),
    a.getChat(chatId, { limit: 1000 }),
    a.getBranches(chatId),
  ]);
  for (const r of [list, page, tree]) expect(r.status).toBe(200);
  return { list: list.body, page: page.body, etag: page.headers.get('ETag'), tree: tree.body };
}

const paths = {
  create: '/api/v1/chats/create-chat',
  update: '/api/v1/chats/update-chat',
  add: '/api/v1/messages/add-message',
  branch: '/api/v1/branches/create-branch',
  active: '/api/v1/branches/set-active-branch',
};

describe('strict bodies', () => {
  test('unknown fields (account_id, active, chat_type, __proto__, constructor, $where, chat_id:ne) → 422 on every write; nothing stored', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const valid: [string, string, Record<string, unknown>][] = [
      ['POST', paths.create, { name: 'x' }],
      ['PUT', paths.update, { chat_id: f.chatId, name: 'renamed' }],
      ['POST', paths.add, { chat_id: f.chatId, question: 'q', response: 'r' }],
      ['POST', paths.branch, { chat_id: f.chatId, response_id: f.pair }],
      ['PUT', paths.active, { chat_id: f.branch }],
    ];
    const extras: [string, string][] = [
      ['account_id', JSON.stringify(crypto.randomUUID())],
      ['active', 'true'],
      ['chat_type', '"main"'],
      ['__proto__', '{"polluted":true}'],
      ['constructor', '{"prototype":{"polluted":true}}'],
      // Operator-shaped keys: top-level $where, a Mongo-style suffix.
      ['$where', '"function() { return true }"'],
      ['chat_id:ne', '"x"'],
    ];
    for (const [method, path, body] of valid) {
      for (const [field, value] of extras) {
        // Raw JSON, so that `__proto__` is a real own key of the parsed body.
        const raw = `${JSON.stringify(body).slice(0, -1)},"${field}":${value}}`;
        const r = await a.call(method, path, { rawBody: raw, headers: JSON_HEADERS });
        expectProblem(r, 422);
        expect(JSON.stringify(r.body.errors)).toContain(field);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await state(a, f.chatId)).toEqual(f.before);
  });

  test('non-object JSON bodies and wrongly typed fields → 422; operator objects in place of values → 422', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    for (const raw of ['[]', 'null', '"name"', '42', 'true', '[{"name":"x"}]']) {
      expectProblem(await a.call('POST', paths.create, { rawBody: raw, headers: JSON_HEADERS }), 422);
    }
    const bad: [string, string, unknown][] = [
      ['POST', paths.create, { name: { $gt: '' } }],
      ['POST', paths.create, { name: ['x'] }],
      ['POST', paths.create, { name: 42 }],
      ['POST', paths.create, { name: null }],
      // (`{}` is a valid create-chat: a conversation named by its first pair; docs/api.md, "Titles".)
      ['POST', paths.create, { system_prompt: { $ne: null } }],
      ['PUT', paths.update, { chat_id: f.chatId, pinned: { $ne: null } }],
      ['PUT', paths.update, { chat_id: f.chatId, archived: 'yes' }],
      ['PUT', paths.update, { chat_id: { $ne: null }, name: 'x' }],
      ['POST', paths.add, { chat_id: f.chatId, question: { $regex: '.*' } }],
      ['POST', paths.add, { chat_id: f.chatId, question: { $gt: '' } }],
      ['POST', paths.add, { chat_id: { $ne: null }, question: 'q' }],
      ['POST', paths.add, { chat_id: f.chatId, question: 'q', response: null }],
      ['POST', paths.add, { chat_id: [f.chatId], question: 'q' }],
      ['POST', paths.branch, { chat_id: f.chatId, response_id: { $exists: true } }],
      ['POST', paths.branch, { chat_id: f.chatId, response_id: f.pair, activate: 'yes' }],
      ['POST', paths.branch, { chat_id: f.chatId, response_id: f.pair, response: 'without a question' }],
      ['PUT', paths.active, { chat_id: { $in: [f.branch] } }],
    ];
    for (const [method, path, body] of bad) expectProblem(await a.call(method, path, { body }), 422);
    expect(await state(a, f.chatId)).toEqual(f.before);
  });

  test('malformed ids → 422 on bodies and queries', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const ids = [
      'not-a-uuid',
      '',
      '123',
      `${f.chatId}x`,
      f.chatId.slice(0, -1),
      "' OR '1'='1",
      '../../etc/passwd',
      `${f.chatId}\u0000`,
      '00000000-0000-0000-0000-00000000000g',
    ];
    for (const id of ids) {
      expectProblem(await a.getChat(id), 422);
      expectProblem(await a.getChat(f.chatId, { after: id }), 422);
      expectProblem(await a.getChat(f.chatId, { before: id }), 422);
      expectProblem(await a.deleteChat(id), 422);
      expectProblem(await a.getBranches(id), 422);
      expectProblem(await a.updateChat(id, 'x'), 422);
      expectProblem(await a.addMessage(id, 'q', 'r'), 422);
      expectProblem(await a.createBranch({ chat_id: id, response_id: f.pair }), 422);
      expectProblem(await a.createBranch({ chat_id: f.chatId, response_id: id }), 422);
      expectProblem(await a.setActive(id), 422);
    }
    expect(await state(a, f.chatId)).toEqual(f.before);
  });
});

describe('text limits (UTF-16 code units)', () => {
  test('name: 0 and 201 → 422 on create, update and create-branch; 1 and 200 accepted', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    for (const name of ['', 'n'.repeat(201), `${'😀'.repeat(100)}x`]) {
      expectProblem(await a.createChat(name), 422);
      expectProblem(await a.updateChat(f.chatId, name), 422);
      expectProblem(await a.createBranch({ chat_id: f.chatId, response_id: f.pair, name }), 422);
    }
    expect(await state(a, f.chatId)).toEqual(f.before);

    for (const name of ['n', 'n'.repeat(200), '😀'.repeat(100)]) {
      const c = await a.createChat(name);
      expect(c.status).toBe(201);
      expect(c.body.name).toBe(name);
      expect((await a.getChat(c.body.chat_id)).body.chat.name).toBe(name);
    }
    const u = await a.updateChat(f.chatId, 'm'.repeat(200));
    expect(u.status).toBe(200);
    expect(u.body.name).toBe('m'.repeat(200));
  });

  test('question: 32001 → 422, 32000 stored; response: 100001 → 422, 100000 stored', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const tooLong: [string, string | undefined][] = [
      ['q'.repeat(32001), 'r'],
      [`${'😀'.repeat(16000)}q`, 'r'],
      ['', 'r'],
      ['q', 'r'.repeat(100001)],
      ['q', `${'😀'.repeat(50000)}r`],
    ];
    for (const [question, response] of tooLong) {
      expectProblem(await a.addMessage(f.chatId, question, response), 422);
      expectProblem(await a.createBranch({ chat_id: f.chatId, response_id: f.pair, question, response }), 422);
    }
    expect(await state(a, f.chatId)).toEqual(f.before);

    const q = 'q'.repeat(32000);
    const r = 'r'.repeat(100000);
    const added = await a.addMessage(f.chatId, q, r);
    expect(added.status).toBe(201);
    const astral = await a.addMessage(f.chatId, '😀'.repeat(16000), '😀'.repeat(50000));
    expect(astral.status).toBe(201);
    const page = await a.getChat(f.chatId, { after: f.pair });
    expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual([q, '😀'.repeat(16000)]);
    expect(page.body.qa_pairs.map((p: { response: string }) => p.response)).toEqual([r, '😀'.repeat(50000)]);
    const b = await a.createBranch({ chat_id: f.chatId, response_id: f.pair, question: q, response: r });
    expect(b.status).toBe(201);
    expect(b.body.qa_pair).toMatchObject({ question: q, response: r });
  });

  test('text that cannot be stored verbatim (U+0000, a lone surrogate) → 422, never 500', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const raw = (o: Record<string, string>) =>
      `{${Object.entries(o)
        .map(([k, v]) => `"${k}":"${v}"`)
        .join(',')}}`;
    for (const bad of ['a\\u0000b', 'a\\ud800b', '\\udfff']) {
      const cases: [string, string, string][] = [
        ['POST', paths.create, raw({ name: bad })],
        ['PUT', paths.update, raw({ chat_id: f.chatId, name: bad })],
        ['POST', paths.add, raw({ chat_id: f.chatId, question: bad })],
        ['POST', paths.add, raw({ chat_id: f.chatId, question: 'q', response: bad })],
        ['POST', paths.branch, raw({ chat_id: f.chatId, response_id: f.pair, question: bad })],
        ['POST', '/api/v1/auth/login', raw({ email: `x${bad}@example.com`, password: 'whatever1' })],
      ];
      for (const [method, path, body] of cases) {
        expectProblem(await a.call(method, path, { rawBody: body, headers: JSON_HEADERS }), 422);
      }
    }
    expect(await state(a, f.chatId)).toEqual(f.before);
  });
});

describe('verbatim storage', () => {
  const nasty = [
    '{"$gt":""}',
    '$where: function() { return true }',
    'a.b.c $set $$ $.x',
    "'; DROP TABLE chats; --",
    '😀👩‍👩‍👧‍👦🏳️‍🌈',
    'مرحبا بالعالم \u202Eevil\u202C שלום',
    '𝕳𝖊𝖑𝖑𝖔 𠜎𠜱 🀄',
    'e\u0301 vs é, ﬁ, \uFEFF BOM, zero\u200Bwidth',
    '<script>alert(1)</script> &amp; \\ " \n\t\r',
    ' leading and trailing spaces ',
  ];

  test('names, questions and responses come back exactly as sent', async () => {
    const a = await newAccount(app);
    for (const text of nasty) {
      const c = await a.createChat(text);
      expect(c.status).toBe(201);
      expect(c.body.name).toBe(text);
      const chatId = c.body.chat_id as string;
      const added = await a.addMessage(chatId, text, text);
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ question: text, response: text });
      const br = await a.createBranch({
        chat_id: chatId,
        response_id: added.body.response_id,
        name: text,
        question: text,
        response: text,
      });
      expect(br.status).toBe(201);
      expect(br.body.chat.name).toBe(text);
      const renamed = await a.updateChat(chatId, `${text}!`);
      expect(renamed.body.name).toBe(`${text}!`);

      const page = await a.getChat(br.body.chat.chat_id);
      expect(page.body.chat.name).toBe(text);
      for (const p of page.body.qa_pairs) {
        expect(p.question).toBe(text);
        expect(p.response).toBe(text);
      }
      expect(page.body.qa_pairs.length).toBe(2);
      const tree = await a.getBranches(chatId);
      expect(tree.body.tree.name).toBe(`${text}!`);
      expect(tree.body.tree.children[0].name).toBe(text);
    }
    const list = await a.listChats({ limit: 100 });
    expect(new Set(list.body.chats.map((c: { name: string }) => c.name))).toEqual(new Set(nasty.map((t) => `${t}!`)));
  });

  test('an operator-looking name does not match other chats', async () => {
    const a = await newAccount(app);
    const other = await a.createChat('other');
    const sneaky = await a.createChat('{"$ne":null}');
    const page = await a.getChat(sneaky.body.chat_id);
    expect(page.body.chat.name).toBe('{"$ne":null}');
    expect((await a.getChat(other.body.chat_id)).body.chat.name).toBe('other');
  });
});

describe('body transport rules', () => {
  test('over 1 MiB → 413 (with Content-Length); exactly 1 MiB is read and validated (422)', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    expect(sized(MiB).length).toBe(MiB);
    const big = sized(MiB + 1);
    expectProblem(
      await a.call('POST', paths.create, {
        rawBody: big,
        headers: { ...JSON_HEADERS, 'Content-Length': String(big.length) },
      }),
      413,
    );
    expectProblem(await a.call('POST', paths.create, { rawBody: sized(2 * MiB) }), 413);
    const hugeQuestion = JSON.stringify({ chat_id: f.chatId, question: 'q'.repeat(2 * MiB) });
    expectProblem(await a.call('POST', paths.add, { rawBody: hugeQuestion, headers: JSON_HEADERS }), 413);
    // At the limit the body is accepted by transport and rejected by the schema (name too long).
    expectProblem(await a.call('POST', paths.create, { rawBody: sized(MiB), headers: JSON_HEADERS }), 422);
    expect(await state(a, f.chatId)).toEqual(f.before);
  });

  test('a chunked body without Content-Length over 1 MiB → 413; a small one streams through', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const stream = (text: string, chunk = 64 * 1024) => {
      const bytes = new TextEncoder().encode(text);
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (at >= bytes.length) return ctl.close();
          ctl.enqueue(bytes.slice(at, at + chunk));
          at += chunk;
        },
      });
    };
    const send = async (text: string) => {
      const init = {
        method: 'POST',
        headers: { Authorization: `Bearer ${a.token}`, ...JSON_HEADERS },
        body: stream(text),
        duplex: 'half',
      } as RequestInit;
      const res = await app.request(paths.create, init);
      const t = await res.text();
      return { status: res.status, headers: res.headers, body: t ? JSON.parse(t) : null } as Res;
    };
    expectProblem(await send(sized(MiB + 1)), 413);
    expectProblem(await send(sized(3 * MiB)), 413);
    expect(await state(a, f.chatId)).toEqual(f.before);
    const ok = await send(JSON.stringify({ name: 'streamed' }));
    expect(ok.status).toBe(201);
    expect(ok.body.name).toBe('streamed');
  });

  test('a body that is not JSON → 415; malformed JSON → 400', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const json = JSON.stringify({ name: 'x' });
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonp',
    ]) {
      const headers = type ? { 'Content-Type': type } : undefined;
      expectProblem(await a.call('POST', paths.create, { rawBody: json, headers }), 415);
      expectProblem(
        await a.call('POST', paths.add, { rawBody: JSON.stringify({ chat_id: f.chatId, question: 'q' }), headers }),
        415,
      );
    }
    expect(
      (
        await a.call('POST', paths.create, {
          rawBody: json,
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
        })
      ).status,
    ).toBe(201);

    for (const raw of [
      '{"name":',
      '{name: "x"}',
      "{'name':'x'}",
      '{"name":"x"} trailing',
      '{"name":"x",}',
      '',
      'undefined',
      '\u0000',
    ]) {
      expectProblem(await a.call('POST', paths.create, { rawBody: raw, headers: JSON_HEADERS }), 400);
      expectProblem(await a.call('PUT', paths.update, { rawBody: raw, headers: JSON_HEADERS }), 400);
      expectProblem(await a.call('POST', paths.add, { rawBody: raw, headers: JSON_HEADERS }), 400);
    }
    const after = await state(a, f.chatId);
    expect(after.page).toEqual(f.before.page);
    expect(after.tree).toEqual(f.before.tree);
    // Only the one accepted create-chat above was stored.
    expect(after.list.chats.length).toBe(f.before.list.chats.length + 1);
  });
});

describe('query parameters', () => {
  test('operator injection, unknown keys and repeated keys → 422; nothing deleted', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    const raw = (path: string, qs: string) => a.call('GET', `${path}?${qs}`);
    const del = (qs: string) => a.call('DELETE', `/api/v1/chats/delete-chat?${qs}`);
    const enc = encodeURIComponent;
    const cases: Promise<Res>[] = [
      raw('/api/v1/chats/get-chat', 'chat_id[$ne]=x'),
      raw('/api/v1/chats/get-chat', `chat_id=${f.chatId}&chat_id[$ne]=x`),
      raw('/api/v1/chats/get-chat', `${enc('chat_id[$ne]')}=x`),
      raw('/api/v1/chats/get-chat', `chat_id=${f.chatId}&chat_id=${f.chatId}`),
      raw('/api/v1/chats/get-chat', `chat_id=${f.chatId}&foo=bar`),
      raw('/api/v1/chats/get-chat', `chat_id=${f.chatId}&account_id=${a.accountId}`),
      raw('/api/v1/chats/get-chat', `chat_id=${enc('{"$gt":""}')}`),
      raw('/api/v1/chats/list-chats', 'limit[$gt]=0'),
      raw('/api/v1/chats/list-chats', 'foo=bar'),
      raw('/api/v1/chats/list-chats', `account_id=${a.accountId}`),
      raw('/api/v1/branches/get-branches', 'chat_id[$ne]=x'),
      raw('/api/v1/branches/get-branches', `chat_id=${f.chatId}&include_deleted=true`),
      del('chat_id[$ne]=x'),
      del(`chat_id=${f.chatId}&cascade=false`),
      del(`chat_id=${f.chatId}&chat_id=${f.branch}`),
      del(''),
    ];
    for (const r of await Promise.all(cases)) expectProblem(r, 422);
    expect(await state(a, f.chatId)).toEqual(f.before);
  });

  test('numeric parameters out of range or not integers → 422, never capped', async () => {
    const a = await newAccount(app);
    const f = await fixture(a);
    for (const limit of ['0', '-1', '1001', '1.5', 'abc', '', '1e9', 'Infinity', 'NaN']) {
      expectProblem(await a.getChat(f.chatId, { limit }), 422);
    }
    for (const limit of ['0', '101', '-5', 'x', '2.5']) expectProblem(await a.listChats({ limit }), 422);
    expect((await a.getChat(f.chatId, { limit: 1000 })).status).toBe(200);
    expect((await a.getChat(f.chatId, { limit: 1 })).status).toBe(200);
    expect((await a.listChats({ limit: 100 })).status).toBe(200);
    expect((await a.listChats({ limit: 1 })).status).toBe(200);
    // Both cursors at once, or a forged list cursor.
    expectProblem(await a.getChat(f.chatId, { after: f.pair, before: 'end' }), 422);
    for (const cursor of [
      'garbage',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"$gt":0}').toString('base64url'),
    ]) {
      expectProblem(await a.listChats({ cursor }), 422);
    }
  });
});

describe('headers on every response', () => {
  test('X-Request-Id: a sane client id is echoed (also as `instance`), anything else is replaced', async () => {
    const a = await newAccount(app);
    const sane = `req-${crypto.randomUUID()}`;
    const ok = await a.call('GET', '/api/v1/chats/list-chats', { headers: { 'X-Request-Id': sane } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('X-Request-Id')).toBe(sane);
    const err = await a.call('GET', '/api/v1/chats/get-chat', {
      query: { chat_id: 'bad' },
      headers: { 'X-Request-Id': sane },
    });
    expectProblem(err, 422);
    expect(err.body.instance).toBe(sane);
    const unauth = await a.call('GET', '/api/v1/chats/list-chats', { token: null, headers: { 'X-Request-Id': sane } });
    expectProblem(unauth, 401);
    expect(unauth.body.instance).toBe(sane);

    for (const insane of ['x'.repeat(300), 'has spaces in it', '<script>', 'a;b=c', '../..', '']) {
      const r = await a.call('GET', '/api/v1/chats/get-chat', {
        query: { chat_id: 'bad' },
        headers: { 'X-Request-Id': insane },
      });
      expectProblem(r, 422);
      const id = r.headers.get('X-Request-Id') as string;
      expect(id).not.toBe(insane);
      expect(id).toMatch(/^[A-Za-z0-9._~:-]{1,128}$/);
    }
    // Without one, each response gets its own.
    const [r1, r2] = await Promise.all([a.listChats(), a.listChats()]);
    expect(r1.headers.get('X-Request-Id')).toBeTruthy();
    expect(r1.headers.get('X-Request-Id')).not.toBe(r2.headers.get('X-Request-Id'));
  });

  test('nosniff and X-Request-Id on successes and errors alike; no Access-Control-* by default', async () => {
    const a = await newAccount(app);
    const { chatId, pair } = await fixture(a);
    const origin = { Origin: 'https://evil.example' };
    const responses: Res[] = [
      await a.call('POST', paths.create, { body: { name: 'h' }, headers: origin }),
      await a.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: chatId }, headers: origin }),
      await a.call('POST', paths.branch, { body: { chat_id: chatId, response_id: pair }, headers: origin }),
      await a.call('GET', '/api/v1/chats/list-chats', { token: null, headers: origin }),
      await a.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: crypto.randomUUID() }, headers: origin }),
      await a.call('POST', paths.create, { rawBody: '{', headers: { ...JSON_HEADERS, ...origin } }),
      await a.call('POST', paths.create, { rawBody: 'x', headers: { 'Content-Type': 'text/plain', ...origin } }),
      await a.call('POST', paths.create, { rawBody: sized(MiB + 1), headers: { ...JSON_HEADERS, ...origin } }),
      await a.call('POST', '/api/v1/auth/login', {
        body: { email: a.email, password: 'wrong password' },
        headers: origin,
      }),
      await a.call('OPTIONS', paths.create, {
        token: null,
        headers: {
          ...origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization',
        },
      }),
      await a.call('OPTIONS', '/api/v1/auth/login', {
        token: null,
        headers: { ...origin, 'Access-Control-Request-Method': 'POST' },
      }),
      await a.call('GET', '/healthz', { headers: origin }),
      await a.call('GET', '/openapi.json', { headers: origin }),
      await a.call('GET', '/no/such/path', { headers: origin }),
    ];
    for (const r of responses) {
      expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(r.headers.get('X-Request-Id')).toBeTruthy();
      expect([...r.headers.keys()].filter((k) => k.toLowerCase().startsWith('access-control-'))).toEqual([]);
      if (r.status >= 400) expectProblem(r, r.status);
    }
    expect(responses.map((r) => r.status).slice(0, 9)).toEqual([201, 200, 201, 401, 404, 400, 415, 413, 401]);
  });

  test('unknown paths → 404 problem (with a token, without, under /api/v1 and outside)', async () => {
    const a = await newAccount(app);
    for (const path of [
      '/nope',
      '/api/v1/nope',
      '/api/v1/auth/whoami',
      '/api/v2/chats/get-chat',
      '/api/v1/chats/get-chat/extra',
    ]) {
      const r = await a.call('GET', path);
      expectProblem(r, 404);
      expect(JSON.stringify(r.body)).not.toContain(a.token as string);
    }
    expectProblem(await a.call('GET', '/api/v1/nope', { token: null }), 404);
    // A route exists under a protected prefix, but not with this method: no route → 404 (or 405), a problem either way.
    const wrongMethod = await a.call('DELETE', paths.create);
    expect([404, 405]).toContain(wrongMethod.status);
    expectProblem(wrongMethod, wrongMethod.status);
  });
});

/** A body of exactly `size` bytes: {"name":"aaa…"}. */
function sized(size: number) {
  return `{"name":"${'a'.repeat(size - 11)}"}`;
}
