/**
 * Sockets and their subscriptions. A socket subscribes to conversation trees (by any chat id of the tree
 * its account owns) and receives each tree's events in seq order, exactly once:
 *
 * - subscribe without `last_seq`: `subscribed` with the tree's current seq, then every later event.
 * - subscribe with `last_seq`: `subscribed`, then the retained events after it (resume), then live ones. If
 *   some were not retained (or `last_seq` is from another era of the sequence), `resync` instead: reload
 *   the tree through REST, live events follow.
 * - live events arrive from the bus; one that skips a seq (a message lost while the fan-out reconnected)
 *   is preceded by the missing ones read back from the log, or by `resync`.
 *
 * A socket that does not read its events (its send buffer over `maxBufferedBytes`) is disconnected with
 * 1008 so that it cannot hold memory or delay anyone else; sends never wait.
 */
import { z } from 'zod';
import type { Deps } from '../domain/context.js';
import { problemBody } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { EventBus, TreeEvent } from './events.js';

/** What the hub needs of a socket (Bun's ServerWebSocket, through hono's WSContext). */
export interface SocketPort {
  send(text: string): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export interface HubOptions {
  maxBufferedBytes: number;
  maxSubscriptions: number;
}

const ChatRef = z.uuid().transform((v) => v.toLowerCase());
export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    chat_id: ChatRef,
    last_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    id: z.string().max(100).optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), chat_id: ChatRef, id: z.string().max(100).optional() }),
  z.strictObject({ type: z.literal('ping'), id: z.string().max(100).optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const CLOSE_SLOW_CONSUMER = 1008;
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_GOING_AWAY = 1001;

function problem(status: number, detail: string, errors?: { path: string; message: string }[]) {
  return { ...problemBody(status, detail), ...(errors ? { errors } : {}) };
}

class Subscription {
  lastSent = 0;
  private catchingUp = true;
  /** Unsubscribed (or its socket closed): a catch-up still running sends nothing more. */
  private stopped = false;
  private pending: TreeEvent[] = [];
  private unlisten: () => void = () => {};

  /** Listens to the bus; call once, before start(). */
  async listen(): Promise<void> {
    this.unlisten = await this.bus.listen(this.rootChatId, this.onLive);
  }

  stop(): void {
    this.stopped = true;
    this.unlisten();
  }

  constructor(
    readonly rootChatId: string,
    private readonly session: Session,
    private readonly bus: EventBus,
  ) {}

  /** From the bus. */
  onLive = (e: TreeEvent) => this.deliver(e);

  /** Sends the next event; holds it while catching up; a gap starts a catch-up. */
  private deliver(e: TreeEvent) {
    if (this.stopped) return;
    if (this.catchingUp) {
      this.pending.push(e);
      return;
    }
    if (e.seq === 1 && this.lastSent > 1) {
      // The tree's sequence started over (its log expired or was evicted): what the client holds may be
      // stale, so it reloads, then this event follows.
      this.lastSent = 0;
      this.session.send({ type: 'resync', root_chat_id: this.rootChatId, seq: 0 });
    }
    if (e.seq <= this.lastSent) return;
    if (e.seq === this.lastSent + 1) {
      this.lastSent = e.seq;
      this.session.send({ type: 'event', ...e });
      return;
    }
    // A gap: read back what is missing first.
    this.pending.push(e);
    void this.catchUp(this.lastSent);
  }

  /** Sends what came after `after` from the log (or resync), then what arrived live meanwhile. */
  async catchUp(after: number): Promise<void> {
    this.catchingUp = true;
    try {
      const missed = await this.bus.since(this.rootChatId, after);
      if (this.session.closed || this.stopped) return;
      if (missed === 'gone') {
        // Held events up to `current` are covered by the reload; later ones follow.
        this.lastSent = await this.bus.currentSeq(this.rootChatId);
        this.session.send({ type: 'resync', root_chat_id: this.rootChatId, seq: this.lastSent });
      } else {
        for (const e of missed) this.deliverNow(e);
      }
    } catch (err) {
      // The log is unreachable: the client reloads, and the events held so far follow without a new gap.
      this.session.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'event catch-up failed');
      const first = Math.min(...this.pending.map((e) => e.seq));
      if (Number.isFinite(first)) this.lastSent = first - 1;
      this.session.send({ type: 'resync', root_chat_id: this.rootChatId, seq: this.lastSent });
    }
    const held = this.pending.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    this.catchingUp = false;
    for (const e of held) this.deliver(e);
  }

  /** After a fan-out outage: anything published meanwhile is read back from the log. */
  recheck(): void {
    if (!this.catchingUp) void this.catchUp(this.lastSent);
  }

  private deliverNow(e: TreeEvent) {
    if (this.stopped || e.seq <= this.lastSent) return;
    this.lastSent = e.seq;
    this.session.send({ type: 'event', ...e });
  }

  /** The first answer: `subscribed`, then the resume (if asked) and whatever arrived meanwhile. */
  async start(chatId: string, lastSeq: number | undefined, ref: string | undefined): Promise<void> {
    const current = await this.bus.currentSeq(this.rootChatId);
    if (this.session.closed) return;
    this.session.send({
      type: 'subscribed',
      root_chat_id: this.rootChatId,
      chat_id: chatId,
      seq: current,
      ...(ref !== undefined ? { id: ref } : {}),
    });
    if (lastSeq === undefined) {
      this.lastSent = current;
      const held = this.pending.sort((a, b) => a.seq - b.seq);
      this.pending = [];
      this.catchingUp = false;
      for (const e of held) this.deliver(e);
    } else {
      this.lastSent = lastSeq;
      await this.catchUp(lastSeq);
    }
  }
}

export class Session {
  closed = false;
  private readonly subs = new Map<string, Subscription>();
  private expiry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: SocketPort,
    readonly accountId: string,
    private readonly hub: EventHub,
    readonly log: Logger,
  ) {}

  send(frame: unknown): void {
    if (this.closed) return;
    this.socket.send(JSON.stringify(frame));
    if (this.socket.bufferedAmount() > this.hub.options.maxBufferedBytes) {
      this.log.warn({ account_id: this.accountId }, 'websocket closed: slow consumer');
      this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: too many unread events');
    }
  }

  /** Closes the socket when the token expires (a long timeout is re-armed in steps). */
  expireAt(expMs: number): void {
    const left = expMs - Date.now();
    if (left <= 0) {
      this.close(CLOSE_TOKEN_EXPIRED, 'token expired');
      return;
    }
    this.expiry = setTimeout(() => this.expireAt(expMs), Math.min(left, 2 ** 31 - 1));
  }

  private queue: Promise<void> = Promise.resolve();

  /** Frames are handled one at a time, in the order received. */
  receive(text: string): Promise<void> {
    this.queue = this.queue.then(() => this.handle(text));
    return this.queue;
  }

  private async handle(text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.send({ type: 'error', problem: problem(400, 'A frame must be one JSON object') });
      return;
    }
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) {
      const ref = (raw as { id?: unknown } | null)?.id;
      this.send({
        type: 'error',
        ...(typeof ref === 'string' ? { id: ref } : {}),
        problem: problem(
          422,
          'The frame does not match the schema',
          parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(frame)', message: i.message })),
        ),
      });
      return;
    }
    const f = parsed.data;
    const ref = f.id !== undefined ? { id: f.id } : {};
    if (f.type === 'ping') {
      this.send({ type: 'pong', ...ref });
      return;
    }
    try {
      const chat = await this.hub.deps.meta.getChat(this.accountId, f.chat_id);
      if (this.closed) return;
      if (!chat) {
        // Missing, deleted or another account's: one answer, no data.
        this.send({ type: 'error', ...ref, problem: problem(404, `Chat ${f.chat_id} not found`) });
        return;
      }
      const root = chat.rootChatId;
      if (f.type === 'unsubscribe') {
        this.subs.get(root)?.stop();
        this.subs.delete(root);
        this.send({ type: 'unsubscribed', root_chat_id: root, ...ref });
        return;
      }
      const existing = this.subs.get(root);
      if (!existing && this.subs.size >= this.hub.options.maxSubscriptions) {
        this.send({
          type: 'error',
          ...ref,
          problem: problem(422, `At most ${this.hub.options.maxSubscriptions} trees per socket`),
        });
        return;
      }
      existing?.stop();
      this.subs.delete(root);
      const sub = new Subscription(root, this, this.hub.bus);
      try {
        await sub.listen();
        if (this.closed) {
          sub.stop();
          return;
        }
        this.subs.set(root, sub);
        await sub.start(f.chat_id, f.last_seq, f.id);
      } catch (err) {
        // Not subscribed after all: nothing may stay behind (a listener, a slot, held events).
        sub.stop();
        if (this.subs.get(root) === sub) this.subs.delete(root);
        throw err;
      }
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'websocket frame failed');
      this.send({
        type: 'error',
        ...ref,
        problem: problem(503, 'A backing store is unavailable; try again'),
      });
    }
  }

  recheck(): void {
    for (const s of this.subs.values()) s.recheck();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.dispose();
    this.socket.close(code, reason);
  }

  /** Releases subscriptions and timers (the socket is closed, or closing). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    for (const s of this.subs.values()) s.stop();
    this.subs.clear();
    this.hub.forget(this);
  }
}

export class EventHub {
  private readonly sessions = new Set<Session>();

  constructor(
    readonly bus: EventBus,
    readonly deps: Deps,
    readonly log: Logger,
    readonly options: HubOptions,
  ) {
    // After the fan-out reconnects, events published meanwhile were not received: check every subscription.
    bus.onReconnect(() => {
      for (const s of this.sessions) s.recheck();
    });
  }

  open(socket: SocketPort, accountId: string, tokenExpMs: number): Session {
    const session = new Session(socket, accountId, this, this.log);
    this.sessions.add(session);
    session.expireAt(tokenExpMs);
    return session;
  }

  forget(session: Session): void {
    this.sessions.delete(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Closes every socket (server shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.sessions]) s.close(code, reason);
  }
}
