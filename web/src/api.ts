/**
 * The demo's client of the branchat API: the typed client of packages/client (openapi-fetch on the types generated
 * from openapi.json), plus the page's event socket. Errors are thrown as ApiError with the API's problem.
 */
import {
  ApiError,
  type BranchatClient,
  type BranchTree,
  type Chat,
  type ClientFrame,
  type ConversationSummary,
  createBranchatClient,
  problemOf,
  type QAPair,
  type RequestJson,
  type SearchHit,
  type ServerFrame,
  type SharedPage,
  type SharedPair,
  type TreeNode,
  unwrap,
} from '../../packages/client/src/index';

export type { Chat, QAPair, SearchHit, SharedPage, SharedPair, TreeNode };
export type Conversation = ConversationSummary;
export type Tree = BranchTree;
export { ApiError };

export class Api {
  /**
   * The API on this page's origin. GET answers with an ETag (get-chat, get-branches) are remembered, the most
   * recent 200 URLs, and asked for again with If-None-Match: a 304 (no body, nothing read from the databases when
   * the tree is unchanged) reuses them. A GET refused for the moment (429: the per-account bound on heavy reads
   * that a burst of live events can reach; 503: a busy server) is asked again after its Retry-After, up to 3 times,
   * before it is an error on the page.
   */
  private readonly client: BranchatClient;

  constructor(readonly token: string | null) {
    this.client = createBranchatClient(location.origin, { token, etagCache: 200, retryReads: 3 });
  }

  async register(email: string, password: string) {
    return (await unwrap(this.client.POST('/api/v1/auth/register', { body: { email, password } }))).token;
  }
  async login(email: string, password: string) {
    return (await unwrap(this.client.POST('/api/v1/auth/login', { body: { email, password } }))).token;
  }
  /** The conversations, pinned first; `archived`: 'false' hides archived ones (default), 'true' includes, 'only'. */
  async listChats(archived: 'false' | 'true' | 'only' = 'false') {
    return (await unwrap(this.client.GET('/api/v1/chats/list-chats', { params: { query: { limit: 100, archived } } })))
      .chats;
  }
  /** Without a name the conversation is "New chat" until its title arrives (a `chat.updated` event). */
  async createChat(name?: string) {
    return unwrap(this.client.POST('/api/v1/chats/create-chat', { body: name ? { name } : {} }));
  }
  /** update-chat: any of name, system_prompt, archived, pinned (archive and pin apply to the conversation). */
  async updateChat(
    chatId: string,
    changes: { name?: string; system_prompt?: string | null; archived?: boolean; pinned?: boolean },
  ) {
    return unwrap(this.client.PUT('/api/v1/chats/update-chat', { body: { chat_id: chatId, ...changes } }));
  }
  async getChat(chatId: string, cursor: { before?: string; after?: string } = {}, limit = 30) {
    return unwrap(
      this.client.GET('/api/v1/chats/get-chat', { params: { query: { chat_id: chatId, limit, ...cursor } } }),
    );
  }
  async renameChat(chatId: string, name: string) {
    return unwrap(this.client.PUT('/api/v1/chats/update-chat', { body: { chat_id: chatId, name } }));
  }
  async deleteChat(chatId: string) {
    return unwrap(this.client.DELETE('/api/v1/chats/delete-chat', { params: { query: { chat_id: chatId } } }));
  }
  /**
   * add-message as an event stream: `onDelta` gets the answer's text as it arrives; resolves with the stored
   * pair (the `done` event), rejects with the problem of an `error` event or of a refused request. `signal`
   * cancels it (Stop: the server stores nothing).
   */
  async addMessageStreamed(
    chatId: string,
    question: string,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<QAPair> {
    return this.client.streamed('/api/v1/messages/add-message', { chat_id: chatId, question }, onDelta, { signal });
  }
  /**
   * create-branch with a first question, its answer streamed like addMessageStreamed's. `responseId` null forks
   * before the first pair (edit the first question: a start fork). `signal` cancels it (nothing is stored).
   */
  async forkStreamed(
    chatId: string,
    responseId: string | null,
    question: string,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ) {
    return this.client.streamed(
      '/api/v1/branches/create-branch',
      { chat_id: chatId, response_id: responseId, question },
      onDelta,
      { signal },
    );
  }
  /** regenerate: a new answer to pair `responseId`'s question, in a new branch beside it (activated), streamed. */
  async regenerateStreamed(responseId: string, onDelta: (text: string) => void, signal?: AbortSignal) {
    return this.client.streamed('/api/v1/messages/regenerate', { response_id: responseId }, onDelta, { signal });
  }
  /** Thumbs up or down on an answer (`null` removes the rating and its comment). */
  async setFeedback(responseId: string, rating: 'up' | 'down' | null, comment?: string) {
    return unwrap(
      this.client.PUT('/api/v1/messages/set-feedback', {
        body: { response_id: responseId, rating, ...(comment && rating ? { comment } : {}) },
      }),
    );
  }
  /** compare-branches: the common prefix of two chats of a tree and a page of each one's tail. */
  async compare(chatId: string, otherChatId: string, page: { after?: string; other_after?: string } = {}, limit = 50) {
    return unwrap(
      this.client.GET('/api/v1/branches/compare-branches', {
        params: { query: { chat_id: chatId, other_chat_id: otherChatId, limit, ...page } },
      }),
    );
  }
  /** A conversation export as a file download (the token cannot go in a plain link). */
  async download(chatId: string, format: 'markdown' | 'chatgpt' | 'json') {
    const { data, error, response } = await this.client.GET('/api/v1/chats/export-chat', {
      params: { query: { chat_id: chatId, format } },
      parseAs: 'blob',
    });
    if (!response.ok || !data) throw new ApiError(problemOf(response, error));
    const name =
      /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? `export.${format}`;
    const url = URL.createObjectURL(data);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  /** A ChatGPT export file's text, sent as it is (a malformed file gets the API's 400 or 422). */
  async importChats(json: string) {
    return unwrap(
      this.client.POST('/api/v1/chats/import-chat', {
        // The file's text is the body: typed as the document it should be, sent without being parsed here.
        body: json as unknown as RequestJson<'/api/v1/chats/import-chat', 'post'>,
        bodySerializer: () => json,
      }),
    );
  }
  async tree(chatId: string) {
    return unwrap(this.client.GET('/api/v1/branches/get-branches', { params: { query: { chat_id: chatId } } }));
  }
  async setActive(chatId: string) {
    return unwrap(this.client.PUT('/api/v1/branches/set-active-branch', { body: { chat_id: chatId } }));
  }
  /** A read-only link to the chat's visible history (frozen as it is now, or `live`); its URL is shown once. */
  async createShare(chatId: string, live = false) {
    return unwrap(this.client.POST('/api/v1/shares/create-share', { body: { chat_id: chatId, live } }));
  }
  /** The account's links (of one chat when given), newest first; tokens are never listed (stored hashed). */
  async listShares(chatId?: string) {
    return (
      await unwrap(
        this.client.GET('/api/v1/shares/list-shares', { params: { query: chatId ? { chat_id: chatId } : {} } }),
      )
    ).shares;
  }
  /** Revokes a link: a 404 for anyone who opens it from then on. */
  async deleteShare(shareId: string) {
    return unwrap(this.client.DELETE('/api/v1/shares/delete-share', { params: { query: { share_id: shareId } } }));
  }
  /** A page of a shared history: public, sent without a token whatever this Api holds. */
  async sharedPage(shareToken: string, cursor: { before?: string } = {}, limit = 30) {
    return unwrap(
      createBranchatClient(location.origin).GET('/api/v1/public/shares/{token}', {
        params: { path: { token: shareToken }, query: { limit, ...cursor } },
      }),
    );
  }
  async search(q: string) {
    return (await unwrap(this.client.GET('/api/v1/messages/search-messages', { params: { query: { q, limit: 20 } } })))
      .hits;
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

  private send(frame: ClientFrame) {
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
      const frame = JSON.parse(String(m.data)) as ServerFrame;
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
