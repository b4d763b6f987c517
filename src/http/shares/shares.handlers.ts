import type { PairView } from '../../domain/chats/chats.service.js';
import * as shares from '../../domain/shares/shares.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import type { CreateShareRoute, DeleteShareRoute, GetPublicShareRoute, ListSharesRoute } from './shares.routes.js';

/** A share as its owner sees it (never its token or its hash). */
function shareFields(s: shares.ShareView) {
  return {
    share_id: s.shareId,
    chat_id: s.chatId,
    live: s.live,
    include_system_prompt: s.includeSystemPrompt,
    pair_count: s.frozenCount,
    expires_at: s.expiresAt?.toISOString() ?? null,
    created_at: s.createdAt.toISOString(),
  };
}

/** A pair as a share shows it: an explicit list of fields, so nothing else of the stored pair can slip through. */
function sharedPair(p: PairView) {
  const base = {
    response_id: p.responseId,
    question: p.question,
    response: p.response,
    timestamp: p.timestamp.toISOString(),
  };
  if (p.type === 'code') return { ...base, type: 'code' as const, language: p.language ?? '' };
  if (p.type === 'link') return { ...base, type: 'link' as const, url: p.url ?? '' };
  return { ...base, type: 'text' as const };
}

export const createShare: AppRouteHandler<CreateShareRoute> = async (c) => {
  const b = c.req.valid('json');
  const { share, token } = await shares.createShare(ctxOf(c), {
    chatId: b.chat_id,
    live: b.live,
    expiresInSeconds: b.expires_in_seconds,
    includeSystemPrompt: b.include_system_prompt,
  });
  const origin = c.get('publicUrl') ?? new URL(c.req.url).origin;
  return c.json({ ...shareFields(share), token, url: `${origin}/app/s/${token}` }, 201, {
    'Cache-Control': 'no-store',
  });
};

export const listShares: AppRouteHandler<ListSharesRoute> = async (c) => {
  const q = c.req.valid('query');
  const result = await shares.listShares(ctxOf(c), { chatId: q.chat_id, limit: q.limit, cursor: q.cursor });
  return c.json(
    { shares: result.shares.map((s) => ({ ...shareFields(s), expired: s.expired })), next_cursor: result.nextCursor },
    200,
  );
};

export const deleteShare: AppRouteHandler<DeleteShareRoute> = async (c) => {
  const { share_id } = c.req.valid('query');
  const revoked = await shares.deleteShare(ctxOf(c), { shareId: share_id });
  return c.json({ share_id: revoked.shareId, revoked_at: revoked.revokedAt.toISOString() }, 200);
};

export const getPublicShare: AppRouteHandler<GetPublicShareRoute> = async (c) => {
  const { token } = c.req.valid('param');
  const q = c.req.valid('query');
  const cursor =
    q.after !== undefined
      ? { after: q.after }
      : q.before === 'end'
        ? { beforeEnd: true as const }
        : q.before !== undefined
          ? { before: q.before }
          : null;
  const page = await shares.readShared(c.get('deps'), token, { limit: q.limit, cursor });
  return c.json(
    {
      share: {
        name: page.name,
        live: page.live,
        created_at: page.createdAt.toISOString(),
        expires_at: page.expiresAt?.toISOString() ?? null,
        system_prompt: page.systemPrompt,
      },
      qa_pairs: page.pairs.map(sharedPair),
      has_more_before: page.hasMoreBefore,
      has_more_after: page.hasMoreAfter,
    },
    200,
  );
};
