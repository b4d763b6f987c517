/**
 * packages/client without a server: a fake fetch records each request and answers as the API would. (The demo
 * app drives it against the real server in tests/browser/demo.test.ts; the route tests through
 * tests/support/client.ts.)
 */
import { describe, expect, test } from 'bun:test';
import { ApiError, createBranchatClient, readAnswerStream, unwrap } from '../../packages/client/src/index.js';

const CHAT_ID = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, detail: string, extra: object = {}) =>
  new Response(JSON.stringify({ type: '/problems/x', title: 'T', status, detail, instance: 'req-1', ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });

/** A fetch answering with `answer(request)`, and the requests it got. */
function fakeFetch(answer: (request: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request.clone() as Request);
    return answer(request);
  };
  return { fetch, requests };
}

/** The ApiError a call rejects with (a call that resolves fails the test). */
const failure = (call: Promise<unknown>) =>
  call.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e as ApiError,
  );

/** A byte stream of `text` cut into `size`-byte pieces (multi-byte characters split across them). */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const page = (n: number) => ({
  chat: { chat_id: CHAT_ID },
  qa_pairs: Array.from({ length: n }, (_, i) => ({ response_id: `r${i}` })),
  has_more_before: false,
  has_more_after: false,
});

describe('createBranchatClient', () => {
  test('sends the token as a bearer header, and none without a token', async () => {
    const f = fakeFetch(() => json({ chats: [], next_cursor: null }));
    await createBranchatClient('http://api.test', { token: 'tok', fetch: f.fetch }).GET('/api/v1/chats/list-chats');
    await createBranchatClient('http://api.test', { fetch: f.fetch }).GET('/api/v1/chats/list-chats');
    expect(f.requests.map((r) => r.headers.get('Authorization'))).toEqual(['Bearer tok', null]);
    expect(f.requests[0]?.url).toBe('http://api.test/api/v1/chats/list-chats');
  });

  test('etagCache: a GET is asked again with If-None-Match and a 304 answers with the remembered body', async () => {
    let version = 1;
    const f = fakeFetch((r) => {
      const etag = `"tag-${version}"`;
      if (r.headers.get('If-None-Match') === etag) return new Response(null, { status: 304, headers: { ETag: etag } });
      return json(page(version), 200, { ETag: etag });
    });
    const client = createBranchatClient('http://api.test', { token: 't', etagCache: 10, fetch: f.fetch });
    const get = () => unwrap(client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } }));

    expect((await get()).qa_pairs).toHaveLength(1);
    const again = await get();
    expect(again.qa_pairs).toHaveLength(1); // the remembered body, from a 304
    version = 2;
    expect((await get()).qa_pairs).toHaveLength(2); // changed: a 200 with the new body, remembered in turn
    expect((await get()).qa_pairs).toHaveLength(2);
    expect(f.requests.map((r) => r.headers.get('If-None-Match'))).toEqual([null, '"tag-1"', '"tag-1"', '"tag-2"']);
  });

  test('etagCache: a 304 answers with the copy it was asked for, even if that entry was evicted meanwhile', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const f = fakeFetch(async (r) => {
      const etag = '"same"';
      if (r.headers.get('If-None-Match') === etag) {
        if (r.url.includes(CHAT_ID)) await slow; // this revalidation answers late
        return new Response(null, { status: 304, headers: { ETag: etag } });
      }
      return json(page(1), 200, { ETag: etag });
    });
    const client = createBranchatClient('http://api.test', { etagCache: 1, fetch: f.fetch });
    const other = '0193a4c2-7b1e-7cc0-9d3f-000000000000';
    const get = (chat_id: string) => unwrap(client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id } } }));
    await get(CHAT_ID); // remembered
    const late = get(CHAT_ID); // sent with If-None-Match, answered late
    await Bun.sleep(5);
    await get(other); // a single-entry cache: this evicts CHAT_ID's entry while its 304 is on its way
    release();
    expect((await late).qa_pairs).toHaveLength(1); // the 304 is served from the copy it was sent for
  });

  test('etagCache: only GETs, per URL, and without the option nothing is revalidated', async () => {
    const f = fakeFetch((r) =>
      r.method === 'GET' ? json(page(1), 200, { ETag: '"t"' }) : json({ chat_id: CHAT_ID }, 200, { ETag: '"t"' }),
    );
    const cached = createBranchatClient('http://api.test', { etagCache: 10, fetch: f.fetch });
    await cached.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } });
    await cached.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID, limit: 5 } } });
    await cached.PUT('/api/v1/chats/update-chat', { body: { chat_id: CHAT_ID, name: 'n' } });
    await cached.PUT('/api/v1/chats/update-chat', { body: { chat_id: CHAT_ID, name: 'n' } });
    const plain = createBranchatClient('http://api.test', { fetch: f.fetch });
    await plain.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } });
    await plain.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } });
    expect(f.requests.every((r) => r.headers.get('If-None-Match') === null)).toBe(true);
  });

  test('etagCache keeps the most recent URLs only', async () => {
    const f = fakeFetch(() => json(page(1), 200, { ETag: '"t"' }));
    const client = createBranchatClient('http://api.test', { etagCache: 2, fetch: f.fetch });
    const get = (limit: number) =>
      client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID, limit } } });
    await get(1);
    await get(2);
    await get(3); // evicts limit=1
    await get(1);
    await get(3);
    expect(f.requests.slice(3).map((r) => r.headers.get('If-None-Match'))).toEqual([null, '"t"']);
  });

  /** A fake server that refuses the first `refusals` requests with `refusal()`, then answers `then()`. */
  const refusing = (refusals: number, refusal: () => Response, then: () => Response = () => json(page(2))) => {
    let n = 0;
    return fakeFetch(() => (n++ < refusals ? refusal() : then()));
  };
  const busy = (status: number, retryAfter?: string) => {
    const r = problem(status, 'Too many requests');
    if (retryAfter !== undefined) r.headers.set('Retry-After', retryAfter);
    return r;
  };

  test('retryReads: a GET refused with 429 or 503 and a Retry-After is asked again after it, then answers', async () => {
    const f = refusing(2, () => busy(429, '0'));
    const client = createBranchatClient('http://api.test', { retryReads: 3, fetch: f.fetch });
    const got = await unwrap(client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } }));
    expect(got.qa_pairs).toHaveLength(2);
    expect(f.requests.map((r) => r.url)).toEqual(
      Array(3).fill(`http://api.test/api/v1/chats/get-chat?chat_id=${CHAT_ID}`),
    );
    const g = refusing(1, () => busy(503, new Date(Date.now() - 1000).toUTCString())); // an HTTP date, passed
    const other = createBranchatClient('http://api.test', { retryReads: 1, fetch: g.fetch });
    const again = await unwrap(other.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } }));
    expect(again.qa_pairs).toHaveLength(2);
    expect(g.requests).toHaveLength(2);
  });

  test('retryReads: the wait is what Retry-After says', async () => {
    const f = refusing(1, () => busy(429, '1'));
    const client = createBranchatClient('http://api.test', { retryReads: 1, fetch: f.fetch });
    const started = performance.now();
    await unwrap(client.GET('/api/v1/chats/list-chats'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(f.requests).toHaveLength(2);
  });

  test('retryReads: with etagCache the retry revalidates too, and its 304 answers with the remembered body', async () => {
    let n = 0;
    const f = fakeFetch((request) => {
      n++;
      if (n === 1) return json(page(3), 200, { ETag: '"v1"' });
      if (n === 2) return busy(429, '0');
      return request.headers.get('If-None-Match') === '"v1"' ? new Response(null, { status: 304 }) : json(page(0));
    });
    const client = createBranchatClient('http://api.test', { etagCache: 10, retryReads: 2, fetch: f.fetch });
    const get = () => unwrap(client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: CHAT_ID } } }));
    await get();
    expect((await get()).qa_pairs).toHaveLength(3);
    expect(f.requests.map((r) => r.headers.get('If-None-Match'))).toEqual([null, '"v1"', '"v1"']);
  });

  test('retryReads: at most that many times; then the refusal is the caller’s', async () => {
    const f = refusing(10, () => busy(429, '0'));
    const client = createBranchatClient('http://api.test', { retryReads: 2, fetch: f.fetch });
    const err = await failure(unwrap(client.GET('/api/v1/chats/list-chats')));
    expect(err.status).toBe(429);
    expect(f.requests).toHaveLength(3);
  });

  test('retryReads: never a write, never without a Retry-After or with one over 10 s, never without the option', async () => {
    const cases: [Parameters<typeof createBranchatClient>[1], Response, 'get' | 'post'][] = [
      [{ retryReads: 3 }, busy(429, '0'), 'post'],
      [{ retryReads: 3 }, busy(429), 'get'],
      [{ retryReads: 3 }, busy(503, '11'), 'get'],
      [{ retryReads: 3 }, busy(500, '0'), 'get'],
      [{}, busy(429, '0'), 'get'],
    ];
    for (const [options, refusal, method] of cases) {
      const f = refusing(10, () => refusal.clone() as Response);
      const client = createBranchatClient('http://api.test', { ...options, fetch: f.fetch });
      const { response } =
        method === 'post'
          ? await client.POST('/api/v1/chats/create-chat', { body: { name: 'x' } })
          : await client.GET('/api/v1/chats/list-chats');
      expect(response.status).toBe(refusal.status);
      expect(f.requests).toHaveLength(1);
    }
  });

  test('retryReads: aborting the request ends the wait at once', async () => {
    const f = refusing(10, () => busy(429, '5'));
    const client = createBranchatClient('http://api.test', { retryReads: 3, fetch: f.fetch });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('left the page')), 50);
    const started = performance.now();
    const outcome = await client.GET('/api/v1/chats/list-chats', { signal: abort.signal }).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    expect(outcome).toBe('left the page');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(f.requests).toHaveLength(1);
  });

  test('unwrap: the data, or an ApiError with the problem (its field errors in the message)', async () => {
    const f = fakeFetch(() => problem(422, 'Validation failed', { errors: [{ path: 'name', message: 'Too long' }] }));
    const client = createBranchatClient('http://api.test', { fetch: f.fetch });
    const err = await failure(unwrap(client.POST('/api/v1/chats/create-chat', { body: { name: 'x' } })));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.problem.instance).toBe('req-1');
    expect(err.message).toBe('Validation failed: name Too long');
  });

  test('unwrap: an error answer that is not a problem (a proxy’s page) becomes one from the status line', async () => {
    const f = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const client = createBranchatClient('http://api.test', { fetch: f.fetch });
    const err = await failure(unwrap(client.GET('/api/v1/chats/list-chats')));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem).toEqual({ type: 'about:blank', status: 502, title: 'Bad Gateway', detail: 'Bad Gateway' });
  });
});

describe('streamed answers (server-sent events)', () => {
  const pair = { response_id: 'r1', chat_id: CHAT_ID, question: 'q', response: 'Lisbon é ótima', type: 'text' };
  const sse = [
    ': keep-alive',
    '',
    'event: delta',
    'data: {"text":"Lisbon "}',
    '',
    'event: delta',
    'data: {"text":"é ótima"}',
    '',
    'event: done',
    `data: ${JSON.stringify(pair)}`,
    '',
    '',
  ].join('\n');

  for (const size of [1, 3, 7, 4096]) {
    test(`deltas then the stored result, read in ${size}-byte pieces`, async () => {
      const deltas: string[] = [];
      const result = await readAnswerStream(chunked(sse, size), (t) => deltas.push(t));
      expect(deltas).toEqual(['Lisbon ', 'é ótima']);
      expect(result).toEqual(pair);
    });
  }

  test('an `error` event rejects with its problem', async () => {
    const text =
      'event: delta\ndata: {"text":"Lis"}\n\nevent: error\ndata: {"type":"/problems/upstream","title":"Bad Gateway","status":502,"detail":"The model failed"}\n\n';
    const err = await failure(readAnswerStream(chunked(text, 5), () => {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem.status).toBe(502);
    expect(err.message).toBe('The model failed');
  });

  test('a stream that ends without `done` rejects (nothing was stored)', async () => {
    const err = await failure(readAnswerStream(chunked('event: delta\ndata: {"text":"Lis"}\n\n', 8), () => {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem).toMatchObject({ status: 502, detail: 'The answer stream ended without a result' });
  });

  test('streamed(): asks for an event stream with the typed body; a refused request rejects with its problem', async () => {
    let refuse = false;
    const f = fakeFetch(() =>
      refuse
        ? problem(404, 'Chat not found')
        : new Response(chunked(sse, 16), { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    );
    const client = createBranchatClient('http://api.test', { token: 't', fetch: f.fetch });
    const deltas: string[] = [];
    const stored = await client.streamed(
      '/api/v1/messages/add-message',
      { chat_id: CHAT_ID, question: 'q' },
      (t) => deltas.push(t),
      { idempotencyKey: 'k1' },
    );
    expect(stored.response_id).toBe('r1');
    expect(deltas.join('')).toBe(pair.response);
    const sent = f.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('http://api.test/api/v1/messages/add-message');
    expect(sent.headers.get('Accept')).toBe('text/event-stream');
    expect(sent.headers.get('Idempotency-Key')).toBe('k1');
    expect(sent.headers.get('Authorization')).toBe('Bearer t');
    expect(await sent.json()).toEqual({ chat_id: CHAT_ID, question: 'q' });

    refuse = true;
    const err = await failure(
      client.streamed(
        '/api/v1/branches/create-branch',
        { chat_id: CHAT_ID, response_id: 'r1', question: 'q' },
        () => {},
      ),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem).toMatchObject({ status: 404, detail: 'Chat not found' });
  });
});
