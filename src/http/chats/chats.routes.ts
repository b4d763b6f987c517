import { createRoute, z } from '@hono/zod-openapi';
import { errors } from '../errors.js';
import { canonicalInt, canonicalUuid, plainParams } from '../query-shortcut.js';
import {
  ArchivedQuery,
  bearerSecurity,
  ChatName,
  ChatSchema,
  DecimalInt,
  IdempotencyHeaders,
  QAPairSchema,
  SystemPrompt,
  Uuid,
} from '../schemas.js';
import { UsageSchema } from '../usage.js';

const tags = ['Chats'];
const EXAMPLE_CHAT = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';

export const createChat = createRoute({
  operationId: 'createChat',
  method: 'post',
  path: '/api/v1/chats/create-chat',
  tags,
  summary: 'Create a conversation (its root chat)',
  description:
    'Without `name` the conversation is called "New chat" until its first question and answer are stored: the ' +
    'responder then proposes a title from them (the configured model, else the question’s first words), in the ' +
    'background, after the answer has been sent; it arrives as a `chat.updated` event (the root chat, renamed) and ' +
    'in every later read. A name given here, or set with update-chat before the title arrives, is never replaced.',
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              name: ChatName.optional().openapi({
                description: 'Absent: "New chat", until the automatic title from the first question and answer.',
              }),
              system_prompt: SystemPrompt.optional().openapi({
                description: 'Sent to the model before the history, for every chat of this conversation.',
              }),
            })
            .openapi('CreateChatBody'),
          examples: {
            named: { summary: 'A named conversation', value: { name: 'Trip ideas' } },
            untitled: {
              summary: 'No name: "New chat", then a title from the first question and answer',
              value: {},
            },
            prompted: {
              summary: 'With a system prompt',
              value: { name: 'Trip ideas', system_prompt: 'You are a concise travel agent.' },
            },
          },
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The new root chat (active, no messages)',
      content: { 'application/json': { schema: ChatSchema } },
    },
    ...errors(400, 401, 409, 413, 415, 422, 429, 500, 503),
  },
});

const PAGE_MAX = 1000;
const PAGE_DEFAULT = 200;
const Limit = DecimalInt(1, PAGE_MAX, PAGE_DEFAULT, 'Page size, 1..1000 (out of range → 422).');

/** get-chat's chat: the Chat object and what its history's generated answers cost (no other route carries it). */
export const ChatWithUsageSchema = ChatSchema.extend({ usage: UsageSchema }).openapi('ChatWithUsage', {
  description:
    'The Chat object with `usage`: the tokens of the generated answers over the chat’s whole visible history ' +
    '(inherited pairs included), whatever the page.',
});

const GET_CHAT_PARAMS = new Set(['chat_id', 'limit', 'after', 'before']);

/**
 * get-chat's query as clients spell it (see query-shortcut.ts): canonical UUIDs, a plain page size, at most one of
 * after and before; exactly what the route's schema gives for it. Anything else → null (the schema decides).
 */
export function getChatQueryShortcut(
  query: string,
): { chat_id: string; limit: number; after?: string; before?: string } | null {
  const params = plainParams(query, GET_CHAT_PARAMS);
  const chatId = params?.get('chat_id');
  if (!params || chatId === undefined || !canonicalUuid(chatId)) return null;
  const limitText = params.get('limit');
  const limit = limitText === undefined ? PAGE_DEFAULT : canonicalInt(limitText, 1, PAGE_MAX);
  if (limit === null) return null;
  const after = params.get('after');
  const before = params.get('before');
  if (after !== undefined && before !== undefined) return null;
  if (after !== undefined) return canonicalUuid(after) ? { chat_id: chatId, limit, after } : null;
  if (before !== undefined) {
    return before === 'end' || canonicalUuid(before) ? { chat_id: chatId, limit, before } : null;
  }
  return { chat_id: chatId, limit };
}

export const getChat = createRoute({
  operationId: 'getChat',
  method: 'get',
  path: '/api/v1/chats/get-chat',
  tags,
  summary: 'A chat and one page of its visible history',
  description:
    'Pages are in ascending conversation order. No cursor: the first `limit` pairs. `after=R`: the pairs following R. ' +
    '`before=R`: the pairs just preceding R. `before=end`: the last `limit` pairs. R must be in the chat’s visible history (else 404). ' +
    'The response carries an `ETag` of this page: `"<chat tag>.<tree version>"`. It changes whenever the tree ' +
    'changes (a write anywhere in the tree), so `If-None-Match` with it answers 304 with no body while the page ' +
    'is unchanged; update-chat accepts it in `If-Match`, where only the chat’s own fields count (the part before ' +
    'the dot).',
  security: bearerSecurity,
  request: {
    // If-None-Match is read by the handler and documented by openApiDocument (src/http/etags.ts): a header schema
    // here would validate every request's headers (a copy of them all) on the hottest route.
    query: z
      .strictObject({
        chat_id: Uuid,
        limit: Limit,
        after: Uuid.optional().openapi({ description: 'A response_id of the visible history.' }),
        before: z
          .union([z.literal('end'), Uuid])
          .optional()
          .openapi({ description: 'A response_id of the visible history, or `end`.' }),
      })
      .refine((q) => !(q.after !== undefined && q.before !== undefined), {
        message: 'use either after or before, not both',
        path: ['before'],
      }),
  },
  responses: {
    200: {
      description: 'The chat and a page of pairs',
      headers: z.object({ ETag: z.string() }),
      content: {
        'application/json': {
          schema: z
            .object({
              chat: ChatWithUsageSchema,
              start_branches: z.array(z.uuid()).openapi({
                description:
                  'The tree’s start forks (branches forking before its first pair: create-branch with ' +
                  '`response_id` null, or regenerate of a first question), live ones only, oldest first, whatever ' +
                  'the page. With the root, they are the alternatives of the first question, as a pair’s ' +
                  '`branches` are the alternatives of the question that follows it.',
              }),
              qa_pairs: z.array(QAPairSchema),
              has_more_before: z.boolean(),
              has_more_after: z.boolean(),
            })
            .openapi('ChatPage'),
        },
      },
    },
    304: {
      description: 'Not Modified: the page is the one the `If-None-Match` tag was sent with (no body)',
      headers: z.object({ ETag: z.string() }),
    },
    ...errors(401, 404, 422, 500, 503),
  },
});

export const updateChat = createRoute({
  operationId: 'updateChat',
  method: 'put',
  path: '/api/v1/chats/update-chat',
  tags,
  summary: 'Rename a chat; set its conversation’s system prompt, archive or pin it',
  description:
    'Give at least one of `name`, `system_prompt`, `archived`, `pinned`. `name` renames this chat (the root’s name ' +
    'is the conversation’s: from then on the user’s, never replaced by an automatic title, even one in flight). ' +
    '`system_prompt`, `archived` and `pinned` are the conversation’s (one per tree, whichever chat of it is given): ' +
    'the system prompt applies to every chat of it from the next answer on (`null` removes it); an archived ' +
    'conversation is hidden by list-chats unless asked for; pinned ones are listed first. `updated_at` of this chat ' +
    'moves forward either way, the tree’s version too (every chat’s page ETag changes), and the change is announced ' +
    'as a `chat.updated` event carrying this chat.',
  security: bearerSecurity,
  request: {
    headers: z.object({
      'if-match': z
        .string()
        .optional()
        .openapi({
          description:
            'An ETag from get-chat or update-chat, a comma-separated list of them, or `*` (any existing chat). ' +
            'Compared strongly (RFC 9110 §13.1.1): a weak `W/"…"` tag never matches, and a quoted `"*"` is a ' +
            'tag like any other. Stale, weak only, or malformed (neither `*` nor a list of entity tags) → 412.',
        }),
    }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              chat_id: Uuid,
              name: ChatName.optional(),
              system_prompt: SystemPrompt.nullable().optional(),
              archived: z.boolean().optional().openapi({
                description: 'Archive (true) or unarchive (false) the conversation.',
              }),
              pinned: z.boolean().optional().openapi({ description: 'Pin (true) or unpin (false) the conversation.' }),
            })
            .refine(
              (b) =>
                b.name !== undefined ||
                b.system_prompt !== undefined ||
                b.archived !== undefined ||
                b.pinned !== undefined,
              { message: 'give at least one of name, system_prompt, archived, pinned', path: ['name'] },
            )
            .openapi('UpdateChatBody'),
          examples: {
            rename: { summary: 'Rename the chat', value: { chat_id: EXAMPLE_CHAT, name: 'Spring trip' } },
            pin: {
              summary: 'Pin the conversation (from any of its chats)',
              value: { chat_id: EXAMPLE_CHAT, pinned: true },
            },
            archive: {
              summary: 'Archive the conversation and unpin it',
              value: { chat_id: EXAMPLE_CHAT, archived: true, pinned: false },
            },
            systemPrompt: {
              summary: 'Set the conversation’s system prompt',
              value: { chat_id: EXAMPLE_CHAT, system_prompt: 'You are a concise travel agent.' },
            },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The updated chat (later `updated_at`)',
      headers: z.object({ ETag: z.string() }),
      content: { 'application/json': { schema: ChatSchema } },
    },
    ...errors(400, 401, 404, 412, 413, 415, 422, 429, 500, 503),
  },
});

export const deleteChat = createRoute({
  operationId: 'deleteChat',
  method: 'delete',
  path: '/api/v1/chats/delete-chat',
  tags,
  summary: 'Soft-delete a chat and its whole subtree',
  description:
    'Deleting a root deletes the conversation. If the active chat is deleted, the deleted subtree’s parent becomes active.',
  security: bearerSecurity,
  request: { query: z.strictObject({ chat_id: Uuid }) },
  responses: {
    200: {
      description: 'The chats this call deleted (the chat first, then its descendants, oldest first)',
      content: {
        'application/json': { schema: z.object({ deleted_chat_ids: z.array(z.uuid()) }).openapi('DeleteChatResult') },
      },
    },
    ...errors(401, 404, 413, 422, 429, 500, 503),
  },
});

export const ConversationSchema = ChatSchema.extend({
  active_chat_id: z.uuid(),
  branch_count: z.number().int().openapi({ description: 'Live chats in the tree minus the root.' }),
  last_activity_at: z.iso.datetime().openapi({ description: 'Latest write anywhere in the tree.' }),
}).openapi('ConversationSummary');

/** An entry of list-chats' example: a root chat of two pairs, with its conversation's facts. */
function listEntry(o: { id: string; name: string; pinned: boolean; at: string }) {
  return {
    chat_id: o.id,
    account_id: '0193a4c0-0000-7000-8000-000000000001',
    chat_type: 'main',
    name: o.name,
    created_at: '2026-11-30T08:00:00.000Z',
    updated_at: o.at,
    active: true,
    root_chat_id: o.id,
    parent_chat_id: null,
    fork_response_id: null,
    message_count: 2,
    system_prompt: null,
    forked_from: null,
    archived: false,
    pinned: o.pinned,
    active_chat_id: o.id,
    branch_count: 0,
    last_activity_at: o.at,
  };
}

export const listChats = createRoute({
  operationId: 'listChats',
  method: 'get',
  path: '/api/v1/chats/list-chats',
  tags,
  summary: 'The account’s conversations, pinned first, then latest activity first',
  description:
    'One entry per live conversation: pinned ones first, then the others, each group by latest activity (newest ' +
    'first). Archived conversations are left out unless `archived` is `true` (all) or `only`. Paged by ' +
    '`next_cursor`, which knows where the pinned ones end: no conversation is skipped or repeated across pages.',
  security: bearerSecurity,
  request: {
    query: z.strictObject({
      limit: DecimalInt(1, 100, 50, 'Page size, 1..100.'),
      cursor: z.string().min(1).max(200).optional().openapi({ description: 'Opaque; from `next_cursor`.' }),
      archived: ArchivedQuery(
        'false',
        '`false` (default): archived conversations are left out; `true`: they are listed too; `only`: only they are.',
      ),
    }),
  },
  responses: {
    200: {
      description: 'One entry per live conversation tree',
      content: {
        'application/json': {
          schema: z
            .object({ chats: z.array(ConversationSchema), next_cursor: z.string().nullable() })
            .openapi('ChatList'),
          example: {
            chats: [
              listEntry({ id: EXAMPLE_CHAT, name: 'Trip ideas', pinned: true, at: '2026-12-01T09:00:00.000Z' }),
              listEntry({
                id: '0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20',
                name: 'Packing list for Porto',
                pinned: false,
                at: '2026-12-04T18:30:00.000Z',
              }),
            ],
            next_cursor: 'WzE3OTY0MDkwMDAwMDAsIjAxOTNhNmQwLTFjMmItN2U0Zi04YTkwLTNiNWM3ZDllMWYyMCIsMF0',
          },
        },
      },
    },
    ...errors(401, 422, 500, 503),
  },
});

export type CreateChatRoute = typeof createChat;
export type GetChatRoute = typeof getChat;
export type UpdateChatRoute = typeof updateChat;
export type DeleteChatRoute = typeof deleteChat;
export type ListChatsRoute = typeof listChats;
