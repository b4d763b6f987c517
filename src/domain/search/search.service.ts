/**
 * Message search (README, "Search"). Branch-aware: with a chat, its visible history only (inherited pairs
 * included, other branches' pairs never); without, the own pairs of every live chat of the account, so each
 * pair is found once, under the chat that stores it. Only committed pairs (seq ≤ own_count) of live chats
 * are searched: the ranges come from the metadata, the matching and ranking from the content store.
 */
import { createHash } from 'node:crypto';
import { requireChat } from '../chats/chats.service.js';
import { type Ctx, onReplica } from '../context.js';
import { ValidationError } from '../errors.js';
import type { SeqRange } from '../history.js';
import { historyLength, rangesFor, segmentsOf } from '../history.js';
import type { PairRecord } from '../model.js';
import type { ArchivedScope, SearchCursor } from '../ports.js';

export interface SearchInput {
  text: string;
  chatId?: string;
  limit: number;
  cursor?: string;
  /** Which conversations: archived ones too (`include`, the default), not them (`exclude`), or only them. */
  archived?: ArchivedScope;
}

export interface SearchHitView {
  pair: PairRecord;
  rootChatId: string;
  /** The chat to open to see the pair in context: the chat searched, or the chat that stores the pair. */
  openChatId: string;
  score: number;
  snippet: string;
}

/** True when the text has something to search for: at least one letter or digit. */
export const hasSearchableText = (text: string) => /[\p{L}\p{N}]/u.test(text);

/**
 * Binds a cursor to its search, so a cursor of one search is refused by another (`archived` counts when it is not
 * the default, so the default search's cursors stay as they were).
 */
function fingerprint(text: string, chatId: string | undefined, archived: ArchivedScope = 'include'): string {
  return createHash('sha256')
    .update(`${chatId ?? ''}\n${text}${archived === 'include' ? '' : `\n${archived}`}`)
    .digest('base64url')
    .slice(0, 12);
}

export function encodeSearchCursor(c: SearchCursor, text: string, chatId?: string, archived?: ArchivedScope): string {
  return Buffer.from(JSON.stringify([c.score, c.responseId, fingerprint(text, chatId, archived)])).toString(
    'base64url',
  );
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decodeSearchCursor(raw: string, text: string, chatId?: string, archived?: ArchivedScope): SearchCursor {
  const bad = (message: string) => new ValidationError('Invalid cursor', [{ path: 'cursor', message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor issued by search-messages');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    !UUID_RE.test(parsed[1]) ||
    typeof parsed[2] !== 'string'
  ) {
    throw bad('not a cursor issued by search-messages');
  }
  if (parsed[2] !== fingerprint(text, chatId, archived)) {
    throw bad('the cursor belongs to another search (q, chat_id or archived differ)');
  }
  return { score: parsed[0], responseId: parsed[1] };
}

export async function searchMessages(
  ctx: Ctx,
  input: SearchInput,
): Promise<{ hits: SearchHitView[]; nextCursor: string | null }> {
  if (!hasSearchableText(input.text)) {
    throw new ValidationError('Nothing to search for', [{ path: 'q', message: 'must contain a letter or a digit' }]);
  }
  const archived = input.archived ?? 'include';
  const after =
    input.cursor === undefined ? null : decodeSearchCursor(input.cursor, input.text, input.chatId, archived);

  let ranges: SeqRange[] = [];
  const rootOf = new Map<string, string>();
  if (input.chatId !== undefined) {
    const chat = await requireChat(ctx, input.chatId);
    // The chat's conversation outside the scope asked for: nothing of it is searched (the chat itself exists).
    const inScope = archived === 'include' || chat.archived === (archived === 'only');
    const segments = segmentsOf(chat);
    ranges = inScope ? rangesFor(segments, 1, historyLength(segments)) : [];
    for (const r of ranges) rootOf.set(r.chatId, chat.rootChatId);
  }
  // The account's live chats and the ranked matches: on a read replica when there is one (kept linearizable).
  const found = await onReplica(ctx, async () => {
    if (input.chatId === undefined) {
      const chats = await ctx.deps.meta.liveChats(ctx.accountId, archived);
      ranges = chats.filter((c) => c.ownCount > 0).map((c) => ({ chatId: c.chatId, fromSeq: 1, toSeq: c.ownCount }));
      for (const c of chats) rootOf.set(c.chatId, c.rootChatId);
    }
    if (ranges.length === 0) return [];
    return ctx.deps.content.search({
      accountId: ctx.accountId,
      text: input.text,
      ranges,
      limit: input.limit + 1,
      after,
    });
  });
  if (found.length === 0) return { hits: [], nextCursor: null };
  const page = found.slice(0, input.limit);
  const hits = page.map((h) => ({
    pair: h.pair,
    rootChatId: rootOf.get(h.pair.chatId) ?? h.pair.chatId,
    openChatId: input.chatId ?? h.pair.chatId,
    score: h.score,
    snippet: h.snippet,
  }));
  const last = page[page.length - 1];
  const nextCursor =
    found.length > input.limit && last
      ? encodeSearchCursor({ score: last.score, responseId: last.pair.responseId }, input.text, input.chatId, archived)
      : null;
  return { hits, nextCursor };
}
