/**
 * fork-chat: copies a chat's visible history (all of it, or up to one of its pairs) into a new, independent
 * conversation; with `includeBranches`, the branches below that point come along as branches of the new tree.
 *
 * Think of a tree as the set of paths its chats spell out, pair by pair. The copy point X is a pair of the source's
 * visible history (its last copied pair), or the start of the tree when the copied history is empty. The chats
 * that come along are those whose path passes through X and goes on below it: every live chat whose visible
 * history begins with the copied history and is longer than it. The chat that stores X (say M, at seq q) goes on
 * with its own pairs after q; its branches forking at q or later, and everything below them, go on too; a branch
 * forking before q does not. A chat whose history is exactly the copied history (M when q is its last pair, an empty
 * branch forking at X, the source itself when no pair is given) has nothing below X: the new root stands for it.
 *
 * Start forks (branches forking before the tree's first pair) hold none of the root's pairs, so they pass through X
 * only when X is the start, i.e. when the copied history is empty (no `responseId`, and the source's visible history
 * is empty); then every chat of the tree with a non-empty history comes along, the source root included (as a start
 * fork of the new tree when it holds pairs).
 *
 * Each copied chat is re-rooted: its chain begins with the new root (which holds the copied history as its own
 * pairs), followed by the members of its old chain below X, so its visible history in the new tree has the same
 * pairs as in the old one (new ids, same texts, types, generation and timestamps). Names, creation and update times
 * (and so the order of siblings) and the active chat are kept; when the active chat does not come along, the new
 * root is active.
 *
 * Cost: the source tree's chat rows (one read, with `includeBranches`), then one content read per page of at most
 * PAIRS_PER_READ pairs and one metadata read of the copied pairs' feedback, then one transaction through
 * MetadataStore.importTrees (as import-chat): O(pairs copied),
 * never a round trip per pair. The new tree shares no row with the old one: deleting either leaves the other whole.
 * The source is read as it is when the call runs, without locking it: a write to it during the copy may or may not
 * be part of the copy, never half of it (only committed pairs, by own count, are read).
 */
import type { Ctx } from '../context.js';
import { NotFoundError, UnavailableError, ValidationError } from '../errors.js';
import { historyLength, positionOf, rangesFor, type SeqRange, segmentsOf } from '../history.js';
import { MAX_BRANCH_DEPTH, NAME_MAX, truncate } from '../limits.js';
import type { ChatRecord, ForkedFrom, PairFeedback, PairLocation, PairRecord } from '../model.js';
import type { ImportedTree } from '../ports.js';
import { DEFAULT_IMPORT_LIMITS } from '../transfer/limits.js';
import { IMPORT_MAX_ANCESTORS } from '../transfer/transfer.service.js';
import { groupBy, parentsFirst } from '../tree-order.js';
import { requireChat } from './chats.service.js';

/** Pairs per content read: each page of the copy is one round trip. */
export const PAIRS_PER_READ = 1000;
/** Ranges per content read (each copied chat adds one): bounds the size of one query. */
const RANGES_PER_READ = 200;

export interface ForkChatInput {
  chatId: string;
  /** The last pair to copy (in the chat's visible history); absent: all of it. */
  responseId?: string;
  /** The new root's name; absent: the source chat's name. */
  name?: string;
  /** Also copy the branches below the copy point (see above); default false. */
  includeBranches?: boolean;
  /**
   * Called once the number of pairs to copy is known, before any is read: the transport charges the copy's weight
   * there (it may refuse, and then nothing was done).
   */
  beforeCopy?: (pairCount: number) => Promise<void>;
}

export interface ForkedConversation {
  /** The new tree's root (with `forkedFrom`). */
  root: ChatRecord;
  activeChatId: string;
  /** Chats created: the root and the copied branches. */
  chatCount: number;
  /** Pairs created, over all of them. */
  pairCount: number;
}

/** A chain member below the copy point, as a copied chat sees it: a source chat, and how many of its pairs. */
interface Link {
  chatId: string;
  length: number;
}

/** A source chat that comes along, and where it goes. */
interface Copy {
  source: ChatRecord;
  /** Its id in the new tree. */
  chatId: string;
  /** Its chain below the copy point, source ids (the new root comes first, implicitly). */
  links: Link[];
  /** The first of its own pairs that is copied (the pairs before it are in the copied history). */
  ownFrom: number;
  ownCount: number;
}

/**
 * How `c` goes on below the copy point `at` (null: the start of the tree), or null when its history does not pass
 * through it, or ends there.
 */
function continuation(c: ChatRecord, at: PairLocation | null): Omit<Copy, 'source' | 'chatId'> | null {
  let start = 0;
  if (at !== null) {
    if (c.chatId === at.chatId) start = c.ancestorIds.length;
    else {
      start = c.ancestorIds.indexOf(at.chatId);
      // Not below the chat that stores X, or forking from it before X.
      if (start < 0 || (c.ancestorLimits[start] ?? 0) < at.seq) return null;
    }
  }
  const links: Link[] = [];
  for (let i = start; i < c.ancestorIds.length; i++) {
    const chatId = c.ancestorIds[i] as string;
    const length = (c.ancestorLimits[i] ?? 0) - (chatId === at?.chatId ? at.seq : 0);
    // None of its pairs below X (a fork right at X, or the root of a start fork): not part of the new chain.
    if (length > 0) links.push({ chatId, length });
  }
  const ownFrom = c.chatId === at?.chatId ? at.seq + 1 : 1;
  const ownCount = Math.max(0, c.ownCount - ownFrom + 1);
  if (links.length === 0 && ownCount === 0) return null; // its history is the copied one: the new root is it
  return { links, ownFrom, ownCount };
}

/** A range of source pairs and where they go: into chat `into`, the first at seq `firstSeq`. */
interface Piece {
  range: SeqRange;
  into: string;
  firstSeq: number;
}

/** The pieces cut into pages of at most PAIRS_PER_READ pairs and RANGES_PER_READ ranges (a range may be split). */
function pagesOf(pieces: Piece[]): Piece[][] {
  const pages: Piece[][] = [];
  let page: Piece[] = [];
  let pairs = 0;
  for (const piece of pieces) {
    let { fromSeq } = piece.range;
    while (fromSeq <= piece.range.toSeq) {
      if (pairs === PAIRS_PER_READ || page.length === RANGES_PER_READ) {
        pages.push(page);
        page = [];
        pairs = 0;
      }
      const toSeq = Math.min(piece.range.toSeq, fromSeq + (PAIRS_PER_READ - pairs) - 1);
      page.push({
        range: { chatId: piece.range.chatId, fromSeq, toSeq },
        into: piece.into,
        firstSeq: piece.firstSeq + (fromSeq - piece.range.fromSeq),
      });
      pairs += toSeq - fromSeq + 1;
      fromSeq = toSeq + 1;
    }
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

function tooMuch(path: string, message: string): ValidationError {
  return new ValidationError('The fork would copy too much for one call; nothing was stored', [{ path, message }]);
}

export async function forkChat(ctx: Ctx, input: ForkChatInput): Promise<ForkedConversation> {
  const source = await requireChat(ctx, input.chatId);
  const segments = segmentsOf(source);
  let position = historyLength(segments);
  if (input.responseId !== undefined) {
    const loc = await ctx.deps.content.locate(ctx.accountId, input.responseId);
    const p = loc ? positionOf(segments, loc) : null;
    if (p === null) throw new NotFoundError(`Pair ${input.responseId} is not in the history of chat ${source.chatId}`);
    position = p;
  }
  // X: the chat that stores the last copied pair, and its seq there (null: the copied history is empty).
  const held = segments.find((s) => s.offset < position && position <= s.offset + s.length);
  const at: PairLocation | null = held ? { chatId: held.chatId, seq: position - held.offset } : null;

  const rootChatId = ctx.deps.newId();
  const copies = input.includeBranches ? await below(ctx, source, at) : [];

  const limits = { ...DEFAULT_IMPORT_LIMITS, ...ctx.deps.imports };
  const pairCount = copies.reduce((n, c) => n + c.ownCount, position);
  if (pairCount > limits.maxPairs) {
    throw tooMuch(
      input.includeBranches ? 'include_branches' : 'response_id',
      `would copy ${pairCount} pairs; at most ${limits.maxPairs} per fork (IMPORT_MAX_PAIRS): fork from an earlier ` +
        'response_id, or without include_branches',
    );
  }

  await input.beforeCopy?.(pairCount);

  // The pairs, page by page: the copied history into the root, then each copy's own pairs below X.
  const pieces: Piece[] = [];
  let next = 1;
  for (const range of rangesFor(segments, 1, position)) {
    pieces.push({ range, into: rootChatId, firstSeq: next });
    next += range.toSeq - range.fromSeq + 1;
  }
  for (const c of copies) {
    if (c.ownCount === 0) continue;
    const range = { chatId: c.source.chatId, fromSeq: c.ownFrom, toSeq: c.ownFrom + c.ownCount - 1 };
    pieces.push({ range, into: c.chatId, firstSeq: 1 });
  }
  const pairs: PairRecord[] = [];
  /** Each copied source pair's copy. */
  const copyOf = new Map<string, PairRecord>();
  /** New pair ids of each new chat, by seq - 1 (fork pairs of the copies). */
  const idsOf = new Map<string, string[]>();
  let lastCopied: string | null = null;
  let textBytes = 0;
  const maxTextBytes = limits.maxTextBytes ?? Number.POSITIVE_INFINITY;
  for (const page of pagesOf(pieces)) {
    const read = await ctx.deps.content.readRanges(
      ctx.accountId,
      page.map((p) => p.range),
    );
    let i = 0;
    for (const piece of page) {
      for (let seq = piece.range.fromSeq; seq <= piece.range.toSeq; seq++, i++) {
        const p = read[i];
        // Metadata says these pairs exist; content must have them (it is written before metadata commits).
        if (!p || p.chatId !== piece.range.chatId || p.seq !== seq) {
          throw new Error(`content store has no pair at ${piece.range.chatId}#${seq}`);
        }
        const responseId = ctx.deps.newId();
        let ids = idsOf.get(piece.into);
        if (!ids) {
          ids = [];
          idsOf.set(piece.into, ids);
        }
        ids.push(responseId);
        if (piece.into === rootChatId) lastCopied = p.responseId;
        const copy: PairRecord = {
          responseId,
          chatId: piece.into,
          accountId: ctx.accountId,
          seq: piece.firstSeq + (seq - piece.range.fromSeq),
          question: p.question,
          response: p.response,
          type: p.type,
          language: p.language,
          url: p.url,
          timestamp: p.timestamp,
          generation: p.generation,
        };
        pairs.push(copy);
        copyOf.set(p.responseId, copy);
      }
    }
    if (i !== read.length) throw new Error(`content store returned ${read.length} pairs for ${i} slots`);
    // Bounded in bytes too, as an import's body is: the copy is held in memory and written in one transaction.
    for (const p of read) textBytes += Buffer.byteLength(p.question) + Buffer.byteLength(p.response ?? '');
    if (textBytes > maxTextBytes) {
      throw tooMuch(
        input.includeBranches ? 'include_branches' : 'response_id',
        `the pairs to copy hold more than ${Math.round(maxTextBytes / 1024 / 1024)} MiB of text (IMPORT_MAX_MB, ` +
          'as an import may): fork from an earlier response_id, or without include_branches',
      );
    }
  }
  // The copies keep the feedback of their originals (one read over every copied range).
  const feedback: PairFeedback[] = [];
  const rated = await ctx.deps.meta.feedbackIn(
    ctx.accountId,
    pieces.map((p) => p.range),
  );
  for (const [sourceId, f] of rated) {
    const copy = copyOf.get(sourceId);
    if (!copy) continue;
    feedback.push({
      responseId: copy.responseId,
      chatId: copy.chatId,
      seq: copy.seq,
      rating: f.rating,
      comment: f.comment,
      updatedAt: f.updatedAt,
    });
  }

  const now = ctx.deps.clock();
  const forkedFrom: ForkedFrom = { chatId: source.chatId, responseId: lastCopied };
  const activeCopy = copies.find((c) => c.source.active);
  const root: ChatRecord = {
    chatId: rootChatId,
    accountId: ctx.accountId,
    rootChatId,
    parentChatId: null,
    forkResponseId: null,
    chatType: 'main',
    name: input.name ?? truncate(source.name, NAME_MAX),
    createdAt: now,
    updatedAt: now,
    active: activeCopy === undefined,
    ancestorIds: [],
    ancestorLimits: [],
    ownCount: position,
    treeVersion: 0,
    systemPrompt: source.systemPrompt,
    forkedFrom,
    // A new conversation: neither archived nor pinned, whatever the source's.
    archived: false,
    pinned: false,
  };
  const newIdOf = new Map(copies.map((c) => [c.source.chatId, c.chatId]));
  const chats = [root];
  for (const c of copies) {
    const ancestorIds = [rootChatId, ...c.links.map((l) => newIdOf.get(l.chatId) as string)];
    const ancestorLimits = [position, ...c.links.map((l) => l.length)];
    const parentChatId = ancestorIds[ancestorIds.length - 1] as string;
    const forkSeq = ancestorLimits[ancestorLimits.length - 1] as number;
    chats.push({
      chatId: c.chatId,
      accountId: ctx.accountId,
      rootChatId,
      parentChatId,
      // Forking at the start of the new tree (seq 0 of the root): a start fork.
      forkResponseId: forkSeq === 0 ? null : ((idsOf.get(parentChatId) ?? [])[forkSeq - 1] as string),
      chatType: 'branch',
      name: c.source.name,
      createdAt: c.source.createdAt,
      updatedAt: c.source.updatedAt,
      active: c === activeCopy,
      ancestorIds,
      ancestorLimits,
      ownCount: c.ownCount,
      treeVersion: 0,
      systemPrompt: source.systemPrompt,
      archived: false,
      pinned: false,
    });
  }
  const tree: ImportedTree = { chats, systemPrompt: source.systemPrompt, lastActivityAt: now, forkedFrom, feedback };
  await store(ctx, tree, pairs);
  return { root, activeChatId: activeCopy?.chatId ?? rootChatId, chatCount: chats.length, pairCount };
}

/**
 * The live chats of the source's tree that go on below `at`, parents before children in the new tree (siblings in
 * the source's order: oldest first), each with its new id (taken in that order).
 */
async function below(ctx: Ctx, source: ChatRecord, at: PairLocation | null): Promise<Copy[]> {
  const tree = await ctx.deps.meta.listTree(ctx.accountId, source.rootChatId);
  const found: Omit<Copy, 'chatId'>[] = [];
  let ancestors = 0;
  for (const c of tree) {
    const rest = continuation(c, at);
    if (!rest) continue;
    // One level for the new root, one per member of the old chain below X.
    if (rest.links.length + 1 > MAX_BRANCH_DEPTH) {
      throw new ValidationError('The copied branches would nest too deeply', [
        {
          path: 'include_branches',
          message: `chat ${c.chatId} would nest more than ${MAX_BRANCH_DEPTH} levels deep in the new conversation`,
        },
      ]);
    }
    ancestors += rest.links.length + 1;
    if (ancestors > IMPORT_MAX_ANCESTORS) {
      throw tooMuch(
        'include_branches',
        `the copied branches' ancestor chains add up to more than ${IMPORT_MAX_ANCESTORS} links`,
      );
    }
    found.push({ source: c, ...rest });
  }
  // In the new tree a copy hangs under the last link of its chain (the root when it has none).
  const children = groupBy(found, (c) => c.links[c.links.length - 1]?.chatId ?? null);
  const ordered: Omit<Copy, 'chatId'>[] = [];
  for (const top of children.get(null) ?? []) {
    ordered.push(...parentsFirst(top, (c) => children.get(c.source.chatId) ?? []));
  }
  // Every link is a chat that comes along (a chat below X is below X all the way down its chain).
  if (ordered.length !== found.length) throw new Error('fork-chat: a copied chat without its parent');
  return ordered.map((c) => ({ ...c, chatId: ctx.deps.newId() }));
}

/** One transaction, as import-chat stores a tree: the chats and the conversation row, then the pairs. */
async function store(ctx: Ctx, tree: ImportedTree, pairs: PairRecord[]): Promise<void> {
  let fenceUsed: number | null = null;
  try {
    await ctx.deps.meta.importTrees(
      [tree],
      async (fence) => {
        fenceUsed = fence;
        await ctx.deps.content.appendMany(pairs, fence);
      },
      (t) => [{ event: 'tree.created', chats: t.chats, imported: true }],
    );
  } catch (e) {
    // As import-chat: content outside the metadata database is removed when the transaction failed (its historic
    // timestamps put it outside the reconciler's window), unless the outcome is unknown (connection lost).
    if (fenceUsed !== null && !ctx.deps.content.atomicWithMetadata && !(e instanceof UnavailableError)) {
      const chatIds = tree.chats.map((c) => c.chatId);
      await ctx.deps.content.removeChats(ctx.accountId, chatIds, fenceUsed).catch(() => {});
    }
    throw e;
  }
}
