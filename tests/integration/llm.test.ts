/**
 * Model responses through the whole stack: the real app served by Bun, real PostgreSQL (and the content store
 * of the run), the OpenAI responder (official `openai` package) talking to a fake OpenAI-compatible server
 * (tests/support/fake-openai.ts). Proves:
 * - the generation recorded per pair (usage from the model, else local o200k_base counts; null for a given
 *   response), and the context sent: system prompt, the chat's visible history only (inherited prefix up to
 *   the fork, never later parent pairs or sibling branches), newest whole pairs within the token budget;
 * - server-sent events on add-message and create-branch: deltas before the answer is complete, exactly one
 *   `done` equal to the JSON answer, nothing stored before it;
 * - upstream failures (refusal → 502, hang/stall → 504, break → 502), before and during the stream, never
 *   storing anything nor echoing the upstream's message; a client going away cancels the generation upstream
 *   and stores nothing; Idempotency-Key on a streamed call; the local responder streams too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { countTokens, messageTokens } from '../../src/domain/generation/context.js';
import type { ModelMessage, Responder } from '../../src/domain/ports.js';
import { localAnswer } from '../../src/responders/local.responder.js';
import { OpenAIResponder } from '../../src/responders/openai.responder.js';
import { IdempotencyStore } from '../../src/stores/idempotency.store.js';
import { call } from '../faults/harness.js';
import { appFor, testServices } from '../support/app.js';
import type { Res } from '../support/client.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { expectProblem } from '../support/problem.js';
import { parseEventBlock, type SseEvent } from '../support/sse.js';

const ADD = '/api/v1/messages/add-message';
const BRANCH = '/api/v1/branches/create-branch';
const SSE = { Accept: 'text/event-stream' };
/** Chat Completions priming of the reply, as context.ts counts it. */
const PER_REPLY = 3;

// ---- rigs: an app with its own fake model endpoint and generation settings -----------------------

interface Rig {
  base: string;
  fake: FakeOpenAI;
  token: string;
  accountId: string;
}

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

let services: Awaited<ReturnType<typeof testServices>>;
beforeAll(async () => {
  services = await testServices();
});

/**
 * A served app whose responder asks a fresh fake (or, with `local`, the services' default responder).
 * `timeoutMs`: the generation's (between chunks); `responderTimeoutMs`: the OpenAI client's (headers).
 */
async function rig(
  o: {
    contextTokens?: number;
    timeoutMs?: number;
    responderTimeoutMs?: number;
    local?: boolean;
    /** Another endpoint than the fake's. */
    baseURL?: string;
    /** Idempotency-Key records with a lease of their own (default: the services'). */
    idempotency?: IdempotencyStore;
  } = {},
): Promise<Rig> {
  const fake = await startFakeOpenAI();
  cleanups.push(() => fake.stop());
  const responder: Responder = o.local
    ? services.deps.responder
    : new OpenAIResponder({
        baseURL: o.baseURL ?? fake.url,
        model: 'test-model',
        timeoutMs: o.responderTimeoutMs ?? 10_000,
      });
  const generation = { contextTokens: o.contextTokens ?? 8192, timeoutMs: o.timeoutMs ?? 10_000 };
  const app = appFor({
    ...services,
    idempotency: o.idempotency ?? services.idempotency,
    deps: { ...services.deps, responder, generation },
  });
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
  cleanups.push(() => server.stop(true));
  const base = `http://127.0.0.1:${server.port}`;
  const reg = await call(base, 'POST', '/api/v1/auth/register', {
    body: { email: `llm${crypto.randomUUID()}@example.com`, password: 'correct horse battery' },
  });
  expect(reg.status).toBe(201);
  return { base, fake, token: reg.body.token, accountId: reg.body.account_id };
}

/** A POST asking for an event stream; the response is returned unread. */
function post(rg: Rig, path: string, body: unknown, headers: Record<string, string> = SSE, signal?: AbortSignal) {
  return fetch(rg.base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${rg.token}`, ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

const api = {
  createChat: (rg: Rig, body: Record<string, unknown> = { name: 'llm' }) =>
    call(rg.base, 'POST', '/api/v1/chats/create-chat', { token: rg.token, body }),
  updateChat: (rg: Rig, body: Record<string, unknown>) =>
    call(rg.base, 'PUT', '/api/v1/chats/update-chat', { token: rg.token, body }),
  add: (rg: Rig, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(rg.base, 'POST', ADD, { token: rg.token, body, headers }),
  branch: (rg: Rig, body: Record<string, unknown>) => call(rg.base, 'POST', BRANCH, { token: rg.token, body }),
  getChat: (rg: Rig, chatId: string) =>
    call(rg.base, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}&limit=1000`, { token: rg.token }),
  getBranches: (rg: Rig, chatId: string) =>
    call(rg.base, 'GET', `/api/v1/branches/get-branches?chat_id=${chatId}`, { token: rg.token }),
};

async function newChat(rg: Rig, body: Record<string, unknown> = { name: 'llm' }): Promise<string> {
  const r = await api.createChat(rg, body);
  expect(r.status).toBe(201);
  return r.body.chat_id;
}

/** Adds a pair with a given response (the model is not asked); returns its response id. */
async function given(rg: Rig, chatId: string, question: string, response: string): Promise<string> {
  const r = await api.add(rg, { chat_id: chatId, question, response });
  expect(r.status).toBe(201);
  return r.body.response_id;
}

async function messageCount(rg: Rig, chatId: string): Promise<number> {
  const r = await api.getChat(rg, chatId);
  expect(r.status).toBe(200);
  return r.body.chat.message_count;
}

async function pairs(rg: Rig, chatId: string): Promise<any[]> {
  const r = await api.getChat(rg, chatId);
  expect(r.status).toBe(200);
  return r.body.qa_pairs;
}

/** The user/assistant turns of question/response pairs, in order. */
const turns = (...ps: [string, string][]): ModelMessage[] =>
  ps.flatMap(([q, a]) => [
    { role: 'user' as const, content: q },
    { role: 'assistant' as const, content: a },
  ]);

const promptCount = (messages: ModelMessage[]) => messages.reduce((n, m) => n + messageTokens(m), 0) + PER_REPLY;

// ---- small async helpers -------------------------------------------------------------------------

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

// ---- a small SSE parser over the fetch body ------------------------------------------------------

class SseReader {
  private buf = '';
  private ended = false;
  private readonly decoder = new TextDecoder();
  readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  /** Comment lines seen so far, without the leading colon. */
  readonly comments: string[] = [];
  /** Everything received, as text. */
  raw = '';

  constructor(res: Response) {
    if (!res.body) throw new Error('no body');
    this.reader = res.body.getReader();
  }

  /** The next event, or null at the end of the stream. */
  async next(timeoutMs = 5000): Promise<SseEvent | null> {
    for (;;) {
      const i = this.buf.indexOf('\n\n');
      if (i >= 0) {
        const block = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const e = parseEventBlock(block, this.comments);
        if (e) return e;
        continue;
      }
      if (this.ended) {
        if (this.buf.trim() !== '') throw new Error(`stream ended inside an event: ${JSON.stringify(this.buf)}`);
        return null;
      }
      const r = await within(this.reader.read(), timeoutMs, 'the next SSE chunk');
      if (r.done) this.ended = true;
      else {
        const text = this.decoder.decode(r.value, { stream: true });
        this.raw += text;
        this.buf += text;
      }
    }
  }

  /** Every remaining event up to the end of the stream. */
  async rest(timeoutMs = 5000): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (let e = await this.next(timeoutMs); e; e = await this.next(timeoutMs)) out.push(e);
    return out;
  }
}

/** Reads a whole stream: its deltas' texts, its final events (done / error) and all events. */
async function readAll(res: Response) {
  const sse = new SseReader(res);
  const events = await sse.rest();
  return {
    sse,
    events,
    deltas: events.filter((e) => e.event === 'delta').map((e) => e.data.text as string),
    final: events.filter((e) => e.event !== 'delta'),
  };
}

function expectEventStream(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('Content-Type') ?? '').toStartWith('text/event-stream');
}

/** A Response read as the Res expectProblem wants. */
async function asRes(res: Response): Promise<Res> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: body as any };
}

// ==================================================================================================

describe('generation recorded per pair', () => {
  test('JSON add-message: the streamed chunks are stored, with the model and usage the endpoint reported', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    rg.fake.next({
      kind: 'stream',
      chunks: ['Hello', ', ', 'world', '!'],
      delayMs: 100,
      usage: { prompt_tokens: 42, completion_tokens: 7 },
    });
    const r = await api.add(rg, { chat_id: chatId, question: 'Say hello' });
    expect(r.status).toBe(201);
    expect(r.headers.get('Content-Type') ?? '').toStartWith('application/json');
    expect(r.body.response).toBe('Hello, world!');
    expect(r.body.question).toBe('Say hello');
    const g = r.body.generation;
    expect(g).toEqual({ model: 'test-model-fake', prompt_tokens: 42, completion_tokens: 7, latency_ms: g.latency_ms });
    expect(Number.isInteger(g.latency_ms)).toBe(true);
    // From asking the model to its last chunk: four chunks 100 ms apart.
    expect(g.latency_ms).toBeGreaterThanOrEqual(350);
    expect(g.latency_ms).toBeLessThan(5000);

    // What went upstream: one streamed request for the configured model, asking for the usage report.
    expect(rg.fake.requests).toHaveLength(1);
    const sent = rg.fake.requests[0]?.body;
    expect(sent?.model).toBe('test-model');
    expect(sent?.stream).toBe(true);
    expect(sent?.stream_options).toEqual({ include_usage: true });
    expect(sent?.messages).toEqual([{ role: 'user', content: 'Say hello' }]);
    expect(await rg.fake.requests[0]?.outcome).toBe('finished');

    const page = await api.getChat(rg, chatId);
    expect(page.body.chat.message_count).toBe(1);
    expect(page.body.qa_pairs).toEqual([r.body]);
  });

  test('without a usage report: the configured model and locally counted tokens', async () => {
    const rg = await rig();
    const chatId = await newChat(rg, { name: 'counted', system_prompt: 'You answer in French, briefly.' });
    await given(rg, chatId, 'What is the capital of Italy?', 'Rome.');
    rg.fake.next({ kind: 'stream', chunks: ['La capitale ', 'est ', 'Paris', ' — évidemment.'], usage: false });
    const r = await api.add(rg, { chat_id: chatId, question: 'And of France?' });
    expect(r.status).toBe(201);
    const answer = 'La capitale est Paris — évidemment.';
    expect(r.body.response).toBe(answer);

    const received = rg.fake.requests[0]?.body.messages as ModelMessage[];
    expect(received).toEqual([
      { role: 'system', content: 'You answer in French, briefly.' },
      ...turns(['What is the capital of Italy?', 'Rome.']),
      { role: 'user', content: 'And of France?' },
    ]);
    expect(r.body.generation).toEqual({
      model: 'test-model',
      prompt_tokens: promptCount(received),
      completion_tokens: countTokens(answer),
      latency_ms: r.body.generation.latency_ms,
    });
    expect(Number.isInteger(r.body.generation.latency_ms)).toBe(true);
    expect(r.body.generation.latency_ms).toBeGreaterThanOrEqual(0);
    expect((await pairs(rg, chatId))[1]).toEqual(r.body);
  });

  test('a client-given response: generation null, the model is not asked', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    const r = await api.add(rg, { chat_id: chatId, question: 'q', response: 'my own answer' });
    expect(r.status).toBe(201);
    expect(r.body.generation).toBeNull();
    expect(r.body.response).toBe('my own answer');
    expect((await pairs(rg, chatId))[0]?.generation).toBeNull();
    expect(rg.fake.requests).toHaveLength(0);
  });
});

describe('the context sent to the model', () => {
  test('system prompt first (set, changed, removed), then the history in order, then the question', async () => {
    const rg = await rig();
    const created = await api.createChat(rg, { name: 'ctx', system_prompt: 'You are terse.' });
    expect(created.status).toBe(201);
    expect(created.body.system_prompt).toBe('You are terse.');
    const chatId = created.body.chat_id;
    await given(rg, chatId, 'q1', 'a1');
    await given(rg, chatId, 'q2', 'a2');

    rg.fake.next({ kind: 'stream', chunks: ['r3'] });
    expect((await api.add(rg, { chat_id: chatId, question: 'q3' })).status).toBe(201);
    expect(rg.fake.requests[0]?.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      ...turns(['q1', 'a1'], ['q2', 'a2']),
      { role: 'user', content: 'q3' },
    ]);

    const changed = await api.updateChat(rg, { chat_id: chatId, system_prompt: 'You are verbose.' });
    expect(changed.status).toBe(200);
    expect(changed.body.system_prompt).toBe('You are verbose.');
    rg.fake.next({ kind: 'stream', chunks: ['r4'] });
    expect((await api.add(rg, { chat_id: chatId, question: 'q4' })).status).toBe(201);
    expect(rg.fake.requests[1]?.body.messages).toEqual([
      { role: 'system', content: 'You are verbose.' },
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['q3', 'r3']),
      { role: 'user', content: 'q4' },
    ]);

    const removed = await api.updateChat(rg, { chat_id: chatId, system_prompt: null });
    expect(removed.status).toBe(200);
    expect(removed.body.system_prompt).toBeNull();
    rg.fake.next({ kind: 'stream', chunks: ['r5'] });
    expect((await api.add(rg, { chat_id: chatId, question: 'q5' })).status).toBe(201);
    expect(rg.fake.requests[2]?.body.messages).toEqual([
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['q3', 'r3'], ['q4', 'r4']),
      { role: 'user', content: 'q5' },
    ]);
    expect((await api.getChat(rg, chatId)).body.chat.system_prompt).toBeNull();
  });

  test('the system prompt is the conversation’s: a branch sends the one set later on the root', async () => {
    const rg = await rig();
    const rootId = await newChat(rg, { name: 'conv', system_prompt: 'first prompt' });
    const p1 = await given(rg, rootId, 'q1', 'a1');
    const br = await api.branch(rg, { chat_id: rootId, response_id: p1 });
    expect(br.status).toBe(201);
    expect(br.body.chat.system_prompt).toBe('first prompt');
    const branchId = br.body.chat.chat_id;

    expect((await api.updateChat(rg, { chat_id: rootId, system_prompt: 'second prompt' })).status).toBe(200);
    expect((await api.getChat(rg, branchId)).body.chat.system_prompt).toBe('second prompt');
    rg.fake.next({ kind: 'stream', chunks: ['x'] });
    expect((await api.add(rg, { chat_id: branchId, question: 'in the branch' })).status).toBe(201);
    expect(rg.fake.requests[0]?.body.messages).toEqual([
      { role: 'system', content: 'second prompt' },
      ...turns(['q1', 'a1']),
      { role: 'user', content: 'in the branch' },
    ]);
  });

  test('a branch sends its inherited prefix up to the fork and its own pairs, never later or sibling pairs', async () => {
    const rg = await rig();
    const rootId = await newChat(rg);
    const [, p2, p3] = [
      await given(rg, rootId, 'q1', 'a1'),
      await given(rg, rootId, 'q2', 'a2'),
      await given(rg, rootId, 'q3', 'a3'),
      await given(rg, rootId, 'q4', 'a4'),
    ];
    // A and S fork from the root after q3; C forks from A at q2, a pair A only inherits.
    const a = await api.branch(rg, { chat_id: rootId, response_id: p3, question: 'A1', response: 'A1r' });
    const s = await api.branch(rg, { chat_id: rootId, response_id: p3, question: 'S1', response: 'S1r' });
    expect([a.status, s.status]).toEqual([201, 201]);
    const aId = a.body.chat.chat_id;
    const c = await api.branch(rg, { chat_id: aId, response_id: p2, question: 'C1', response: 'C1r' });
    expect(c.status).toBe(201);
    const cId = c.body.chat.chat_id;
    expect(c.body.chat.message_count).toBe(3);

    rg.fake.next({ kind: 'stream', chunks: ['A2r'] });
    expect((await api.add(rg, { chat_id: aId, question: 'A2' })).status).toBe(201);
    expect(rg.fake.requests[0]?.body.messages).toEqual([
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['q3', 'a3'], ['A1', 'A1r']),
      { role: 'user', content: 'A2' },
    ]);

    rg.fake.next({ kind: 'stream', chunks: ['C2r'] });
    expect((await api.add(rg, { chat_id: cId, question: 'C2' })).status).toBe(201);
    expect(rg.fake.requests[1]?.body.messages).toEqual([
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['C1', 'C1r']),
      { role: 'user', content: 'C2' },
    ]);

    // The root still sends its own whole history, none of the branches'.
    rg.fake.next({ kind: 'stream', chunks: ['a5'] });
    expect((await api.add(rg, { chat_id: rootId, question: 'q5' })).status).toBe(201);
    expect(rg.fake.requests[2]?.body.messages).toEqual([
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['q3', 'a3'], ['q4', 'a4']),
      { role: 'user', content: 'q5' },
    ]);
  });

  test('create-branch with a question and no response: the context is the fork’s history', async () => {
    const rg = await rig();
    const rootId = await newChat(rg);
    const p1 = await given(rg, rootId, 'q1', 'a1');
    const p2 = await given(rg, rootId, 'q2', 'a2');
    await given(rg, rootId, 'q3', 'a3');
    const a = await api.branch(rg, { chat_id: rootId, response_id: p2, question: 'A1', response: 'A1r' });
    const aId = a.body.chat.chat_id;
    const a1 = a.body.qa_pair.response_id;

    // From A's own pair: the whole of A's history.
    rg.fake.next({ kind: 'stream', chunks: ['D', '1r'], usage: false });
    const d = await api.branch(rg, { chat_id: aId, response_id: a1, question: 'D1' });
    expect(d.status).toBe(201);
    expect(rg.fake.requests[0]?.body.messages).toEqual([
      ...turns(['q1', 'a1'], ['q2', 'a2'], ['A1', 'A1r']),
      { role: 'user', content: 'D1' },
    ]);
    expect(d.body.qa_pair.response).toBe('D1r');
    expect(d.body.qa_pair.generation.prompt_tokens).toBe(
      promptCount(rg.fake.requests[0]?.body.messages as ModelMessage[]),
    );
    expect(d.body.chat.message_count).toBe(4);
    expect((await pairs(rg, d.body.chat.chat_id)).map((p) => p.question)).toEqual(['q1', 'q2', 'A1', 'D1']);

    // From a pair A inherits: only the prefix up to it.
    rg.fake.next({ kind: 'stream', chunks: ['E1r'] });
    const e = await api.branch(rg, { chat_id: aId, response_id: p1, question: 'E1' });
    expect(e.status).toBe(201);
    expect(rg.fake.requests[1]?.body.messages).toEqual([...turns(['q1', 'a1']), { role: 'user', content: 'E1' }]);
  });

  describe('token budget', () => {
    const system = 'You are a careful assistant who answers in one sentence.';
    const question = 'Which of the earlier answers was the longest, and why?';
    // Oldest first; pair 2 is tiny (a trimmer that skipped over a pair would pick it up).
    const history: [string, string][] = [
      ['Tell me about the first topic in some detail please.', 'The first topic is about many things indeed.'],
      ['ok?', 'ok'],
      ['What about the third topic, which is rather long?', 'The third topic has a long, winding answer too.'],
      ['And the fourth one, quickly?', 'Fourth: short and sweet, more or less.'],
      ['Finally the fifth and newest question here.', 'The fifth answer closes the history.'],
    ];
    const cost = ([q, a]: [string, string]) => promptCount(turns([q, a])) - PER_REPLY;
    const base = promptCount([
      { role: 'system', content: system },
      { role: 'user', content: question },
    ]);

    async function askWithBudget(contextTokens: number) {
      const rg = await rig({ contextTokens });
      const chatId = await newChat(rg, { name: 'budget', system_prompt: system });
      for (const [q, a] of history) await given(rg, chatId, q, a);
      rg.fake.next({ kind: 'stream', chunks: ['fine'], usage: false });
      const r = await api.add(rg, { chat_id: chatId, question });
      expect(r.status).toBe(201);
      const sent = rg.fake.requests[0]?.body.messages as ModelMessage[];
      expect(sent[0]).toEqual({ role: 'system', content: system });
      expect(sent.at(-1)).toEqual({ role: 'user', content: question });
      // The recorded prompt size is what was sent.
      expect(r.body.generation.prompt_tokens).toBe(promptCount(sent));
      return { sent, rg, chatId };
    }

    test('the newest whole pairs that fit are sent, oldest dropped, within the budget (boundary exact)', async () => {
      const fits2 = base + cost(history[4] as [string, string]) + cost(history[3] as [string, string]);
      // Exactly the budget of the two newest pairs: both sent.
      const exact = await askWithBudget(fits2);
      expect(exact.sent).toEqual([
        { role: 'system', content: system },
        ...turns(history[3] as [string, string], history[4] as [string, string]),
        { role: 'user', content: question },
      ]);
      expect(promptCount(exact.sent)).toBe(fits2);

      // One token less: only the newest; the tiny older pair 2 is not picked up either (no gaps).
      const less = await askWithBudget(fits2 - 1);
      expect(less.sent).toEqual([
        { role: 'system', content: system },
        ...turns(history[4] as [string, string]),
        { role: 'user', content: question },
      ]);
      expect(promptCount(less.sent)).toBeLessThanOrEqual(fits2 - 1);

      // A large budget: everything, in order.
      const all = await askWithBudget(100_000);
      expect(all.sent).toEqual([
        { role: 'system', content: system },
        ...turns(...history),
        { role: 'user', content: question },
      ]);
      // The stored history is untouched by trimming.
      expect((await pairs(less.rg, less.chatId)).map((p) => p.question)).toEqual([
        ...history.map(([q]) => q),
        question,
      ]);
    });

    test('the sent prompt never exceeds the budget, whatever the budget', async () => {
      for (const extra of [0, 7, 25, 60, 120]) {
        const budget = base + extra;
        const { sent } = await askWithBudget(budget);
        expect(promptCount(sent)).toBeLessThanOrEqual(budget);
        // Whole pairs: user/assistant alternate between the system prompt and the question.
        const middle = sent.slice(1, -1);
        expect(middle.length % 2).toBe(0);
        expect(middle.map((m) => m.role)).toEqual(middle.map((_, i) => (i % 2 === 0 ? 'user' : 'assistant')));
        // And it is the newest suffix of the history.
        expect(middle).toEqual(turns(...history).slice(turns(...history).length - middle.length));
      }
    });

    test('a budget smaller than system prompt + question still sends both, alone', async () => {
      const { sent } = await askWithBudget(base - 1);
      expect(sent).toEqual([
        { role: 'system', content: system },
        { role: 'user', content: question },
      ]);
      const tiny = await askWithBudget(1);
      expect(tiny.sent).toEqual(sent);
    });
  });
});

describe('server-sent events', () => {
  test('add-message: deltas arrive before the answer is complete; one done equal to the stored pair', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['Once ', 'upon ', 'a ', 'time.'], gate: g.promise, gateAt: 3 });
    const res = await post(rg, ADD, { chat_id: chatId, question: 'A story?' });
    expectEventStream(res);
    expect(res.headers.get('Cache-Control') ?? '').toContain('no-cache');
    const sse = new SseReader(res);

    const early: SseEvent[] = [];
    while (early.length < 3) {
      const e = await sse.next();
      if (!e) throw new Error('stream ended early');
      early.push(e);
    }
    expect(early).toEqual([
      { event: 'delta', data: { text: 'Once ' } },
      { event: 'delta', data: { text: 'upon ' } },
      { event: 'delta', data: { text: 'a ' } },
    ]);
    expect(sse.raw).toStartWith(': stream open\n\n');
    // The answer is not complete: nothing stored yet.
    expect(await messageCount(rg, chatId)).toBe(0);
    expect(await pairs(rg, chatId)).toEqual([]);

    g.open();
    const rest = await sse.rest();
    const events = [...early, ...rest];
    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text);
    expect(deltas).toEqual(['Once ', 'upon ', 'a ', 'time.']);
    expect(events.filter((e) => e.event !== 'delta').map((e) => e.event)).toEqual(['done']);
    expect(events.at(-1)?.event).toBe('done');
    const done = events.at(-1)?.data;

    const stored = await pairs(rg, chatId);
    expect(stored).toHaveLength(1);
    expect(done).toEqual(stored[0]);
    expect(done.response).toBe(deltas.join(''));
    expect(done.generation.model).toBe('test-model-fake');
    expect(done.generation.completion_tokens).toBe(4); // the fake's usage report
  });

  test('create-branch with a question: done is {chat, qa_pair}; the branch exists only after it', async () => {
    const rg = await rig();
    const rootId = await newChat(rg);
    const p1 = await given(rg, rootId, 'q1', 'a1');
    await given(rg, rootId, 'q2', 'a2');
    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['branch ', 'answer'], gate: g.promise, gateAt: 1 });
    const res = await post(rg, BRANCH, { chat_id: rootId, response_id: p1, question: 'fork here', name: 'side' });
    expectEventStream(res);
    const sse = new SseReader(res);
    expect(await sse.next()).toEqual({ event: 'delta', data: { text: 'branch ' } });

    const during = await api.getBranches(rg, rootId);
    expect(during.status).toBe(200);
    expect(during.body.count).toBe(1);
    expect(during.body.tree.children).toEqual([]);
    expect(during.body.active_chat_id).toBe(rootId);

    g.open();
    const rest = await sse.rest();
    expect(rest.map((e) => e.event)).toEqual(['delta', 'done']);
    const done = rest[1]?.data;
    expect(Object.keys(done).sort()).toEqual(['chat', 'qa_pair']);
    expect(done.chat.name).toBe('side');
    expect(done.chat.parent_chat_id).toBe(rootId);
    expect(done.chat.fork_response_id).toBe(p1);
    expect(done.chat.message_count).toBe(2);
    expect(done.qa_pair.response).toBe('branch answer');
    expect(done.qa_pair.question).toBe('fork here');

    const after = await api.getBranches(rg, rootId);
    expect(after.body.count).toBe(2);
    expect(after.body.tree.children.map((n: { chat_id: string }) => n.chat_id)).toEqual([done.chat.chat_id]);
    const page = await api.getChat(rg, done.chat.chat_id);
    // get-chat's chat also carries the usage of its history: here the one generated answer.
    const { usage, ...chat } = page.body.chat;
    expect(chat).toEqual(done.chat);
    expect(usage).toEqual({
      prompt_tokens: done.qa_pair.generation.prompt_tokens,
      completion_tokens: done.qa_pair.generation.completion_tokens,
    });
    expect(page.body.qa_pairs.at(-1)).toEqual(done.qa_pair);
  });

  test('text the model sends is stored as streamed: deltas concatenate to the stored response, NUL included', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    rg.fake.next({ kind: 'stream', chunks: ['naïve ', 'café ', '😀 ', 'a\u0000b', ''] });
    const { deltas, final } = await readAll(await post(rg, ADD, { chat_id: chatId, question: 'unicode?' }));
    expect(final.map((e) => e.event)).toEqual(['done']);
    // PostgreSQL text cannot hold U+0000: it becomes U+FFFD, in the delta as in the stored pair.
    expect(deltas).toEqual(['naïve ', 'café ', '😀 ', 'a\uFFFDb']);
    expect(final[0]?.data.response).toBe(deltas.join(''));
    expect((await pairs(rg, chatId))[0]?.response).toBe(deltas.join(''));
  });

  test('a client-given response: one delta with it, done with generation null', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    const res = await post(rg, ADD, { chat_id: chatId, question: 'q', response: 'given text' });
    expectEventStream(res);
    const { events } = await readAll(res);
    expect(events.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(events[0]?.data).toEqual({ text: 'given text' });
    expect(events[1]?.data.generation).toBeNull();
    expect(events[1]?.data.response).toBe('given text');
    expect(await pairs(rg, chatId)).toEqual([events[1]?.data]);
    expect(rg.fake.requests).toHaveLength(0);
  });

  test('the local responder streams too: deltas make localAnswer(question), model branchat-local', async () => {
    const rg = await rig({ local: true });
    const chatId = await newChat(rg);
    const question = 'What does the local responder say?';
    const res = await post(rg, ADD, { chat_id: chatId, question });
    expectEventStream(res);
    const { deltas, final } = await readAll(res);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(localAnswer(question));
    expect(final.map((e) => e.event)).toEqual(['done']);
    expect(final[0]?.data.generation.model).toBe('branchat-local');
    expect(final[0]?.data.response).toBe(localAnswer(question));
    expect(await pairs(rg, chatId)).toEqual([final[0]?.data]);
    expect(rg.fake.requests).toHaveLength(0);
  });

  test('errors before the stream starts are plain problems: 404 chat, 422 body', async () => {
    const rg = await rig();
    const missing = await asRes(await post(rg, ADD, { chat_id: crypto.randomUUID(), question: 'anyone?' }));
    expectProblem(missing, 404);
    const missingBranch = await asRes(
      await post(rg, BRANCH, { chat_id: crypto.randomUUID(), response_id: crypto.randomUUID(), question: 'x' }),
    );
    expectProblem(missingBranch, 404);
    const chatId = await newChat(rg);
    const bad = await asRes(await post(rg, ADD, { chat_id: chatId, question: 'x', extra: 1 }));
    expectProblem(bad, 422);
    expect(rg.fake.requests).toHaveLength(0);
  });
});

describe('upstream failures', () => {
  for (const status of [500, 401, 429]) {
    test(`the endpoint refuses with ${status}: 502 problem in both modes, nothing stored, its text not echoed`, async () => {
      const rg = await rig();
      const chatId = await newChat(rg);
      await given(rg, chatId, 'q1', 'a1');
      const secret = `UPSTREAM-SECRET-${crypto.randomUUID()}`;

      rg.fake.next({ kind: 'status', status, message: secret });
      const streamed = await asRes(await post(rg, ADD, { chat_id: chatId, question: 'q2' }));
      expectProblem(streamed, 502);
      expect(JSON.stringify(streamed.body)).not.toContain(secret);

      rg.fake.next({ kind: 'status', status, message: secret });
      const json = await api.add(rg, { chat_id: chatId, question: 'q2' });
      expectProblem(json, 502);
      expect(JSON.stringify(json.body)).not.toContain(secret);

      rg.fake.next({ kind: 'status', status, message: secret });
      const branch = await api.branch(rg, {
        chat_id: chatId,
        response_id: (await pairs(rg, chatId))[0].response_id,
        question: 'fork',
      });
      expectProblem(branch, 502);
      expect(JSON.stringify(branch.body)).not.toContain(secret);

      // No retries (a retried generation could be billed twice), nothing stored.
      expect(rg.fake.requests).toHaveLength(3);
      expect(await messageCount(rg, chatId)).toBe(1);
      expect((await api.getBranches(rg, chatId)).body.count).toBe(1);
    });
  }

  for (const which of ['generation', 'responder'] as const) {
    test(`the endpoint hangs before headers (${which} timeout 300 ms): 504 in both modes, nothing stored`, async () => {
      const rg = await rig(which === 'generation' ? { timeoutMs: 300 } : { responderTimeoutMs: 300 });
      const chatId = await newChat(rg);

      for (const headers of [SSE, {}]) {
        rg.fake.next({ kind: 'hang' });
        const t0 = performance.now();
        const r = await asRes(await post(rg, ADD, { chat_id: chatId, question: 'hello?' }, headers));
        const elapsed = performance.now() - t0;
        expectProblem(r, 504);
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(5000);
      }
      expect(rg.fake.requests).toHaveLength(2);
      // The hung requests are given up upstream, not left open.
      for (const req of rg.fake.requests) expect(await within(req.outcome, 3000, 'upstream cancel')).toBe('cancelled');
      expect(await messageCount(rg, chatId)).toBe(0);
    });
  }

  test('a stall after the first chunks: SSE deltas then one 504 error event; JSON 504; nothing stored', async () => {
    const rg = await rig({ timeoutMs: 300 });
    const chatId = await newChat(rg);

    rg.fake.next({ kind: 'stall', chunks: ['partial ', 'answer'] });
    const res = await post(rg, ADD, { chat_id: chatId, question: 'q' });
    expectEventStream(res);
    const { events, deltas } = await readAll(res);
    expect(deltas).toEqual(['partial ', 'answer']);
    expect(events.map((e) => e.event)).toEqual(['delta', 'delta', 'error']);
    const problem = events[2]?.data;
    expect(problem.status).toBe(504);
    for (const k of ['type', 'title', 'detail']) expect(typeof problem[k]).toBe('string');
    expect(problem.instance).toBe(res.headers.get('X-Request-Id'));
    expect(await within(rg.fake.requests[0]!.outcome, 3000, 'upstream cancel')).toBe('cancelled');

    rg.fake.next({ kind: 'stall', chunks: ['partial'] });
    const json = await api.add(rg, { chat_id: chatId, question: 'q' });
    expectProblem(json, 504);
    expect(await within(rg.fake.requests[1]!.outcome, 3000, 'upstream cancel')).toBe('cancelled');

    expect(await messageCount(rg, chatId)).toBe(0);
  });

  test('the connection breaks mid-stream: SSE deltas then one 502 error event; JSON 502; nothing stored', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);

    rg.fake.next({ kind: 'break', chunks: ['half ', 'an '] });
    const res = await post(rg, ADD, { chat_id: chatId, question: 'q' });
    expectEventStream(res);
    const { events, deltas } = await readAll(res);
    expect(deltas).toEqual(['half ', 'an ']);
    expect(events.map((e) => e.event)).toEqual(['delta', 'delta', 'error']);
    expect(events[2]?.data.status).toBe(502);

    rg.fake.next({ kind: 'break', chunks: ['half ', 'an '] });
    const json = await api.add(rg, { chat_id: chatId, question: 'q' });
    // An upstream failure, not "the database is unavailable" (503 + Retry-After).
    expectProblem(json, 502);
    expect(json.headers.get('Retry-After')).toBeNull();

    expect(rg.fake.requests).toHaveLength(2);
    expect(await messageCount(rg, chatId)).toBe(0);
  });

  test('the endpoint resets the connection before headers: 502 in both modes, nothing stored', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    for (const headers of [SSE, {}]) {
      rg.fake.next({ kind: 'reset' });
      const r = await asRes(await post(rg, ADD, { chat_id: chatId, question: 'q' }, headers));
      expectProblem(r, 502);
      expect(r.headers.get('Retry-After')).toBeNull();
    }
    expect(rg.fake.requests).toHaveLength(2);
    expect(await messageCount(rg, chatId)).toBe(0);
  });

  test('the endpoint cannot be reached (connection refused): 502 in both modes, nothing stored', async () => {
    // A port that was just free: nothing listens there.
    const closed = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const url = `http://127.0.0.1:${closed.port}/v1`;
    closed.stop(true);
    const rg = await rig({ baseURL: url });
    const chatId = await newChat(rg);
    for (const headers of [SSE, {}]) {
      const r = await asRes(await post(rg, ADD, { chat_id: chatId, question: 'q' }, headers));
      expectProblem(r, 502);
      expect(r.body.detail).not.toMatch(/database/i);
      expect(r.headers.get('Retry-After')).toBeNull();
    }
    expect(await messageCount(rg, chatId)).toBe(0);
  });

  test('a stream that fails ends with error only: a later call on the same chat works', async () => {
    const rg = await rig({ timeoutMs: 300 });
    const chatId = await newChat(rg);
    rg.fake.next({ kind: 'stall', chunks: ['x'] });
    await readAll(await post(rg, ADD, { chat_id: chatId, question: 'q' }));
    rg.fake.next({ kind: 'stream', chunks: ['fine'] });
    const ok = await api.add(rg, { chat_id: chatId, question: 'q again' });
    expect(ok.status).toBe(201);
    expect(ok.body.response).toBe('fine');
    expect(await messageCount(rg, chatId)).toBe(1);
  });
});

describe('the client going away', () => {
  test('an aborted stream cancels the generation upstream and stores nothing; the server keeps serving', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    await given(rg, chatId, 'q1', 'a1');
    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['first ', 'second ', 'third'], gate: g.promise, gateAt: 1 });
    const ctl = new AbortController();
    const res = await post(rg, ADD, { chat_id: chatId, question: 'leaving soon' }, SSE, ctl.signal);
    expectEventStream(res);
    const sse = new SseReader(res);
    expect(await sse.next()).toEqual({ event: 'delta', data: { text: 'first ' } });
    ctl.abort();
    await sse.reader.cancel().catch(() => {});

    expect(rg.fake.requests).toHaveLength(1);
    expect(await within(rg.fake.requests[0]!.outcome, 5000, 'the upstream request to be cancelled')).toBe('cancelled');
    g.open();
    await Bun.sleep(300);
    expect(await messageCount(rg, chatId)).toBe(1);
    expect((await pairs(rg, chatId)).map((p) => p.question)).toEqual(['q1']);

    rg.fake.next({ kind: 'stream', chunks: ['still ', 'here'] });
    const later = await readAll(await post(rg, ADD, { chat_id: chatId, question: 'back again' }));
    expect(later.final.map((e) => e.event)).toEqual(['done']);
    expect(later.final[0]?.data.response).toBe('still here');
    expect((await pairs(rg, chatId)).map((p) => p.question)).toEqual(['q1', 'back again']);
  });

  test('a branch stream aborted by the client creates no branch', async () => {
    const rg = await rig();
    const rootId = await newChat(rg);
    const p1 = await given(rg, rootId, 'q1', 'a1');
    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['a', 'b'], gate: g.promise, gateAt: 1 });
    const ctl = new AbortController();
    const res = await post(rg, BRANCH, { chat_id: rootId, response_id: p1, question: 'fork' }, SSE, ctl.signal);
    const sse = new SseReader(res);
    expect((await sse.next())?.event).toBe('delta');
    ctl.abort();
    await sse.reader.cancel().catch(() => {});
    expect(await within(rg.fake.requests[0]!.outcome, 5000, 'upstream cancel')).toBe('cancelled');
    g.open();
    await Bun.sleep(300);
    const tree = await api.getBranches(rg, rootId);
    expect(tree.body.count).toBe(1);
    expect(tree.body.active_chat_id).toBe(rootId);
  });
});

describe('Idempotency-Key on a streamed call', () => {
  test('the completed stream is replayed as JSON 201 or as a done-only stream; one pair, one upstream request', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const body = { chat_id: chatId, question: 'only once please' };

    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['one ', 'time'], gate: g.promise, gateAt: 1 });
    const first = await post(rg, ADD, body, { ...SSE, ...key });
    expectEventStream(first);
    const sse = new SseReader(first);
    expect((await sse.next())?.event).toBe('delta');
    // While it runs, the same key is busy.
    const busy = await api.add(rg, body, key);
    expectProblem(busy, 409);
    g.open();
    const rest = await sse.rest();
    expect(rest.map((e) => e.event)).toEqual(['delta', 'done']);
    const done = rest[1]?.data;

    const json = await api.add(rg, body, key);
    expect(json.status).toBe(201);
    expect(json.headers.get('Idempotent-Replayed')).toBe('true');
    expect(json.headers.get('Content-Type') ?? '').toStartWith('application/json');
    expect(json.body).toEqual(done);

    const replay = await post(rg, ADD, body, { ...SSE, ...key });
    expectEventStream(replay);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    const replayed = await readAll(replay);
    expect(replayed.events).toEqual([{ event: 'done', data: done }]);

    expect(await pairs(rg, chatId)).toEqual([done]);
    expect(rg.fake.requests).toHaveLength(1);
  });

  test('a stream that outlives its lease keeps its key: 409 all along, then the replay; one upstream request, one pair', async () => {
    const LEASE = 4; // seconds: renewed every ~1.3 s, so only a stall of over 2.6 s could lose it
    const short = new IdempotencyStore(services.orm, { leaseSeconds: LEASE });
    const rg = await rig({ idempotency: short });
    const chatId = await newChat(rg);
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const body = { chat_id: chatId, question: 'a long one' };
    // Control: a claim nobody renews, taken now on the same store, is free again once its lease ran out.
    const idle = crypto.randomUUID();
    expect((await short.claim(rg.accountId, idle, '0'.repeat(64))).kind).toBe('claimed');

    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['a ', 'long ', 'answer'], gate: g.promise, gateAt: 1 });
    const first = await post(rg, ADD, body, { ...SSE, ...key });
    expectEventStream(first);
    const sse = new SseReader(first);
    expect((await sse.next())?.event).toBe('delta');
    const until = Date.now() + 1.5 * LEASE * 1000;
    while (Date.now() < until) {
      await Bun.sleep(500);
      expectProblem(await api.add(rg, body, key), 409);
    }
    // The stream has outlived its lease by half again: only renewals kept the key busy.
    expect((await short.claim(rg.accountId, idle, '0'.repeat(64))).kind).toBe('claimed');
    g.open();
    const rest = await sse.rest();
    expect(rest.map((e) => e.event)).toEqual(['delta', 'delta', 'done']);
    const done = rest[2]?.data;

    const replay = await api.add(rg, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.body).toEqual(done);
    expect(await pairs(rg, chatId)).toEqual([done]);
    expect(rg.fake.requests).toHaveLength(1);
  });

  test('a keyed stream the client left releases its key: the retry runs again', async () => {
    const rg = await rig();
    const chatId = await newChat(rg);
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const body = { chat_id: chatId, question: 'left and came back' };
    const g = gate();
    rg.fake.next({ kind: 'stream', chunks: ['a', 'b'], gate: g.promise, gateAt: 1 });
    const ctl = new AbortController();
    const sse = new SseReader(await post(rg, ADD, body, { ...SSE, ...key }, ctl.signal));
    expect((await sse.next())?.event).toBe('delta');
    ctl.abort();
    await sse.reader.cancel().catch(() => {});
    expect(await within(rg.fake.requests[0]!.outcome, 5000, 'upstream cancel')).toBe('cancelled');
    g.open();
    await Bun.sleep(200);

    rg.fake.next({ kind: 'stream', chunks: ['second ', 'time'] });
    const retry = await post(rg, ADD, body, { ...SSE, ...key });
    expectEventStream(retry);
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull();
    const ok = await readAll(retry);
    expect(ok.final.map((e) => e.event)).toEqual(['done']);
    expect(ok.final[0]?.data.response).toBe('second time');
    expect(await pairs(rg, chatId)).toEqual([ok.final[0]?.data]);
  });

  test('a streamed call that failed releases its key: the retry runs again', async () => {
    const rg = await rig({ timeoutMs: 300 });
    const chatId = await newChat(rg);
    const key = { 'Idempotency-Key': crypto.randomUUID() };
    const body = { chat_id: chatId, question: 'retry me' };

    rg.fake.next({ kind: 'stall', chunks: ['x'] });
    const failed = await readAll(await post(rg, ADD, body, { ...SSE, ...key }));
    expect(failed.final.map((e) => e.event)).toEqual(['error']);

    rg.fake.next({ kind: 'stream', chunks: ['second ', 'try'] });
    const retry = await post(rg, ADD, body, { ...SSE, ...key });
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull();
    const ok = await readAll(retry);
    expect(ok.final.map((e) => e.event)).toEqual(['done']);
    expect(ok.final[0]?.data.response).toBe('second try');
    expect(rg.fake.requests).toHaveLength(2);
    expect(await pairs(rg, chatId)).toEqual([ok.final[0]?.data]);
  });
});

describe('regenerate', () => {
  const REGENERATE = '/api/v1/messages/regenerate';
  const regenerate = (rg: Rig, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(rg.base, 'POST', REGENERATE, { token: rg.token, body, headers });

  test('the model is asked the same question with the history before it; the new answer sits beside the old', async () => {
    const rg = await rig();
    const chatId = await newChat(rg, { name: 'regen', system_prompt: 'Be brief.' });
    await given(rg, chatId, 'q1', 'a1');
    const p2 = await given(rg, chatId, 'q2', 'a2');
    await given(rg, chatId, 'q3', 'a3');

    rg.fake.next({ kind: 'stream', chunks: ['a2, ', 'again'], usage: { prompt_tokens: 21, completion_tokens: 3 } });
    const r = await regenerate(rg, { response_id: p2 });
    expect(r.status).toBe(201);
    expect(rg.fake.requests[0]?.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      ...turns(['q1', 'a1']),
      { role: 'user', content: 'q2' },
    ]);
    expect(r.body.qa_pair.response).toBe('a2, again');
    expect(r.body.qa_pair.generation).toMatchObject({ prompt_tokens: 21, completion_tokens: 3 });
    // The old answer and what followed it are untouched; the new one is the other alternative after q1.
    const root = await pairs(rg, chatId);
    expect(root.map((p) => p.response)).toEqual(['a1', 'a2', 'a3']);
    expect(root[0].branches).toEqual([r.body.chat.chat_id]);
    expect((await pairs(rg, r.body.chat.chat_id)).map((p) => [p.question, p.response])).toEqual([
      ['q1', 'a1'],
      ['q2', 'a2, again'],
    ]);

    // The first question: asked with no history at all.
    rg.fake.next({ kind: 'stream', chunks: ['a1 bis'] });
    const first = await regenerate(rg, { response_id: root[0].response_id });
    expect(first.status).toBe(201);
    expect(rg.fake.requests[1]?.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'q1' },
    ]);
    expect(first.body.chat.fork_response_id).toBeNull();
  });

  test('a failing model is a 502, a silent one a 504, streamed or not: nothing stored', async () => {
    const rg = await rig({ timeoutMs: 300 });
    const chatId = await newChat(rg);
    const p1 = await given(rg, chatId, 'q1', 'a1');

    rg.fake.next({ kind: 'status', status: 500, message: 'down' });
    expectProblem(await regenerate(rg, { response_id: p1 }), 502);
    rg.fake.next({ kind: 'status', status: 500, message: 'down' });
    expectProblem(await asRes(await post(rg, REGENERATE, { response_id: p1 })), 502);
    rg.fake.next({ kind: 'hang' });
    expectProblem(await regenerate(rg, { response_id: p1 }), 504);

    // A stall once streaming: the deltas, then one error event, and no branch.
    rg.fake.next({ kind: 'stall', chunks: ['half '] });
    const res = await post(rg, REGENERATE, { response_id: p1 });
    expectEventStream(res);
    const { events } = await readAll(res);
    expect(events.map((e) => e.event)).toEqual(['delta', 'error']);
    expect(events[1]?.data.status).toBe(504);

    const tree = await api.getBranches(rg, chatId);
    expect(tree.body.count).toBe(1);
    expect((await api.getChat(rg, chatId)).body.start_branches).toEqual([]);
  });
});
