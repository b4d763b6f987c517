/** set-feedback: thumbs up or down on an answer, with an optional comment. */
import { createRoute, z } from '@hono/zod-openapi';
import { FEEDBACK_COMMENT_MAX, FeedbackCommentText } from '../../domain/limits.js';
import { RATINGS } from '../../domain/model.js';
import { errors } from '../errors.js';
import { bearerSecurity, FeedbackSchema, Uuid } from '../schemas.js';

const EXAMPLE_PAIR = '0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a12';

const SetFeedbackBody = z
  .strictObject({
    response_id: Uuid.openapi({
      description: 'The pair whose answer is rated (any pair of the account’s live chats).',
    }),
    rating: z
      .enum(RATINGS)
      .nullable()
      .openapi({ description: '`up` or `down`; null removes the feedback (its comment too).' }),
    comment: FeedbackCommentText.nullable()
      .optional()
      .openapi({
        description:
          `At most ${FEEDBACK_COMMENT_MAX.toLocaleString('en')} characters; absent, null or "": no comment. Only ` +
          'with a rating (with `rating: null` → 422).',
        example: 'Clear and short.',
      }),
  })
  .openapi('SetFeedbackBody');

export const FeedbackResultSchema = z
  .object({
    response_id: z.uuid(),
    feedback: z.union([FeedbackSchema, z.null()]).openapi({ description: 'What is stored now; null after a removal.' }),
  })
  .openapi('FeedbackResult');

export const setFeedback = createRoute({
  operationId: 'setFeedback',
  method: 'put',
  path: '/api/v1/messages/set-feedback',
  tags: ['Messages'],
  summary: 'Rate an answer: thumbs up or down, with an optional comment',
  description:
    'Sets the account’s feedback on the pair `response_id` (replacing any earlier one: one feedback per account and ' +
    'pair), or removes it with `rating: null`. The feedback belongs to the pair, not to a chat: every chat whose ' +
    'visible history shows the pair (the chat that stores it and the branches that inherit it) shows it as the ' +
    'pair’s `feedback` in get-chat and compare-branches, and compare-branches counts it in each tail’s ' +
    '`totals.feedback`. It is a write to the pair’s tree: the tree’s version moves, so every get-chat `ETag` of the ' +
    'tree changes (a cached page is never served stale), and a `pair.feedback` event `{response_id, chat_id, ' +
    'feedback}` (`chat_id`: the chat that stores the pair) is published in the same transaction; the chats’ ' +
    '`updated_at` and the tree’s `last_activity_at` do not move. Export keeps it (branchat JSON: the pair’s ' +
    '`feedback`; ChatGPT format: the answer’s `metadata.branchat.feedback`) and import-chat and fork-chat copy it to ' +
    'the new pairs. A pair that does not exist, whose chat was deleted, or of another account → 404; a comment with ' +
    '`rating: null` → 422 (`errors[].path` `comment`). Setting the same feedback again is harmless (PUT: no ' +
    '`Idempotency-Key` needed). Costs 1 point of the write limit.',
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: SetFeedbackBody,
          examples: {
            up: {
              summary: 'Thumbs up, with a comment',
              value: { response_id: EXAMPLE_PAIR, rating: 'up', comment: 'Clear and short.' },
            },
            down: { summary: 'Thumbs down, no comment', value: { response_id: EXAMPLE_PAIR, rating: 'down' } },
            remove: { summary: 'Remove the feedback', value: { response_id: EXAMPLE_PAIR, rating: null } },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The feedback as stored now',
      content: {
        'application/json': {
          schema: FeedbackResultSchema,
          examples: {
            set: {
              summary: 'Set',
              value: {
                response_id: EXAMPLE_PAIR,
                feedback: { rating: 'up', comment: 'Clear and short.', updated_at: '2026-12-04T10:05:00.000Z' },
              },
            },
            removed: { summary: 'Removed', value: { response_id: EXAMPLE_PAIR, feedback: null } },
          },
        },
      },
    },
    ...errors(400, 401, 404, 413, 415, 422, 429, 500, 503),
  },
});

export type SetFeedbackRoute = typeof setFeedback;
