/** compare-branches: the common prefix of two chats of one tree, and each one's tail after it. */
import { createRoute, z } from '@hono/zod-openapi';
import { errors } from '../errors.js';
import { HEAVY_LIMITS_DOC } from '../middleware/heavy.js';
import { RATE_WEIGHT_DOC } from '../middleware/write-limit.js';
import { bearerSecurity, DecimalInt, QAPairSchema, Uuid } from '../schemas.js';
import { UsageFields } from '../usage.js';

const EXAMPLE_CHAT = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const EXAMPLE_OTHER = '0193a6d0-1c2b-7e4f-8a90-3b5c7d9e1f20';
const EXAMPLE_ROOT = '0193a4c0-0000-7000-8000-00000000000a';

const examplePair = (n: number, chatId: string, generated: boolean) => ({
  response_id: `0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a${String(n).padStart(2, '0')}`,
  chat_id: chatId,
  question: `Question ${n}`,
  response: `Answer ${n}`,
  timestamp: `2026-12-04T10:0${n}:00.000Z`,
  branches: [],
  feedback: null,
  generation: generated
    ? { model: 'gpt-4o-mini-2024-07-18', prompt_tokens: 120 * n, completion_tokens: 40, latency_ms: 900 }
    : null,
  type: 'text' as const,
});

const FeedbackCountsSchema = z
  .object({
    up: z.number().int().openapi({ description: 'Answers of the tail rated up.' }),
    down: z.number().int().openapi({ description: 'Answers of the tail rated down.' }),
  })
  .openapi('FeedbackCounts');

const TailTotalsSchema = z
  .object({
    pairs: z.number().int().openapi({ description: 'Pairs in the whole tail (every page of it).' }),
    ...UsageFields,
    feedback: FeedbackCountsSchema.openapi({
      description: 'How many answers of the whole tail the account rated up and down (set-feedback).',
    }),
  })
  .openapi('TailTotals', {
    description:
      'Over the whole tail, not only this page: its pairs, the tokens of its generated answers (pairs whose ' +
      '`generation` is null, and null counts, add 0) and the feedback on its answers.',
  });

const TailSchema = z
  .object({
    qa_pairs: z.array(QAPairSchema).openapi({
      description: 'One page of the tail, in conversation order (at most `limit`).',
    }),
    has_more_after: z.boolean().openapi({ description: 'The tail goes on after this page.' }),
    next_after: z
      .uuid()
      .nullable()
      .openapi({
        description:
          'The cursor of the tail’s next page (its last pair here; give it as `after`, or `other_after` for the ' +
          'other tail), null when the tail has no more.',
      }),
    totals: TailTotalsSchema,
  })
  .openapi('ComparisonTail', {
    description: 'The part of one chat’s visible history after the common prefix.',
  });

export const ComparisonSchema = z
  .object({
    chat_id: z.uuid(),
    other_chat_id: z.uuid(),
    common_count: z.number().int().openapi({
      description:
        'Length of the common prefix: how many pairs, from the start, both visible histories show (the same pairs).',
    }),
    last_shared: z.union([QAPairSchema, z.null()]).openapi({
      description:
        'The pair at position `common_count`, the last one both histories show (where they part ways); null when ' +
        'they share none.',
    }),
    tails: z.object({ chat: TailSchema, other: TailSchema }).openapi({
      description:
        '`chat`: what `chat_id`’s history holds after the common prefix; `other`: what `other_chat_id`’s holds.',
    }),
  })
  .openapi('BranchComparison', {
    example: {
      chat_id: EXAMPLE_CHAT,
      other_chat_id: EXAMPLE_OTHER,
      common_count: 2,
      last_shared: {
        ...examplePair(2, EXAMPLE_ROOT, false),
        branches: [EXAMPLE_CHAT, EXAMPLE_OTHER],
        feedback: { rating: 'up' as const, comment: null, updated_at: '2026-12-04T10:05:00.000Z' },
      },
      tails: {
        chat: {
          qa_pairs: [examplePair(3, EXAMPLE_CHAT, true)],
          has_more_after: false,
          next_after: null,
          totals: { pairs: 1, prompt_tokens: 360, completion_tokens: 40, feedback: { up: 1, down: 0 } },
        },
        other: {
          qa_pairs: [examplePair(4, EXAMPLE_OTHER, true)],
          has_more_after: true,
          next_after: examplePair(4, EXAMPLE_OTHER, true).response_id,
          totals: { pairs: 2, prompt_tokens: 1000, completion_tokens: 80, feedback: { up: 0, down: 1 } },
        },
      },
    },
  });

const Limit = DecimalInt(1, 1000, 200, 'Page size of each tail, 1..1000 (out of range → 422).');

export const compareBranches = createRoute({
  operationId: 'compareBranches',
  method: 'get',
  path: '/api/v1/branches/compare-branches',
  tags: ['Branches'],
  summary: 'Where two chats of a tree part ways, and what each holds after that',
  description:
    'Both chats must be live chats of the account (else 404) and of the same conversation tree (else 422, ' +
    '`errors[].path` `other_chat_id`). `common_count` is the length of the common prefix of their visible ' +
    'histories (found from the chats’ fork points, no message read); `last_shared` is its last pair. Each tail is ' +
    'the rest of that chat’s history, paged in conversation order: the first `limit` pairs, or with `after` ' +
    '(`other_after` for the other tail) the pairs following that pair, which must be in that tail (else 404). Each ' +
    'tail says whether it goes on and gives its next cursor; `totals` cover the whole tail (its pairs, the tokens of ' +
    'its generated answers, and how many of its answers were rated up and down). A start fork shares ' +
    'nothing with the root (`common_count` 0); a chat and one of its ancestors share the ancestor’s history up to ' +
    'the fork (one tail empty when the ancestor has no later pair); a chat compared with itself has empty tails. ' +
    `Its totals read each whole tail: ${HEAVY_LIMITS_DOC} ${RATE_WEIGHT_DOC.compareBranches}`,
  security: bearerSecurity,
  request: {
    query: z.strictObject({
      chat_id: Uuid,
      other_chat_id: Uuid.openapi({ description: 'Another chat (or the same one) of the same tree.' }),
      limit: Limit,
      after: Uuid.optional().openapi({ description: 'A response_id of `chat_id`’s tail: its page starts after it.' }),
      other_after: Uuid.optional().openapi({
        description: 'A response_id of `other_chat_id`’s tail: its page starts after it.',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The common prefix, and a page of each tail',
      content: { 'application/json': { schema: ComparisonSchema } },
    },
    ...errors(401, 404, 422, 429, 500, 503),
  },
});

export type CompareBranchesRoute = typeof compareBranches;
