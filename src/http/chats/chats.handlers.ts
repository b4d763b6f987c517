import * as chats from '../../domain/chats/chats.service.js';
import { historyUsage } from '../../domain/usage.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { chatPageKey, usageKey } from '../cache-keys.js';
import { HttpProblem } from '../errors.js';
import { noneMatch, quoteEtag } from '../etags.js';
import { chatJson, pairJson } from '../schemas.js';
import { usageJson } from '../usage.js';
import type {
  CreateChatRoute,
  DeleteChatRoute,
  GetChatRoute,
  ListChatsRoute,
  UpdateChatRoute,
} from './chats.routes.js';

/** One element of an If-Match list (RFC 9110 §8.8.3: `[W/]"etagc*"`), with the whitespace and comma around it. */
const IF_MATCH_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;

/**
 * Parses If-Match for the strong comparison RFC 9110 §13.1.1 requires: a bare `*` is the wildcard; otherwise
 * the opaque values of the strong tags listed (weak `W/"…"` tags can never match, so they are left out, and a
 * quoted `"*"` is an ordinary tag). A value that is neither → HttpProblem 412: it matches no entity tag.
 */
export function parseIfMatch(header: string | undefined): '*' | string[] | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const tags: string[] = [];
  let at = 0;
  while (at < value.length) {
    IF_MATCH_ELEMENT.lastIndex = at;
    const m = IF_MATCH_ELEMENT.exec(value);
    if (!m || m[0] === '') {
      throw new HttpProblem(412, 'If-Match must be * or a list of entity tags ("…" or W/"…"); it matches nothing');
    }
    if (m[2] !== undefined && m[1] === undefined) tags.push(m[2]);
    at = IF_MATCH_ELEMENT.lastIndex;
  }
  return tags;
}

export const createChat: AppRouteHandler<CreateChatRoute> = async (c) => {
  const { name, system_prompt } = c.req.valid('json');
  const chat = await chats.createChat(ctxOf(c), { name, systemPrompt: system_prompt });
  return c.json(chatJson(chat), 201);
};

export const getChat: AppRouteHandler<GetChatRoute> = async (c) => {
  const q = c.req.valid('query');
  const ifNoneMatch = c.req.header('If-None-Match');
  const cursor: chats.GetChatCursor =
    q.after !== undefined
      ? { after: q.after }
      : q.before === 'end'
        ? { beforeEnd: true }
        : q.before !== undefined
          ? { before: q.before }
          : null;
  const ctx = ctxOf(c);
  // The chat row (existence, ownership, tree version) is always read fresh; the body is cached under it.
  const chat = await chats.withLiveSource(ctx, await chats.requireChat(ctx, q.chat_id));
  const tag = chats.pageEtag(chat);
  if (noneMatch(ifNoneMatch, tag)) return c.body(null, 304, { ETag: quoteEtag(tag) }) as never;
  const body = await c.get('cache').text(chatPageKey(ctx.accountId, chat, q.limit, cursor), async () => {
    // The usage of the whole history: the running totals at its segments' ends (one row each, whatever the
    // history's length), read beside the page and cached on its own under the chat and its pair count (a history
    // never changes but by growing), so other pages and later versions of the tree reuse it.
    const [page, usage] = await Promise.all([
      chats.readPage(ctx, chat, { limit: q.limit, cursor }),
      c
        .get('cache')
        .text(usageKey(ctx.accountId, chat), async () => JSON.stringify(usageJson(await historyUsage(ctx, chat)))),
    ]);
    return JSON.stringify({
      chat: { ...chatJson(chat), usage: JSON.parse(usage) },
      start_branches: page.startBranches,
      qa_pairs: page.pairs.map(pairJson),
      has_more_before: page.hasMoreBefore,
      has_more_after: page.hasMoreAfter,
    });
  });
  return c.body(body, 200, { 'Content-Type': 'application/json', ETag: quoteEtag(tag) }) as never;
};

export const updateChat: AppRouteHandler<UpdateChatRoute> = async (c) => {
  const body = c.req.valid('json');
  const ifMatch = parseIfMatch(c.req.valid('header')['if-match']);
  const chat = await chats.updateChat(ctxOf(c), {
    chatId: body.chat_id,
    name: body.name,
    systemPrompt: body.system_prompt,
    archived: body.archived,
    pinned: body.pinned,
    ifMatch,
  });
  const shown = await chats.withLiveSource(ctxOf(c), chat);
  c.header('ETag', quoteEtag(chats.chatEtag(shown)));
  return c.json(chatJson(shown), 200);
};

export const deleteChat: AppRouteHandler<DeleteChatRoute> = async (c) => {
  const { chat_id } = c.req.valid('query');
  const deleted = await chats.deleteChat(ctxOf(c), { chatId: chat_id });
  return c.json({ deleted_chat_ids: deleted.deletedChatIds }, 200);
};

export const listChats: AppRouteHandler<ListChatsRoute> = async (c) => {
  const q = c.req.valid('query');
  const result = await chats.listChats(ctxOf(c), { limit: q.limit, cursor: q.cursor, archived: q.archived });
  return c.json(
    {
      chats: result.conversations.map((s) => ({
        ...chatJson(s.root),
        active_chat_id: s.activeChatId,
        branch_count: s.branchCount,
        last_activity_at: s.lastActivityAt.toISOString(),
      })),
      next_cursor: result.nextCursor,
    },
    200,
  );
};
