import { createRouter } from '../app-types.js';
import * as handlers from './chats.handlers.js';
import * as routes from './chats.routes.js';

export const chatsRouter = createRouter()
  .openapi(routes.createChat, handlers.createChat)
  .openapi(routes.getChat, handlers.getChat)
  .openapi(routes.updateChat, handlers.updateChat)
  .openapi(routes.deleteChat, handlers.deleteChat)
  .openapi(routes.listChats, handlers.listChats);
