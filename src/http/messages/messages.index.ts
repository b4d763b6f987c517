import { createRouter } from '../app-types.js';
import * as feedbackHandlers from './feedback.handlers.js';
import * as feedbackRoutes from './feedback.routes.js';
import * as handlers from './messages.handlers.js';
import * as routes from './messages.routes.js';

export const messagesRouter = createRouter()
  .openapi(routes.addMessage, handlers.addMessage)
  .openapi(routes.searchMessages, handlers.searchMessages)
  .openapi(feedbackRoutes.setFeedback, feedbackHandlers.setFeedback);
