/**
 * The TypeScript types of openapi.json (openapi-typescript), as packages/client/src/schema.d.ts holds them: written
 * by scripts/client-types.ts (`npm run openapi`, after openapi.json), compared by tests/unit/client-types.test.ts.
 */
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

export const ROOT = join(import.meta.dir, '..');
export const OPENAPI_FILE = join(ROOT, 'openapi.json');
export const CLIENT_TYPES_FILE = join(ROOT, 'packages', 'client', 'src', 'schema.d.ts');

const HEADER = `/**
 * Generated from openapi.json by openapi-typescript (scripts/client-types.ts, run by \`npm run openapi\`).
 * Do not edit: tests/unit/client-types.test.ts fails when this file is not what the generator writes.
 */

`;

/** The file's text for an OpenAPI document's JSON text. */
export async function generateClientTypes(openapiJson: string): Promise<string> {
  const ast = await openapiTS(JSON.parse(openapiJson) as OpenAPI3, {
    // A property with a default is optional in a request body (create-branch `activate`), as the API accepts it.
    defaultNonNullable: false,
    silent: true,
  });
  return `${HEADER}${astToString(ast).trimEnd()}\n`;
}
