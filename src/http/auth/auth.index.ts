import { createRouter } from '../app-types.js';
import * as handlers from './auth.handlers.js';
import * as routes from './auth.routes.js';

export const authRouter = createRouter()
  .openapi(routes.register, handlers.register)
  .openapi(routes.login, handlers.login);
