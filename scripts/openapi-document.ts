/** Builds the OpenAPI document from the route schemas, without any database (the routes are not called). */
import { createApp, openApiDocument } from '../src/app.js';
import { TokenService } from '../src/auth/tokens.js';
import type { Deps } from '../src/domain/context.js';
import { createLogger } from '../src/logger.js';

export function buildOpenApiDocument() {
  const app = createApp({
    deps: {} as Deps,
    tokens: new TokenService('unused-secret-for-document-generation', 3600),
    log: createLogger('silent'),
  });
  return openApiDocument(app);
}

export function serialiseDocument(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
