import { createRoute } from '@hono/zod-openapi';
import { errors } from '../errors.js';
import {
  bearerSecurity,
  IdempotencyHeaders,
  QAPairSchema,
  Question,
  Response,
  Uuid,
  withPairKind,
} from '../schemas.js';

export const addMessage = createRoute({
  operationId: 'addMessage',
  method: 'post',
  path: '/api/v1/messages/add-message',
  tags: ['Messages'],
  summary: 'Append a question and its response to a chat',
  description:
    'Appended at the end of the chat’s own history. Without `response` the configured responder answers ' +
    '(the default is local and deterministic). Concurrent calls on one chat all succeed, each in its own position.',
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: withPairKind({ chat_id: Uuid, question: Question, response: Response.optional() }).openapi(
            'AddMessageBody',
          ),
        },
      },
    },
  },
  responses: {
    201: { description: 'The stored pair', content: { 'application/json': { schema: QAPairSchema } } },
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 503),
  },
});

export type AddMessageRoute = typeof addMessage;
