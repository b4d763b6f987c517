/**
 * An in-memory change feed for the hub's unit tests (tests/unit/events.test.ts): `publish` plays a committed
 * write (it numbers the event and delivers it at once); the last `retention` events of each tree are kept for
 * `since`. The real feed is src/events/pg.feed.ts (tested against PostgreSQL in tests/events).
 */
import type { EventFeed, EventName, ReplayLimit, TreeEvent } from '../../src/events/events.js';

interface TreeLog {
  seq: number;
  log: { e: TreeEvent; bytes: number }[];
}

export class MemoryEventFeed implements EventFeed {
  readonly kind = 'memory';
  private readonly trees = new Map<string, TreeLog>();
  readonly listeners = new Map<string, Set<(e: TreeEvent) => void>>();
  private readonly commitFns = new Set<(root: string, seq: number) => void>();

  constructor(private readonly retention = 1000) {}

  async publish(rootChatId: string, event: EventName, data: unknown): Promise<number> {
    let t = this.trees.get(rootChatId);
    if (!t) {
      t = { seq: 0, log: [] };
      this.trees.set(rootChatId, t);
    }
    const e: TreeEvent = { seq: ++t.seq, root_chat_id: rootChatId, event, at: new Date().toISOString(), data };
    t.log.push({ e, bytes: Buffer.byteLength(JSON.stringify(e)) });
    if (t.log.length > this.retention) t.log.splice(0, t.log.length - this.retention);
    for (const fn of this.commitFns) fn(rootChatId, e.seq);
    for (const fn of this.listeners.get(rootChatId) ?? []) fn(e);
    return e.seq;
  }

  async listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void> {
    let set = this.listeners.get(rootChatId);
    if (!set) {
      set = new Set();
      this.listeners.set(rootChatId, set);
    }
    set.add(onEvent);
    return () => {
      set.delete(onEvent);
      if (set.size === 0 && this.listeners.get(rootChatId) === set) this.listeners.delete(rootChatId);
    };
  }

  onCommit(fn: (rootChatId: string, seq: number) => void): () => void {
    this.commitFns.add(fn);
    return () => this.commitFns.delete(fn);
  }

  async since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
    const t = this.trees.get(rootChatId);
    const current = t?.seq ?? 0;
    if (after > current) return 'gone';
    if (after === current) return [];
    const first = t?.log[0]?.e.seq;
    if (!t || first === undefined || first > after + 1) return 'gone';
    if (limit && current - after > limit.maxEvents) return 'over-limit';
    const events: TreeEvent[] = [];
    let bytes = 0;
    for (const entry of t.log.slice(after + 1 - first)) {
      bytes += entry.bytes;
      if (limit && bytes > limit.maxBytes) return 'over-limit';
      events.push(entry.e);
    }
    return events;
  }

  async currentSeq(rootChatId: string): Promise<number> {
    return this.trees.get(rootChatId)?.seq ?? 0;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
