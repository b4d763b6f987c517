/**
 * Feedback on answers (set-feedback): an account rates a pair's answer up or down, with an optional comment, or
 * removes its rating. The feedback belongs to the pair (stored in the metadata per account and pair), so every chat
 * whose history shows the pair, inherited or own, shows the same feedback. Setting it is a write to the pair's tree:
 * under the tree lock, bumping its version (cached pages and ETags change) and announcing `pair.feedback`.
 */
import type { Ctx } from '../context.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Feedback, Rating } from '../model.js';

export interface SetFeedbackInput {
  responseId: string;
  /** null removes the feedback (its comment too). */
  rating: Rating | null;
  /** Absent, null or "": no comment. Only with a rating. */
  comment?: string | null;
}

export interface FeedbackResult {
  responseId: string;
  /** What is stored now: the feedback, or null after a removal. */
  feedback: Feedback | null;
}

export async function setFeedback(ctx: Ctx, input: SetFeedbackInput): Promise<FeedbackResult> {
  if (input.rating === null && input.comment !== undefined && input.comment !== null) {
    throw new ValidationError('A comment needs a rating', [
      { path: 'comment', message: 'rating null removes the feedback: give no comment with it' },
    ]);
  }
  const at = await ctx.deps.content.locate(ctx.accountId, input.responseId);
  if (!at) throw new NotFoundError(`Pair ${input.responseId} not found`);
  const given = input.rating === null ? null : { rating: input.rating, comment: input.comment || null };
  const feedback = await ctx.deps.meta.setFeedback(ctx.accountId, input.responseId, at, given, (stored) => [
    { event: 'pair.feedback', responseId: input.responseId, chatId: at.chatId, feedback: stored },
  ]);
  return { responseId: input.responseId, feedback };
}
