/** fork-chat: a chat's history (and optionally the branches below it) copied into a new conversation. */
import { createRoute, z } from '@hono/zod-openapi';
import { MAX_BRANCH_DEPTH } from '../../domain/limits.js';
import { DEFAULT_IMPORT_LIMITS } from '../../domain/transfer/limits.js';
import { errors } from '../errors.js';
import { HEAVY_LIMITS_DOC } from '../middleware/heavy.js';
import { RATE_WEIGHT_DOC } from '../middleware/write-limit.js';
import { bearerSecurity, ChatName, ChatSchema, IdempotencyHeaders, Uuid } from '../schemas.js';

const EXAMPLE_ROOT = '0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20';
const EXAMPLE_SOURCE = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const EXAMPLE_PAIR = '0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12';

export const ForkChatResultSchema = z
  .object({
    chat: ChatSchema.openapi({
      description: 'The new conversation’s root: the copied history as its own pairs, `forked_from` set.',
    }),
    active_chat_id: z.uuid().openapi({
      description:
        'The new tree’s active chat: the copy of the source tree’s active chat if it came along, else the root.',
    }),
    chat_count: z.number().int().openapi({ description: 'Chats created: the root and the copied branches.' }),
    pair_count: z.number().int().openapi({ description: 'Pairs created, over all of them.' }),
  })
  .openapi('ForkChatResult', {
    example: {
      chat: {
        chat_id: EXAMPLE_ROOT,
        account_id: '0193a4c0-0000-7000-8000-000000000001',
        chat_type: 'main',
        name: 'Trip ideas',
        created_at: '2026-12-04T10:00:00.000Z',
        updated_at: '2026-12-04T10:00:00.000Z',
        active: true,
        root_chat_id: EXAMPLE_ROOT,
        parent_chat_id: null,
        fork_response_id: null,
        message_count: 3,
        system_prompt: null,
        forked_from: { chat_id: EXAMPLE_SOURCE, response_id: EXAMPLE_PAIR },
        archived: false,
        pinned: false,
      },
      active_chat_id: EXAMPLE_ROOT,
      chat_count: 1,
      pair_count: 3,
    },
  });

export const forkChat = createRoute({
  operationId: 'forkChat',
  method: 'post',
  path: '/api/v1/chats/fork-chat',
  tags: ['Chats'],
  summary: 'Copy a chat’s history (up to a pair) into a new, independent conversation',
  description:
    'The new conversation’s root holds, as its own pairs, the visible history of `chat_id` up to and including ' +
    '`response_id` (all of it when absent; an empty root when that history is empty): new chat and response ids, ' +
    'the same question, response, type, language, url, generation, timestamp and feedback. It shares nothing with the ' +
    'source (deleting either leaves the other whole) and records `forked_from` (the source chat and the last ' +
    'pair copied, `response_id` null for an empty copy; null once the source chat is deleted). The system prompt ' +
    'is copied. `response_id` outside the visible history of `chat_id`, or a chat of another account → 404. ' +
    'With `include_branches`, the branches below that point come along: every live chat of the source tree ' +
    'whose visible history begins with the copied history and goes on past it (the chat that stores the last ' +
    'copied pair with its later pairs, the branches forking at or after that pair, and everything below them; ' +
    'not the branches forking earlier). Each becomes a branch of the new tree whose visible history holds the same ' +
    'pairs as in the source; names, created/updated times (so the order of siblings) and the active chat are kept ' +
    '(the root is active when the active chat does not come along). A chat whose history is exactly the copied ' +
    'history is the new root itself and is not copied again. Start forks (branches forking before the first pair) ' +
    'come along only when the copied history is empty (then every chat of the tree with a non-empty history does, ' +
    'the source root included, as a start fork of the new root). One call copies at most IMPORT_MAX_PAIRS (default ' +
    `${DEFAULT_IMPORT_LIMITS.maxPairs.toLocaleString('en')}) pairs, and copied branches nest at most ` +
    `${MAX_BRANCH_DEPTH} levels deep (the new root adds one level above the copied chain): beyond → 422, nothing ` +
    'stored. Everything is stored in one transaction, with a `tree.created` event (`imported: true`). ' +
    `${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.forkChat}`,
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              chat_id: Uuid.openapi({ description: 'The chat whose visible history is copied.' }),
              response_id: Uuid.optional().openapi({
                description: 'The last pair copied, in the visible history of `chat_id`; absent: all of it.',
              }),
              name: ChatName.optional().openapi({ description: 'The new root’s name. Default: the source chat’s.' }),
              include_branches: z.boolean().optional().default(false).openapi({
                description: 'Also copy the branches below the copy point (see above).',
                default: false,
              }),
            })
            .openapi('ForkChatBody', {
              example: { chat_id: EXAMPLE_SOURCE, response_id: EXAMPLE_PAIR, include_branches: true },
            }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The new conversation',
      content: { 'application/json': { schema: ForkChatResultSchema } },
    },
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 503),
  },
});

export type ForkChatRoute = typeof forkChat;
