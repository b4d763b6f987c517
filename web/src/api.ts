/** A typed client of the branchat HTTP API (see openapi.json) and its event socket. */

export interface Chat {
  chat_id: string;
  account_id: string;
  chat_type: 'main' | 'branch';
  name: string;
  created_at: string;
  updated_at: string;
  active: boolean;
  root_chat_id: string;
  parent_chat_id: string | null;
  fork_response_id: string | null;
  message_count: number;
}

export interface Conversation extends Chat {
  active_chat_id: string;
  branch_count: number;
  last_activity_at: string;
}

export interface QAPair {
  response_id: string;
  chat_id: string;
  question: string;
  response: string;
  timestamp: string;
  type: 'text' | 'code' | 'link';
  language?: string;
  url?: string;
  branches: string[];
  generation: {
    model: string;
    prompt_tokens: number | null;
    completion_tokens: number | null;
    latency_ms: number | null;
  } | null;
}

export interface ChatPage {
  chat: Chat;
  qa_pairs: QAPair[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export interface TreeNode {
  chat_id: string;
  name: string;
  chat_type: 'main' | 'branch';
  parent_chat_id: string | null;
  fork_response_id: string | null;
  active: boolean;
  message_count: number;
  children: TreeNode[];
}

export interface Tree {
  root_chat_id: string;
  active_chat_id: string;
  count: number;
  tree: TreeNode;
}

export interface SearchHit {
  chat_id: string;
  root_chat_id: string;
  open_chat_id: string;
  response_id: string;
  snippet: string;
  score: number;
  type: string;
  timestamp: string;
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(
      problem.errors?.length
        ? `${problem.detail}: ${problem.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`
        : problem.detail,
    );
  }
}

type Query = Record<string, string | number | undefined>;

export class Api {
  constructor(readonly token: string | null) {}

  /**
   * The last answer of each GET URL with its ETag: asked again with If-None-Match, a 304 (no body, nothing read
   * from the databases when the tree is unchanged) reuses it. The most recent 200 URLs.
   */
  private readonly validated = new Map<string, { etag: string; body: unknown }>();

  async request<T>(
    method: string,
    path: string,
    /** `body` is sent as JSON; `json` is JSON text sent as it is (a file's content). */
    o: { query?: Query; body?: unknown; json?: string; headers?: Record<string, string> } = {},
  ) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const sent = o.json ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const url = `/api/v1${path}${qs.size ? `?${qs}` : ''}`;
    const known = method === 'GET' ? this.validated.get(url) : undefined;
    const res = await fetch(url, {
      method,
      headers: {
        ...(sent !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(known ? { 'If-None-Match': known.etag } : {}),
        ...o.headers,
      },
      body: sent,
    });
    if (res.status === 304 && known) return { body: known.body as T, etag: known.etag };
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(body ?? { status: res.status, title: res.statusText, detail: res.statusText });
    const etag = res.headers.get('ETag');
    if (method === 'GET' && etag) {
      this.validated.delete(url);
      this.validated.set(url, { etag, body });
      if (this.validated.size > 200) this.validated.delete(this.validated.keys().next().value as string);
    }
    return { body: body as T, etag };
  }

  async register(email: string, password: string) {
    return (await this.request<{ token: string }>('POST', '/auth/register', { body: { email, password } })).body.token;
  }
  async login(email: string, password: string) {
    return (await this.request<{ token: string }>('POST', '/auth/login', { body: { email, password } })).body.token;
  }
  async listChats() {
    return (await this.request<{ chats: Conversation[] }>('GET', '/chats/list-chats', { query: { limit: 100 } })).body
      .chats;
  }
  async createChat(name: string) {
    return (await this.request<Chat>('POST', '/chats/create-chat', { body: { name } })).body;
  }
  async getChat(chatId: string, cursor: { before?: string; after?: string } = {}, limit = 30) {
    return (await this.request<ChatPage>('GET', '/chats/get-chat', { query: { chat_id: chatId, limit, ...cursor } }))
      .body;
  }
  async renameChat(chatId: string, name: string) {
    return (await this.request<Chat>('PUT', '/chats/update-chat', { body: { chat_id: chatId, name } })).body;
  }
  async deleteChat(chatId: string) {
    return (
      await this.request<{ deleted_chat_ids: string[] }>('DELETE', '/chats/delete-chat', { query: { chat_id: chatId } })
    ).body;
  }
  async addMessage(chatId: string, question: string) {
    return (await this.request<QAPair>('POST', '/messages/add-message', { body: { chat_id: chatId, question } })).body;
  }
  /**
   * add-message as an event stream: `onDelta` gets the answer's text as it arrives; resolves with the stored
   * pair (the `done` event), rejects with the problem of an `error` event or of a refused request.
   */
  async addMessageStreamed(chatId: string, question: string, onDelta: (text: string) => void): Promise<QAPair> {
    return this.streamed<QAPair>('/messages/add-message', { chat_id: chatId, question }, onDelta);
  }
  /** create-branch with a first question, its answer streamed like addMessageStreamed's. */
  async forkStreamed(chatId: string, responseId: string, question: string, onDelta: (text: string) => void) {
    return this.streamed<{ chat: Chat; qa_pair: QAPair | null }>(
      '/branches/create-branch',
      { chat_id: chatId, response_id: responseId, question },
      onDelta,
    );
  }
  /** A write answered as server-sent events: deltas to `onDelta`, then the `done` data (or the `error` problem). */
  private async streamed<T>(path: string, body: unknown, onDelta: (text: string) => void): Promise<T> {
    const res = await fetch(`/api/v1${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!res.ok || !res.body) {
      const problem = await res.json().catch(() => null);
      throw new ApiError(problem ?? { status: res.status, title: res.statusText, detail: res.statusText });
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue; // a comment (keep-alive)
        const payload = JSON.parse(data);
        if (event === 'delta') onDelta(payload.text);
        else if (event === 'done') return payload as T;
        else if (event === 'error') throw new ApiError(payload as Problem);
      }
    }
    throw new ApiError({ status: 502, title: 'Bad Gateway', detail: 'The answer stream ended without a result' });
  }
  /** A conversation export as a file download (the token cannot go in a plain link). */
  async download(chatId: string, format: 'markdown' | 'chatgpt' | 'json') {
    const res = await fetch(`/api/v1/chats/export-chat?chat_id=${chatId}&format=${format}`, {
      headers: this.token ? { Authorization: `Bearer ${this.token}` } : {},
    });
    if (!res.ok)
      throw new ApiError(
        (await res.json().catch(() => null)) ?? { status: res.status, title: res.statusText, detail: res.statusText },
      );
    const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? `export.${format}`;
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  /** A ChatGPT export file's text, sent as it is (a malformed file gets the API's 400 or 422). */
  async importChats(json: string) {
    return (
      await this.request<{
        conversations: { root_chat_id: string; active_chat_id: string; title: string; pair_count: number }[];
        notes: string[];
      }>('POST', '/chats/import-chat', { json })
    ).body;
  }
  async tree(chatId: string) {
    return (await this.request<Tree>('GET', '/branches/get-branches', { query: { chat_id: chatId } })).body;
  }
  async setActive(chatId: string) {
    return (
      await this.request<{ active_chat_id: string }>('PUT', '/branches/set-active-branch', {
        body: { chat_id: chatId },
      })
    ).body;
  }
  async search(q: string) {
    return (await this.request<{ hits: SearchHit[] }>('GET', '/messages/search-messages', { query: { q, limit: 20 } }))
      .body.hits;
  }
}

/** One subscription of the page's event socket. */
interface Follower {
  chatId: string;
  /** The tree's root, from `subscribed` (events and `resync` name the root). */
  rootId?: string;
  lastSeq?: number;
  onEvent: (event: string, data: unknown) => void;
}

/**
 * The page's one event socket: every followed tree is a subscription on it (switching trees sends unsubscribe and
 * subscribe frames instead of opening a new socket). It reconnects with a backoff and resubscribes each tree
 * with the last seq it saw (resume).
 */
class EventSocket {
  private ws: WebSocket | null = null;
  private readonly followers = new Set<Follower>();
  /** Reconnect delay: doubles while connecting keeps failing (a refused upgrade, 4429), back to 1 s once open. */
  private delay = 1000;
  private closed = false;

  constructor(readonly token: string) {
    this.connect();
  }

  private send(frame: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private subscribe(f: Follower) {
    this.send({ type: 'subscribe', chat_id: f.chatId, last_seq: f.lastSeq });
  }

  private connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`;
    const ws = new WebSocket(url, ['branchat.v1', `bearer.${this.token}`]);
    this.ws = ws;
    ws.onopen = () => {
      for (const f of this.followers) this.subscribe(f);
    };
    ws.onmessage = (m) => {
      const frame = JSON.parse(String(m.data));
      if (frame.type === 'subscribed') {
        this.delay = 1000;
        for (const f of this.followers) {
          if (f.chatId !== frame.chat_id) continue;
          f.rootId = frame.root_chat_id;
          if (f.lastSeq === undefined) f.lastSeq = frame.seq;
        }
      }
      if (frame.type !== 'event' && frame.type !== 'resync') return;
      for (const f of this.followers) {
        if (f.rootId !== frame.root_chat_id) continue;
        f.lastSeq = frame.seq;
        if (frame.type === 'event') f.onEvent(frame.event, frame.data);
        else f.onEvent('resync', null);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // 4401: the token expired (log in again); anything else: reconnect and resume, backing off (4429: the
      // server asks for it) so that a refused client does not knock every second.
      if (this.closed || e.code === 4401) return;
      if (e.code === 4429) this.delay = Math.max(this.delay, 5000);
      setTimeout(() => {
        if (!this.closed) this.connect();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, 30_000);
    };
  }

  private idle: ReturnType<typeof setTimeout> | undefined;

  follow(f: Follower): () => void {
    clearTimeout(this.idle);
    this.followers.add(f);
    this.subscribe(f);
    return () => {
      this.followers.delete(f);
      // Nothing followed for a while (signed out, or no tree open): the socket closes; following reopens it.
      if (this.followers.size === 0) this.idle = setTimeout(() => this.followers.size === 0 && this.release(), 5000);
      // Still followed by another view of the same tree: keep the subscription.
      if ([...this.followers].some((o) => o.chatId === f.chatId || (f.rootId && o.rootId === f.rootId))) return;
      this.send({ type: 'unsubscribe', chat_id: f.chatId });
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.idle);
    this.ws?.close();
  }

  private release() {
    this.close();
    if (socket === this) socket = null;
  }
}

let socket: EventSocket | null = null;

/**
 * Follows one conversation tree over the page's event socket; calls `onEvent` for each event, resumes after a
 * reconnect with the last seq it saw, and asks for a reload on `resync`. Returns the function that stops it.
 */
export function followTree(token: string, chatId: string, onEvent: (event: string, data: unknown) => void): () => void {
  if (socket?.token !== token) {
    socket?.close();
    socket = new EventSocket(token);
  }
  return socket.follow({ chatId, onEvent });
}
