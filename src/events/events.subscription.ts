/**
 * One socket's subscription to one conversation tree (events.hub.ts): events in seq order, exactly once,
 * with catch-up from the log on resume or on a gap (or `resync` when that is not possible).
 */
import type { Logger } from '../logger.js';
import type { EventFeed, ReplayLimit, TreeEvent } from './events.js';

/** What a subscription needs of its socket's session. */
export interface SubscriberSession {
  readonly closed: boolean;
  readonly log: Logger;
  /** Sends a frame (unless closed); returns its size in bytes. */
  send(frame: unknown): number;
  /** What one catch-up may replay, settled against the bytes sent. */
  reserveReplay(): { limit: ReplayLimit; settle(sentBytes: number): void };
}

export class Subscription {
  lastSent = 0;
  private catchingUp = true;
  /** Unsubscribed (or its socket closed): a catch-up still running sends nothing more. */
  private stopped = false;
  private pending: TreeEvent[] = [];
  private unlisten: () => void = () => {};

  /** Listens to the feed; call once, before start(). */
  async listen(): Promise<void> {
    this.unlisten = await this.feed.listen(this.rootChatId, this.onLive);
  }

  stop(): void {
    this.stopped = true;
    this.unlisten();
  }

  constructor(
    readonly rootChatId: string,
    private readonly session: SubscriberSession,
    private readonly feed: EventFeed,
  ) {}

  /** From the feed. */
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
    const replay = this.session.reserveReplay();
    let sent = 0;
    try {
      const missed = await this.feed.since(this.rootChatId, after, replay.limit);
      if (this.session.closed || this.stopped) return;
      if (missed === 'gone' || missed === 'over-limit') {
        // Not kept, or more than this socket may be sent now: the client reloads through REST instead.
        // Held events up to `current` are covered by the reload; later ones follow.
        if (missed === 'over-limit') this.session.log.debug({ root_chat_id: this.rootChatId }, 'replay over budget');
        this.lastSent = await this.feed.currentSeq(this.rootChatId);
        this.session.send({ type: 'resync', root_chat_id: this.rootChatId, seq: this.lastSent });
      } else {
        for (const e of missed) sent += this.deliverNow(e);
      }
    } catch (err) {
      // The log is unreachable: the client reloads, and the events held so far follow without a new gap.
      this.session.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'event catch-up failed');
      const first = Math.min(...this.pending.map((e) => e.seq));
      if (Number.isFinite(first)) this.lastSent = first - 1;
      this.session.send({ type: 'resync', root_chat_id: this.rootChatId, seq: this.lastSent });
    } finally {
      replay.settle(sent);
    }
    const held = this.pending.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    this.catchingUp = false;
    for (const e of held) this.deliver(e);
  }

  /** Sends one replayed event; returns the bytes sent. */
  private deliverNow(e: TreeEvent): number {
    if (this.stopped || e.seq <= this.lastSent) return 0;
    this.lastSent = e.seq;
    return this.session.send({ type: 'event', ...e });
  }

  /** The first answer: `subscribed`, then the resume (if asked) and whatever arrived meanwhile. */
  async start(chatId: string, lastSeq: number | undefined, ref: string | undefined): Promise<void> {
    const current = await this.feed.currentSeq(this.rootChatId);
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
