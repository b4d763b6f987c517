/**
 * Generates the Postman collection and environment from openapi.json (`bun scripts/postman.ts`):
 *
 * - postman/branchat.postman_collection.json (Collection v2.1): a "Flow" folder of chained requests with tests
 *   (register → login → create-chat → add-message ×2 → get-chat → create-branch → … → delete-chat, plus error
 *   cases), then one folder per OpenAPI tag with one request per operation, examples built from the schemas.
 * - postman/branchat.postman_environment.json: baseUrl and token.
 *
 * The output depends only on openapi.json and this file (no timestamps, no random ids), so a test can tell when
 * the committed files are stale. Every Flow step names its operationId: a route that disappears from the
 * document, or a query parameter it no longer declares, stops the generator.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
export const collectionFile = join(root, 'postman', 'branchat.postman_collection.json');
export const environmentFile = join(root, 'postman', 'branchat.postman_environment.json');
export const DEFAULT_BASE_URL = 'http://localhost:3000';
export const FLOW_FOLDER = 'Flow';

const SCHEMA_V21 = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// ---- Postman Collection v2.1 shapes (the subset written here) ------------------------------------------

interface KeyValue {
  key: string;
  value: string;
  description?: string;
  disabled?: boolean;
  type?: string;
}

interface PostmanRequest {
  auth: { type: 'bearer'; bearer: KeyValue[] } | { type: 'noauth' };
  method: string;
  header: KeyValue[];
  body?: { mode: 'raw'; raw: string; options: { raw: { language: 'json' } } };
  url: { raw: string; host: string[]; path: string[]; query?: KeyValue[]; variable?: KeyValue[] };
  description?: string;
}

interface PostmanEvent {
  listen: 'prerequest' | 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

interface PostmanItem {
  name: string;
  event?: PostmanEvent[];
  request: PostmanRequest;
  response: unknown[];
}

interface PostmanFolder {
  name: string;
  description?: string;
  item: PostmanItem[];
}

// ---- OpenAPI helpers -------------------------------------------------------------------------------------

type Schema = Record<string, any>;

interface Operation {
  method: string;
  path: string;
  op: Record<string, any>;
}

function operations(doc: any): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) if (item[method]) out.push({ method, path, op: item[method] });
  }
  return out;
}

function resolve(doc: any, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let depth = 0; typeof s.$ref === 'string' && depth < 20; depth++) {
    const ref: string = s.$ref;
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    s = ref
      .slice(2)
      .split('/')
      .reduce((node: any, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (!s) throw new Error(`dangling $ref ${ref}`);
  }
  return s;
}

const FALLBACK_FORMATS: Record<string, string> = {
  uuid: '00000000-0000-0000-0000-000000000000',
  email: 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'date-time': '2026-01-01T00:00:00.000Z',
  date: '2026-01-01',
};

/** An example value for a schema: its example, default, const or first enum value, else one built from it. */
export function exampleOf(doc: any, schema: Schema | undefined, name = 'value', seen: string[] = []): unknown {
  const ref = schema?.$ref as string | undefined;
  if (ref && seen.includes(ref)) return null; // a recursive schema (TreeNode): stop
  const s = resolve(doc, schema);
  const trail = ref ? [...seen, ref] : seen;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const alternatives = s.oneOf ?? s.anyOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return exampleOf(doc, alternatives[0], name, trail);
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((part: Schema) => exampleOf(doc, part, name, trail)));
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  if (type === 'object' || (type === undefined && s.properties)) {
    const required = new Set<string>(s.required ?? []);
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries<Schema>(s.properties ?? {})) {
      // Optional fields only when the schema suggests a value: the example stays minimal and valid.
      const p = resolve(doc, prop);
      if (required.has(key) || p.example !== undefined || p.default !== undefined) {
        out[key] = exampleOf(doc, prop, key, trail);
      }
    }
    return out;
  }
  if (type === 'array') return [exampleOf(doc, s.items, name, trail)];
  if (type === 'integer' || type === 'number') return typeof s.minimum === 'number' ? s.minimum : 1;
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  if (typeof s.format === 'string' && FALLBACK_FORMATS[s.format]) return FALLBACK_FORMATS[s.format];
  return `<${name}>`;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function requestDescription(op: Record<string, any>): string {
  const parts = [op.summary, op.description].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const responses = Object.entries<any>(op.responses ?? {}).map(([code, r]) => `- ${code}: ${r.description ?? ''}`);
  if (responses.length > 0) parts.push(`Responses:\n${responses.join('\n')}`);
  return parts.join('\n\n');
}

function secured(doc: any, op: Record<string, any>): boolean {
  const security = op.security ?? doc.security ?? [];
  return Array.isArray(security) && security.some((req: object) => Object.keys(req).length > 0);
}

const bearerAuth = (): PostmanRequest['auth'] => ({
  type: 'bearer',
  bearer: [{ key: 'token', value: '{{token}}', type: 'string' }],
});

/** `{{baseUrl}}` + the path (`{id}` → `:id`) + query parameters, as Postman's url object. */
function urlOf(path: string, query: KeyValue[], pathVariables: KeyValue[] = []): PostmanRequest['url'] {
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((seg) => seg.replace(/^\{(.+)\}$/, ':$1'));
  const enabled = query.filter((q) => !q.disabled);
  const qs = enabled.map((q) => `${q.key}=${q.value}`).join('&');
  const url: PostmanRequest['url'] = {
    raw: `{{baseUrl}}/${segments.join('/')}${qs ? `?${qs}` : ''}`,
    host: ['{{baseUrl}}'],
    path: segments,
  };
  if (query.length > 0) url.query = query;
  if (pathVariables.length > 0) url.variable = pathVariables;
  return url;
}

/** A Flow body sent as this exact text (e.g. a variable holding a whole JSON document). */
const RAW_BODY = Symbol('raw body');
const RAW = (text: string) => ({ [RAW_BODY]: text });

function jsonBody(value: unknown): NonNullable<PostmanRequest['body']> {
  const raw =
    value && typeof value === 'object' && RAW_BODY in value
      ? String((value as Record<symbol, unknown>)[RAW_BODY])
      : JSON.stringify(value, null, 2);
  return { mode: 'raw', raw, options: { raw: { language: 'json' } } };
}

function parameterEntry(doc: any, p: Record<string, any>): KeyValue {
  const entry: KeyValue = { key: p.name, value: asText(p.example ?? exampleOf(doc, p.schema, p.name)) };
  const description = p.description ?? resolve(doc, p.schema).description;
  if (description) entry.description = `${p.required ? '(Required) ' : ''}${description}`;
  else if (p.required) entry.description = '(Required)';
  if (!p.required) entry.disabled = true;
  return entry;
}

/** One request per operation, every parameter and the body filled with examples from the schemas. */
function referenceItem(doc: any, { method, path, op }: Operation, name: string): PostmanItem {
  const params = (op.parameters ?? []).map((p: Schema) => resolve(doc, p));
  const query = params.filter((p: Schema) => p.in === 'query').map((p: Schema) => parameterEntry(doc, p));
  const pathVariables = params.filter((p: Schema) => p.in === 'path').map((p: Schema) => parameterEntry(doc, p));
  const header: KeyValue[] = params.filter((p: Schema) => p.in === 'header').map((p: Schema) => parameterEntry(doc, p));
  const request: PostmanRequest = {
    auth: secured(doc, op) ? bearerAuth() : { type: 'noauth' },
    method: method.toUpperCase(),
    header,
    url: urlOf(path, query, pathVariables),
    description: requestDescription(op),
  };
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  if (bodySchema) {
    header.unshift({ key: 'Content-Type', value: 'application/json' });
    request.body = jsonBody(exampleOf(doc, bodySchema));
  }
  return { name, request, response: [] };
}

function referenceFolders(doc: any): PostmanFolder[] {
  const ops = operations(doc);
  const byTag = new Map<string, Operation[]>();
  for (const o of ops) {
    const tag: string = o.op.tags?.[0] ?? 'Other';
    byTag.set(tag, [...(byTag.get(tag) ?? []), o]);
  }
  // The document's tag order when it declares one, else alphabetical: never the order routes were registered in.
  const declared: string[] = (doc.tags ?? []).map((t: { name: string }) => t.name);
  const tags = [...byTag.keys()].sort((a, b) => {
    const ia = declared.indexOf(a);
    const ib = declared.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
    return a.localeCompare(b, 'en');
  });
  // Requests are named after their path's last segment (the API's own vocabulary: create-chat, get-chat…).
  const tails = ops.map((o) => o.path.split('/').filter(Boolean).pop() ?? o.path);
  const nameOf = (o: Operation) => {
    const tail = o.path.split('/').filter(Boolean).pop() ?? o.path;
    return tails.filter((t) => t === tail).length > 1 ? (o.op.operationId ?? `${o.method} ${o.path}`) : tail;
  };
  return tags.map((tag) => {
    const folder: PostmanFolder = { name: tag, item: byTag.get(tag)!.map((o) => referenceItem(doc, o, nameOf(o))) };
    const description = (doc.tags ?? []).find((t: { name: string }) => t.name === tag)?.description;
    if (description) folder.description = description;
    return folder;
  });
}

// ---- The Flow: chained requests with tests ------------------------------------------------------------

interface FlowStep {
  name: string;
  operationId: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /** Send no Authorization header, whatever the operation's security says. */
  anonymous?: boolean;
  description: string;
  prerequest?: string;
  test: string;
}

/** Script text → Postman's `exec` lines (the template literals below are indented for reading only). */
function lines(script: string): string[] {
  const all = script
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...all.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return all.map((l) => l.slice(indent));
}

const FLOW: FlowStep[] = [
  {
    name: '01 register',
    operationId: 'register',
    description: 'A new account with a random email (set by the pre-request script).',
    prerequest: `
      // A fresh address per run, so the flow can be run again on the same server.
      const email = 'flow-' + Date.now() + '-' + Math.floor(Math.random() * 1e9) + '@example.com';
      pm.collectionVariables.set('email', email);
    `,
    body: { email: '{{email}}', password: '{{password}}' },
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const body = pm.response.json();
      pm.test('a bearer token for the new account', () => {
        pm.expect(body.token_type).to.eql('Bearer');
        pm.expect(body.token).to.be.a('string').and.not.empty;
        pm.expect(body.account_id).to.match(/^[0-9a-f-]{36}$/);
      });
      pm.collectionVariables.set('account_id', body.account_id);
    `,
  },
  {
    name: '02 login',
    operationId: 'login',
    description: 'Exchanges the same email and password for a token, saved as `token` (environment and collection).',
    body: { email: '{{email}}', password: '{{password}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const body = pm.response.json();
      pm.test('a token for the same account', () => {
        pm.expect(body.token_type).to.eql('Bearer');
        pm.expect(body.account_id).to.eql(pm.collectionVariables.get('account_id'));
        pm.expect(body.expires_in).to.be.above(0);
      });
      pm.environment.set('token', body.token);
      pm.collectionVariables.set('token', body.token);
    `,
  },
  {
    name: '03 create-chat',
    operationId: 'createChat',
    description: 'A new conversation: its root chat, saved as `chat_id`.',
    body: { name: 'Trip ideas' },
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const chat = pm.response.json();
      pm.test('an active, empty root chat', () => {
        pm.expect(chat.chat_type).to.eql('main');
        pm.expect(chat.active).to.eql(true);
        pm.expect(chat.message_count).to.eql(0);
        pm.expect(chat.root_chat_id).to.eql(chat.chat_id);
        pm.expect(chat.parent_chat_id).to.eql(null);
      });
      pm.collectionVariables.set('chat_id', chat.chat_id);
    `,
  },
  {
    name: '04 add-message (first pair)',
    operationId: 'addMessage',
    description: 'A question with its response; the pair is saved as `response_id_1`.',
    body: { chat_id: '{{chat_id}}', question: 'Where should we go in March?', response: 'Lisbon: mild and sunny.' },
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const pair = pm.response.json();
      pm.test('the pair, stored in the chat', () => {
        pm.expect(pair.chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.expect(pair.question).to.eql('Where should we go in March?');
        pm.expect(pair.response).to.eql('Lisbon: mild and sunny.');
        pm.expect(pair.type).to.eql('text');
        pm.expect(pair.branches).to.eql([]);
      });
      pm.collectionVariables.set('response_id_1', pair.response_id);
    `,
  },
  {
    name: '05 add-message (second pair, the responder answers)',
    operationId: 'addMessage',
    description: 'No `response`: the configured responder answers. Saved as `response_id_2`.',
    body: { chat_id: '{{chat_id}}', question: 'And in April?' },
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const pair = pm.response.json();
      pm.test('the responder answered', () => {
        pm.expect(pair.chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.expect(pair.response).to.be.a('string').and.not.empty;
        pm.expect(pair.response_id).to.not.eql(pm.collectionVariables.get('response_id_1'));
      });
      pm.collectionVariables.set('response_id_2', pair.response_id);
    `,
  },
  {
    name: '06 get-chat (the root: two pairs)',
    operationId: 'getChat',
    description: 'The whole history fits one page. The `ETag` is saved as `etag` for update-chat.',
    query: { chat_id: '{{chat_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const page = pm.response.json();
      pm.test('both pairs, in order, and nothing more either side', () => {
        pm.expect(page.qa_pairs.map((p) => p.response_id)).to.eql([
          pm.collectionVariables.get('response_id_1'),
          pm.collectionVariables.get('response_id_2'),
        ]);
        pm.expect(page.has_more_before).to.eql(false);
        pm.expect(page.has_more_after).to.eql(false);
        pm.expect(page.chat.message_count).to.eql(2);
      });
      pm.test('an ETag', () => pm.response.to.have.header('ETag'));
      pm.collectionVariables.set('etag', pm.response.headers.get('ETag'));
    `,
  },
  {
    name: '07 create-branch (from the first pair, with a question)',
    operationId: 'createBranch',
    description:
      'Edit-and-fork: a branch after the first pair, with its own first pair, made active. Saved as `branch_id` ' +
      'and `branch_response_id`.',
    body: {
      chat_id: '{{chat_id}}',
      response_id: '{{response_id_1}}',
      name: 'Trip ideas (May)',
      question: 'What about May?',
      response: 'Porto, before the summer crowds.',
    },
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const body = pm.response.json();
      const root = pm.collectionVariables.get('chat_id');
      pm.test('an active branch of the root, forked after the first pair', () => {
        pm.expect(body.chat.chat_type).to.eql('branch');
        pm.expect(body.chat.root_chat_id).to.eql(root);
        pm.expect(body.chat.parent_chat_id).to.eql(root);
        pm.expect(body.chat.fork_response_id).to.eql(pm.collectionVariables.get('response_id_1'));
        pm.expect(body.chat.active).to.eql(true);
        pm.expect(body.chat.message_count).to.eql(2);
      });
      pm.test('its first pair, stored in the branch', () => {
        pm.expect(body.qa_pair).to.be.an('object');
        pm.expect(body.qa_pair.chat_id).to.eql(body.chat.chat_id);
        pm.expect(body.qa_pair.question).to.eql('What about May?');
      });
      pm.collectionVariables.set('branch_id', body.chat.chat_id);
      pm.collectionVariables.set('branch_response_id', body.qa_pair.response_id);
    `,
  },
  {
    name: '08 get-chat (the branch: first pair + its own)',
    operationId: 'getChat',
    description: 'The branch sees the root’s history up to the fork (inherited), then its own pair.',
    query: { chat_id: '{{branch_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const page = pm.response.json();
      const branch = pm.collectionVariables.get('branch_id');
      pm.test('the inherited first pair, then the branch’s own; not the root’s second pair', () => {
        pm.expect(page.qa_pairs.map((p) => p.response_id)).to.eql([
          pm.collectionVariables.get('response_id_1'),
          pm.collectionVariables.get('branch_response_id'),
        ]);
        pm.expect(page.qa_pairs[0].chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.expect(page.qa_pairs[0].branches).to.include(branch);
        pm.expect(page.qa_pairs[1].chat_id).to.eql(branch);
        pm.expect(page.chat.chat_id).to.eql(branch);
      });
    `,
  },
  {
    name: '09 set-active-branch (back to the root)',
    operationId: 'setActiveBranch',
    description: 'Switches the active chat of the tree back to the root.',
    body: { chat_id: '{{chat_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const body = pm.response.json();
      pm.test('the root is active', () => {
        pm.expect(body.root_chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.expect(body.active_chat_id).to.eql(pm.collectionVariables.get('chat_id'));
      });
    `,
  },
  {
    name: '10 get-branches (the tree)',
    operationId: 'getBranches',
    description: 'The whole tree, asked through the branch (any chat of the tree will do).',
    query: { chat_id: '{{branch_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const body = pm.response.json();
      const root = pm.collectionVariables.get('chat_id');
      pm.test('two chats, the root active, the branch its only child', () => {
        pm.expect(body.count).to.eql(2);
        pm.expect(body.root_chat_id).to.eql(root);
        pm.expect(body.active_chat_id).to.eql(root);
        pm.expect(body.tree.chat_id).to.eql(root);
        pm.expect(body.tree.active).to.eql(true);
        pm.expect(body.tree.children.map((c) => c.chat_id)).to.eql([pm.collectionVariables.get('branch_id')]);
        pm.expect(body.tree.children[0].active).to.eql(false);
        pm.expect(body.tree.children[0].fork_response_id).to.eql(pm.collectionVariables.get('response_id_1'));
        pm.expect(body.tree.children[0].children).to.eql([]);
      });
    `,
  },
  {
    name: '11 search-messages (in the branch)',
    operationId: 'searchMessages',
    description: 'Branch-aware search: the branch’s visible history includes the inherited first pair.',
    query: { q: 'lisbon', chat_id: '{{branch_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const body = pm.response.json();
      pm.test('the inherited first pair is a hit, to be opened in the branch', () => {
        const hit = body.hits.find((h) => h.response_id === pm.collectionVariables.get('response_id_1'));
        pm.expect(hit, JSON.stringify(body.hits)).to.be.an('object');
        pm.expect(hit.chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.expect(hit.open_chat_id).to.eql(pm.collectionVariables.get('branch_id'));
        pm.expect(hit.snippet.toLowerCase()).to.include('<mark>lisbon</mark>');
      });
    `,
  },
  {
    name: '12 update-chat (If-Match: the ETag from get-chat)',
    operationId: 'updateChat',
    description: 'Renames the root, conditional on the ETag saved by get-chat (switching back left it unchanged).',
    headers: { 'If-Match': '{{etag}}' },
    body: { chat_id: '{{chat_id}}', name: 'Spring trip' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const chat = pm.response.json();
      pm.test('renamed, with a new ETag', () => {
        pm.expect(chat.name).to.eql('Spring trip');
        pm.expect(chat.chat_id).to.eql(pm.collectionVariables.get('chat_id'));
        pm.response.to.have.header('ETag');
        pm.expect(pm.response.headers.get('ETag')).to.not.eql(pm.collectionVariables.get('etag'));
      });
    `,
  },
  {
    name: '13 update-chat (stale If-Match → 412)',
    operationId: 'updateChat',
    description: 'The ETag from get-chat is stale after the rename: 412, and nothing changes.',
    headers: { 'If-Match': '{{etag}}' },
    body: { chat_id: '{{chat_id}}', name: 'Never applied' },
    test: `
      pm.test('412 Precondition Failed', () => pm.response.to.have.status(412));
      pm.test('a problem document', () => {
        pm.expect(pm.response.headers.get('Content-Type')).to.include('application/problem+json');
        pm.expect(pm.response.json().status).to.eql(412);
      });
    `,
  },
  {
    name: '14 update-chat (system prompt)',
    operationId: 'updateChat',
    description:
      'Sets the conversation’s system prompt: sent to the model before the history, for every chat of the tree.',
    body: { chat_id: '{{chat_id}}', system_prompt: 'You are a concise travel agent.' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      pm.test('the system prompt is set', () => {
        pm.expect(pm.response.json().system_prompt).to.eql('You are a concise travel agent.');
      });
    `,
  },
  {
    name: '15 add-message (streamed: Accept text/event-stream)',
    operationId: 'addMessage',
    description:
      'The answer as server-sent events: `delta` events with text, then one `done` event carrying the stored pair ' +
      '(Postman shows the whole stream once it ends; curl -N shows it as it comes).',
    headers: { Accept: 'text/event-stream' },
    body: { chat_id: '{{chat_id}}', question: 'And in June?' },
    test: `
      pm.test('200 OK, an event stream', () => {
        pm.response.to.have.status(200);
        pm.expect(pm.response.headers.get('Content-Type')).to.include('text/event-stream');
      });
      const events = pm.response.text().split('\\n\\n').filter((b) => b.startsWith('event: ')).map((b) => {
        const [head, data] = b.split('\\n');
        return { event: head.slice(7), data: JSON.parse(data.slice(6)) };
      });
      pm.test('deltas, then one done with the stored pair', () => {
        const deltas = events.filter((e) => e.event === 'delta');
        const done = events.filter((e) => e.event === 'done');
        pm.expect(deltas.length).to.be.above(0);
        pm.expect(done.length).to.eql(1);
        pm.expect(events[events.length - 1].event).to.eql('done');
        pm.expect(deltas.map((d) => d.data.text).join('')).to.eql(done[0].data.response);
        pm.expect(done[0].data.question).to.eql('And in June?');
        pm.expect(done[0].data.generation.model).to.be.a('string').and.not.empty;
      });
    `,
  },
  {
    name: '16 export-chat (format chatgpt)',
    operationId: 'exportChat',
    description: 'The whole tree in the shape of a ChatGPT data export; saved as `chatgpt_export` for the import.',
    query: { chat_id: '{{chat_id}}', format: 'chatgpt' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      const conversation = pm.response.json();
      pm.test('a ChatGPT conversation: title, mapping, current_node', () => {
        pm.expect(conversation.title).to.eql('Spring trip');
        pm.expect(conversation.mapping).to.be.an('object');
        pm.expect(conversation.mapping[conversation.current_node]).to.be.an('object');
      });
      pm.collectionVariables.set('chatgpt_export', pm.response.text());
    `,
  },
  {
    name: '17 import-chat (the export back)',
    operationId: 'importChat',
    description: 'Imports the export as a new conversation: the same tree, histories and active chat, new ids.',
    body: RAW('{{chatgpt_export}}'),
    test: `
      pm.test('201 Created', () => pm.response.to.have.status(201));
      const imported = pm.response.json().conversations;
      pm.test('one conversation with the root, its branch and four pairs', () => {
        pm.expect(imported.length).to.eql(1);
        pm.expect(imported[0].title).to.eql('Spring trip');
        pm.expect(imported[0].chat_count).to.eql(2);
        pm.expect(imported[0].pair_count).to.eql(4);
        pm.expect(imported[0].root_chat_id).to.not.eql(pm.collectionVariables.get('chat_id'));
      });
      pm.collectionVariables.set('imported_id', imported[0].root_chat_id);
    `,
  },
  {
    name: '18 export-chat (format markdown, the imported root)',
    operationId: 'exportChat',
    description: 'The imported root chat’s visible history as Markdown.',
    query: { chat_id: '{{imported_id}}', format: 'markdown' },
    test: `
      pm.test('200 OK, Markdown', () => {
        pm.response.to.have.status(200);
        pm.expect(pm.response.headers.get('Content-Type')).to.include('text/markdown');
      });
      pm.test('the questions of the root, in order', () => {
        const text = pm.response.text();
        pm.expect(text).to.include('# Spring trip');
        pm.expect(text.indexOf('Where should we go in March?')).to.be.below(text.indexOf('And in April?'));
      });
    `,
  },
  {
    name: '19 delete-chat (the branch)',
    operationId: 'deleteChat',
    description: 'Soft-deletes the branch (and its subtree, empty here).',
    query: { chat_id: '{{branch_id}}' },
    test: `
      pm.test('200 OK', () => pm.response.to.have.status(200));
      pm.test('exactly the branch was deleted', () => {
        pm.expect(pm.response.json().deleted_chat_ids).to.eql([pm.collectionVariables.get('branch_id')]);
      });
    `,
  },
  {
    name: '20 get-chat (the deleted branch → 404)',
    operationId: 'getChat',
    description: 'A deleted chat answers 404 with a problem document.',
    query: { chat_id: '{{branch_id}}' },
    test: `
      pm.test('404 Not Found', () => pm.response.to.have.status(404));
      pm.test('a problem document', () => {
        pm.expect(pm.response.headers.get('Content-Type')).to.include('application/problem+json');
        const problem = pm.response.json();
        pm.expect(problem.status).to.eql(404);
        pm.expect(problem.title).to.be.a('string').and.not.empty;
        pm.expect(problem.instance).to.eql(pm.response.headers.get('X-Request-Id'));
      });
    `,
  },
  {
    name: '21 add-message (no token → 401)',
    operationId: 'addMessage',
    anonymous: true,
    description: 'Without `Authorization`: 401 before anything else is looked at.',
    body: { chat_id: '{{chat_id}}', question: 'Anyone there?' },
    test: `
      pm.test('401 Unauthorized', () => pm.response.to.have.status(401));
      pm.test('a problem document and a Bearer challenge', () => {
        pm.expect(pm.response.headers.get('Content-Type')).to.include('application/problem+json');
        pm.expect(pm.response.json().status).to.eql(401);
        pm.expect(pm.response.headers.get('WWW-Authenticate')).to.include('Bearer');
      });
    `,
  },
];

function flowItem(doc: any, step: FlowStep): PostmanItem {
  const found = operations(doc).find((o) => o.op.operationId === step.operationId);
  if (!found) throw new Error(`Flow step "${step.name}": no operation ${step.operationId} in openapi.json`);
  const declared = new Set((found.op.parameters ?? []).map((p: Schema) => resolve(doc, p)).map((p: Schema) => p.name));
  for (const key of Object.keys(step.query ?? {})) {
    if (!declared.has(key)) throw new Error(`Flow step "${step.name}": ${step.operationId} declares no "${key}"`);
  }
  const header: KeyValue[] = Object.entries(step.headers ?? {}).map(([key, value]) => ({ key, value }));
  const query = Object.entries(step.query ?? {}).map(([key, value]) => ({ key, value }));
  const request: PostmanRequest = {
    auth: !step.anonymous && secured(doc, found.op) ? bearerAuth() : { type: 'noauth' },
    method: found.method.toUpperCase(),
    header,
    url: urlOf(found.path, query),
    description: step.description,
  };
  if (step.body !== undefined) {
    header.unshift({ key: 'Content-Type', value: 'application/json' });
    request.body = jsonBody(step.body);
  }
  const event: PostmanEvent[] = [];
  if (step.prerequest)
    event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: lines(step.prerequest) } });
  event.push({ listen: 'test', script: { type: 'text/javascript', exec: lines(step.test) } });
  return { name: step.name, event, request, response: [] };
}

/** The names of the Flow's requests, in order. */
export const flowStepNames = (): string[] => FLOW.map((s) => s.name);

// ---- Documents -----------------------------------------------------------------------------------------

/** A UUID-shaped id derived from a name: stable across runs, unlike a random one. */
function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function buildCollection(doc: any) {
  const flow: PostmanFolder = {
    name: FLOW_FOLDER,
    description:
      'Chained requests with tests: register, login (saves `token`), create a chat, add two pairs, read it, ' +
      'branch from the first pair, read the branch, switch back, read the tree, search, rename with If-Match, ' +
      'delete the branch, then error cases. Ids are carried in collection variables. Run the folder in order ' +
      '(Collection Runner, or `npx newman run postman/branchat.postman_collection.json -e ' +
      'postman/branchat.postman_environment.json --folder Flow`).',
    item: FLOW.map((step) => flowItem(doc, step)),
  };
  const variables = [
    'token',
    'email',
    'account_id',
    'chat_id',
    'response_id_1',
    'response_id_2',
    'etag',
    'branch_id',
    'branch_response_id',
  ];
  return {
    info: {
      _postman_id: stableId(`${doc.info?.title} collection`),
      name: doc.info?.title ?? 'API',
      description:
        `${doc.info?.description ?? ''}\n\nGenerated from openapi.json by scripts/postman.ts (API version ` +
        `${doc.info?.version}); do not edit by hand. The "${FLOW_FOLDER}" folder runs the whole API in order; ` +
        'the other folders hold one request per operation with example values from the schemas (optional ' +
        'parameters disabled). Set `baseUrl` (default http://localhost:3000); `token` is set by the Flow’s login.',
      schema: SCHEMA_V21,
    },
    item: [flow, ...referenceFolders(doc)],
    variable: [
      { key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'string' },
      { key: 'password', value: 'correct horse battery staple', type: 'string' },
      ...variables.map((key) => ({ key, value: '', type: 'string' })),
    ],
  };
}

export function buildEnvironment(doc: any) {
  const name = `${doc.info?.title ?? 'API'} (local)`;
  return {
    id: stableId(`${name} environment`),
    name,
    values: [
      { key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'default', enabled: true },
      { key: 'token', value: '', type: 'secret', enabled: true },
    ],
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
  writeFileSync(collectionFile, serialise(buildCollection(doc)));
  writeFileSync(environmentFile, serialise(buildEnvironment(doc)));
  console.log(`wrote ${collectionFile}\nwrote ${environmentFile}`);
}
