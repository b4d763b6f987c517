/**
 * The trees this process follows for its sockets (EventFeed.listen), and how each is kept up to date: per tree, the
 * seq delivered up to (`position`) and the highest seq reported (`wanted`, by a notice or a check); the events in
 * between are read from the log, for all trees that are behind in one query, and delivered in seq order, each
 * once, whatever notices were missed (src/events/pg.feed.ts explains when that happens).
 */

import type { TreeEvent } from '../events.js';
import { FETCH_ROWS, readAfter, readSeqs, toEvent } from './log.js';
import type { FeedLink } from './wire.js';

interface Followed {
  listeners: Set<(e: TreeEvent) => void>;
  /** The seq delivered up to; -1 until the tree's current seq has been read. */
  position: number;
  /** The highest seq a notice or a check has reported. */
  wanted: number;
  ready: Promise<void>;
}

export class FollowedTrees {
  private readonly trees = new Map<string, Followed>();
  private flushing = false;
  private flushAgain = false;
  private polling = false;

  /** `currentSeq`: a tree's latest seq, read when it starts being followed (EventFeed.currentSeq). */
  constructor(
    private readonly link: FeedLink,
    private readonly currentSeq: (rootChatId: string) => Promise<number>,
  ) {}

  /** EventFeed.listen. */
  async listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void> {
    let t = this.trees.get(rootChatId);
    if (!t) {
      const created: Followed = { listeners: new Set(), position: -1, wanted: 0, ready: Promise.resolve() };
      created.ready = this.currentSeq(rootChatId).then(
        (seq) => {
          created.position = Math.max(created.position, seq);
          created.wanted = Math.max(created.wanted, seq);
          if (created.wanted > created.position) void this.flush();
        },
        (e) => {
          if (this.trees.get(rootChatId) === created) this.trees.delete(rootChatId);
          throw e;
        },
      );
      this.trees.set(rootChatId, created);
      t = created;
    }
    const followed = t;
    followed.listeners.add(onEvent);
    try {
      await followed.ready;
    } catch (e) {
      followed.listeners.delete(onEvent);
      throw e;
    }
    return () => {
      followed.listeners.delete(onEvent);
      if (followed.listeners.size === 0 && this.trees.get(rootChatId) === followed) this.trees.delete(rootChatId);
    };
  }

  /** A notice says the tree `root` is at `seq` now: if it is followed and behind, its events are read. */
  reported(root: string, seq: number): void {
    const t = this.trees.get(root);
    if (t && seq > t.wanted) {
      t.wanted = seq;
      if (t.position >= 0) void this.flush();
    }
  }

  /** Stops following every tree (closing). */
  clear(): void {
    this.trees.clear();
  }

  /** Reads and delivers the events of every followed tree that is behind, one query per FETCH_ROWS rows. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        const client = this.link.client();
        const behind = [...this.trees].filter(([, t]) => t.position >= 0 && t.wanted > t.position);
        if (behind.length === 0 || !client) break;
        const rows = await readAfter(
          client,
          behind.map(([root]) => root),
          behind.map(([, t]) => t.position),
        );
        const got = new Set<string>();
        const asked = new Map(behind);
        for (const row of rows) {
          // Only into the entry this read was for: a tree unfollowed and followed again meanwhile starts anew.
          const t = asked.get(row.root_chat_id);
          const seq = Number(row.seq);
          got.add(row.root_chat_id);
          if (!t || this.trees.get(row.root_chat_id) !== t || t.position < 0 || seq <= t.position) continue;
          t.position = seq;
          t.wanted = Math.max(t.wanted, seq);
          const e = toEvent(row);
          for (const fn of [...t.listeners]) {
            try {
              fn(e);
            } catch (err) {
              this.link.warn(err, 'event feed: a listener failed');
            }
          }
        }
        if (rows.length === FETCH_ROWS) {
          this.flushAgain = true;
          continue;
        }
        // Reported but not in the log (pruned by age since): nothing to read; the next event shows the gap, which the
        // hub fills from the log or answers with resync (so is a follower that fell behind the retention).
        for (const [root, t] of behind) if (!got.has(root)) t.wanted = t.position;
      } while (this.flushAgain);
    } catch (e) {
      this.link.warn(e, 'event feed: reading the log failed');
      const client = this.link.client();
      if (client) this.link.failed(client, e);
    } finally {
      this.flushing = false;
    }
  }

  /** Checks every followed tree's latest seq (after a reconnect, and periodically) and reads what is new. */
  async poll(): Promise<void> {
    const client = this.link.client();
    const roots = [...this.trees].filter(([, t]) => t.position >= 0).map(([root]) => root);
    if (!client || roots.length === 0 || this.polling) return;
    this.polling = true;
    try {
      const rows = await readSeqs(client, roots);
      for (const row of rows) {
        const t = this.trees.get(row.chat_id);
        if (t) t.wanted = Math.max(t.wanted, Number(row.event_seq));
      }
      await this.flush();
    } catch (e) {
      this.link.warn(e, 'event feed: checking trees failed');
      this.link.failed(client, e);
    } finally {
      this.polling = false;
    }
  }
}
