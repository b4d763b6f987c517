/**
 * Share links (docs/api.md, "Shares"): a read-only link to one chat's visible history, for anyone holding its token.
 *
 * - The token is 32 random bytes (256 bits), base64url; it is given once, by createShare, and only its SHA-256 is
 *   stored. A read hashes the token it is given, finds the share by that hash and compares the two hashes in
 *   constant time.
 * - Frozen (`live` false): the first `frozenCount` pairs of the history (its length when the share was made) under
 *   the name it had then. A chat's history only grows at its end, so those positions never change. Live: the chat
 *   as it is now.
 * - Revoked, expired, never issued, or its chat deleted (with its subtree or tree): one and the same NotFoundError.
 *   Every read asks the database for the share row, so a revocation holds at once on every instance.
 * - Shares are account-level rows: creating or revoking one is no write to the tree (no version, no event).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ChatPage, type GetChatCursor, readPage, requireChat } from '../chats/chats.service.js';
import type { Ctx, Deps } from '../context.js';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../cursors.js';
import { NotFoundError } from '../errors.js';
import { type ChatRecord, messageCount, type ShareRecord } from '../model.js';
import type { ShareCursor } from '../ports.js';

/** Random bytes of a token (256 bits; at least 128 are required). */
export const TOKEN_BYTES = 32;
/** Bounds of `expires_in_seconds`: a minute to a year. */
export const EXPIRES_MIN_SECONDS = 60;
export const EXPIRES_MAX_SECONDS = 31_536_000;

/** The one answer to a token that leads nowhere (unknown, revoked, expired, or its chat deleted). */
export const SHARE_NOT_FOUND = 'No shared chat for this link: it never existed, was revoked, expired, or was deleted';

export function hashToken(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** A share as its owner sees it, with whether it has expired (at `now`). */
export interface ShareView extends ShareRecord {
  expired: boolean;
}

const view = (s: ShareRecord, now: Date): ShareView => ({
  ...s,
  expired: s.expiresAt !== null && s.expiresAt.getTime() <= now.getTime(),
});

export async function createShare(
  ctx: Ctx,
  input: { chatId: string; live: boolean; expiresInSeconds?: number; includeSystemPrompt: boolean },
): Promise<{ share: ShareView; token: string }> {
  const chat = await requireChat(ctx, input.chatId);
  const now = ctx.deps.clock();
  const token = newToken();
  const frozen = !input.live;
  const share: ShareRecord = {
    shareId: ctx.deps.newId(),
    accountId: ctx.accountId,
    chatId: chat.chatId,
    rootChatId: chat.rootChatId,
    tokenHash: hashToken(token),
    live: input.live,
    frozenCount: frozen ? messageCount(chat) : null,
    frozenName: frozen ? chat.name : null,
    frozenSystemPrompt: frozen && input.includeSystemPrompt ? chat.systemPrompt : null,
    includeSystemPrompt: input.includeSystemPrompt,
    expiresAt: input.expiresInSeconds === undefined ? null : new Date(now.getTime() + input.expiresInSeconds * 1000),
    revokedAt: null,
    createdAt: now,
  };
  await ctx.deps.shares.insert(share);
  return { share: view(share, now), token };
}

export function encodeShareCursor(c: ShareCursor): string {
  return encodeTimeIdCursor(c.createdAt, c.shareId);
}

export function decodeShareCursor(raw: string): ShareCursor {
  const c = decodeTimeIdCursor(raw, 'list-shares');
  return { createdAt: c.at, shareId: c.id };
}

/** The account's unrevoked shares of live chats (of `chatId`, a live chat of the account, when given), newest first. */
export async function listShares(
  ctx: Ctx,
  input: { chatId?: string; limit: number; cursor?: string },
): Promise<{ shares: ShareView[]; nextCursor: string | null }> {
  const after = input.cursor === undefined ? null : decodeShareCursor(input.cursor);
  if (input.chatId !== undefined) await requireChat(ctx, input.chatId);
  const rows = await ctx.deps.shares.list(ctx.accountId, {
    chatId: input.chatId ?? null,
    after,
    limit: input.limit + 1,
  });
  const now = ctx.deps.clock();
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > input.limit && last ? encodeShareCursor({ createdAt: last.createdAt, shareId: last.shareId }) : null;
  return { shares: page.map((s) => view(s, now)), nextCursor };
}

/** Revokes a share of the account: from now on its token is a 404 everywhere. */
export async function deleteShare(ctx: Ctx, input: { shareId: string }): Promise<{ shareId: string; revokedAt: Date }> {
  const revokedAt = await ctx.deps.shares.revoke(ctx.accountId, input.shareId, ctx.deps.clock());
  if (!revokedAt) throw new NotFoundError(`Share ${input.shareId} not found`);
  return { shareId: input.shareId.toLowerCase(), revokedAt };
}

/** What a public read shows: no account, no chat ids, no branches, no generation details. */
export interface SharedPage {
  name: string;
  live: boolean;
  createdAt: Date;
  expiresAt: Date | null;
  /** Only when the owner included it (a frozen share: the prompt when it was made); else null. */
  systemPrompt: string | null;
  pairs: ChatPage['pairs'];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

/** The share a token opens, and its chat, or NotFoundError (the same for every reason). */
async function openShare(deps: Deps, token: string): Promise<{ share: ShareRecord; chat: ChatRecord }> {
  const presented = hashToken(token);
  const share = await deps.shares.byTokenHash(presented);
  const now = deps.clock();
  if (
    !share ||
    share.tokenHash.length !== presented.length ||
    !timingSafeEqual(share.tokenHash, presented) ||
    share.revokedAt !== null ||
    (share.expiresAt !== null && share.expiresAt.getTime() <= now.getTime())
  ) {
    throw new NotFoundError(SHARE_NOT_FOUND);
  }
  // As linearizable as get-chat's (rows from memory only under a read lease): a deletion anywhere is seen here.
  const chat = await deps.meta.getChat(share.accountId, share.chatId);
  if (!chat) throw new NotFoundError(SHARE_NOT_FOUND);
  return { share, chat };
}

/** A page of the history a share shows, paged like get-chat (`limit`, `after`, `before`, `before=end`). */
export async function readShared(
  deps: Deps,
  token: string,
  input: { limit: number; cursor: GetChatCursor },
): Promise<SharedPage> {
  const { share, chat } = await openShare(deps, token);
  const ctx: Ctx = { deps, accountId: share.accountId };
  let page: Awaited<ReturnType<typeof readPage>>;
  try {
    page = await readPage(ctx, chat, {
      limit: input.limit,
      cursor: input.cursor,
      length: share.live ? undefined : (share.frozenCount ?? 0),
      branches: false,
    });
  } catch (e) {
    // The service's message names the chat: a shared page never does.
    if (e instanceof NotFoundError) throw new NotFoundError('That pair is not in this shared history');
    throw e;
  }
  return {
    name: share.live ? chat.name : (share.frozenName ?? chat.name),
    live: share.live,
    createdAt: share.createdAt,
    expiresAt: share.expiresAt,
    systemPrompt: !share.includeSystemPrompt ? null : share.live ? chat.systemPrompt : share.frozenSystemPrompt,
    pairs: page.pairs,
    hasMoreBefore: page.hasMoreBefore,
    hasMoreAfter: page.hasMoreAfter,
  };
}
