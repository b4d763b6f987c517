import { createRoute, z } from '@hono/zod-openapi';
import { SEARCH_QUERY_MAX } from '../../domain/limits.js';
import { errors } from '../errors.js';
import { HEAVY_LIMITS_DOC } from '../middleware/heavy.js';
import { RATE_WEIGHT_DOC } from '../middleware/write-limit.js';
import {
  ArchivedQuery,
  bearerSecurity,
  DecimalInt,
  eventStreamResponse,
  PairType,
  QAPairSchema,
  Question,
  Response,
  StreamingHeaders,
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
    '(the default is local and deterministic; README, "Model responses"): the model sees the chat’s visible history ' +
    'within the token budget. `Accept: text/event-stream` streams the answer (server-sent events); the pair is stored ' +
    'once, when the answer is complete. Concurrent calls on one chat all succeed, each in its own position.',
  security: bearerSecurity,
  request: {
    headers: StreamingHeaders,
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
    200: eventStreamResponse('the stored QAPair (as the JSON answer)'),
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504),
  },
});

export type AddMessageRoute = typeof addMessage;

export const SearchHitSchema = z
  .object({
    chat_id: z.uuid().openapi({ description: 'The chat that stores the pair (as in QAPair.chat_id).' }),
    root_chat_id: z.uuid(),
    open_chat_id: z.uuid().openapi({
      description:
        'The chat to load to see the pair in context: the `chat_id` searched (the pair may be inherited), ' +
        'else the chat that stores it. Then scroll to `response_id` (get-chat `after`/`before` pages around it).',
    }),
    response_id: z.uuid(),
    snippet: z.string().openapi({
      description:
        'An extract of the question and response. HTML-escaped text in which each match is wrapped in ' +
        '`<mark>`…`</mark>`: safe to insert as HTML.',
      example: 'How do I fix a <mark>connection</mark> <mark>error</mark> in …',
    }),
    score: z.number().openapi({
      description: 'Relevance, higher is better. Depends on the store (PostgreSQL ts_rank, MongoDB textScore).',
    }),
    type: PairType,
    timestamp: z.iso.datetime(),
  })
  .openapi('SearchHit');

export const searchMessages = createRoute({
  operationId: 'searchMessages',
  method: 'get',
  path: '/api/v1/messages/search-messages',
  tags: ['Messages'],
  summary: 'Full-text search over questions and responses',
  description:
    'Every word of `q` must match (AND). Case-insensitive, stemmed in the configured SEARCH_LANGUAGE; on ' +
    'PostgreSQL each word also matches as a prefix (`conn` finds "connection"), on MongoDB whole words only. ' +
    'With `chat_id`: only that chat’s visible history (inherited pairs included, other branches excluded). ' +
    'Without: every live chat of the account, each pair once, under the chat that stores it. Deleted chats ' +
    'never appear. `archived=false` leaves out the conversations that are archived, `only` searches only them ' +
    '(default `true`: all). Ordered by `score`, then newest first; `next_cursor` pages on (results may shift if ' +
    `pairs are added between pages, but no hit repeats). ${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.searchMessages}`,
  security: bearerSecurity,
  request: {
    query: z.object({
      q: z
        .string()
        .trim()
        .min(1)
        .max(SEARCH_QUERY_MAX)
        .openapi({
          description: `Words to find (1..${SEARCH_QUERY_MAX} characters, at least one letter or digit).`,
          example: 'connection error',
        }),
      chat_id: Uuid.optional(),
      limit: DecimalInt(1, 100, 20, 'Hits per page, 1..100.'),
      cursor: z
        .string()
        .min(1)
        .max(300)
        .optional()
        .openapi({ description: 'Opaque; from `next_cursor` of the same search.' }),
      archived: ArchivedQuery(
        'true',
        '`true` (default): archived conversations are searched too; `false`: they are left out; `only`: only they ' +
          'are searched (with `chat_id`, a chat outside the scope has no hits).',
      ),
    }),
  },
  responses: {
    200: {
      description: 'A page of hits, best first',
      content: {
        'application/json': {
          schema: z
            .object({ hits: z.array(SearchHitSchema), next_cursor: z.string().nullable() })
            .openapi('SearchResults'),
        },
      },
    },
    ...errors(401, 404, 422, 429, 500, 503),
  },
});

export type SearchMessagesRoute = typeof searchMessages;
