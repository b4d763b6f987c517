/**
 * A small typed client over app.request() for route tests: every test registers its own accounts. The route
 * helpers go through the typed client of packages/client (openapi-fetch on the types generated from
 * openapi.json): their requests are typed by the operation, their answers' bodies by its success schema (see
 * Reply). `call` sends anything (wrong methods, malformed bodies, unknown paths) and is untyped.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  type ActiveBranch,
  type BranchatClient,
  type BranchTree,
  type Chat,
  type ChatList,
  type ChatPage,
  type CreateBranchResult,
  createBranchatClient,
  type DeleteChatResult,
  type Problem,
  type QAPair,
  type QueryOf,
  type RequestJson,
  type ResponseJson,
  type Token,
} from '../../packages/client/src/index.js';
import type { AppBindings } from '../../src/http/app-types.js';

type App = OpenAPIHono<AppBindings>;

/** An answer: `body` is the parsed JSON (else the text; null when empty). */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

type KeysOf<U> = U extends unknown ? keyof U : never;
type ValueAt<U, K extends PropertyKey> = U extends unknown ? (K extends keyof U ? U[K] : never) : never;
/**
 * A schema as the tests read it: its field names at every level (a union's members merged: `type`, `language`,
 * `url` of a QAPair), a misspelt or removed field is a compile error; the values are `any`, so that assertions
 * compare them with whatever they expect and arrays are indexed without a `!` (noUncheckedIndexedAccess).
 * A nullable object (a branch's `qa_pair`, a pair's `generation`) is `any`: a test reads it once it knows.
 */
export type Read<T> = null extends T
  ? any
  : [T] extends [readonly (infer E)[]]
    ? ReadList<Read<E>>
    : [T] extends [object]
      ? { [K in Extract<keyof T, PropertyKey>]: Read<ValueAt<T, K>> } & {
          [K in Exclude<KeysOf<T>, keyof T>]?: Read<ValueAt<T, K>>;
        }
      : any;
/**
 * An array as the tests read it: its elements are typed in callbacks and loops (`.map((p) => p.question)`), but
 * one taken out (`[0]`, `at`, `find`, also of what `map` returns) is `any`: the test knows it is there.
 */
export interface ReadList<E> extends Array<E> {
  [n: number]: any;
  at(index: number): any;
  find(predicate: (value: E, index: number, obj: E[]) => unknown, thisArg?: any): any;
  map<U>(callbackfn: (value: E, index: number, array: E[]) => U, thisArg?: any): ReadList<U>;
}
/** A route helper's body: the operation's success schema, or on an error status the problem's fields. */
export type Reply<T> = Read<T> & { [K in keyof Problem]?: any };

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

/**
 * Query parameters as the helpers take them: the operation's names, any value (tests send invalid ones on
 * purpose: `limit: 'x'`).
 */
type LooseQuery<Q> = { [K in keyof Q]?: string | number | undefined };
/** A request body with the operation's field names, any values (validation tests send wrong ones). */
type LooseBody<B> = B extends unknown ? { [K in keyof B]?: unknown } : never;
type BranchBody = LooseBody<RequestJson<'/api/v1/branches/create-branch', 'post'>>;

/** An openapi-fetch answer read as text (parseAs: 'text'), as a Res. */
async function resOf<T>(
  answer: Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<Res<Reply<T>>> {
  const { data, error, response } = await answer;
  let body: unknown = response.ok ? data : error; // openapi-fetch parsed an error's JSON already
  if (response.ok && typeof data === 'string') {
    try {
      body = data ? JSON.parse(data) : null;
    } catch {}
  }
  return {
    status: response.status,
    body: (body === undefined || body === '' ? null : body) as Reply<T>,
    headers: response.headers,
  };
}

export class Client {
  /** The typed client of packages/client on this app, in process, with this client's token. */
  readonly api: BranchatClient;

  constructor(
    readonly app: App,
    readonly token: string | null = null,
    readonly accountId: string | null = null,
  ) {
    this.api = createBranchatClient('http://localhost', {
      token,
      fetch: (request) => Promise.resolve(app.request(request)),
    });
  }

  async call<T = any>(method: string, path: string, o: CallOptions = {}): Promise<Res<T>> {
    const qs = o.query
      ? `?${new URLSearchParams(
          Object.entries(o.query)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)] as [string, string]),
        ).toString()}`
      : '';
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? this.token : o.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await this.app.request(`${path}${qs}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  // ---- the API, one helper per route (typed by the generated paths) ----------------------------
  createChat(name = 'chat'): Promise<Res<Reply<Chat>>> {
    return resOf(this.api.POST('/api/v1/chats/create-chat', { body: { name }, parseAs: 'text' }));
  }
  getChat(
    chatId: string,
    query: LooseQuery<QueryOf<'/api/v1/chats/get-chat', 'get'>> = {},
  ): Promise<Res<Reply<ChatPage>>> {
    const q = { chat_id: chatId, ...query } as QueryOf<'/api/v1/chats/get-chat', 'get'>;
    return resOf(this.api.GET('/api/v1/chats/get-chat', { params: { query: q }, parseAs: 'text' }));
  }
  updateChat(chatId: string, name: string, headers?: Record<string, string>): Promise<Res<Reply<Chat>>> {
    return resOf(
      this.api.PUT('/api/v1/chats/update-chat', { body: { chat_id: chatId, name }, headers, parseAs: 'text' }),
    );
  }
  deleteChat(chatId: string): Promise<Res<Reply<DeleteChatResult>>> {
    return resOf(
      this.api.DELETE('/api/v1/chats/delete-chat', { params: { query: { chat_id: chatId } }, parseAs: 'text' }),
    );
  }
  listChats(query: LooseQuery<QueryOf<'/api/v1/chats/list-chats', 'get'>> = {}): Promise<Res<Reply<ChatList>>> {
    const q = query as QueryOf<'/api/v1/chats/list-chats', 'get'>;
    return resOf(this.api.GET('/api/v1/chats/list-chats', { params: { query: q }, parseAs: 'text' }));
  }
  addMessage(chatId: string, question: string, response?: string): Promise<Res<Reply<QAPair>>> {
    const body = { chat_id: chatId, question, response };
    return resOf(this.api.POST('/api/v1/messages/add-message', { body, parseAs: 'text' }));
  }
  createBranch(body: BranchBody): Promise<Res<Reply<CreateBranchResult>>> {
    const sent = body as RequestJson<'/api/v1/branches/create-branch', 'post'>;
    return resOf(this.api.POST('/api/v1/branches/create-branch', { body: sent, parseAs: 'text' }));
  }
  getBranches(chatId: string): Promise<Res<Reply<BranchTree>>> {
    return resOf(
      this.api.GET('/api/v1/branches/get-branches', { params: { query: { chat_id: chatId } }, parseAs: 'text' }),
    );
  }
  setActive(chatId: string): Promise<Res<Reply<ActiveBranch>>> {
    return resOf(this.api.PUT('/api/v1/branches/set-active-branch', { body: { chat_id: chatId }, parseAs: 'text' }));
  }
  setFeedback(
    responseId: string,
    rating: unknown,
    comment?: unknown,
  ): Promise<Res<Reply<ResponseJson<'/api/v1/messages/set-feedback', 'put'>>>> {
    const body = { response_id: responseId, rating, ...(comment === undefined ? {} : { comment }) };
    const sent = body as RequestJson<'/api/v1/messages/set-feedback', 'put'>;
    return resOf(this.api.PUT('/api/v1/messages/set-feedback', { body: sent, parseAs: 'text' }));
  }
  regenerate(responseId: string, activate?: boolean): Promise<Res<Reply<CreateBranchResult>>> {
    const body = { response_id: responseId, activate };
    return resOf(this.api.POST('/api/v1/messages/regenerate', { body, parseAs: 'text' }));
  }

  // ---- conveniences ----------------------------------------------------------------------------
  /** Creates a chat with `n` pairs q1/a1 … qn/an and returns its id and the response ids. */
  async chatWith(n: number, name = 'chat'): Promise<{ chatId: string; ids: string[] }> {
    const c = await this.createChat(name);
    if (c.status !== 201) throw new Error(`create-chat ${c.status}: ${JSON.stringify(c.body)}`);
    const ids: string[] = [];
    for (let i = 1; i <= n; i++) ids.push(await this.add(c.body.chat_id, `q${i}`, `a${i}`));
    return { chatId: c.body.chat_id, ids };
  }

  async add(chatId: string, question: string, response?: string): Promise<string> {
    const r = await this.addMessage(chatId, question, response);
    if (r.status !== 201) throw new Error(`add-message ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body.response_id;
  }

  async branch(chatId: string, responseId: string, extra: BranchBody = {}): Promise<string> {
    const r = await this.createBranch({ chat_id: chatId, response_id: responseId, ...extra });
    if (r.status !== 201) throw new Error(`create-branch ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body.chat.chat_id;
  }

  /** The whole visible history, as questions, read with the largest page. */
  async questions(chatId: string): Promise<string[]> {
    const r = await this.getChat(chatId, { limit: 1000 });
    if (r.status !== 200) throw new Error(`get-chat ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body.qa_pairs.map((p: { question: string }) => p.question);
  }

  forkChat(
    body: LooseBody<RequestJson<'/api/v1/chats/fork-chat', 'post'>>,
    headers?: Record<string, string>,
  ): Promise<Res<Reply<ResponseJson<'/api/v1/chats/fork-chat', 'post', 201>>>> {
    const sent = body as RequestJson<'/api/v1/chats/fork-chat', 'post'>;
    return resOf(this.api.POST('/api/v1/chats/fork-chat', { body: sent, headers, parseAs: 'text' }));
  }
}

let counter = 0;

/** Registers a fresh account and returns a client carrying its token. */
export async function newAccount(app: App): Promise<Client & { email: string; password: string }> {
  const email = `user${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
  const password = 'correct horse battery';
  const anon = new Client(app);
  const r = await resOf<Token>(anon.api.POST('/api/v1/auth/register', { body: { email, password }, parseAs: 'text' }));
  if (r.status !== 201) throw new Error(`register ${r.status}: ${JSON.stringify(r.body)}`);
  return Object.assign(new Client(app, r.body.token, r.body.account_id), { email, password });
}
