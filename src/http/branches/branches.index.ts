import { createRouter } from '../app-types.js';
import * as handlers from './branches.handlers.js';
import * as routes from './branches.routes.js';
import * as compareHandlers from './compare.handlers.js';
import * as compareRoutes from './compare.routes.js';

export const branchesRouter = createRouter()
  .openapi(routes.createBranch, handlers.createBranch)
  .openapi(routes.getBranches, handlers.getBranches)
  .openapi(routes.setActiveBranch, handlers.setActiveBranch)
  .openapi(routes.regenerate, handlers.regenerate)
  .openapi(compareRoutes.compareBranches, compareHandlers.compareBranches);
