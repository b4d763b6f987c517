/**
 * Export and import of whole conversations (README, "Import and export"). Export reads a tree into a
 * TreeSnapshot (every live chat with its own pairs); import turns snapshots into chats and pairs with fresh
 * ids and stores all of them in one transaction: everything or nothing.
 */
import { requireChat } from '../chats/chats.service.js';
import { type Ctx, onReplica } from '../context.js';
import { UnavailableError, ValidationError } from '../errors.js';
import { historyLength, rangesFor, segmentsOf } from '../history.js';
import { MAX_BRANCH_DEPTH } from '../limits.js';
import { type ChatRecord, type Feedback, type PairFeedback, type PairRecord, startForkChain } from '../model.js';
import type { ImportedTree } from '../ports.js';
import { groupBy, parentsFirst } from '../tree-order.js';
import { fromChatGpt } from './chatgpt/index.js';
import { DEFAULT_IMPORT_LIMITS } from './limits.js';
import type { SnapshotPair, TreeSnapshot } from './snapshot.js';

/** Chats whose own pairs are read per content-store call. */
const CHATS_PER_READ = 200;

/**
 * The sum of an imported tree's ancestor chains (every chat stores its own, at most MAX_BRANCH_DEPTH long):
 * bounds what many deep branches of one file cost.
 */
export const IMPORT_MAX_ANCESTORS = 200_000;

const snapshotPair = (p: PairRecord, feedback: Feedback | null): SnapshotPair => ({
  responseId: p.responseId,
  question: p.question,
  response: p.response,
  timestamp: p.timestamp,
  type: p.type,
  language: p.language,
  url: p.url,
  generation: p.generation,
  feedback,
});

/**
 * The whole tree of a chat: every live chat (root first, each after its parent) with its own pairs and their
 * feedback (per batch of chats, one content read and one metadata read, side by side).
 */
export async function exportTree(ctx: Ctx, chatId: string): Promise<{ chat: ChatRecord; snapshot: TreeSnapshot }> {
  const chat = await requireChat(ctx, chatId);
  // The tree, its pairs and their feedback: on a read replica when there is one (kept linearizable).
  return onReplica(ctx, () => readTree(ctx, chat));
}

async function readTree(ctx: Ctx, chat: ChatRecord): Promise<{ chat: ChatRecord; snapshot: TreeSnapshot }> {
  const chats = await ctx.deps.meta.listTree(ctx.accountId, chat.rootChatId);

  // Parents before children (creation times alone need not say so for imported trees); siblings oldest first.
  const children = groupBy(chats, (c) => c.parentChatId);
  const root = children.get(null)?.[0];
  if (!root) throw new Error('conversation tree without a root');
  const ordered = parentsFirst(root, (c) => children.get(c.chatId) ?? []);

  const pairs: PairRecord[] = [];
  const feedback = new Map<string, Feedback>();
  for (let i = 0; i < ordered.length; i += CHATS_PER_READ) {
    const batch = ordered.slice(i, i + CHATS_PER_READ).filter((c) => c.ownCount > 0);
    if (batch.length === 0) continue;
    const ranges = batch.map((c) => ({ chatId: c.chatId, fromSeq: 1, toSeq: c.ownCount }));
    const [read, rated] = await Promise.all([
      ctx.deps.content.readRanges(ctx.accountId, ranges),
      ctx.deps.meta.feedbackIn(ctx.accountId, ranges),
    ]);
    pairs.push(...read);
    for (const [id, f] of rated) feedback.set(id, f);
  }
  const pairsOf = groupBy(pairs, (p) => p.chatId);
  const active = ordered.find((c) => c.active);
  if (!active) throw new Error('conversation tree without an active chat');
  return {
    chat,
    snapshot: {
      title: root.name,
      systemPrompt: chat.systemPrompt,
      activeChatId: active.chatId,
      chats: ordered.map((c) => ({
        chatId: c.chatId,
        parentChatId: c.parentChatId,
        forkResponseId: c.forkResponseId,
        name: c.name,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        pairs: (pairsOf.get(c.chatId) ?? []).map((p) => {
          const f = feedback.get(p.responseId);
          return snapshotPair(p, f ? { rating: f.rating, comment: f.comment, updatedAt: f.updatedAt } : null);
        }),
      })),
    },
  };
}

/** A chat and its whole visible history (inherited pairs included), for the Markdown export. */
export async function exportHistory(ctx: Ctx, chatId: string): Promise<{ chat: ChatRecord; pairs: PairRecord[] }> {
  const chat = await requireChat(ctx, chatId);
  const segments = segmentsOf(chat);
  const ranges = rangesFor(segments, 1, historyLength(segments));
  const pairs = await onReplica(ctx, () => ctx.deps.content.readRanges(ctx.accountId, ranges));
  return { chat, pairs };
}

export interface ImportedConversation {
  rootChatId: string;
  activeChatId: string;
  title: string;
  chatCount: number;
  pairCount: number;
}

const notATree = (message: string) =>
  new ValidationError('The conversation does not form a tree', [{ path: 'mapping', message }]);

/**
 * A snapshot as records to store: fresh ids, ancestor chains, own counts, one active chat. A branch without a fork
 * pair is a start fork (parent: the root; chain [root], limit [0]: depth 1, like any branch of the root).
 */
function materialise(ctx: Ctx, s: TreeSnapshot): { tree: ImportedTree; pairs: PairRecord[] } {
  const ids = new Map<string, ChatRecord>();
  /** Where each source pair went: its chat and seq, and its new id. */
  const placed = new Map<string, { chatId: string; seq: number; responseId: string }>();
  let ancestors = 0;
  const chats: ChatRecord[] = [];
  const pairs: PairRecord[] = [];
  const feedback: PairFeedback[] = [];
  // The latest time of the tree (of any chat or pair), whatever its era.
  let lastActivityAt: Date | null = null;
  const later = (d: Date) => {
    if (lastActivityAt === null || d.getTime() > lastActivityAt.getTime()) lastActivityAt = d;
  };
  const rootChatId = ctx.deps.newId();
  for (const c of s.chats) {
    const chatId = chats.length === 0 ? rootChatId : ctx.deps.newId();
    let ancestorIds: string[] = [];
    let ancestorLimits: number[] = [];
    let parent: ChatRecord | undefined;
    let fork: { chatId: string; seq: number; responseId: string } | undefined;
    if (chats.length > 0 && c.parentChatId === null) throw notATree(`chat ${c.chatId} is a second root`);
    if (c.parentChatId !== null) {
      parent = ids.get(c.parentChatId);
      if (c.forkResponseId === null) {
        // A start fork: it forks before the first pair, so it hangs under the root and sees none of its pairs.
        if (parent?.chatId !== rootChatId) {
          throw notATree(`chat ${c.chatId} has no fork pair (a start fork), so its parent must be the root`);
        }
        ({ ancestorIds, ancestorLimits } = startForkChain(rootChatId));
      } else {
        fork = placed.get(c.forkResponseId);
        if (!parent || !fork || fork.chatId !== parent.chatId) {
          throw notATree(`chat ${c.chatId} forks from a pair its parent does not hold`);
        }
        ancestorIds = [...parent.ancestorIds, parent.chatId];
        ancestorLimits = [...parent.ancestorLimits, fork.seq];
      }
      if (ancestorIds.length > MAX_BRANCH_DEPTH) {
        throw new ValidationError('The conversation nests branches too deeply', [
          {
            path: 'mapping',
            message: `branches nest more than ${MAX_BRANCH_DEPTH} levels deep (a branch of a branch of …)`,
          },
        ]);
      }
      ancestors += ancestorIds.length;
      if (ancestors > IMPORT_MAX_ANCESTORS) {
        throw new ValidationError('The conversation has too many nested branches', [
          {
            path: 'mapping',
            message: `the branches' ancestor chains add up to more than ${IMPORT_MAX_ANCESTORS} links`,
          },
        ]);
      }
    }
    const record: ChatRecord = {
      chatId,
      accountId: ctx.accountId,
      rootChatId,
      parentChatId: parent?.chatId ?? null,
      forkResponseId: fork?.responseId ?? null,
      chatType: parent ? 'branch' : 'main',
      name: c.name,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      active: c.chatId === s.activeChatId,
      ancestorIds,
      ancestorLimits,
      ownCount: c.pairs.length,
      treeVersion: 0,
      systemPrompt: s.systemPrompt,
      archived: false,
      pinned: false,
    };
    ids.set(c.chatId, record);
    chats.push(record);
    later(c.createdAt);
    later(c.updatedAt);
    c.pairs.forEach((p, i) => {
      const responseId = ctx.deps.newId();
      placed.set(p.responseId, { chatId, seq: i + 1, responseId });
      pairs.push({
        responseId,
        chatId,
        accountId: ctx.accountId,
        seq: i + 1,
        question: p.question,
        response: p.response,
        type: p.type,
        language: p.language,
        url: p.url,
        timestamp: p.timestamp,
        generation: p.generation,
      });
      if (p.feedback) feedback.push({ ...p.feedback, responseId, chatId, seq: i + 1 });
      later(p.timestamp);
    });
  }
  if (chats.filter((c) => c.active).length !== 1) {
    throw new ValidationError('The conversation has no active chat', [
      { path: 'current_node', message: 'does not designate one chat' },
    ]);
  }
  if (lastActivityAt === null) throw new Error('an imported tree without a chat');
  return { tree: { chats, systemPrompt: s.systemPrompt, lastActivityAt, feedback }, pairs };
}

/** ImportLimits → ValidationError: one problem at the input's top level. */
function overLimit(what: string, count: number, max: number, setting: string): ValidationError {
  return new ValidationError('The import holds too much for one call; nothing was stored', [
    {
      path: '(input)',
      message: `holds ${count} ${what}; at most ${max} per import (${setting}): import the file in parts`,
    },
  ]);
}

/**
 * Imports ChatGPT conversations (one, or an array: a conversations.json). Malformed input, or more than the
 * ImportLimits → ValidationError listing every problem found, and nothing is stored; otherwise all of them
 * are stored in one transaction. Times are moved into the stored-time window (domain/time.ts), with a note.
 */
export async function importConversations(
  ctx: Ctx,
  input: unknown,
): Promise<{ conversations: ImportedConversation[]; notes: string[] }> {
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...ctx.deps.imports };
  // Counted before anything is read: the cap bounds the work of a refused call too.
  if (Array.isArray(input) && input.length > limits.maxConversations) {
    throw overLimit('conversations', input.length, limits.maxConversations, 'IMPORT_MAX_CONVERSATIONS');
  }
  const parsed = fromChatGpt(input, { now: ctx.deps.clock() });
  if (!parsed.ok)
    throw new ValidationError('The conversation could not be imported; nothing was stored', parsed.errors);
  let pairCount = 0;
  for (const s of parsed.snapshots) for (const c of s.chats) pairCount += c.pairs.length;
  if (pairCount > limits.maxPairs) throw overLimit('pairs', pairCount, limits.maxPairs, 'IMPORT_MAX_PAIRS');
  const built = parsed.snapshots.map((s) => ({ snapshot: s, ...materialise(ctx, s) }));
  const pairs = built.flatMap((b) => b.pairs);
  let fenceUsed: number | null = null;
  try {
    await ctx.deps.meta.importTrees(
      built.map((b) => b.tree),
      async (fence) => {
        fenceUsed = fence;
        await ctx.deps.content.appendMany(pairs, fence);
      },
      (tree) => [{ event: 'tree.created', chats: tree.chats, imported: true }],
    );
  } catch (e) {
    // Content outside the metadata database stays behind when the transaction fails: remove it (its
    // historic timestamps put it outside the reconciler's window). Not when the connection was lost: the
    // COMMIT may have gone through, and removing the content would leave chats without their pairs.
    if (fenceUsed !== null && !ctx.deps.content.atomicWithMetadata && !(e instanceof UnavailableError)) {
      const chatIds = built.flatMap((b) => b.tree.chats.map((c) => c.chatId));
      await ctx.deps.content.removeChats(ctx.accountId, chatIds, fenceUsed).catch(() => {});
    }
    throw e;
  }
  return {
    conversations: built.map((b) => {
      const root = b.tree.chats[0] as ChatRecord;
      return {
        rootChatId: root.chatId,
        activeChatId: (b.tree.chats.find((c) => c.active) as ChatRecord).chatId,
        title: root.name,
        chatCount: b.tree.chats.length,
        pairCount: b.pairs.length,
      };
    }),
    notes: parsed.notes,
  };
}
