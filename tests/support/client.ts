/** A small typed client over app.request() for route tests: every test registers its own accounts. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppBindings } from '../../src/http/app-types.js';

type App = OpenAPIHono<AppBindings>;

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

export class Client {
  constructor(
    readonly app: App,
    readonly token: string | null = null,
    readonly accountId: string | null = null,
  ) {}

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

  // ---- the API, one helper per route -----------------------------------------------------------
  createChat(name = 'chat') {
    return this.call('POST', '/api/v1/chats/create-chat', { body: { name } });
  }
  getChat(chatId: string, query: Record<string, string | number | undefined> = {}) {
    return this.call('GET', '/api/v1/chats/get-chat', { query: { chat_id: chatId, ...query } });
  }
  updateChat(chatId: string, name: string, headers?: Record<string, string>) {
    return this.call('PUT', '/api/v1/chats/update-chat', { body: { chat_id: chatId, name }, headers });
  }
  deleteChat(chatId: string) {
    return this.call('DELETE', '/api/v1/chats/delete-chat', { query: { chat_id: chatId } });
  }
  listChats(query: Record<string, string | number | undefined> = {}) {
    return this.call('GET', '/api/v1/chats/list-chats', { query });
  }
  addMessage(chatId: string, question: string, response?: string) {
    return this.call('POST', '/api/v1/messages/add-message', { body: { chat_id: chatId, question, response } });
  }
  createBranch(body: Record<string, unknown>) {
    return this.call('POST', '/api/v1/branches/create-branch', { body });
  }
  getBranches(chatId: string) {
    return this.call('GET', '/api/v1/branches/get-branches', { query: { chat_id: chatId } });
  }
  setActive(chatId: string) {
    return this.call('PUT', '/api/v1/branches/set-active-branch', { body: { chat_id: chatId } });
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

  async branch(chatId: string, responseId: string, extra: Record<string, unknown> = {}): Promise<string> {
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
}

let counter = 0;

/** Registers a fresh account and returns a client carrying its token. */
export async function newAccount(app: App): Promise<Client & { email: string; password: string }> {
  const email = `user${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
  const password = 'correct horse battery';
  const anon = new Client(app);
  const r = await anon.call('POST', '/api/v1/auth/register', { body: { email, password } });
  if (r.status !== 201) throw new Error(`register ${r.status}: ${JSON.stringify(r.body)}`);
  return Object.assign(new Client(app, r.body.token, r.body.account_id), { email, password });
}
