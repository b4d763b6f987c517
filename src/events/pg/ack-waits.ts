/**
 * Commits of this process waiting for the other read-lease holders to apply them (README, "Chat rows from
 * memory"): once its NOTIFY is sent (src/events/pg/commit-notices.ts), a commit's write is answered only when each
 * holder its statement saw has acknowledged it on ACKS_CHANNEL, or that holder's lease has run out.
 */

import { type FeedLink, MAX_OUTBOX } from './wire.js';

/** A commit of this process waiting for the other lease holders to apply it. */
interface AckWaiter {
  seq: number;
  pending: Set<string>;
  done: () => void;
}

export class AckWaits {
  private readonly ackWaits = new Map<string, AckWaiter[]>();
  /** The highest seq each holder acknowledged per tree (`<holder>:<root>`), the most recent MAX_OUTBOX. */
  private readonly recentAcks = new Map<string, number>();

  /** `leaseMs`: the longest lease a holder can have (waited out when who holds one is unknown). */
  constructor(
    private readonly link: FeedLink,
    private readonly leaseMs: number,
  ) {}

  /**
   * Resolves `waits` once every holder acknowledged every notice of `batch`, or its lease ran out. `holders`:
   * `[holder, ms left of its lease]` as read with the NOTIFY; null when the NOTIFY failed.
   */
  awaitAcks(batch: string[], holders: [string, number][] | null, waits: (() => void)[]) {
    const release = () => {
      for (const w of waits) w();
    };
    if (holders === null) {
      // Who holds a lease is unknown: wait out the longest one (not when shutting down: nobody reads from here).
      if (this.link.closed()) return release();
      setTimeout(release, this.leaseMs).unref?.();
      return;
    }
    if (holders.length === 0 || batch.length === 0) return release();
    let open = batch.length;
    const longest = Math.max(...holders.map(([, ms]) => ms));
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const p of batch) {
        const root = p.slice(0, p.lastIndexOf(':'));
        const list = this.ackWaits.get(root)?.filter((w) => !mine.has(w));
        if (list && list.length > 0) this.ackWaits.set(root, list);
        else this.ackWaits.delete(root);
      }
      release();
    };
    const timer = setTimeout(finish, longest + 1);
    timer.unref?.();
    const mine = new Set<AckWaiter>();
    for (const p of batch) {
      const at = p.lastIndexOf(':');
      const root = p.slice(0, at);
      const w: AckWaiter = {
        seq: Number(p.slice(at + 1)),
        pending: new Set(holders.map(([h]) => h)),
        done: () => {
          if (--open === 0) finish();
        },
      };
      for (const [h] of holders) if ((this.recentAcks.get(`${h}:${root}`) ?? -1) >= w.seq) w.pending.delete(h);
      mine.add(w);
      const list = this.ackWaits.get(root);
      if (list) list.push(w);
      else this.ackWaits.set(root, [w]);
      if (w.pending.size === 0) w.done();
    }
  }

  /** Acks of other holders: `<holder>:<root>:<seq>`; one covers every wait of that tree up to its seq. */
  acked(payload: string) {
    const first = payload.indexOf(':');
    const last = payload.lastIndexOf(':');
    if (first <= 0 || last <= first) return;
    const holder = payload.slice(0, first);
    const root = payload.slice(first + 1, last);
    const seq = Number(payload.slice(last + 1));
    if (!Number.isSafeInteger(seq)) return;
    // Kept a while: an ack can arrive before its writer has read whom to wait for (the NOTIFY's result comes back
    // on another connection than the acks).
    const key = `${holder}:${root}`;
    const seen = this.recentAcks.get(key) ?? -1;
    this.recentAcks.delete(key);
    this.recentAcks.set(key, Math.max(seen, seq));
    if (this.recentAcks.size > MAX_OUTBOX) this.recentAcks.delete(this.recentAcks.keys().next().value as string);
    const list = this.ackWaits.get(root);
    if (!list) return;
    for (const w of list) {
      if (w.seq <= seq && w.pending.delete(holder) && w.pending.size === 0) w.done();
    }
  }
}
