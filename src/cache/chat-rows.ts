/**
 * Chat rows in memory, for the reads that must be linearizable (every read of a chat: its existence, owner and
 * tree version, which the cached pages are keyed by). A row is kept only while this process holds a read lease
 * (src/events/pg.feed.ts): every write, on any process, is answered only after this process has applied its
 * commit notice, which drops the rows of the tree here (`invalidate`). So a row found here is the row PostgreSQL
 * would return, and a cached get-chat is answered without a round trip.
 *
 * A read that started before a change was applied never stores what it read (`begin`/`put` compare the tree's
 * last change with the read's start), and nothing kept under an earlier lease is used under a later one (between
 * the two, notices may have been missed).
 */
import type { ChatRecord } from '../domain/model.js';

export interface RowReadToken {
  tick: number;
  generation: number | null;
}

export class ChatRowMemory {
  private readonly rows = new Map<string, { chat: ChatRecord; at: number }>();
  private readonly byRoot = new Map<string, Set<string>>();
  /** Count of changes applied; per tree, the count at its last change and its highest seq (recent trees last). */
  private tick = 0;
  private readonly changed = new Map<string, { tick: number; seq: number }>();
  /** The highest count forgotten from `changed` (a tree not in it is treated as changed then). */
  private floor = 0;
  private generation: number | null = null;
  hits = 0;

  constructor(
    /** The current read lease's generation, or null while reads may not be answered from memory. */
    private readonly lease: () => number | null,
    private readonly maxRows = 50_000,
    private readonly maxChanged = 100_000,
    /**
     * A row is read again after this long even without a notice: what bounds how long a commit whose writer died
     * before sending its notice (and so never answered) can stay unseen here.
     */
    private readonly maxAgeMs = 5_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The live chat `chatId` as PostgreSQL has it now, or undefined when this process cannot tell without asking. */
  get(chatId: string): ChatRecord | undefined {
    const g = this.lease();
    if (g === null) return undefined;
    if (g !== this.generation) {
      this.reset(g);
      return undefined;
    }
    const row = this.rows.get(chatId);
    if (!row) return undefined;
    if (this.now() - row.at > this.maxAgeMs) {
      this.rows.delete(chatId);
      this.byRoot.get(row.chat.rootChatId)?.delete(chatId);
      return undefined;
    }
    this.hits++;
    return row.chat;
  }

  /** Taken before a read of chat rows starts; `put` uses it to refuse what may be older than a change applied. */
  begin(): RowReadToken {
    return { tick: this.tick, generation: this.lease() };
  }

  put(token: RowReadToken, chat: ChatRecord): void {
    if (token.generation === null || token.generation !== this.lease()) return;
    if (token.generation !== this.generation) this.reset(token.generation);
    if ((this.changed.get(chat.rootChatId)?.tick ?? this.floor) > token.tick) return;
    this.keep(chat);
  }

  /**
   * The row as this process's own write `seq` of its tree left it (committed, and applied here: `invalidate` ran
   * with that seq), `token` taken before the write. Kept unless a later change of the tree has been applied since (a
   * higher seq) or the lease changed meanwhile, so the next write to the chat needs no read.
   */
  putWritten(token: RowReadToken, chat: ChatRecord, seq: number): void {
    if (token.generation === null || token.generation !== this.lease()) return;
    if (token.generation !== this.generation) this.reset(token.generation);
    const last = this.changed.get(chat.rootChatId);
    if (!last || last.seq !== seq) return;
    this.keep(chat);
  }

  private keep(chat: ChatRecord): void {
    if (!this.rows.has(chat.chatId) && this.rows.size >= this.maxRows) {
      const oldest = this.rows.keys().next().value as string;
      const old = this.rows.get(oldest);
      this.rows.delete(oldest);
      if (old) this.byRoot.get(old.chat.rootChatId)?.delete(oldest);
    }
    this.rows.set(chat.chatId, { chat, at: this.now() });
    let ids = this.byRoot.get(chat.rootChatId);
    if (!ids) {
      ids = new Set();
      this.byRoot.set(chat.rootChatId, ids);
    }
    ids.add(chat.chatId);
  }

  /**
   * A change of the tree committed (here or on another process), its seq `seq`: its rows are read again next time.
   */
  invalidate(rootChatId: string, seq = 0): void {
    this.tick++;
    const before = this.changed.get(rootChatId);
    this.changed.delete(rootChatId);
    this.changed.set(rootChatId, { tick: this.tick, seq: Math.max(seq, before?.seq ?? 0) });
    if (this.changed.size > this.maxChanged) {
      const [root, at] = this.changed.entries().next().value as [string, { tick: number }];
      this.changed.delete(root);
      this.floor = Math.max(this.floor, at.tick);
    }
    const ids = this.byRoot.get(rootChatId);
    if (!ids) return;
    for (const id of ids) this.rows.delete(id);
    this.byRoot.delete(rootChatId);
  }

  /** True while rows may be answered from memory. */
  leased(): boolean {
    return this.lease() !== null;
  }

  get size(): number {
    return this.rows.size;
  }

  private reset(generation: number) {
    this.rows.clear();
    this.byRoot.clear();
    this.generation = generation;
  }
}
