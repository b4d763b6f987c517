import * as messages from '../../domain/messages/messages.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { kindOf, pairJson } from '../schemas.js';
import type { AddMessageRoute } from './messages.routes.js';

export const addMessage: AppRouteHandler<AddMessageRoute> = async (c) => {
  const body = c.req.valid('json');
  const pair = await messages.addMessage(ctxOf(c), {
    chatId: body.chat_id,
    question: body.question,
    response: body.response,
    kind: kindOf(body),
  });
  return c.json(pairJson(pair), 201);
};
