/** Idempotency-Key on POST routes (docs/api.md "Safe retries"), against a real PostgreSQL. */
import { beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { IdempotencyStore } from '../../src/stores/idempotency.store.js';
import { appFor, testApp } from '../support/app.js';
import { Client, newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
beforeAll(async () => {
  ({ app, services } = await testApp());
});

const post = (c: Client, path: string, body: unknown, key: string) =>
  c.call('POST', path, { body, headers: { 'Idempotency-Key': key } });

describe('Idempotency-Key', () => {
  test('same key and body: the first answer again, nothing new stored (every POST route)', async () => {
    const a = await newAccount(app);
    const key = `k-${crypto.randomUUID()}`;
    const first = await post(a, '/api/v1/chats/create-chat', { name: 'once' }, key);
    const again = await post(a, '/api/v1/chats/create-chat', { name: 'once' }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await a.listChats()).body.chats).toHaveLength(1);

    const chatId = first.body.chat_id;
    const m1 = await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'q' }, 'm');
    const m2 = await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'q' }, 'm');
    expect(m2.body).toEqual(m1.body);
    expect((await a.getChat(chatId)).body.qa_pairs).toHaveLength(1);

    const b1 = await post(
      a,
      '/api/v1/branches/create-branch',
      { chat_id: chatId, response_id: m1.body.response_id },
      'b',
    );
    const b2 = await post(
      a,
      '/api/v1/branches/create-branch',
      { chat_id: chatId, response_id: m1.body.response_id },
      'b',
    );
    expect(b2.status).toBe(201);
    expect(b2.body).toEqual(b1.body);
    expect((await a.getBranches(chatId)).body.count).toBe(2);
  });

  test('whitespace and formatting of the same JSON body do not matter', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const headers = { 'Idempotency-Key': 'fmt', 'Content-Type': 'application/json' };
    const r1 = await a.call('POST', '/api/v1/messages/add-message', {
      rawBody: `{"chat_id":"${chatId}","question":"q"}`,
      headers,
    });
    const r2 = await a.call('POST', '/api/v1/messages/add-message', {
      rawBody: `{ "chat_id": "${chatId}",\n  "question": "q" }`,
      headers,
    });
    expect(r2.status).toBe(201);
    expect(r2.body).toEqual(r1.body);
  });

  test('key order does not matter either; a replay carries its own X-Request-Id', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const headers = { 'Idempotency-Key': 'order', 'Content-Type': 'application/json' };
    const r1 = await a.call('POST', '/api/v1/messages/add-message', {
      rawBody: `{"chat_id":"${chatId}","question":"q","response":"r"}`,
      headers,
    });
    const r2 = await a.call('POST', '/api/v1/messages/add-message', {
      rawBody: `{"response":"r","question":"q","chat_id":"${chatId}"}`,
      headers,
    });
    expect(r2.status).toBe(201);
    expect(r2.body).toEqual(r1.body);
    expect(r2.headers.get('x-request-id')).toBeTruthy();
    expect(r2.headers.get('x-request-id')).not.toBe(r1.headers.get('x-request-id'));
  });

  test('same key with another body (or another route) → 422, nothing stored', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'one' }, 'dup');
    const other = await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'two' }, 'dup');
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    const otherRoute = await post(a, '/api/v1/chats/create-chat', { name: 'x' }, 'dup');
    expect(otherRoute.status).toBe(422);
    expect(await a.questions(chatId)).toEqual(['one']);
    expect((await a.listChats()).body.chats).toHaveLength(1);
  });

  test('a retry while the first call is still running → 409; afterwards the replay', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = appFor({
      ...services,
      deps: {
        ...services.deps,
        responder: {
          model: 'slow',
          start: async () => {
            await gate;
            return (async function* () {
              yield { kind: 'delta' as const, text: 'slow answer' };
            })();
          },
        },
      },
    });
    const a0 = await newAccount(app);
    const a = new Client(slow, a0.token, a0.accountId);
    const { chatId } = await a.chatWith(0);
    const first = post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'q' }, 'slow');
    await Bun.sleep(50);
    const during = await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'q' }, 'slow');
    expect(during.status).toBe(409);
    release();
    const done = await first;
    expect(done.status).toBe(201);
    const after = await post(a, '/api/v1/messages/add-message', { chat_id: chatId, question: 'q' }, 'slow');
    expect(after.body).toEqual(done.body);
    expect(await a.questions(chatId)).toEqual(['q']);
  });

  test('keys are scoped per account', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const ra = await post(a, '/api/v1/chats/create-chat', { name: 'same' }, 'shared-key');
    const rb = await post(b, '/api/v1/chats/create-chat', { name: 'same' }, 'shared-key');
    expect(rb.status).toBe(201);
    expect(rb.body.chat_id).not.toBe(ra.body.chat_id);
    expect(rb.body.account_id).toBe(b.accountId);
  });

  test('an error answer is replayed too; a malformed key → 422', async () => {
    const a = await newAccount(app);
    const missing = { chat_id: crypto.randomUUID(), question: 'q' };
    const r1 = await post(a, '/api/v1/messages/add-message', missing, 'e');
    const r2 = await post(a, '/api/v1/messages/add-message', missing, 'e');
    expect(r1.status).toBe(404);
    expect(r2.status).toBe(404);
    expect(r2.body).toEqual(r1.body);
    const long = await post(a, '/api/v1/chats/create-chat', { name: 'x' }, 'k'.repeat(256));
    expect(long.status).toBe(422);
    expect((await a.listChats()).body.chats).toHaveLength(0);
  });
});

describe('Idempotency-Key leases (a first request that outlives its lease)', () => {
  /** Seconds: short, so that a request can outlive its lease within a test. */
  const LEASE = 4; // renewed every ~1.3 s: only a stall of over 2.6 s could lose it on a loaded machine
  const ADD = '/api/v1/messages/add-message';
  let short: IdempotencyStore;
  beforeAll(() => {
    short = new IdempotencyStore(services.orm, { leaseSeconds: LEASE });
  });

  /** The hash the middleware claims a key with (method, path, canonical JSON: keys sorted; flat bodies here). */
  const requestHash = (path: string, body: Record<string, unknown>) =>
    createHash('sha256')
      .update(
        `POST ${path}\n${JSON.stringify(Object.fromEntries(Object.entries(body).sort(([x], [y]) => x.localeCompare(y))))}`,
      )
      .digest('hex');

  /** A client of an app whose keys have the short lease, for a new account. */
  async function shortLeaseClient(responder = services.deps.responder) {
    const a0 = await newAccount(app);
    const served = appFor({ ...services, idempotency: short, deps: { ...services.deps, responder } });
    return new Client(served, a0.token, a0.accountId);
  }

  test('retries get 409 all along, the replay afterwards; the model was asked once, one pair stored', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const a = await shortLeaseClient({
      model: 'slow',
      start: async () => {
        calls++;
        await gate;
        return (async function* () {
          yield { kind: 'delta' as const, text: 'a long answer' };
        })();
      },
    });
    const { chatId } = await a.chatWith(0);
    const body = { chat_id: chatId, question: 'q' };
    // Control: a claim nobody renews, taken on the same store now, is free again once the lease has run out.
    const idle = `idle-${crypto.randomUUID()}`;
    expect((await short.claim(a.accountId!, idle, requestHash(ADD, body))).kind).toBe('claimed');

    const first = post(a, ADD, body, 'long');
    const until = Date.now() + 1.5 * LEASE * 1000;
    let retries = 0;
    while (Date.now() < until) {
      await Bun.sleep(500);
      const during = await post(a, ADD, body, 'long');
      expect(during.status).toBe(409);
      retries++;
    }
    expect(retries).toBeGreaterThan(0);
    // The first request has outlived its lease by half again: only renewals kept the key busy.
    expect((await short.claim(a.accountId!, idle, requestHash(ADD, body))).kind).toBe('claimed');

    release();
    const done = await first;
    expect(done.status).toBe(201);
    const after = await post(a, ADD, body, 'long');
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(after.body).toEqual(done.body);
    expect(calls).toBe(1);
    expect(await a.questions(chatId)).toEqual(['q']);
  });

  test('a claim whose owner stopped renewing (a crashed process) is taken over after its lease; its owner can no longer settle it', async () => {
    const a = await shortLeaseClient();
    const { chatId } = await a.chatWith(0);
    const body = { chat_id: chatId, question: 'q', response: 'r' };
    const key = `crashed-${crypto.randomUUID()}`;
    // Claimed as the middleware would, then never renewed nor settled: the owner "crashed".
    const stale = await short.claim(a.accountId!, key, requestHash(ADD, body));
    if (stale.kind !== 'claimed') throw new Error(`expected a claim, got ${stale.kind}`);
    expect((await post(a, ADD, body, key)).status).toBe(409);

    let retry = await post(a, ADD, body, key);
    for (const giveUp = Date.now() + 10 * LEASE * 1000; retry.status === 409 && Date.now() < giveUp; ) {
      await Bun.sleep(200);
      retry = await post(a, ADD, body, key);
    }
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();

    // The former owner's late settlement changes nothing: the key keeps the answer of the one that ran.
    await short.release(a.accountId!, key, stale.token);
    await short.complete(a.accountId!, key, stale.token, 500, 'late');
    const replay = await post(a, ADD, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(retry.body);
    expect(await a.questions(chatId)).toEqual(['q']);
  });
});
