/** Branching: fork after any visible pair, read the tree, switch the active chat. */

import { type PairView, requireChat } from '../chats/chats.service.js';
import type { Ctx } from '../context.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { givenAnswer, prepareAnswer } from '../generation/generate.js';
import { resolveFork } from '../history.js';
import { MAX_BRANCH_DEPTH, NAME_MAX, truncate } from '../limits.js';
import { ensureWanted, type PendingWrite, storeAnswer } from '../messages/messages.service.js';
import type { ChatRecord, PairKind, PairRecord } from '../model.js';
import type { TreeChange } from '../ports.js';

const BRANCH_SUFFIX = ' (branch)';

/** A branch's name when create-branch gives none: the source's name, cut whole graphemes at a time, and a suffix. */
export function defaultBranchName(sourceName: string): string {
  return truncate(sourceName, NAME_MAX - BRANCH_SUFFIX.length) + BRANCH_SUFFIX;
}

export interface CreateBranchInput {
  chatId: string;
  responseId: string;
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
  const loc = await ctx.deps.content.locate(ctx.accountId, input.responseId);
  const fork = loc ? resolveFork(source, loc) : null;
  if (!fork) throw new NotFoundError(`Pair ${input.responseId} is not in the history of chat ${source.chatId}`);
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
    forkResponseId: input.responseId,
    chatType: 'branch',
    name: input.name ?? defaultBranchName(source.name),
    createdAt: now,
    updatedAt: now,
    active: false,
    ancestorIds: fork.ancestorIds,
    ancestorLimits: fork.ancestorLimits,
    ownCount: 0,
    treeVersion: source.treeVersion,
    systemPrompt: source.systemPrompt,
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
      return { chat: committed, pair };
    },
  };
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
