import { setFeedback as set } from '../../domain/messages/feedback.service.js';
import { type AppRouteHandler, ctxOf } from '../app-types.js';
import { feedbackJson } from '../schemas.js';
import type { SetFeedbackRoute } from './feedback.routes.js';

export const setFeedback: AppRouteHandler<SetFeedbackRoute> = async (c) => {
  const body = c.req.valid('json');
  const r = await set(ctxOf(c), { responseId: body.response_id, rating: body.rating, comment: body.comment });
  return c.json({ response_id: r.responseId, feedback: feedbackJson(r.feedback) }, 200);
};
