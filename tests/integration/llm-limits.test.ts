/**
 * Edges of model answers and imports found in review, each pinned by a test (both content stores):
 * a streamed write whose Idempotency-Key cannot be recorded, an endless answer, values the columns cannot hold,
 * deep branch nesting on import, an import whose COMMIT outcome is unknown, and Accept with q=0.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { countTokens as bpe } from 'gpt-tokenizer/encoding/o200k_base';
import { createApp } from '../../src/app.js';
import type { Services } from '../../src/bootstrap.js';
import { UnavailableError } from '../../src/domain/errors.js';
import { countTokens } from '../../src/domain/generation/context.js';
import { RESPONSE_MAX } from '../../src/domain/model.js';
import type { MetadataStore, Responder } from '../../src/domain/ports.js';
import { createLogger } from '../../src/logger.js';
import { appFor, testServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';
import { parseEvents } from '../support/sse.js';

let services: Services;
beforeAll(async () => {
  services = await testServices();
});

const ADD = '/api/v1/messages/add-message';
const IMPORT = '/api/v1/chats/import-chat';
const EXPORT = '/api/v1/chats/export-chat';

function conversation(over: { t?: number; model?: unknown; promptTokens?: unknown } = {}) {
  const at = over.t ?? 1_700_000_000;
  return {
    title: 'limits',
    create_time: 1_700_000_000,
    current_node: 'a1',
    mapping: {
      root: { id: 'root', message: null, parent: null, children: ['q1'] },
      q1: {
        id: 'q1',
        parent: 'root',
        children: ['a1'],
        message: { author: { role: 'user' }, content: { content_type: 'text', parts: ['hi'] }, create_time: at },
      },
      a1: {
        id: 'a1',
        parent: 'q1',
        children: [],
        message: {
          author: { role: 'assistant' },
          content: { content_type: 'text', parts: ['hello'] },
          create_time: at,
          metadata: {
            ...(over.model === undefined ? {} : { model_slug: over.model }),
            ...(over.promptTokens === undefined ? {} : { branchat: { prompt_tokens: over.promptTokens } }),
          },
        },
      },
    },
  };
}

describe('streamed writes and Idempotency-Key', () => {
  test('the answer is stored but its key cannot be recorded: still `done`, and a retry never stores again', async () => {
    let failOnce = true;
    const real = services.idempotency;
    // The real store (its lease renewals included) but for one failing `complete`.
    const idempotency = Object.create(real) as typeof real;
    idempotency.complete = async (...args: Parameters<typeof real.complete>) => {
      if (failOnce) {
        failOnce = false;
        throw new UnavailableError('injected: the key store is down', 1);
      }
      return real.complete(...args);
    };
    const app = createApp({
      deps: services.deps,
      tokens: services.tokens,
      cache: services.cache,
      idempotency,
      log: createLogger('silent'),
      login: { maxFailures: 1000, windowSeconds: 60 },
    });
    const a = await newAccount(app);
    const chat = (await a.createChat('keyed')).body.chat_id;
    const headers = { Accept: 'text/event-stream', 'Idempotency-Key': 'stream-key' };
    const first = await a.call('POST', ADD, { body: { chat_id: chat, question: 'q' }, headers });
    const kinds = parseEvents(first.body).map((e) => e.event);
    expect(kinds.at(-1)).toBe('done');
    expect(kinds).not.toContain('error');
    // The key stays in flight (its answer was not recorded): a retry is refused, not run again.
    const retry = await a.call('POST', ADD, { body: { chat_id: chat, question: 'q' }, headers });
    expect(retry.status).toBe(409);
    expect((await a.getChat(chat)).body.chat.message_count).toBe(1);
  });

  test('Accept that refuses the stream (q=0) gets the JSON answer', async () => {
    const app = appFor(services);
    const a = await newAccount(app);
    const chat = (await a.createChat('q0')).body.chat_id;
    const r = await a.call('POST', ADD, {
      body: { chat_id: chat, question: 'q' },
      headers: { Accept: 'application/json, text/event-stream;q=0' },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toContain('application/json');
    const s = await a.call('POST', ADD, {
      body: { chat_id: chat, question: 'q' },
      headers: { Accept: 'application/json;q=0.5, text/event-stream;q=0.9' },
    });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toContain('text/event-stream');
  });
});

describe('what a model sends', () => {
  test('an endless answer is cut at RESPONSE_MAX, the model is stopped, and the pair exports and imports again', async () => {
    let stopped = false;
    const endless: Responder = {
      model: 'endless',
      async start(request) {
        request.signal.addEventListener('abort', () => {
          stopped = true;
        });
        return (async function* () {
          for (let i = 0; !request.signal.aborted && i < 1000; i++)
            yield { kind: 'delta' as const, text: 'y'.repeat(7_001) };
        })();
      },
    };
    const app = appFor({ ...services, deps: { ...services.deps, responder: endless } });
    const a = await newAccount(app);
    const chat = (await a.createChat('endless')).body.chat_id;
    const r = await a.call('POST', ADD, { body: { chat_id: chat, question: 'go on forever' } });
    expect(r.status).toBe(201);
    expect(r.body.response.length).toBe(RESPONSE_MAX);
    expect(stopped).toBe(true);
    const exported = await a.call('GET', EXPORT, { query: { chat_id: chat, format: 'chatgpt' } });
    expect((await a.call('POST', IMPORT, { body: exported.body })).status).toBe(201);
  });

  test('a model name or counts the columns cannot hold are cut or dropped, never a 500', async () => {
    const odd: Responder = {
      model: 'configured',
      async start() {
        return (async function* () {
          yield { kind: 'delta' as const, text: 'ok' };
          yield { kind: 'usage' as const, model: 'm'.repeat(300), promptTokens: 2 ** 40, completionTokens: -1 };
        })();
      },
    };
    const app = appFor({ ...services, deps: { ...services.deps, responder: odd } });
    const a = await newAccount(app);
    const chat = (await a.createChat('odd')).body.chat_id;
    const r = await a.call('POST', ADD, { body: { chat_id: chat, question: 'q' } });
    expect(r.status).toBe(201);
    expect(r.body.generation.model).toBe('m'.repeat(200));
    expect(r.body.generation.prompt_tokens).toBeLessThan(2 ** 31); // the local count instead
    expect(r.body.generation.completion_tokens).toBe(countTokens('ok'));
    expect((await a.getChat(chat)).body.qa_pairs[0].generation).toEqual(r.body.generation);
  });

  test('tokens are counted in pieces: long runs without spaces count close to the whole-text count', () => {
    for (const text of ['word '.repeat(2_000), 'y'.repeat(3_000), `${'😀'.repeat(500)}${'ab'.repeat(400)}`]) {
      const whole = countTokensWhole(text);
      const pieces = countTokens(text);
      expect(pieces).toBeGreaterThanOrEqual(whole);
      expect(pieces).toBeLessThanOrEqual(whole + Math.ceil(text.length / 200));
    }
  });
});

/** The tokenizer on the whole text at once (the reference the pieces are compared with). */
const countTokensWhole = (text: string) => bpe(text, { disallowedSpecial: new Set() });

describe('imports the stores cannot hold', () => {
  test('times outside years 1..9999, a model name over 200 characters, counts over 2^31 → 422, nothing stored', async () => {
    const app = appFor(services);
    const a = await newAccount(app);
    for (const bad of [
      conversation({ t: -8e12 }),
      conversation({ t: 8.6e12 }),
      conversation({ model: 'm'.repeat(201) }),
      conversation({ promptTokens: 2 ** 40 }),
    ]) {
      const r = await a.call('POST', IMPORT, { body: bad });
      expectProblem(r, 422);
    }
    expect((await a.listChats()).body.chats).toEqual([]);
    expect((await a.call('POST', IMPORT, { body: conversation({ model: 'm'.repeat(200) }) })).status).toBe(201);
  });

  test('branches nested deeper than 256 levels → 422; 256 levels import', async () => {
    /** Each level: a question and its answer with two follow-ups, a leaf and the next level (a new branch). */
    const nested = (levels: number) => {
      const mapping: Record<string, any> = { root: { id: 'root', message: null, parent: null, children: [] } };
      const msg = (role: string, text: string) => ({
        author: { role },
        content: { content_type: 'text', parts: [text] },
        create_time: 1_700_000_000,
      });
      let parent = 'root';
      for (let i = 0; i <= levels; i++) {
        const q = `q${i}`;
        const ans = `a${i}`;
        mapping[parent].children.push(q);
        mapping[q] = { id: q, message: msg('user', `question ${i}`), parent, children: [ans] };
        mapping[ans] = { id: ans, message: msg('assistant', `answer ${i}`), parent: q, children: [] };
        const leaf = `x${i}`;
        mapping[ans].children.push(leaf);
        mapping[leaf] = { id: leaf, message: msg('user', `leaf ${i}`), parent: ans, children: [] };
        parent = ans;
      }
      return { title: 'deep', create_time: 1_700_000_000, mapping };
    };
    const app = appFor(services);
    const a = await newAccount(app);
    const tooDeep = await a.call('POST', IMPORT, { body: nested(258) });
    expectProblem(tooDeep, 422);
    expect(JSON.stringify(tooDeep.body.errors)).toContain('256');
    expect((await a.listChats()).body.chats).toEqual([]);
    const ok = await a.call('POST', IMPORT, { body: nested(256) });
    expect(ok.status).toBe(201);
  });

  test('the import’s COMMIT outcome is unknown (connection lost): its content is kept, the tree stays readable', async () => {
    const real = services.deps.meta;
    const meta: MetadataStore = Object.create(real);
    meta.importTrees = async (trees, write, announce) => {
      await real.importTrees(trees, write, announce);
      throw new UnavailableError('injected: connection lost after COMMIT', 1);
    };
    const app = appFor({ ...services, deps: { ...services.deps, meta } });
    const a = await newAccount(app);
    const r = await a.call('POST', IMPORT, { body: conversation() });
    expectProblem(r, 503);
    // The commit went through: the conversation is there, and so is every pair of it.
    const listed = (await a.listChats()).body.chats;
    expect(listed).toHaveLength(1);
    const page = await a.getChat(listed[0].active_chat_id);
    expect(page.status).toBe(200);
    expect(page.body.qa_pairs.map((p: any) => p.response)).toEqual(['hello']);
  });
});
