/** Export and import of whole conversations (README, "Import and export"). */
import { createRoute, z } from '@hono/zod-openapi';
import { MAX_BRANCH_DEPTH } from '../../domain/limits.js';
import { ChatGptConversationSchema } from '../../domain/transfer/chatgpt/index.js';
import { DEFAULT_IMPORT_LIMITS } from '../../domain/transfer/limits.js';
import { errors } from '../errors.js';
import { HEAVY_LIMITS_DOC } from '../middleware/heavy.js';
import { RATE_WEIGHT_DOC } from '../middleware/write-limit.js';
import { bearerSecurity, IdempotencyHeaders, QAPairSchema, Uuid } from '../schemas.js';

const tags = ['Import and export'];

const ExportedChatSchema = z
  .object({
    chat_id: z.uuid(),
    chat_type: z.enum(['main', 'branch']),
    name: z.string(),
    parent_chat_id: z.uuid().nullable(),
    fork_response_id: z.uuid().nullable(),
    active: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    qa_pairs: z
      .array(QAPairSchema)
      .openapi({ description: 'The chat’s OWN pairs, in order (not the inherited ones).' }),
  })
  .openapi('ExportedChat');

export const TreeExportSchema = z
  .object({
    format: z.literal('branchat.tree.v1'),
    exported_at: z.iso.datetime(),
    title: z.string(),
    system_prompt: z.string().nullable(),
    root_chat_id: z.uuid(),
    active_chat_id: z.uuid(),
    chats: z
      .array(ExportedChatSchema)
      .openapi({ description: 'Every live chat of the tree: the root first, each chat after its parent.' }),
  })
  .openapi('TreeExport');

export const exportChat = createRoute({
  operationId: 'exportChat',
  method: 'get',
  path: '/api/v1/chats/export-chat',
  tags,
  summary: 'Export a conversation: the whole tree (json, chatgpt) or a chat’s history (markdown)',
  description:
    '`json`: the whole tree in branchat’s own format (every live chat with its own pairs). `chatgpt`: the whole ' +
    'tree as one conversation of a ChatGPT data export (`mapping` of message nodes; each pair is a user node and ' +
    'its assistant node; a branch is a second child of the pair it forks after; `current_node` is the last ' +
    'message of the active chat); import-chat reads it back. `markdown`: the visible history of `chat_id` ' +
    '(inherited pairs included) as a readable document. Any chat of the tree can be given for json and chatgpt. ' +
    `${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.exportChat}`,
  security: bearerSecurity,
  request: {
    query: z.strictObject({
      chat_id: Uuid,
      format: z
        .enum(['json', 'markdown', 'chatgpt'])
        .default('json')
        .openapi({ description: 'json (default), markdown or chatgpt.' }),
    }),
  },
  responses: {
    200: {
      description: 'The export, with a Content-Disposition file name',
      content: {
        'application/json': { schema: z.union([TreeExportSchema, ChatGptConversationSchema]) },
        'text/markdown': { schema: z.string().openapi({ example: '# Trip ideas\n\n**You** · …' }) },
      },
    },
    ...errors(401, 404, 422, 429, 500, 503),
  },
});

export const ImportResultSchema = z
  .object({
    conversations: z.array(
      z.object({
        root_chat_id: z.uuid(),
        active_chat_id: z.uuid(),
        title: z.string(),
        chat_count: z.number().int().openapi({ description: 'Chats created: the root and its branches.' }),
        pair_count: z.number().int(),
      }),
    ),
    notes: z.array(z.string()).openapi({
      description:
        'What the import changed or left out, one sentence each (e.g. times outside the stored-time window, ' +
        'moved to its nearest end).',
    }),
  })
  .openapi('ImportResult');

export const importChat = createRoute({
  operationId: 'importChat',
  method: 'post',
  path: '/api/v1/chats/import-chat',
  tags,
  summary: 'Import ChatGPT conversations (one, or a conversations.json array)',
  description:
    'Rebuilds each tree: a message with several answers (regenerations) or several follow-up questions (edits) ' +
    'becomes branches; timestamps and the active path (`current_node`) are kept; system and tool messages are ' +
    'skipped (a non-empty system message becomes the system prompt). Everything is checked first: malformed ' +
    'input → 422 listing each problem (`errors`, with paths such as `[2].mapping.<id>.parent`) and nothing is ' +
    'stored. Otherwise all conversations are stored in one transaction. Text limits are those of add-message. ' +
    'Body limit: IMPORT_MAX_MB (default 32 MiB). One call holds at most IMPORT_MAX_CONVERSATIONS (default ' +
    `${DEFAULT_IMPORT_LIMITS.maxConversations.toLocaleString('en')}) conversations and IMPORT_MAX_PAIRS (default ` +
    `${DEFAULT_IMPORT_LIMITS.maxPairs.toLocaleString('en')}) pairs over all of them: beyond either → 422 ` +
    '(`errors[].path` `(input)`), nothing stored; import a larger conversations.json in parts. Branches nest at ' +
    `most ${MAX_BRANCH_DEPTH} levels deep, as with create-branch (deeper → 422). Times are kept from 1970-01-01T00:00:00Z ` +
    'to one day past the server’s clock: a time outside that window (but within years 1 to 9999) is moved to its ' +
    'nearest end, and `notes` says so per conversation; a time outside years 1 to 9999 → 422. ' +
    `${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.importChat}`,
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          // Checked in depth by the importer (with ChatGptConversationSchema, part by part, so that it lists
          // every problem at once); the document shows that schema.
          schema: z
            .custom<object>((v) => typeof v === 'object' && v !== null, {
              message: 'expected a ChatGPT conversation (an object) or an array of them',
            })
            .openapi({
              type: ['object', 'array'],
              description: 'A ChatGPT conversation, or an array of them.',
              oneOf: [
                { $ref: '#/components/schemas/ChatGptConversation' },
                { type: 'array', items: { $ref: '#/components/schemas/ChatGptConversation' } },
              ],
            }),
        },
      },
    },
  },
  responses: {
    201: { description: 'The conversations created', content: { 'application/json': { schema: ImportResultSchema } } },
    ...errors(400, 401, 409, 413, 415, 422, 429, 500, 503),
  },
});

export type ExportChatRoute = typeof exportChat;
export type ImportChatRoute = typeof importChat;
