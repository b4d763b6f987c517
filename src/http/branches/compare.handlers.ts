import { compareBranches as compare, type TailPage } from '../../domain/branches/compare.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { pairJson } from '../schemas.js';
import { usageJson } from '../usage.js';
import type { CompareBranchesRoute } from './compare.routes.js';

const tailJson = (t: TailPage) => ({
  qa_pairs: t.pairs.map(pairJson),
  has_more_after: t.hasMoreAfter,
  next_after: t.nextAfter,
  totals: { pairs: t.totals.pairs, ...usageJson(t.totals), feedback: t.totals.feedback },
});

export const compareBranches: AppRouteHandler<CompareBranchesRoute> = async (c) => {
  const q = c.req.valid('query');
  const r = await compare(ctxOf(c), {
    chatId: q.chat_id,
    otherChatId: q.other_chat_id,
    limit: q.limit,
    after: q.after,
    otherAfter: q.other_after,
  });
  return c.json(
    {
      chat_id: r.chat.chatId,
      other_chat_id: r.other.chatId,
      common_count: r.commonCount,
      last_shared: r.lastShared ? pairJson(r.lastShared) : null,
      tails: { chat: tailJson(r.tails.chat), other: tailJson(r.tails.other) },
    },
    200,
  );
};
