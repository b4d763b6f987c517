import { createRouter } from '../app-types.js';
import { withQueryShortcut } from '../query-shortcut.js';
import * as handlers from './chats.handlers.js';
import * as routes from './chats.routes.js';
import * as forkHandlers from './fork.handlers.js';
import * as forkRoutes from './fork.routes.js';
import * as transferHandlers from './transfer.handlers.js';
import * as transferRoutes from './transfer.routes.js';

export const chatsRouter = createRouter()
  .openapi(routes.createChat, handlers.createChat)
  .openapi(withQueryShortcut(routes.getChat, handlers.getChat, routes.getChatQueryShortcut), handlers.getChat)
  .openapi(routes.updateChat, handlers.updateChat)
  .openapi(routes.deleteChat, handlers.deleteChat)
  .openapi(routes.listChats, handlers.listChats)
  .openapi(transferRoutes.exportChat, transferHandlers.exportChat)
  .openapi(transferRoutes.importChat, transferHandlers.importChat)
  .openapi(forkRoutes.forkChat, forkHandlers.forkChat);
