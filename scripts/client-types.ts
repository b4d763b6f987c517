/**
 * Writes packages/client/src/schema.d.ts, the TypeScript types of openapi.json that the typed client
 * (packages/client) is built on. `npm run openapi` runs it after writing openapi.json; a test fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CLIENT_TYPES_FILE, generateClientTypes, OPENAPI_FILE } from './client-types-document.js';

writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes(readFileSync(OPENAPI_FILE, 'utf8')));
console.log(`wrote ${CLIENT_TYPES_FILE}`);
