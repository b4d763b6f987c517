/**
 * The in-process event bus: used when REDIS_URL is unset. Events reach sockets of this process only.
 * Keeps the last `retention` events of at most `maxTrees` trees (the least recently written are forgotten;
 * their clients get `resync` when they resume); an event over `maxRetainedBytes` is sent live but kept
 * only as a stub, like on Redis.
 */
import type { EventBus, EventName, ReplayLimit, TreeEvent } from './events.js';

interface TreeLog {
  seq: number;
  /** Retained events with the size of their JSON; a stub marks one too large to keep (resuming over it → resync). */
  log: ({ seq: number; e: TreeEvent; bytes: number } | { seq: number; stub: true })[];
}

export class MemoryEventBus implements EventBus {
  readonly kind = 'memory';
  private readonly trees = new Map<string, TreeLog>();
  private readonly listeners = new Map<string, Set<(e: TreeEvent) => void>>();

  constructor(
    private readonly retention = 1000,
    private readonly maxTrees = 1000,
    private readonly maxRetainedBytes = 64 * 1024,
  ) {}

  async publish(rootChatId: string, event: EventName, data: unknown): Promise<number> {
    let t = this.trees.get(rootChatId);
    if (t)
      this.trees.delete(rootChatId); // re-inserted below: Map order is recency order
    else t = { seq: 0, log: [] };
    this.trees.set(rootChatId, t);
    if (this.trees.size > this.maxTrees) {
      // The least recently written tree nobody listens to (a followed tree keeps its sequence).
      for (const id of this.trees.keys()) {
        if (!this.listeners.has(id)) {
          this.trees.delete(id);
          break;
        }
      }
    }

    const e: TreeEvent = { seq: ++t.seq, root_chat_id: rootChatId, event, at: new Date().toISOString(), data };
    // The size of the whole event, as the Redis bus measures what it keeps.
    const bytes = Buffer.byteLength(JSON.stringify(e));
    t.log.push(bytes > this.maxRetainedBytes ? { seq: e.seq, stub: true } : { seq: e.seq, e, bytes });
    if (t.log.length > this.retention) t.log.splice(0, t.log.length - this.retention);
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

  async since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
    const t = this.trees.get(rootChatId);
    const current = t?.seq ?? 0;
    if (after > current) return 'gone';
    if (after === current) return [];
    const first = t?.log[0]?.seq;
    if (!t || first === undefined || first > after + 1) return 'gone';
    if (limit && current - after > limit.maxEvents) return 'over-limit';
    const events: TreeEvent[] = [];
    let bytes = 0;
    for (let i = after + 1 - first; i < t.log.length; i++) {
      const entry = t.log[i] as TreeLog['log'][number];
      if ('stub' in entry) return 'gone';
      bytes += entry.bytes;
      if (limit && bytes > limit.maxBytes) return 'over-limit';
      events.push(entry.e);
    }
    return events;
  }

  async currentSeq(rootChatId: string): Promise<number> {
    return this.trees.get(rootChatId)?.seq ?? 0;
  }

  onReconnect(): void {}

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
