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
import { type UsageJson, UsageSchema } from '../usage.js';

const tags = ['Branches'];

const CreateBranchResult = z
  .object({
    chat: ChatSchema,
    qa_pair: z.union([QAPairSchema, z.null()]),
  })
  .openapi('CreateBranchResult');

export const createBranch = createRoute({
  operationId: 'createBranch',
  method: 'post',
  path: '/api/v1/branches/create-branch',
  tags,
  summary: 'Fork a chat after any pair of its visible history, or before its first',
  description:
    'The branch sees the history up to and including `response_id`, then its own pairs. Forking from an inherited ' +
    'pair attaches the branch to the chat that stores that pair. `response_id` null or absent forks before the ' +
    'first pair of the tree (a *start fork*: its history begins empty, it hangs under the root with ' +
    '`fork_response_id` null; get-chat lists a tree’s start forks in `start_branches`): how the first question is ' +
    'asked differently. No message is copied. With `question`, the ' +
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
            response_id: Uuid.nullable()
              .optional()
              .openapi({
                description:
                  'The pair to fork after (in `chat_id`’s visible history, else 404); null or absent: before the ' +
                  'first pair of the tree (a start fork).',
              }),
            name: ChatName.optional().openapi({
              description:
                'Default: the first `question` on one line, shortened to 60 characters (code points) with an ' +
                'ellipsis; without a question, the source chat’s name + " (branch)".',
            }),
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
          schema: CreateBranchResult,
        },
      },
    },
    200: eventStreamResponse('the same `{chat, qa_pair}` as the JSON answer (the branch exists only from then on)'),
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504),
  },
});

export const regenerate = createRoute({
  operationId: 'regenerate',
  method: 'post',
  path: '/api/v1/messages/regenerate',
  tags: ['Messages'],
  summary: 'Ask again: a new answer to a pair’s question, kept beside the old one',
  description:
    'The responder answers the question of `response_id` again, from the same history (what came before that ' +
    'question). The new answer is stored as an alternative of the pair: a new branch that forks where the pair’s ' +
    'question starts (after the pair before it, or before the first pair of the tree for a first question), whose ' +
    'first pair is the same question (same `type`) with the new answer. The old pair and everything after it stay ' +
    'as they are; the new branch is listed in the `branches` of the pair before (or the chat’s `start_branches`), ' +
    'beside the chat that holds the old answer. `activate` (default true) makes the new branch the active chat. ' +
    '`Accept: text/event-stream` streams the answer as add-message does. Unknown pair, or one of another ' +
    'account → 404; the model failing → 502, silent → 504, as add-message. The new branch nests one level below ' +
    `the chat that stores the pair: past ${MAX_BRANCH_DEPTH} levels → 422.`,
  security: bearerSecurity,
  request: {
    headers: StreamingHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              response_id: Uuid.openapi({ description: 'The pair whose question is asked again.' }),
              activate: z.boolean().optional().openapi({ default: true }),
            })
            .openapi('RegenerateBody', { example: { response_id: '0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12' } }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The new branch and its first pair (the question with the new answer)',
      content: { 'application/json': { schema: CreateBranchResult } },
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
  usage: UsageJson | null;
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
    usage: z.union([UsageSchema, z.null()]).openapi({
      description:
        'Tokens of the generated answers in this chat’s visible history. Null only when the content store cannot be ' +
        'read at the moment: the tree is still answered (it is metadata), without an ETag and not cached.',
    }),
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
export type RegenerateRoute = typeof regenerate;
