/**
 * Sockets and their subscriptions. A socket subscribes to conversation trees (by any chat id of the tree
 * its account owns) and receives each tree's events in seq order, exactly once:
 *
 * - subscribe without `last_seq`: `subscribed` with the tree's current seq, then every later event.
 * - subscribe with `last_seq`: `subscribed`, then the retained events after it (resume), then live ones. If
 *   some were not retained (or `last_seq` is from another era of the sequence), `resync` instead: reload
 *   the tree through REST, live events follow.
 * - live events arrive from the change feed (pg.feed.ts), gap-free in seq order; should one ever skip a seq
 *   (the missing ones were pruned before this process read them), the missing ones are read back from the
 *   log first, or `resync` is sent.
 *
 * A socket that does not read its events (its send buffer over `maxBufferedBytes`) is disconnected with
 * 1008 so that it cannot hold memory or delay anyone else; sends never wait.
 *
 * What a client can make the server hold or send is bounded, whatever it sends:
 * - frames it sends: at most MAX_CLIENT_FRAME_BYTES each (else 1009), a token bucket of frames (a burst, then
 *   a rate) and a bound on frames received but not yet handled (count and bytes); beyond either, the socket
 *   is closed with 4429 (CLOSE_TOO_MANY_FRAMES), so its backlog never grows.
 * - replay (a resume, or a gap filled from the log): at most `replayMaxEvents` / `replayMaxBytes` per
 *   catch-up, within byte budgets (token buckets) per socket and per account; beyond, `resync` instead of
 *   the events, and the log is never read into memory past the bound. The account budget is per process.
 */
import type { Deps } from '../domain/context.js';
import type { Logger } from '../logger.js';
import type { EventFeed, ReplayLimit } from './events.js';
import {
  CLOSE_FRAME_TOO_LARGE,
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOKEN_EXPIRED,
  CLOSE_TOO_MANY_FRAMES,
  ClientFrame,
  type HubOptions,
  MAX_CLIENT_FRAME_BYTES,
  type SocketPort,
} from './events.protocol.js';
import { type SubscriberSession, Subscription } from './events.subscription.js';
import { problemBody } from './problem.js';
import { TokenBucket } from './token-bucket.js';

// The protocol (options, frames, close codes) lives in events.protocol.ts; importers keep importing it from here.
export {
  CLOSE_FRAME_TOO_LARGE,
  CLOSE_GOING_AWAY,
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOKEN_EXPIRED,
  CLOSE_TOO_MANY_FRAMES,
  ClientFrame,
  type HubOptions,
  hubOptions,
  MAX_CLIENT_FRAME_BYTES,
  type SocketPort,
} from './events.protocol.js';

function problem(status: number, detail: string, errors?: { path: string; message: string }[]) {
  return { ...problemBody(status, detail), ...(errors ? { errors } : {}) };
}

export class Session implements SubscriberSession {
  closed = false;
  private readonly subs = new Map<string, Subscription>();
  private expiry: ReturnType<typeof setTimeout> | undefined;
  /** Frames this socket may still send now. */
  private readonly frameBudget: TokenBucket;
  /** Bytes of replay this socket may still be sent now. */
  private readonly replayBudget: TokenBucket;
  /** Frames received and not handled yet, and their bytes. */
  private pendingFrames = 0;
  private pendingBytes = 0;

  constructor(
    private readonly socket: SocketPort,
    readonly accountId: string,
    private readonly hub: EventHub,
    readonly log: Logger,
    /** The account's replay budget, shared by its sockets in this process. */
    private readonly accountReplayBudget: TokenBucket,
  ) {
    const o = hub.options;
    this.frameBudget = new TokenBucket(o.frameBurst, o.framesPerSecond, o.now);
    this.replayBudget = new TokenBucket(o.replaySocketBurstBytes, o.replaySocketBytesPerSecond, o.now);
  }

  /** Sends a frame (unless closed); returns its size in bytes. */
  send(frame: unknown): number {
    if (this.closed) return 0;
    const text = JSON.stringify(frame);
    this.socket.send(text);
    const type = (frame as { type?: unknown }).type; // counted for /metrics
    if (type === 'event') this.hub.counts.delivered++;
    else if (type === 'resync') this.hub.counts.resyncs++;
    if (this.socket.bufferedAmount() > this.hub.options.maxBufferedBytes) {
      this.hub.counts.slowConsumers++;
      this.log.warn({ account_id: this.accountId }, 'websocket closed: slow consumer');
      this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: too many unread events');
    }
    return Buffer.byteLength(text);
  }

  /**
   * What one catch-up may replay: the per-catch-up bound, within what the socket's and the account's
   * budgets hold now. The bytes are taken up front (so that concurrent catch-ups cannot overspend) and
   * settled against what was sent.
   */
  reserveReplay(): { limit: ReplayLimit; settle(sentBytes: number): void } {
    const o = this.hub.options;
    const bytes = Math.min(o.replayMaxBytes, this.replayBudget.available(), this.accountReplayBudget.available());
    this.replayBudget.charge(bytes);
    this.accountReplayBudget.charge(bytes);
    let settled = false;
    return {
      limit: { maxEvents: o.replayMaxEvents, maxBytes: bytes },
      settle: (sent) => {
        if (settled) return;
        settled = true;
        // Frames carry a few bytes more than the events the log measured: that little goes into debt.
        for (const b of [this.replayBudget, this.accountReplayBudget]) {
          if (sent < bytes) b.refund(bytes - sent);
          else b.charge(sent - bytes);
        }
      },
    };
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

  /**
   * Frames are handled one at a time, in the order received. A frame over the size limit, over the frame
   * rate, or over the bound of frames waiting to be handled closes the socket: a client can make the server
   * hold only so much, however fast it sends.
   */
  receive(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const o = this.hub.options;
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_CLIENT_FRAME_BYTES) {
      this.close(CLOSE_FRAME_TOO_LARGE, `frames are at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
      return Promise.resolve();
    }
    const over = !this.frameBudget.take()
      ? 'frame rate exceeded'
      : this.pendingFrames >= o.maxPendingFrames || this.pendingBytes + bytes > o.maxPendingBytes
        ? 'too many unhandled frames'
        : null;
    if (over) {
      this.log.warn({ account_id: this.accountId, reason: over }, 'websocket closed: too many frames');
      this.close(CLOSE_TOO_MANY_FRAMES, `too many frames: ${over}`);
      return Promise.resolve();
    }
    this.pendingFrames++;
    this.pendingBytes += bytes;
    this.queue = this.queue
      .then(() => this.handle(text))
      .catch((err) => {
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'websocket frame failed');
      })
      .finally(() => {
        this.pendingFrames--;
        this.pendingBytes -= bytes;
      });
    return this.queue;
  }

  private async handle(text: string): Promise<void> {
    // The socket closed while this frame waited: nothing to answer, nothing to read.
    if (this.closed) return;
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
      const sub = new Subscription(root, this, this.hub.feed);
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
  /** Replay budgets per account, with the number of its open sockets (in this process). */
  private readonly accounts = new Map<string, { budget: TokenBucket; sockets: number }>();
  private sweepAt = 1024;
  /** For /metrics: events sent to sockets, resync frames, sockets closed as slow consumers. */
  readonly counts = { delivered: 0, resyncs: 0, slowConsumers: 0 };

  constructor(
    readonly feed: EventFeed,
    readonly deps: Deps,
    readonly log: Logger,
    readonly options: HubOptions,
  ) {}

  /** Whether the account may open another socket here (checked before the upgrade, and again on open). */
  canOpen(accountId: string): boolean {
    return (
      (this.accounts.get(accountId)?.sockets ?? 0) < (this.options.maxSocketsPerAccount ?? Number.POSITIVE_INFINITY)
    );
  }

  open(socket: SocketPort, accountId: string, tokenExpMs: number): Session {
    // Upgrades racing past the check before the upgrade are closed here, before they hold anything.
    const admitted = this.canOpen(accountId);
    const session = new Session(socket, accountId, this, this.log, this.accountBudget(accountId));
    this.sessions.add(session);
    if (!admitted) {
      session.close(CLOSE_TOO_MANY_FRAMES, 'too many sockets for this account');
      return session;
    }
    session.expireAt(tokenExpMs);
    return session;
  }

  /**
   * The account's replay budget. It outlives the account's sockets until it has refilled (reconnecting
   * does not reset it); budgets of accounts without sockets are swept once full.
   */
  private accountBudget(accountId: string): TokenBucket {
    let a = this.accounts.get(accountId);
    if (!a) {
      if (this.accounts.size >= this.sweepAt) {
        for (const [id, other] of this.accounts) if (other.sockets === 0 && other.budget.full) this.accounts.delete(id);
        this.sweepAt = Math.max(1024, 2 * this.accounts.size);
      }
      const o = this.options;
      a = { budget: new TokenBucket(o.replayAccountBurstBytes, o.replayAccountBytesPerSecond, o.now), sockets: 0 };
      this.accounts.set(accountId, a);
    }
    a.sockets++;
    return a.budget;
  }

  forget(session: Session): void {
    if (!this.sessions.delete(session)) return;
    const a = this.accounts.get(session.accountId);
    if (a && --a.sockets === 0 && a.budget.full) this.accounts.delete(session.accountId);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Closes every socket (server shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.sessions]) s.close(code, reason);
  }
}
