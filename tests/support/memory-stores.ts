/**
 * In-memory MetadataStore, ContentStore and ShareStore, for unit tests of the domain services only (never used
 * by src/). They keep the same rules as the PostgreSQL adapters in the simplest possible way.
 */
import { NotFoundError, StaleWriteError } from '../../src/domain/errors.js';
import type { SeqRange } from '../../src/domain/history.js';
import type {
  AccountRecord,
  ChatRecord,
  ConversationSummary,
  Feedback,
  PairFeedback,
  PairLocation,
  PairRecord,
  ShareRecord,
} from '../../src/domain/model.js';
import { isStartFork } from '../../src/domain/model.js';
import type {
  Announce,
  AppendSlot,
  ArchivedScope,
  ChatChanges,
  ContentHit,
  ContentSearch,
  ContentStore,
  FeedbackCounts,
  FeedbackInput,
  ImportedTree,
  ListCursor,
  MetadataStore,
  ScanSlotsOptions,
  ShareCursor,
  ShareStore,
  UsageTotals,
} from '../../src/domain/ports.js';
import { START_FORKS } from '../../src/domain/ports.js';
import { buildSnippet, matchesTerm, searchTerms } from '../../src/stores/content/snippet.js';

interface Row extends ChatRecord {
  deleted: boolean;
}

export class MemoryMetadataStore implements MetadataStore {
  private fence = 0;
  readonly accounts = new Map<string, AccountRecord>();
  readonly chats = new Map<string, Row>();
  readonly activity = new Map<string, Date>();
  /** Feedback by `${accountId}:${responseId}`. */
  readonly feedback = new Map<string, PairFeedback & { accountId: string }>();

  async createAccount(a: AccountRecord) {
    this.accounts.set(a.accountId, a);
  }
  async findAccountByEmail(email: string) {
    return [...this.accounts.values()].find((a) => a.email === email) ?? null;
  }
  async accountExists(id: string) {
    return this.accounts.has(id);
  }
  private live(accountId: string, chatId: string): Row {
    const c = this.chats.get(chatId);
    if (!c || c.deleted || c.accountId !== accountId) throw new NotFoundError(`Chat ${chatId} not found`);
    return c;
  }
  private copy(c: Row): ChatRecord {
    const { deleted: _, ...rest } = c;
    return { ...rest };
  }
  async createConversation(root: ChatRecord) {
    this.chats.set(root.chatId, { ...root, deleted: false });
    this.activity.set(root.chatId, root.createdAt);
    return root;
  }
  async getChat(accountId: string, chatId: string) {
    try {
      return this.copy(this.live(accountId, chatId));
    } catch {
      return null;
    }
  }
  async listTree(accountId: string, rootChatId: string) {
    return [...this.chats.values()]
      .filter((c) => c.rootChatId === rootChatId && c.accountId === accountId && !c.deleted)
      .map((c) => this.copy(c));
  }
  async listConversations(
    accountId: string,
    limit: number,
    cursor: ListCursor | null,
    archived: ArchivedScope = 'exclude',
  ): Promise<ConversationSummary[]> {
    // Pinned first, then latest activity, then id, all descending; the cursor's key in the same order.
    const key = (s: { root: ChatRecord; lastActivityAt: Date }) =>
      [Number(s.root.pinned), s.lastActivityAt.getTime(), s.root.chatId] as const;
    const before = (a: readonly [number, number, string], b: readonly [number, number, string]) =>
      a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    return [...this.chats.values()]
      .filter((c) => c.accountId === accountId && c.parentChatId === null && !c.deleted)
      .filter((c) => archived === 'include' || c.archived === (archived === 'only'))
      .map((root) => {
        const tree = [...this.chats.values()].filter((c) => c.rootChatId === root.chatId && !c.deleted);
        return {
          root: this.copy(root),
          activeChatId: tree.find((c) => c.active)?.chatId ?? root.chatId,
          branchCount: tree.length - 1,
          lastActivityAt: this.activity.get(root.chatId) as Date,
        };
      })
      .sort((a, b) => (before(key(a), key(b)) ? -1 : 1))
      .filter((s) => !cursor || before([Number(cursor.pinned), cursor.lastActivityAt.getTime(), cursor.chatId], key(s)))
      .slice(0, limit);
  }
  async appendPair(accountId: string, chatId: string, write: (slot: AppendSlot) => Promise<void>) {
    const c = this.live(accountId, chatId);
    const now = new Date();
    const seq = c.ownCount + 1;
    const fence = ++this.fence;
    await write({ chat: this.copy(c), seq, now, fence });
    c.ownCount = seq;
    c.updatedAt = now;
    this.activity.set(c.rootChatId, now);
    return { chat: this.copy(c), seq, now, fence };
  }
  async createBranch(branch: ChatRecord, o: { activate: boolean; writeFirst?: (slot: AppendSlot) => Promise<void> }) {
    this.live(branch.accountId, branch.parentChatId as string);
    const row: Row = { ...branch, active: false, deleted: false, ownCount: 0 };
    if (o.writeFirst) {
      await o.writeFirst({ chat: this.copy(row), seq: 1, now: branch.createdAt, fence: ++this.fence });
      row.ownCount = 1;
    }
    this.chats.set(row.chatId, row);
    if (o.activate) this.activate(row);
    this.activity.set(row.rootChatId, branch.createdAt);
    return this.copy(row);
  }
  private activate(target: Row) {
    for (const c of this.chats.values()) if (c.rootChatId === target.rootChatId) c.active = c.chatId === target.chatId;
  }
  async setActive(accountId: string, chatId: string) {
    const c = this.live(accountId, chatId);
    this.activate(c);
    return { rootChatId: c.rootChatId, activeChatId: c.chatId };
  }
  async softDeleteSubtree(accountId: string, chatId: string) {
    const c = this.live(accountId, chatId);
    const doomed = [...this.chats.values()].filter(
      (x) => !x.deleted && (x.chatId === chatId || x.ancestorIds.includes(chatId)),
    );
    const hadActive = doomed.some((x) => x.active);
    for (const x of doomed) {
      x.deleted = true;
      x.active = false;
    }
    const newActiveChatId = hadActive && c.parentChatId ? c.parentChatId : null;
    if (newActiveChatId) (this.chats.get(newActiveChatId) as Row).active = true;
    return { rootChatId: c.rootChatId, deletedChatIds: doomed.map((x) => x.chatId), newActiveChatId };
  }
  async updateChat(accountId: string, chatId: string, changes: ChatChanges, now: Date, check: (c: ChatRecord) => void) {
    const c = this.live(accountId, chatId);
    check(this.copy(c));
    if (changes.name !== undefined) c.name = changes.name;
    // The conversation's fields are kept on every chat of the tree (as the conversations row would).
    for (const x of this.chats.values()) {
      if (x.rootChatId !== c.rootChatId) continue;
      if (changes.systemPrompt !== undefined) x.systemPrompt = changes.systemPrompt;
      if (changes.archived !== undefined) x.archived = changes.archived;
      if (changes.pinned !== undefined) x.pinned = changes.pinned;
      if (changes.name !== undefined && c.parentChatId === null) x.nameSource = 'user';
    }
    c.updatedAt = now.getTime() > c.updatedAt.getTime() ? now : new Date(c.updatedAt.getTime() + 1);
    return this.copy(c);
  }
  async setTitle(accountId: string, rootChatId: string, title: string, now: Date, announce: Announce<ChatRecord>) {
    const root = this.chats.get(rootChatId);
    if (!root || root.deleted || root.accountId !== accountId || root.nameSource !== 'default') return null;
    root.name = title;
    root.updatedAt = now.getTime() > root.updatedAt.getTime() ? now : new Date(root.updatedAt.getTime() + 1);
    for (const x of this.chats.values()) if (x.rootChatId === rootChatId) x.nameSource = 'auto';
    const named = this.copy(root);
    announce(named);
    return named;
  }
  async importTrees(trees: ImportedTree[], write: (fence: number) => Promise<void>) {
    await write(++this.fence);
    for (const tree of trees) {
      for (const c of tree.chats) {
        // As the conversations row: a forked tree's root records its source.
        const forkedFrom = c.parentChatId === null ? (tree.forkedFrom ?? null) : null;
        this.chats.set(c.chatId, { ...c, systemPrompt: tree.systemPrompt, forkedFrom, deleted: false });
      }
      const root = tree.chats[0];
      if (root) this.activity.set(root.chatId, tree.lastActivityAt);
      for (const f of tree.feedback ?? []) {
        this.feedback.set(`${root?.accountId}:${f.responseId}`, { ...f, accountId: root?.accountId ?? '' });
      }
    }
  }
  async branchesAfter(accountId: string, responseIds: string[], startOf?: string) {
    const out = new Map<string, string[]>();
    for (const c of this.chats.values()) {
      if (c.deleted || c.accountId !== accountId || c.rootChatId !== startOf || !isStartFork(c)) continue;
      out.set(START_FORKS, [...(out.get(START_FORKS) ?? []), c.chatId]);
    }
    for (const c of this.chats.values()) {
      if (c.deleted || c.accountId !== accountId || !c.forkResponseId || !responseIds.includes(c.forkResponseId))
        continue;
      out.set(c.forkResponseId, [...(out.get(c.forkResponseId) ?? []), c.chatId]);
    }
    return out;
  }
  async pairExtras(accountId: string, responseIds: string[], startOf?: string) {
    const feedback = new Map<string, Feedback>();
    for (const id of responseIds) {
      const f = this.feedback.get(`${accountId}:${id}`);
      if (f) feedback.set(id, { rating: f.rating, comment: f.comment, updatedAt: f.updatedAt });
    }
    return { branches: await this.branchesAfter(accountId, responseIds, startOf), feedback };
  }
  async setFeedback(
    accountId: string,
    responseId: string,
    at: PairLocation,
    given: FeedbackInput,
    announce: Announce<Feedback | null>,
  ) {
    const c = this.live(accountId, at.chatId);
    if (at.seq > c.ownCount) throw new NotFoundError(`Pair ${responseId} not found`);
    const key = `${accountId}:${responseId}`;
    const stored = given ? { ...given, updatedAt: new Date() } : null;
    if (stored) this.feedback.set(key, { ...stored, responseId, chatId: at.chatId, seq: at.seq, accountId });
    else this.feedback.delete(key);
    announce(stored);
    return stored;
  }
  private inRanges(accountId: string, ranges: SeqRange[]) {
    return [...this.feedback.values()].filter(
      (f) =>
        f.accountId === accountId &&
        ranges.some((r) => r.chatId === f.chatId && f.seq >= r.fromSeq && f.seq <= r.toSeq),
    );
  }
  async feedbackIn(accountId: string, ranges: SeqRange[]) {
    return new Map(
      this.inRanges(accountId, ranges).map(({ accountId: _, ...f }) => [f.responseId, f] as [string, PairFeedback]),
    );
  }
  async feedbackCounts(accountId: string, ranges: SeqRange[]): Promise<FeedbackCounts> {
    const found = this.inRanges(accountId, ranges);
    return { up: found.filter((f) => f.rating === 'up').length, down: found.filter((f) => f.rating === 'down').length };
  }
  async ownCounts(chatIds: string[]) {
    const out = new Map<string, number>();
    for (const id of chatIds) {
      const c = this.chats.get(id);
      if (c) out.set(id, c.ownCount);
    }
    return out;
  }
  async liveChats(accountId: string, archived: ArchivedScope = 'include') {
    return [...this.chats.values()]
      .filter((c) => !c.deleted && c.accountId === accountId)
      .filter((c) => archived === 'include' || c.archived === (archived === 'only'))
      .map((c) => ({ chatId: c.chatId, rootChatId: c.rootChatId, ownCount: c.ownCount }));
  }
  async ping() {}
}

export class MemoryContentStore implements ContentStore {
  readonly name = 'memory';
  readonly atomicWithMetadata = false;
  readonly pairs = new Map<string, PairRecord & { fence: number }>();
  reads: SeqRange[][] = [];

  private at(chatId: string, seq: number) {
    for (const q of this.pairs.values()) if (q.chatId === chatId && q.seq === seq) return q;
    return undefined;
  }
  async append(p: PairRecord, fence: number) {
    const old = this.at(p.chatId, p.seq);
    if (old && old.fence >= fence) throw new StaleWriteError(p.chatId, p.seq);
    if (old) this.pairs.delete(old.responseId);
    this.pairs.set(p.responseId, { ...p, fence });
  }
  async appendMany(pairs: PairRecord[], fence: number) {
    for (const p of pairs) await this.append(p, fence);
  }
  async removeChats(accountId: string, chatIds: string[], fence: number) {
    let n = 0;
    for (const p of [...this.pairs.values()]) {
      if (
        p.accountId === accountId &&
        chatIds.includes(p.chatId) &&
        p.fence === fence &&
        this.pairs.delete(p.responseId)
      )
        n++;
    }
    return n;
  }
  async removeSlot(accountId: string, chatId: string, seq: number, fence: number) {
    const old = this.at(chatId, seq);
    if (!old || old.accountId !== accountId || old.fence !== fence) return false;
    return this.pairs.delete(old.responseId);
  }
  async scanSlots(o: ScanSlotsOptions) {
    const key = (t: Date, id: string) => `${t.toISOString()}|${id}`;
    const after = o.after ? key(o.after.timestamp, o.after.responseId) : '';
    return [...this.pairs.values()]
      .filter((p) => p.timestamp >= o.from && p.timestamp < o.to && key(p.timestamp, p.responseId) > after)
      .sort((a, b) => (key(a.timestamp, a.responseId) < key(b.timestamp, b.responseId) ? -1 : 1))
      .slice(0, o.limit)
      .map((p) => ({
        accountId: p.accountId,
        chatId: p.chatId,
        seq: p.seq,
        fence: p.fence,
        responseId: p.responseId,
        timestamp: p.timestamp,
      }));
  }
  async readRanges(accountId: string, ranges: SeqRange[]) {
    this.reads.push(ranges);
    const out: PairRecord[] = [];
    for (const r of ranges) {
      const inRange = [...this.pairs.values()].filter(
        (p) => p.accountId === accountId && p.chatId === r.chatId && p.seq >= r.fromSeq && p.seq <= r.toSeq,
      );
      out.push(...inRange.sort((a, b) => a.seq - b.seq));
    }
    return out;
  }
  async usage(accountId: string, ranges: SeqRange[]): Promise<UsageTotals> {
    let promptTokens = 0;
    let completionTokens = 0;
    for (const p of this.pairs.values()) {
      if (
        p.accountId !== accountId ||
        !ranges.some((r) => p.chatId === r.chatId && p.seq >= r.fromSeq && p.seq <= r.toSeq)
      )
        continue;
      promptTokens += p.generation?.promptTokens ?? 0;
      completionTokens += p.generation?.completionTokens ?? 0;
    }
    return { promptTokens, completionTokens };
  }
  async usagePrefixes(accountId: string, prefixes: PairLocation[]): Promise<UsageTotals[]> {
    return Promise.all(prefixes.map((x) => this.usage(accountId, [{ chatId: x.chatId, fromSeq: 1, toSeq: x.seq }])));
  }
  /** Word-prefix matching of every term; score = matching words. A stand-in for the real engines. */
  async search(q: ContentSearch): Promise<ContentHit[]> {
    const terms = searchTerms(q.text);
    const hits: ContentHit[] = [];
    for (const p of await this.readRanges(q.accountId, q.ranges)) {
      const text = `${p.question}\n${p.response}\n${p.url ?? ''}`;
      const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) as string[];
      if (terms.length === 0 || !terms.every((t) => words.some((w) => w.startsWith(t)))) continue;
      const score = words.filter((w) => matchesTerm(w, terms)).length;
      hits.push({ pair: p, score, snippet: buildSnippet(text, terms) });
    }
    const a = q.after;
    return hits
      .filter((h) => !a || h.score < a.score || (h.score === a.score && h.pair.responseId < a.responseId))
      .sort((x, y) => y.score - x.score || (y.pair.responseId > x.pair.responseId ? 1 : -1))
      .slice(0, q.limit);
  }
  async locate(accountId: string, responseId: string): Promise<PairLocation | null> {
    const p = this.pairs.get(responseId);
    return p && p.accountId === accountId ? { chatId: p.chatId, seq: p.seq } : null;
  }
  async ping() {}
  async close() {}
}

/** Shares in a list; "live chat" is asked of the metadata store it is given (as the SQL joins the chat row). */
export class MemoryShareStore implements ShareStore {
  readonly rows: ShareRecord[] = [];
  constructor(private readonly meta: MemoryMetadataStore) {}
  private chatLive(s: ShareRecord) {
    const c = this.meta.chats.get(s.chatId);
    return Boolean(c && !c.deleted);
  }
  async insert(share: ShareRecord) {
    this.rows.push({ ...share });
  }
  async byTokenHash(hash: Uint8Array) {
    const found = this.rows.find((r) => Buffer.from(r.tokenHash).equals(Buffer.from(hash)));
    return found ? { ...found } : null;
  }
  async list(accountId: string, o: { chatId: string | null; after: ShareCursor | null; limit: number }) {
    const key = (r: { createdAt: Date; shareId: string }) =>
      `${String(r.createdAt.getTime()).padStart(15, '0')}${r.shareId}`;
    return this.rows
      .filter((r) => r.accountId === accountId && r.revokedAt === null && this.chatLive(r))
      .filter((r) => o.chatId === null || r.chatId === o.chatId)
      .filter((r) => !o.after || key(r) < key(o.after))
      .sort((a, b) => (key(a) < key(b) ? 1 : -1))
      .slice(0, o.limit)
      .map((r) => ({ ...r }));
  }
  async revoke(accountId: string, shareId: string, now: Date) {
    const r = this.rows.find((x) => x.shareId === shareId && x.accountId === accountId);
    if (!r || r.revokedAt !== null || !this.chatLive(r)) return null;
    r.revokedAt = now;
    return now;
  }
}
