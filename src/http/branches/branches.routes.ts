import { createRoute, z } from '@hono/zod-openapi';
import { MAX_BRANCH_DEPTH } from '../../domain/model.js';
import { errors } from '../errors.js';
import { HEAVY_LIMITS_DOC } from '../middleware/heavy.js';
import { RATE_WEIGHT_DOC } from '../middleware/write-limit.js';
import {
  bearerSecurity,
  ChatName,
  ChatSchema,
  eventStreamResponse,
  QAPairSchema,
  Question,
  Response,
  StreamingHeaders,
  Uuid,
  withPairKind,
} from '../schemas.js';

const tags = ['Branches'];

export const createBranch = createRoute({
  operationId: 'createBranch',
  method: 'post',
  path: '/api/v1/branches/create-branch',
  tags,
  summary: 'Fork a chat after any pair of its visible history',
  description:
    'The branch sees the history up to and including `response_id`, then its own pairs. Forking from an inherited ' +
    'pair attaches the branch to the chat that stores that pair. No message is copied. With `question`, the ' +
    'branch’s first pair is added in the same call (without `response`, the responder answers from the fork’s ' +
    'history; `Accept: text/event-stream` streams that answer). `activate` (default true) makes the branch the active chat. ' +
    `Branches nest at most ${MAX_BRANCH_DEPTH} levels deep (a branch of a branch of …; the root is level 0): a fork ` +
    'whose branch would be deeper → 422 (`errors[].path` `response_id`). The same limit holds for import-chat, so ' +
    'every tree exports (format chatgpt) and imports back.',
  security: bearerSecurity,
  request: {
    headers: StreamingHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: withPairKind({
            chat_id: Uuid,
            response_id: Uuid,
            name: ChatName.optional().openapi({ description: 'Default: the source chat’s name + " (branch)".' }),
            question: Question.optional(),
            response: Response.optional(),
            activate: z.boolean().optional().openapi({ default: true }),
          })
            .refine((b) => !(b.response !== undefined && b.question === undefined), {
              message: 'response needs a question',
              path: ['response'],
            })
            .refine((b) => b.type === undefined || b.type === 'text' || b.question !== undefined, {
              message: 'type needs a question',
              path: ['type'],
            })
            .openapi('CreateBranchBody'),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The new branch, and its first pair when `question` was given',
      content: {
        'application/json': {
          schema: z
            .object({
              chat: ChatSchema,
              qa_pair: z.union([QAPairSchema, z.null()]),
            })
            .openapi('CreateBranchResult'),
        },
      },
    },
    200: eventStreamResponse('the same `{chat, qa_pair}` as the JSON answer (the branch exists only from then on)'),
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504),
  },
});

export type TreeNodeShape = {
  chat_id: string;
  name: string;
  chat_type: 'main' | 'branch';
  parent_chat_id: string | null;
  fork_response_id: string | null;
  active: boolean;
  message_count: number;
  created_at: string;
  updated_at: string;
  children: TreeNodeShape[];
};

export const TreeNodeSchema: z.ZodType<TreeNodeShape> = z
  .object({
    chat_id: z.uuid(),
    name: z.string(),
    chat_type: z.enum(['main', 'branch']),
    parent_chat_id: z.uuid().nullable(),
    fork_response_id: z.uuid().nullable(),
    active: z.boolean(),
    message_count: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    get children() {
      return z.array(TreeNodeSchema).openapi({ description: 'Oldest first.' });
    },
  })
  .openapi('TreeNode');

export const getBranches = createRoute({
  operationId: 'getBranches',
  method: 'get',
  path: '/api/v1/branches/get-branches',
  tags,
  summary: 'The whole tree of a conversation',
  description:
    `${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.getBranches} The response carries an \`ETag\` of the tree as it is ` +
    '(it changes with every write to the tree); `If-None-Match` with it answers 304 with no body while it holds.',
  security: bearerSecurity,
  // If-None-Match: read by the handler, documented by openApiDocument (src/http/etags.ts).
  request: { query: z.strictObject({ chat_id: Uuid.openapi({ description: 'Any chat of the tree.' }) }) },
  responses: {
    200: {
      description: 'The tree from its root; `count` is the number of live chats, root included',
      headers: z.object({ ETag: z.string() }),
      content: {
        'application/json': {
          schema: z
            .object({ root_chat_id: z.uuid(), active_chat_id: z.uuid(), count: z.number().int(), tree: TreeNodeSchema })
            .openapi('BranchTree'),
        },
      },
    },
    304: {
      description: 'Not Modified: the tree is the one the `If-None-Match` tag was sent with (no body)',
      headers: z.object({ ETag: z.string() }),
    },
    ...errors(401, 404, 422, 429, 500, 503),
  },
});

export const setActiveBranch = createRoute({
  operationId: 'setActiveBranch',
  method: 'put',
  path: '/api/v1/branches/set-active-branch',
  tags,
  summary: 'Make a chat the active one of its tree',
  description: 'Afterwards exactly one chat of the tree is active, also when calls race.',
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ chat_id: Uuid }).openapi('SetActiveBranchBody') } },
    },
  },
  responses: {
    200: {
      description: 'The tree’s active chat',
      content: {
        'application/json': {
          schema: z.object({ root_chat_id: z.uuid(), active_chat_id: z.uuid() }).openapi('ActiveBranch'),
        },
      },
    },
    ...errors(400, 401, 404, 413, 415, 422, 429, 500, 503),
  },
});

export type CreateBranchRoute = typeof createBranch;
export type GetBranchesRoute = typeof getBranches;
export type SetActiveBranchRoute = typeof setActiveBranch;
