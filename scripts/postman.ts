/**
 * Generates the Postman files from openapi.json and the Flow (`bun scripts/postman.ts`, part of `npm run openapi`):
 *
 * - postman/branchat.postman_collection.json (Collection v2.1): the "Flow" folder, compiled from
 *   scripts/flow/steps.ts (scripts/flow/compile.ts: chained requests with pre-request and test scripts), then one
 *   folder per OpenAPI tag with one request per operation, converted by openapi-to-postmanv2 (example values from
 *   the schemas, example success responses).
 * - postman/branchat.postman_environment.json: baseUrl and token.
 * - postman/flow.http: the Flow for VS Code REST Client (compile.ts).
 *
 * The output depends only on openapi.json and these files: no timestamps, ids derived from names (operationId,
 * step id), the converter's faked example values drawn from a seeded generator; a test tells when the committed
 * files are stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  bearerAuth,
  DEFAULT_BASE_URL,
  ENVIRONMENT_VARIABLES,
  flowHttp,
  flowItems,
  flowVariables,
  resolveFlow,
  stableId,
} from './flow/compile.js';
import { FLOW_CONSTANTS } from './flow/steps.js';

const root = join(import.meta.dir, '..');
export const collectionFile = join(root, 'postman', 'branchat.postman_collection.json');
export const environmentFile = join(root, 'postman', 'branchat.postman_environment.json');
export const flowHttpFile = join(root, 'postman', 'flow.http');
export const FLOW_FOLDER = 'Flow';
export { DEFAULT_BASE_URL, flowHttp };

const SCHEMA_V21 = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// ---- the reference folders: openapi-to-postmanv2 -----------------------------------------------------------

const require = createRequire(import.meta.url);
const converter: typeof import('openapi-to-postmanv2') = require('openapi-to-postmanv2');
/** The converter's own instance of json-schema-faker (a module singleton): its random source and formats. */
const faker: {
  option(o: Record<string, unknown>): void;
  format(name: string, f: () => string): void;
} = require('openapi-to-postmanv2/assets/json-schema-faker.js');

/** A small seeded generator (mulberry32): the same faked values on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resolveRef(doc: any, node: any): any {
  let s = node;
  for (let depth = 0; typeof s?.$ref === 'string' && depth < 20; depth++) {
    s = s.$ref
      .slice(2)
      .split('/')
      .reduce((n: any, key: string) => n?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return s;
}

/** A schema's example: its own, else its first alternative's (oneOf/anyOf), which the converter does not look at. */
function schemaExample(doc: any, schema: any, depth = 0): unknown {
  const s = resolveRef(doc, schema);
  if (!s || depth > 5) return undefined;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  const alternatives = s.oneOf ?? s.anyOf;
  return Array.isArray(alternatives) && alternatives.length > 0
    ? schemaExample(doc, alternatives[0], depth + 1)
    : undefined;
}

/**
 * The document as given to the converter: a request body whose schema has an example only below a oneOf (import
 * -chat: a conversation or an array of them) gets it as the body's example, instead of values the converter makes
 * up and the server refuses.
 */
function forConverter(doc: any): any {
  const copy = structuredClone(doc);
  for (const item of Object.values<any>(copy.paths ?? {})) {
    for (const method of METHODS) {
      for (const media of Object.values<any>(item[method]?.requestBody?.content ?? {})) {
        if (media.example !== undefined || media.examples !== undefined) continue;
        const example = schemaExample(copy, media.schema);
        if (example !== undefined) media.example = example;
      }
    }
  }
  return copy;
}

function convert(doc: any): Promise<any> {
  faker.option({ random: seeded(19) });
  for (const name of ['date-time', 'datetime']) faker.format(name, () => '2026-01-01T00:00:00.000Z');
  faker.format('date', () => '2026-01-01');
  return new Promise((resolve, reject) =>
    converter.convertV2(
      { type: 'json', data: forConverter(doc) },
      {
        folderStrategy: 'Tags',
        parametersResolution: 'Example',
        enableOptionalParameters: false,
        includeAuthInfoInExample: false,
      },
      (err, result) => {
        const data = result?.result ? result.output?.[0]?.data : undefined;
        if (err) reject(err);
        else if (!data) reject(new Error(`openapi-to-postmanv2: ${result?.reason ?? 'no collection'}`));
        else resolve(data);
      },
    ),
  );
}

/** The operation of a converted request (`METHOD /path`, path parameters as `:name`), by its operationId. */
function operationIds(doc: any): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) ids.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, op.operationId ?? path);
    }
  }
  return ids;
}

/**
 * One folder per tag, one request per operation (the converter's), with ids derived from the tag, the
 * operationId and the example's status and name, and the collection's `{{token}}` for bearer authentication.
 */
export async function referenceFolders(doc: any): Promise<any[]> {
  const converted = await convert(doc);
  const ids = operationIds(doc);
  return (converted.item as any[]).map((folder) => ({
    ...folder,
    id: stableId(`folder ${folder.name}`),
    item: (folder.item as any[]).map((item) => {
      const line = `${item.request.method} /${item.request.url.path.join('/')}`;
      const operationId = ids.get(line);
      if (!operationId) throw new Error(`a converted request matches no operation: ${line}`);
      const request = { ...item.request };
      if (request.auth?.type === 'bearer') request.auth = bearerAuth();
      return {
        ...item,
        id: stableId(`operation ${operationId}`),
        request,
        // The success examples only: every error answer is the same problem document (/docs lists them all).
        response: (item.response ?? [])
          .filter((r: any) => r.code >= 200 && r.code < 300)
          .map((r: any) => ({ ...r, id: stableId(`operation ${operationId} example ${r.code} ${r.name}`) })),
      };
    }),
  }));
}

// ---- documents ---------------------------------------------------------------------------------------------

/** The names of the Flow's requests, in order. */
export const flowStepNames = (doc: any = readOpenApi()): string[] => resolveFlow(doc).map((s) => s.name);

export async function buildCollection(doc: any) {
  const flow = {
    id: stableId('folder Flow'),
    name: FLOW_FOLDER,
    description:
      'Chained requests with tests (scripts/flow/steps.ts): register, login (saves `token`), create a chat, add two ' +
      'pairs, read it, branch from the first pair, read the branch, switch back, read the tree, search, rename with ' +
      'If-Match, set a system prompt, stream an answer, export and import, delete the branch, then error cases. Ids ' +
      'are carried in collection variables. Run the folder in order (Collection Runner, or `npx newman run ' +
      'postman/branchat.postman_collection.json -e postman/branchat.postman_environment.json --folder Flow`); ' +
      'without Postman: `npm run flow`.',
    item: flowItems(doc),
  };
  return {
    info: {
      _postman_id: stableId(`${doc.info?.title} collection`),
      name: doc.info?.title ?? 'API',
      description:
        `${doc.info?.description ?? ''}\n\nGenerated from openapi.json and scripts/flow/steps.ts by ` +
        `scripts/postman.ts (API version ${doc.info?.version}); do not edit by hand. The "${FLOW_FOLDER}" folder ` +
        'runs the whole API in order; the other folders hold one request per operation with example values from ' +
        'the schemas (optional parameters disabled), made by openapi-to-postmanv2. Set `baseUrl` (default ' +
        'http://localhost:3000); `token` is set by the Flow’s login.',
      schema: SCHEMA_V21,
    },
    item: [flow, ...(await referenceFolders(doc))],
    variable: [
      { key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'string' },
      ...flowVariables().map((key) => ({ key, value: FLOW_CONSTANTS[key] ?? '', type: 'string' })),
    ],
  };
}

export function buildEnvironment(doc: any) {
  const name = `${doc.info?.title ?? 'API'} (local)`;
  const values: Record<(typeof ENVIRONMENT_VARIABLES)[number], { value: string; type: string }> = {
    baseUrl: { value: DEFAULT_BASE_URL, type: 'default' },
    token: { value: '', type: 'secret' },
  };
  return {
    id: stableId(`${name} environment`),
    name,
    values: ENVIRONMENT_VARIABLES.map((key) => ({ key, ...values[key], enabled: true })),
    _postman_variable_scope: 'environment',
  };
}

export function serialise(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function readOpenApi(): any {
  return JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
}

if (import.meta.main) {
  const doc = readOpenApi();
  mkdirSync(join(root, 'postman'), { recursive: true });
  writeFileSync(collectionFile, serialise(await buildCollection(doc)));
  writeFileSync(environmentFile, serialise(buildEnvironment(doc)));
  writeFileSync(flowHttpFile, flowHttp(doc));
  console.log(`wrote ${collectionFile}\nwrote ${environmentFile}\nwrote ${flowHttpFile}`);
}
