/** Chat management: create, read a page of history, rename, delete, list conversations. */
import { createHash } from 'node:crypto';
import { type Ctx, onReplica } from '../context.js';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../cursors.js';
import { NotFoundError, PreconditionFailedError, ValidationError } from '../errors.js';
import {
  historyLength,
  type PageCursor,
  pageWindow,
  positionOf,
  rangesFor,
  segmentsOf,
  truncateSegments,
} from '../history.js';
import {
  type ChatRecord,
  type ConversationSummary,
  DEFAULT_CHAT_NAME,
  type Feedback,
  messageCount,
  type PairRecord,
} from '../model.js';
import { type ArchivedScope, type ListCursor, START_FORKS, type SubtreeDeletion } from '../ports.js';

export interface PairView extends PairRecord {
  branches: string[];
  /** The account's feedback on the answer (set-feedback), or null. */
  feedback: Feedback | null;
}

export interface ChatPage {
  chat: ChatRecord;
  /**
   * The tree's start forks (branches forking before its first pair), oldest first: with the root, the alternatives
   * of the first question, as each pair's `branches` are the alternatives of the question after it.
   */
  startBranches: string[];
  pairs: PairView[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

export async function requireChat(ctx: Ctx, chatId: string): Promise<ChatRecord> {
  const chat = await ctx.deps.meta.getChat(ctx.accountId, chatId);
  if (!chat) throw new NotFoundError(`Chat ${chatId} not found`);
  return chat;
}

const tags = new WeakMap<ChatRecord, string>();

/** A strong validator of the chat's representation: it changes whenever any field of the Chat object does. */
export function chatEtag(chat: ChatRecord): string {
  const known = tags.get(chat);
  if (known !== undefined) return known;
  const tag = computeChatEtag(chat);
  tags.set(chat, tag);
  return tag;
}

/**
 * The validator of a page of the chat (get-chat): the chat's tag and its tree's version, which every write to the
 * tree bumps (new pairs and branches anywhere change the pairs' `branches`). Each URL (limit, cursor) is its own
 * resource, so the same tag on two pages is no ambiguity.
 */
export function pageEtag(chat: ChatRecord): string {
  return `${chatEtag(chat)}.${chat.treeVersion}`;
}

/** True if `given` (from If-Match) is the chat's tag, or a page tag of it (`<tag>.<version>`: any version). */
export function matchesChat(given: string, tag: string): boolean {
  return given === tag || (given.startsWith(`${tag}.`) && /^\d+$/.test(given.slice(tag.length + 1)));
}

function computeChatEtag(chat: ChatRecord): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([
      chat.chatId,
      chat.name,
      chat.updatedAt.getTime(),
      chat.active,
      messageCount(chat),
      chat.systemPrompt,
      chat.forkedFrom?.chatId ?? null,
      chat.archived,
      chat.pinned,
    ]),
  );
  return h.digest('base64url').slice(0, 22);
}

/**
 * A new conversation. Without a name it is called DEFAULT_CHAT_NAME until its first pair brings a title
 * (titles.ts): name_source `default`; a name given is the user's for good.
 */
export async function createChat(
  ctx: Ctx,
  input: { name?: string; systemPrompt?: string | null },
): Promise<ChatRecord> {
  const now = ctx.deps.clock();
  const chatId = ctx.deps.newId();
  return ctx.deps.meta.createConversation(
    {
      chatId,
      accountId: ctx.accountId,
      rootChatId: chatId,
      parentChatId: null,
      forkResponseId: null,
      chatType: 'main',
      name: input.name ?? DEFAULT_CHAT_NAME,
      nameSource: input.name === undefined ? 'default' : 'user',
      createdAt: now,
      updatedAt: now,
      active: true,
      ancestorIds: [],
      ancestorLimits: [],
      ownCount: 0,
      treeVersion: 0,
      systemPrompt: input.systemPrompt ?? null,
      archived: false,
      pinned: false,
    },
    (root) => [{ event: 'tree.created', chats: [root], imported: false }],
  );
}

export type GetChatCursor = { after: string } | { before: string } | { beforeEnd: true } | null;

export async function getChat(
  ctx: Ctx,
  input: { chatId: string; limit: number; cursor: GetChatCursor },
): Promise<ChatPage> {
  const chat = await requireChat(ctx, input.chatId);
  return { chat, ...(await readPage(ctx, chat, input)) };
}

export type PageBody = Omit<ChatPage, 'chat'>;

/**
 * A page of a chat already read (and authorised) by requireChat. `length`: only the first that many positions of the
 * history exist (a frozen share); a cursor beyond them is a 404 like any pair outside the history. `branches`
 * false: the pairs' `branches` and the start forks are not read (left empty).
 */
export async function readPage(
  ctx: Ctx,
  chat: ChatRecord,
  input: { limit: number; cursor: GetChatCursor; length?: number; branches?: boolean },
): Promise<PageBody> {
  const full = segmentsOf(chat);
  const segments = input.length === undefined ? full : truncateSegments(full, input.length);
  const total = historyLength(segments);

  let cursor: PageCursor = { kind: 'first' };
  if (input.cursor && 'beforeEnd' in input.cursor) cursor = { kind: 'end' };
  else if (input.cursor) {
    const responseId = 'after' in input.cursor ? input.cursor.after : input.cursor.before;
    const loc = await ctx.deps.content.locate(ctx.accountId, responseId);
    const position = loc ? positionOf(segments, loc) : null;
    if (position === null) throw new NotFoundError(`Pair ${responseId} is not in the history of chat ${chat.chatId}`);
    cursor = 'after' in input.cursor ? { kind: 'after', position } : { kind: 'before', position };
  }

  const { from, to } = pageWindow(total, cursor, input.limit);
  const { pairs, startBranches } = await readWindow(ctx, chat.rootChatId, segments, from, to, input.branches ?? true);
  const hasMoreBefore = from <= to ? from > 1 : cursor.kind === 'after' || cursor.kind === 'end' ? total > 0 : false;
  const hasMoreAfter = from <= to ? to < total : cursor.kind === 'before' ? total > 0 : false;
  return { startBranches, pairs, hasMoreBefore, hasMoreAfter };
}

/**
 * The pairs of positions from..to (none when from > to) with their branches and feedback (one metadata read for
 * both), and the tree's start forks.
 */
async function readWindow(
  ctx: Ctx,
  rootChatId: string,
  segments: ReturnType<typeof segmentsOf>,
  from: number,
  to: number,
  withBranches: boolean,
): Promise<{ pairs: PairView[]; startBranches: string[] }> {
  const ranges = from <= to ? rangesFor(segments, from, to) : [];
  const pairs = ranges.length > 0 ? await ctx.deps.content.readRanges(ctx.accountId, ranges) : [];
  const expected = Math.max(0, to - from + 1);
  if (pairs.length !== expected) {
    // Metadata says these positions exist; content must have them (it is written before metadata commits).
    throw new Error(`content store returned ${pairs.length} pairs for ${expected} positions`);
  }
  if (!withBranches) return { pairs: pairs.map((p) => ({ ...p, branches: [], feedback: null })), startBranches: [] };
  const { branches, feedback } = await ctx.deps.meta.pairExtras(
    ctx.accountId,
    pairs.map((p) => p.responseId),
    rootChatId,
  );
  return {
    pairs: pairs.map((p) => ({
      ...p,
      branches: branches.get(p.responseId) ?? [],
      feedback: feedback.get(p.responseId) ?? null,
    })),
    startBranches: branches.get(START_FORKS) ?? [],
  };
}

/**
 * The chat as a client should see it: on the root of a forked conversation, `forkedFrom` is null once the chat it
 * was copied from is gone (read through the same linearizable chat read as any chat).
 */
export async function withLiveSource(ctx: Ctx, chat: ChatRecord): Promise<ChatRecord> {
  if (!chat.forkedFrom) return chat;
  const source = await ctx.deps.meta.getChat(ctx.accountId, chat.forkedFrom.chatId);
  return source ? chat : { ...chat, forkedFrom: null };
}

/**
 * Renames a chat and/or sets its conversation's system prompt (null removes it), archive and pin flags (any chat of
 * the tree sets the conversation's).
 */
export async function updateChat(
  ctx: Ctx,
  input: {
    chatId: string;
    name?: string;
    systemPrompt?: string | null;
    archived?: boolean;
    pinned?: boolean;
    /** From If-Match: `*` (any current chat) or the strong entity tags listed; absent → unconditional. */
    ifMatch?: '*' | string[];
  },
): Promise<ChatRecord> {
  const changes = {
    name: input.name,
    systemPrompt: input.systemPrompt,
    archived: input.archived,
    pinned: input.pinned,
  };
  if (Object.values(changes).every((v) => v === undefined)) {
    throw new ValidationError('Nothing to update', [
      { path: 'name', message: 'give at least one of name, system_prompt, archived, pinned' },
    ]);
  }
  // The tags a client holds were computed as get-chat shows the chat: `forkedFrom` null once its source is gone.
  // Resolve that before the write, so If-Match and the event compare and say what the client saw.
  const before = await ctx.deps.meta.getChat(ctx.accountId, input.chatId);
  const sourceGone = before?.forkedFrom ? (await withLiveSource(ctx, before)).forkedFrom === null : false;
  const asSeen = (chat: ChatRecord): ChatRecord =>
    sourceGone && chat.forkedFrom ? { ...chat, forkedFrom: null } : chat;
  return ctx.deps.meta.updateChat(
    ctx.accountId,
    input.chatId,
    changes,
    ctx.deps.clock(),
    (current) => {
      if (!input.ifMatch) return;
      const tag = chatEtag(asSeen(current));
      if (input.ifMatch !== '*' && !input.ifMatch.some((given) => matchesChat(given, tag))) {
        throw new PreconditionFailedError('The chat changed since the ETag given in If-Match was issued');
      }
    },
    (chat) => [{ event: 'chat.updated', chat: asSeen(chat) }],
  );
}

export async function deleteChat(ctx: Ctx, input: { chatId: string }): Promise<SubtreeDeletion> {
  return ctx.deps.meta.softDeleteSubtree(ctx.accountId, input.chatId, (d) => [
    { event: 'chat.deleted', deletedChatIds: d.deletedChatIds },
    // The active chat was in the deleted subtree: its parent took over.
    ...(d.newActiveChatId
      ? [{ event: 'branch.activated' as const, rootChatId: d.rootChatId, activeChatId: d.newActiveChatId }]
      : []),
  ]);
}

/** [last activity (epoch ms), root chat id, pinned (1 or 0)]: where the next page starts, pinned ones first. */
export function encodeListCursor(c: ListCursor): string {
  return encodeTimeIdCursor(c.lastActivityAt, c.chatId, c.pinned ? 1 : 0);
}

export function decodeListCursor(raw: string): ListCursor {
  // A cursor of two elements was issued before pinning existed: every conversation was unpinned then.
  const c = decodeTimeIdCursor(
    raw,
    'list-chats',
    (extra) => extra.length === 0 || (extra.length === 1 && (extra[0] === 0 || extra[0] === 1)),
  );
  return { pinned: c.extra[0] === 1, lastActivityAt: c.at, chatId: c.id };
}

export async function listChats(
  ctx: Ctx,
  input: { limit: number; cursor?: string; archived?: ArchivedScope },
): Promise<{ conversations: ConversationSummary[]; nextCursor: string | null }> {
  const cursor = input.cursor === undefined ? null : decodeListCursor(input.cursor);
  // On a read replica when there is one (kept linearizable).
  const rows = await onReplica(ctx, () =>
    ctx.deps.meta.listConversations(ctx.accountId, input.limit + 1, cursor, input.archived ?? 'exclude'),
  );
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > input.limit && last
      ? encodeListCursor({ pinned: last.root.pinned, lastActivityAt: last.lastActivityAt, chatId: last.root.chatId })
      : null;
  return { conversations: page, nextCursor };
}
