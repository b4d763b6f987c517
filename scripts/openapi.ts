/** Writes openapi.json at the repository root (npm run openapi). A test fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serialiseDocument } from './openapi-document.js';

const file = join(import.meta.dir, '..', 'openapi.json');
writeFileSync(file, serialiseDocument(buildOpenApiDocument()));
console.log(`wrote ${file}`);
