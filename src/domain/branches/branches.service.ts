/** Branching: fork after any visible pair, read the tree, switch the active chat. */

import { type PairView, requireChat } from '../chats/chats.service.js';
import { titleLater } from '../chats/titles.js';
import type { Ctx } from '../context.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { givenAnswer, prepareAnswer } from '../generation/generate.js';
import { resolveFork } from '../history.js';
import { MAX_BRANCH_DEPTH, NAME_MAX, truncate } from '../limits.js';
import { ensureWanted, type PendingWrite, storeAnswer } from '../messages/messages.service.js';
import { type ChatRecord, isStartFork, type PairKind, type PairRecord, startForkChain } from '../model.js';
import type { TreeChange } from '../ports.js';

const BRANCH_SUFFIX = ' (branch)';
/** How much of its first question a branch's default name keeps (code points). */
export const QUESTION_NAME_MAX = 60;

/**
 * A branch's name when create-branch gives none: its first question, on one line and shortened (whole code points
 * and graphemes, with an ellipsis when cut), so siblings can be told apart; without a question (or one that is
 * only blank), the source's name cut whole graphemes at a time, and a suffix.
 */
export function defaultBranchName(sourceName: string, question?: string): string {
  const line = question?.replace(/\s+/gu, ' ').trim() ?? '';
  if (line !== '') {
    const points = [...line];
    if (points.length <= QUESTION_NAME_MAX) return line;
    const cut = truncate(line, points.slice(0, QUESTION_NAME_MAX - 1).join('').length).trimEnd();
    return `${cut}…`;
  }
  return truncate(sourceName, NAME_MAX - BRANCH_SUFFIX.length) + BRANCH_SUFFIX;
}

export interface CreateBranchInput {
  chatId: string;
  /** The pair the branch forks after; null forks before the tree's first pair (a start fork). */
  responseId: string | null;
  name?: string;
  question?: string;
  response?: string;
  /** The first pair's kind (with a question only). */
  kind?: PairKind;
  activate?: boolean;
}

export interface CreatedBranch {
  chat: ChatRecord;
  pair: PairView | null;
}

/** Creates a branch; a `signal` that aborts (the client went away) cancels a generated answer, nothing stored. */
export async function createBranch(ctx: Ctx, input: CreateBranchInput, signal?: AbortSignal): Promise<CreatedBranch> {
  return (await startCreateBranch(ctx, input, signal)).run();
}

/**
 * Checks the fork and, with a question, starts its answer (the model's context is the fork's history).
 * `run` creates the branch, with its first pair, once the answer is complete; nothing if it fails.
 */
export async function startCreateBranch(
  ctx: Ctx,
  input: CreateBranchInput,
  signal?: AbortSignal,
): Promise<PendingWrite<CreatedBranch>> {
  if (input.response !== undefined && input.question === undefined) {
    throw new ValidationError('response needs a question', [
      { path: 'response', message: 'response without question' },
    ]);
  }
  if (input.kind !== undefined && input.kind.type !== 'text' && input.question === undefined) {
    throw new ValidationError('type needs a question', [{ path: 'type', message: 'type without question' }]);
  }
  const source = await requireChat(ctx, input.chatId);
  let fork: ForkPoint;
  if (input.responseId === null) fork = { ...startForkChain(source.rootChatId), forkResponseId: null };
  else {
    const loc = await ctx.deps.content.locate(ctx.accountId, input.responseId);
    const chain = loc ? resolveFork(source, loc) : null;
    if (!chain) throw new NotFoundError(`Pair ${input.responseId} is not in the history of chat ${source.chatId}`);
    fork = { ...chain, forkResponseId: input.responseId };
  }
  return startBranchAt(ctx, source, fork, input, signal);
}

/** Where a new branch attaches: its parent, its chain and the pair it forks after (null: a start fork). */
export interface ForkPoint {
  parentChatId: string;
  ancestorIds: string[];
  ancestorLimits: number[];
  forkResponseId: string | null;
}

/** Creates the branch at `fork` (a fork of `source`'s history), with its first pair when a question is given. */
async function startBranchAt(
  ctx: Ctx,
  source: ChatRecord,
  fork: ForkPoint,
  input: Omit<CreateBranchInput, 'chatId' | 'responseId'>,
  signal?: AbortSignal,
): Promise<PendingWrite<CreatedBranch>> {
  if (fork.ancestorIds.length > MAX_BRANCH_DEPTH) {
    throw new ValidationError('The branch would nest too deeply', [
      {
        path: 'response_id',
        message:
          `a branch after this pair would be nested ${fork.ancestorIds.length} levels deep (a branch of a branch ` +
          `of …); at most ${MAX_BRANCH_DEPTH}: fork after a pair of a chat nearer the root`,
      },
    ]);
  }

  const now = ctx.deps.clock();
  const branch: ChatRecord = {
    chatId: ctx.deps.newId(),
    accountId: ctx.accountId,
    rootChatId: source.rootChatId,
    parentChatId: fork.parentChatId,
    forkResponseId: fork.forkResponseId,
    chatType: 'branch',
    name: input.name ?? defaultBranchName(source.name, input.question),
    createdAt: now,
    updatedAt: now,
    active: false,
    ancestorIds: fork.ancestorIds,
    ancestorLimits: fork.ancestorLimits,
    ownCount: 0,
    treeVersion: source.treeVersion,
    // The conversation's, as read with the source.
    systemPrompt: source.systemPrompt,
    archived: source.archived,
    pinned: source.pinned,
    nameSource: source.nameSource,
  };

  const activate = input.activate ?? true;
  const question = input.question;
  if (question === undefined) {
    return {
      async run() {
        ensureWanted(signal);
        return {
          chat: await ctx.deps.meta.createBranch(branch, { activate }, (chat) => created(chat, null)),
          pair: null,
        };
      },
    };
  }
  const answer =
    input.response === undefined ? await prepareAnswer(ctx, branch, question, signal) : givenAnswer(input.response);
  return {
    async run(onDelta) {
      const { committed, pair } = await storeAnswer(
        ctx,
        answer,
        { question, kind: input.kind },
        signal,
        onDelta,
        (write, written) =>
          ctx.deps.meta.createBranch(branch, { activate, writeFirst: write }, (chat) => created(chat, written())),
      );
      // The first pair of a conversation still called by its default name brings a title (not awaited).
      titleLater(ctx, committed, pair);
      return { chat: committed, pair };
    },
  };
}

/**
 * Regenerate: asks the responder again for the question of pair `responseId` and stores the new answer as an
 * alternative of that pair: a branch forking where the pair's question starts (after the pair before it, or at the
 * start of the tree), whose first pair is the same question (same kind) with the new answer. The old pair and
 * everything after it stay as they are.
 */
export async function startRegenerate(
  ctx: Ctx,
  input: { responseId: string; activate?: boolean },
  signal?: AbortSignal,
): Promise<PendingWrite<CreatedBranch>> {
  const loc = await ctx.deps.content.locate(ctx.accountId, input.responseId);
  const chat = loc ? await ctx.deps.meta.getChat(ctx.accountId, loc.chatId) : null;
  if (!loc || !chat || loc.seq > chat.ownCount) throw new NotFoundError(`Pair ${input.responseId} not found`);
  // The pair and the one before it in the same chat (if any), in one read.
  const read = await ctx.deps.content.readRanges(ctx.accountId, [
    { chatId: chat.chatId, fromSeq: Math.max(1, loc.seq - 1), toSeq: loc.seq },
  ]);
  const pair = read.at(-1);
  const before = read.length === 2 ? read[0] : undefined;
  if (!pair || pair.responseId !== input.responseId) throw new NotFoundError(`Pair ${input.responseId} not found`);
  let fork: ForkPoint;
  if (before) {
    // After the pair before it, in the chat that stores both.
    const chain = resolveFork(chat, { chatId: chat.chatId, seq: before.seq }) as Omit<ForkPoint, 'forkResponseId'>;
    fork = { ...chain, forkResponseId: before.responseId };
  } else if (chat.parentChatId === null || isStartFork(chat)) {
    // The first question of the tree (of the root, or of a start fork): a start fork.
    fork = { ...startForkChain(chat.rootChatId), forkResponseId: null };
  } else {
    // The first pair of a branch: where that branch forks.
    fork = {
      parentChatId: chat.parentChatId,
      ancestorIds: chat.ancestorIds,
      ancestorLimits: chat.ancestorLimits,
      forkResponseId: chat.forkResponseId,
    };
  }
  return startBranchAt(
    ctx,
    chat,
    fork,
    {
      question: pair.question,
      kind: kindOf(pair),
      activate: input.activate,
    },
    signal,
  );
}

/** A stored pair's kind, as a new pair takes it. */
function kindOf(pair: PairRecord): PairKind {
  if (pair.type === 'code') return { type: 'code', language: pair.language ?? '' };
  if (pair.type === 'link') return { type: 'link', url: pair.url ?? '' };
  return { type: 'text' };
}

/** What creating a branch announces: the branch, then its activation if it became the active chat. */
function created(chat: ChatRecord, pair: PairRecord | null): TreeChange[] {
  return [
    { event: 'branch.created', chat, pair },
    ...(chat.active
      ? [{ event: 'branch.activated' as const, rootChatId: chat.rootChatId, activeChatId: chat.chatId }]
      : []),
  ];
}

export interface TreeNode {
  chat: ChatRecord;
  children: TreeNode[];
}

export async function getBranches(
  ctx: Ctx,
  input: { chatId: string },
): Promise<{ rootChatId: string; activeChatId: string; count: number; tree: TreeNode }> {
  return readTree(ctx, await requireChat(ctx, input.chatId));
}

/** The tree of a chat already read (and authorised) by requireChat. */
export async function readTree(
  ctx: Ctx,
  chat: ChatRecord,
): Promise<{ rootChatId: string; activeChatId: string; count: number; tree: TreeNode }> {
  const chats = await ctx.deps.meta.listTree(ctx.accountId, chat.rootChatId);
  return { rootChatId: chat.rootChatId, ...buildTree(chats) };
}

/** Builds the tree from a tree's live chats (oldest first, so children come out oldest first). */
export function buildTree(chats: ChatRecord[]): { activeChatId: string; count: number; tree: TreeNode } {
  const nodes = new Map<string, TreeNode>();
  for (const c of chats) nodes.set(c.chatId, { chat: c, children: [] });
  let root: TreeNode | undefined;
  let activeChatId: string | undefined;
  for (const c of chats) {
    const node = nodes.get(c.chatId) as TreeNode;
    if (c.active) activeChatId = c.chatId;
    if (c.parentChatId === null) root = node;
    else nodes.get(c.parentChatId)?.children.push(node);
  }
  if (!root || !activeChatId) throw new Error('conversation tree without a root or an active chat');
  return { activeChatId, count: chats.length, tree: root };
}

export async function setActiveBranch(ctx: Ctx, input: { chatId: string }) {
  return ctx.deps.meta.setActive(ctx.accountId, input.chatId, (r) => [{ event: 'branch.activated', ...r }]);
}
