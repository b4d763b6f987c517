import { createRouter } from '../app-types.js';
import * as handlers from './shares.handlers.js';
import * as routes from './shares.routes.js';

export const sharesRouter = createRouter()
  .openapi(routes.createShare, handlers.createShare)
  .openapi(routes.listShares, handlers.listShares)
  .openapi(routes.deleteShare, handlers.deleteShare)
  .openapi(routes.getPublicShare, handlers.getPublicShare);
