import { forkChat as fork } from '../../domain/chats/fork-chat.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { chargeCopy } from '../middleware/write-limit.js';
import { chatJson } from '../schemas.js';
import type { ForkChatRoute } from './fork.routes.js';

export const forkChat: AppRouteHandler<ForkChatRoute> = async (c) => {
  const b = c.req.valid('json');
  const result = await fork(ctxOf(c), {
    chatId: b.chat_id,
    responseId: b.response_id,
    name: b.name,
    includeBranches: b.include_branches,
    beforeCopy: (pairs) => chargeCopy(c, pairs),
  });
  return c.json(
    {
      chat: chatJson(result.root),
      active_chat_id: result.activeChatId,
      chat_count: result.chatCount,
      pair_count: result.pairCount,
    },
    201,
  );
};
