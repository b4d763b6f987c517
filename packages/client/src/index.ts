/**
 * @branchat/client: a typed client of the branchat HTTP API. Requests and responses are typed by `paths`, the
 * types generated from openapi.json (schema.d.ts, `npm run openapi`); the calls are openapi-fetch's
 * (`client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id } } })` → `{ data, error, response }`).
 * Added: the bearer token, optional ETag revalidation of GET answers, `unwrap` (data, or an ApiError carrying the
 * RFC 9457 problem), and the streamed answers of add-message and create-branch (server-sent events).
 */
import { createParser } from 'eventsource-parser';
import createClient, { type Client, type HeadersOptions, type Middleware, mergeHeaders } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };

type Schemas = components['schemas'];
export type Chat = Schemas['Chat'];
export type ConversationSummary = Schemas['ConversationSummary'];
export type ChatList = Schemas['ChatList'];
export type ChatPage = Schemas['ChatPage'];
/** A pair: `text`, `code` (with `language`) or `link` (with `url`). */
export type QAPair = Schemas['QAPair'];
export type Generation = Schemas['Generation'];
export type BranchTree = Schemas['BranchTree'];
export type TreeNode = Schemas['TreeNode'];
export type ActiveBranch = Schemas['ActiveBranch'];
export type CreateBranchResult = Schemas['CreateBranchResult'];
export type DeleteChatResult = Schemas['DeleteChatResult'];
export type ImportResult = Schemas['ImportResult'];
export type SearchHit = Schemas['SearchHit'];
export type SearchResults = Schemas['SearchResults'];
export type Token = Schemas['Token'];
export type TreeExport = Schemas['TreeExport'];
export type Problem = Schemas['Problem'];
/** Share links: as their owner sees them, as create-share answers (with the token, once), and as anyone reads them. */
export type Share = Schemas['Share'];
export type CreatedShare = Schemas['CreatedShare'];
export type ShareList = Schemas['ShareList'];
export type SharedPage = Schemas['SharedPage'];
export type SharedPair = Schemas['SharedPair'];
/** The frames of the event socket (GET /api/v1/ws): sent by the client, sent by the server. */
export type ClientFrame = Schemas['ClientFrame'];
export type ServerFrame = Schemas['ServerFrame'];
export type EventFrame = Schemas['EventFrame'];

type Method = 'get' | 'put' | 'post' | 'delete';
/** The paths that have an operation for `M`. */
export type PathOf<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: object } ? P : never;
}[keyof paths];
type Operation<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;

/** The JSON body of the operation's response with status `S`. */
export type ResponseJson<P extends keyof paths, M extends Method, S extends number = 200> =
  Operation<P, M> extends { responses: infer R }
    ? S extends keyof R
      ? R[S] extends { content: { 'application/json': infer B } }
        ? B
        : never
      : never
    : never;
/** The JSON body of the operation's request. */
export type RequestJson<P extends keyof paths, M extends Method> =
  NonNullable<Operation<P, M> extends { requestBody?: infer B } ? B : never> extends {
    content: { 'application/json': infer J };
  }
    ? J
    : never;
/** The query parameters of the operation. */
export type QueryOf<P extends keyof paths, M extends Method> = NonNullable<
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Q : never
>;

/** A problem as an ApiError carries it: the API's (every error answer is one), or one made up for an answer that
 * is not (a proxy's error page, a stream cut short). */
export type ProblemDetails = Pick<Problem, 'status' | 'title' | 'detail'> & Partial<Problem>;

/** A refused request: the RFC 9457 problem the API answered with. */
export class ApiError extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(
      problem.errors?.length
        ? `${problem.detail}: ${problem.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`
        : problem.detail,
    );
    this.name = 'ApiError';
  }

  get status() {
    return this.problem.status;
  }
}

/** The problem of an error answer: its body when it is one, else one made from the status line. */
export function problemOf(response: Response, body: unknown): ProblemDetails {
  if (body && typeof body === 'object' && 'status' in body && 'title' in body && 'detail' in body) {
    return body as ProblemDetails;
  }
  const title = response.statusText || `HTTP ${response.status}`;
  return { type: 'about:blank', status: response.status, title, detail: title };
}

/**
 * The data of an openapi-fetch answer, or an ApiError with its problem:
 * `const page = await unwrap(client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id } } }))`.
 */
export async function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  answer: R | Promise<R>,
): Promise<NonNullable<R['data']>> {
  const { data, error, response } = await answer;
  if (!response.ok) throw new ApiError(problemOf(response, error));
  return data as NonNullable<R['data']>;
}

/** The operations that answer with server-sent events when asked with `Accept: text/event-stream`. */
export type StreamedPath =
  | '/api/v1/messages/add-message'
  | '/api/v1/branches/create-branch'
  | '/api/v1/messages/regenerate';

/**
 * Reads an answer stream (server-sent events): each `delta` event's text goes to `onDelta` as it arrives; resolves
 * with the `done` event's data (the stored result, as the JSON answer has it), rejects with an ApiError carrying
 * the `error` event's problem, or a 502 problem when the stream ends without either.
 */
export async function readAnswerStream<T>(
  body: ReadableStream<Uint8Array>,
  onDelta: (text: string) => void,
): Promise<T> {
  let outcome: { done: T } | { failed: ProblemDetails } | undefined;
  const parser = createParser({
    onEvent(e) {
      if (outcome) return;
      if (e.event === 'delta') onDelta((JSON.parse(e.data) as { text: string }).text);
      else if (e.event === 'done') outcome = { done: JSON.parse(e.data) as T };
      else if (e.event === 'error') outcome = { failed: JSON.parse(e.data) as ProblemDetails };
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!outcome) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    // The result is stored before `done` is sent: nothing is lost by not reading what may follow.
    void reader.cancel().catch(() => {});
  }
  if (!outcome) {
    throw new ApiError({ status: 502, title: 'Bad Gateway', detail: 'The answer stream ended without a result' });
  }
  if ('failed' in outcome) throw new ApiError(outcome.failed);
  return outcome.done;
}

/**
 * Remembers the last answer of each GET URL that came with an ETag (the latest `max` URLs) and asks for it again
 * with If-None-Match: a 304 (no body; the server reads nothing from its databases while the tree is unchanged)
 * is answered with the remembered body as a 200, so callers see the data either way.
 */
export function etagRevalidation(max: number): Middleware {
  const known = new Map<string, { etag: string; body: string; type: string }>();
  /** The copy each revalidating request was sent for: a 304 answers with it, even if the entry changed since. */
  const asked = new WeakMap<Request, { etag: string; body: string; type: string }>();
  return {
    onRequest({ request }) {
      if (request.method !== 'GET' || request.headers.has('If-None-Match')) return;
      const hit = known.get(request.url);
      if (!hit) return;
      request.headers.set('If-None-Match', hit.etag);
      asked.set(request, hit);
    },
    async onResponse({ request, response }) {
      if (request.method !== 'GET') return;
      const hit = asked.get(request);
      if (response.status === 304 && hit) {
        if (known.get(request.url) === hit) known.delete(request.url); // most recently used last
        if (!known.has(request.url)) known.set(request.url, hit);
        const headers = new Headers(response.headers);
        for (const name of ['Content-Length', 'Content-Encoding', 'Transfer-Encoding']) headers.delete(name);
        headers.set('Content-Type', hit.type);
        return new Response(hit.body, { status: 200, headers });
      }
      const etag = response.headers.get('ETag');
      const type = response.headers.get('Content-Type') ?? '';
      if (!response.ok || !etag || !type.includes('json')) return;
      known.delete(request.url);
      known.set(request.url, { etag, body: await response.clone().text(), type });
      if (known.size > max) known.delete(known.keys().next().value as string);
    },
  };
}

/** The longest wait retryReads honours (seconds): a longer Retry-After is answered to the caller instead. */
const MAX_RETRY_AFTER_S = 10;

/** Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), or null when it has none. */
function retryAfterSeconds(response: Response, now = Date.now()): number | null {
  const value = response.headers.get('Retry-After')?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}

const sleep = (ms: number, signal: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A fetch that asks a GET again when it is refused for the moment: 429 (a limit, e.g. the per-account bound on
 * heavy reads) or 503 (a busy server) with a Retry-After of at most MAX_RETRY_AFTER_S, waiting as long as that says
 * (the request's signal cancels the wait). At most `retries` times; the last answer is returned as it is. Writes
 * are never repeated here: whether they are safe to repeat is the caller's decision (Idempotency-Key).
 */
export function retryingReads(
  fetch: (request: Request) => Promise<Response>,
  retries: number,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fetch(request);
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(attempt < retries ? (request.clone() as Request) : request);
      if (attempt >= retries || (response.status !== 429 && response.status !== 503)) return response;
      const wait = retryAfterSeconds(response);
      if (wait === null || wait > MAX_RETRY_AFTER_S) return response;
      await response.body?.cancel().catch(() => {});
      await sleep(wait * 1000, request.signal);
    }
  };
}

export interface BranchatClientOptions {
  /** Sent as `Authorization: Bearer <token>` (register and login answer with one). */
  token?: string | null;
  /** Remember this many GET answers that carry an ETag and revalidate them (see etagRevalidation). 0: never. */
  etagCache?: number;
  /** Headers sent with every request. */
  headers?: HeadersOptions;
  /** The fetch to use (default: globalThis.fetch), e.g. an in-process app's `(request) => app.request(request)`. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Ask a GET refused for the moment (429 or 503 with a Retry-After of at most 10 s) again, after the wait it
   * names, up to this many times (see retryingReads). 0 (default): every answer goes to the caller as it comes.
   */
  retryReads?: number;
}

export interface BranchatClient extends Client<paths> {
  /**
   * add-message or create-branch answered as server-sent events: the answer's text goes to `onDelta` as it is
   * generated; resolves with the stored result (as the 201 JSON answer has it), rejects with an ApiError carrying
   * the problem of a refused request or of the stream's `error` event (then nothing was stored).
   */
  streamed<P extends StreamedPath>(
    path: P,
    body: RequestJson<P, 'post'>,
    onDelta: (text: string) => void,
    init?: { signal?: AbortSignal; idempotencyKey?: string },
  ): Promise<ResponseJson<P, 'post', 201>>;
}

/**
 * A client of the branchat API at `baseUrl` (the origin: the paths start with /api/v1), e.g.
 * `createBranchatClient('https://chat.example.com', { token })`.
 */
export function createBranchatClient(baseUrl: string, options: BranchatClientOptions = {}): BranchatClient {
  const client = createClient<paths>({
    baseUrl,
    headers: mergeHeaders(options.headers, options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    ...(options.fetch || options.retryReads
      ? {
          fetch: options.retryReads
            ? retryingReads(options.fetch ?? ((request) => globalThis.fetch(request)), options.retryReads)
            : options.fetch,
        }
      : {}),
  });
  if (options.etagCache) client.use(etagRevalidation(options.etagCache));
  const streamed: BranchatClient['streamed'] = async (path, body, onDelta, init = {}) => {
    // One call for both operations (their requests differ only in body type).
    const { data, error, response } = await client.POST(path as '/api/v1/messages/add-message', {
      body: body as RequestJson<'/api/v1/messages/add-message', 'post'>,
      params: {
        header: {
          accept: 'text/event-stream',
          ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
        },
      },
      parseAs: 'stream',
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (!response.ok || !data) throw new ApiError(problemOf(response, error));
    return readAnswerStream(data, onDelta);
  };
  return Object.assign(client, { streamed });
}
