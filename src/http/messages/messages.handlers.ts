import * as messages from '../../domain/messages/messages.service.js';
import * as search from '../../domain/search/search.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { kindOf, markedSnippet, pairJson } from '../schemas.js';
import { allowSlowAnswer, clientGone, eventStream, restoreIdleTimeout, wantsEventStream } from '../sse.js';
import type { AddMessageRoute, SearchMessagesRoute } from './messages.routes.js';

export const addMessage: AppRouteHandler<AddMessageRoute> = async (c) => {
  const body = c.req.valid('json');
  const input = { chatId: body.chat_id, question: body.question, response: body.response, kind: kindOf(body) };
  if (body.response === undefined) allowSlowAnswer(c);
  try {
    if (wantsEventStream(c)) {
      const gone = clientGone(c);
      const pending = await messages.startAddMessage(ctxOf(c), input, gone.signal);
      return eventStream(c, gone, pending, (r) => pairJson(r.pair)) as never;
    }
    // A generated answer is cancelled if the client leaves before it is stored (as for a stream).
    const added = await messages.addMessage(
      ctxOf(c),
      input,
      body.response === undefined ? clientGone(c).signal : undefined,
    );
    return c.json(pairJson(added.pair), 201);
  } finally {
    restoreIdleTimeout(c); // the answer (or problem) is ready; a stream restores it when it ends
  }
};

export const searchMessages: AppRouteHandler<SearchMessagesRoute> = async (c) => {
  const q = c.req.valid('query');
  const result = await search.searchMessages(ctxOf(c), {
    text: q.q,
    chatId: q.chat_id,
    limit: q.limit,
    cursor: q.cursor,
    archived: q.archived,
  });
  return c.json(
    {
      hits: result.hits.map((h) => ({
        chat_id: h.pair.chatId,
        root_chat_id: h.rootChatId,
        open_chat_id: h.openChatId,
        response_id: h.pair.responseId,
        snippet: markedSnippet(h.snippet),
        score: h.score,
        type: h.pair.type,
        timestamp: h.pair.timestamp.toISOString(),
      })),
      next_cursor: result.nextCursor,
    },
    200,
  );
};
