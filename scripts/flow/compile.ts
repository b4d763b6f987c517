/**
 * The Flow (steps.ts) compiled for each of its readers, from the same data and openapi.json (which gives each
 * step's method, path and security from its operationId):
 *
 * - flowItems(): the Postman requests of the collection's "Flow" folder, with their pre-request and test scripts
 *   (scripts/postman.ts writes them; scripts/flow/run.ts runs the very same scripts).
 * - flowHttp(): postman/flow.http, the same requests for VS Code REST Client, ids carried by request variables.
 *
 * A step naming an operation that openapi.json lacks, a query or path parameter the operation does not declare (or
 * no value for one it does), a variable
 * used before anything sets it, or a capture that is not `body.…`, `header.…` or `text` stops the generator.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { type Check, FLOW, FLOW_CONSTANTS, type FlowStep } from './steps.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Variables of the Postman environment too (a captured one is set there as well: the environment wins). */
export const ENVIRONMENT_VARIABLES = ['baseUrl', 'token'] as const;
export const DEFAULT_BASE_URL = 'http://localhost:3000';

// ---- Postman Collection v2.1 shapes (the subset written here) ------------------------------------------

export interface KeyValue {
  key: string;
  value: string;
  description?: string;
  disabled?: boolean;
  type?: string;
}

export interface PostmanRequest {
  auth: { type: 'bearer'; bearer: KeyValue[] } | { type: 'noauth' };
  method: string;
  header: KeyValue[];
  body?: { mode: 'raw'; raw: string; options: { raw: { language: 'json' } } };
  url: { raw: string; host: string[]; path: string[]; query?: KeyValue[] };
  description?: string;
}

export interface PostmanEvent {
  listen: 'prerequest' | 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

export interface PostmanItem {
  id: string;
  name: string;
  event: PostmanEvent[];
  request: PostmanRequest;
  response: unknown[];
}

/** A UUID-shaped id derived from a name: stable across runs, unlike a random one. */
export function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const bearerAuth = (): PostmanRequest['auth'] => ({
  type: 'bearer',
  bearer: [{ key: 'token', value: '{{token}}', type: 'string' }],
});

// ---- the steps against openapi.json ----------------------------------------------------------------------

export interface ResolvedStep {
  step: FlowStep;
  /** "01 register", … */
  name: string;
  method: string;
  /** The operation's path, its parameters filled in with the step's values. */
  path: string;
  /** Sends the bearer token. */
  bearer: boolean;
}

const VARIABLE_RE = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** The variables a step uses (in its path parameters, query, headers and body). */
function usedVariables(step: FlowStep): string[] {
  const text = JSON.stringify([step.params, step.query, step.headers, step.body, step.rawBody]);
  return [...text.matchAll(VARIABLE_RE)].map((m) => m[1]!);
}

/** `body.a.b[0].c` → its path below the body (`a.b[0].c`); `header.Name`; `text`. */
export type CaptureSource = { from: 'body'; path: string } | { from: 'header'; name: string } | { from: 'text' };

export function parseCapture(source: string): CaptureSource {
  if (source === 'text') return { from: 'text' };
  const body = /^body\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)$/.exec(source);
  if (body) return { from: 'body', path: body[1]! };
  const header = /^header\.([A-Za-z][A-Za-z0-9-]*)$/.exec(source);
  if (header) return { from: 'header', name: header[1]! };
  throw new Error(`capture "${source}": not body.<path>, header.<Name> or text`);
}

/** Every step with its operation's method, path and security; the checks listed in the header of this file. */
export function resolveFlow(doc: any, steps: readonly FlowStep[] = FLOW): ResolvedStep[] {
  const operations = new Map<string, { method: string; path: string; op: any }>();
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op?.operationId) operations.set(op.operationId, { method: method.toUpperCase(), path, op });
    }
  }
  const known = new Set([...Object.keys(FLOW_CONSTANTS), 'baseUrl']);
  const ids = new Set<string>();
  return steps.map((step, i) => {
    const name = `${String(i + 1).padStart(2, '0')} ${step.title}`;
    const fail = (why: string) => new Error(`Flow step "${name}": ${why}`);
    if (ids.has(step.id) || !/^[A-Za-z][A-Za-z0-9]*$/.test(step.id)) throw fail(`id "${step.id}" reused or unusable`);
    ids.add(step.id);
    const found = operations.get(step.operationId);
    if (!found) throw fail(`no operation ${step.operationId} in openapi.json`);
    const params: any[] = found.op.parameters ?? [];
    const declared = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const key of Object.keys(step.query ?? {})) {
      if (!declared.has(key)) throw fail(`${step.operationId} declares no query parameter "${key}"`);
    }
    const inPath = params.filter((p) => p.in === 'path').map((p) => String(p.name));
    const given = Object.keys(step.params ?? {});
    for (const key of given) {
      if (!inPath.includes(key)) throw fail(`${step.operationId} declares no path parameter "${key}"`);
    }
    for (const key of inPath) if (!given.includes(key)) throw fail(`no value for the path parameter "${key}"`);
    if (step.body !== undefined && step.rawBody !== undefined) throw fail('both body and rawBody');
    if (Object.keys(step.checks).length === 0) throw fail('no checks');
    for (const v of Object.keys(step.generate ?? {})) known.add(v);
    for (const v of usedVariables(step)) if (!known.has(v)) throw fail(`{{${v}}} is used before anything sets it`);
    for (const [v, source] of Object.entries(step.capture ?? {})) {
      parseCapture(source);
      if (known.has(v)) throw fail(`{{${v}}} is set twice`);
      known.add(v);
    }
    const security = found.op.security ?? doc.security ?? [];
    const secured = Array.isArray(security) && security.some((req: object) => Object.keys(req).length > 0);
    // The path with its parameters' values (variables included: `{{share_token}}`).
    const path = found.path.replace(/\{([^}]+)\}/g, (_: string, p: string) => step.params?.[p] as string);
    return { step, name, method: found.method, path, bearer: secured && !step.anonymous };
  });
}

/** The variables the Flow sets, in order (constants first): the collection declares them. */
export function flowVariables(steps: readonly FlowStep[] = FLOW): string[] {
  const names = Object.keys(FLOW_CONSTANTS);
  for (const step of steps) {
    for (const v of [...Object.keys(step.generate ?? {}), ...Object.keys(step.capture ?? {})]) {
      if (!names.includes(v)) names.push(v);
    }
  }
  return names;
}

// ---- Postman ---------------------------------------------------------------------------------------------

/** `{{baseUrl}}` + the path + query parameters, as Postman's url object. */
function postmanUrl(path: string, query: KeyValue[]): PostmanRequest['url'] {
  const segments = path.split('/').filter(Boolean);
  const qs = query.map((q) => `${q.key}=${q.value}`).join('&');
  const url: PostmanRequest['url'] = {
    raw: `{{baseUrl}}/${segments.join('/')}${qs ? `?${qs}` : ''}`,
    host: ['{{baseUrl}}'],
    path: segments,
  };
  if (query.length > 0) url.query = query;
  return url;
}

function captureJs(source: CaptureSource): string {
  if (source.from === 'text') return 'text';
  if (source.from === 'header') return `header(${JSON.stringify(source.name)})`;
  return `body.${source.path}`;
}

function checkJs(check: Check): string {
  if (typeof check === 'string') return `pm.expect(${check}, ${JSON.stringify(check)}).to.equal(true);`;
  const [actual, expected] = check;
  return `pm.expect(${actual}, ${JSON.stringify(actual)}).to.eql(${expected});`;
}

/** How a test script reads the answer (the names the checks use). */
const READ_ANSWER = [
  'const vars = pm.collectionVariables.toObject();',
  'const header = (name) => pm.response.headers.get(name);',
  'const text = pm.response.text();',
];
const READ_JSON = [
  'const body = (() => {',
  '  try {',
  '    return JSON.parse(text);',
  '  } catch (e) {',
  '    return undefined;',
  '  }',
  '})();',
];
/** Server-sent events: `event: <name>` and one `data: <JSON>` line per event, events apart by a blank line. */
const READ_EVENTS = [
  "const events = text.split('\\n\\n').filter((b) => b.startsWith('event: ')).map((b) => {",
  "  const [head, data] = b.split('\\n');",
  '  return { event: head.slice(7), data: JSON.parse(data.slice(6)) };',
  '});',
];

export function testScript(step: FlowStep): string[] {
  const title = JSON.stringify(`${step.status} ${STATUS_CODES[step.status]}`);
  const lines = [`pm.test(${title}, () => pm.response.to.have.status(${step.status}));`];
  lines.push(...READ_ANSWER);
  const kind = step.response ?? 'json';
  if (kind === 'json') lines.push(...READ_JSON);
  if (kind === 'sse') lines.push(...READ_EVENTS);
  for (const [label, checks] of Object.entries(step.checks)) {
    lines.push(`pm.test(${JSON.stringify(label)}, () => {`, ...checks.map((c) => `  ${checkJs(c)}`), '});');
  }
  for (const [v, source] of Object.entries(step.capture ?? {})) {
    const js = captureJs(parseCapture(source));
    lines.push(`pm.collectionVariables.set(${JSON.stringify(v)}, ${js});`);
    if ((ENVIRONMENT_VARIABLES as readonly string[]).includes(v)) {
      lines.push(`pm.environment.set(${JSON.stringify(v)}, ${js});`);
    }
  }
  return lines;
}

export function prerequestScript(step: FlowStep): string[] {
  return Object.entries(step.generate ?? {}).map(
    ([v, { js }]) => `pm.collectionVariables.set(${JSON.stringify(v)}, ${js});`,
  );
}

/** The requests of the collection's "Flow" folder. */
export function flowItems(doc: any): PostmanItem[] {
  return resolveFlow(doc).map(({ step, name, method, path, bearer }) => {
    const header: KeyValue[] = [];
    if (step.body !== undefined || step.rawBody !== undefined) {
      header.push({ key: 'Content-Type', value: 'application/json' });
    }
    header.push(...Object.entries(step.headers ?? {}).map(([key, value]) => ({ key, value })));
    const query = Object.entries(step.query ?? {}).map(([key, value]) => ({ key, value }));
    const request: PostmanRequest = {
      auth: bearer ? bearerAuth() : { type: 'noauth' },
      method,
      header,
      url: postmanUrl(path, query),
      description: step.description,
    };
    const raw = step.rawBody ?? (step.body === undefined ? undefined : JSON.stringify(step.body, null, 2));
    if (raw !== undefined) request.body = { mode: 'raw', raw, options: { raw: { language: 'json' } } };
    const event: PostmanEvent[] = [];
    const pre = prerequestScript(step);
    if (pre.length > 0) event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: pre } });
    event.push({ listen: 'test', script: { type: 'text/javascript', exec: testScript(step) } });
    return { id: stableId(`flow ${step.id}`), name, event, request, response: [] };
  });
}

// ---- flow.http (VS Code REST Client) ---------------------------------------------------------------------

/** A body path as JSONPath (`a.b[0]` → `$.a.b[0]`). */
const jsonPath = (path: string) => `$.${path}`;

function httpReference(stepId: string, source: CaptureSource): string {
  if (source.from === 'text') return `{{${stepId}.response.body.*}}`;
  if (source.from === 'header') return `{{${stepId}.response.headers.${source.name}}}`;
  return `{{${stepId}.response.body.${jsonPath(source.path)}}}`;
}

const HTTP_HEADER = `# branchat: the Flow (scripts/flow/steps.ts) as an .http file for VS Code REST Client (humao.rest-client).
# Generated by scripts/postman.ts (npm run openapi); do not edit by hand.
#
# Send the requests from top to bottom ("Send Request" above each one): later requests read ids from the
# responses of earlier, named ones (request variables: {{name.response.body.$.field}}).
# JetBrains HTTP Client does not resolve those references: use the Postman collection, or \`npm run flow\`
# (scripts/flow/run.ts: the same steps with their checks; BASE=… for another server).
# The expected status of each request is in its title.
`;

/** postman/flow.http */
export function flowHttp(doc: any): string {
  const resolved = resolveFlow(doc);
  const out = [HTTP_HEADER, `@baseUrl = ${DEFAULT_BASE_URL}`, '@api = {{baseUrl}}/api/v1'];
  for (const [v, value] of Object.entries(FLOW_CONSTANTS)) out.push(`@${v} = ${value}`);
  // Variables made before a step: written out in that step's body, read back from its request afterwards.
  const generatedIn = new Map<string, { stepId: string; http: string }>();
  for (const { step } of resolved) {
    for (const [v, { http }] of Object.entries(step.generate ?? {})) {
      const key = Object.entries(step.body ?? {}).find(([, value]) => value === `{{${v}}}`)?.[0];
      if (!key) throw new Error(`Flow step ${step.id}: flow.http reads {{${v}}} back from a top-level body field`);
      generatedIn.set(v, { stepId: step.id, http });
      out.push(`@${v} = {{${step.id}.request.body.${jsonPath(key)}}}`);
    }
    for (const [v, source] of Object.entries(step.capture ?? {})) {
      out.push(`@${v} = ${httpReference(step.id, parseCapture(source))}`);
    }
  }
  for (const { step, name, method, path, bearer } of resolved) {
    const fill = (text: string) =>
      text.replace(VARIABLE_RE, (all, v: string) =>
        generatedIn.get(v)?.stepId === step.id ? generatedIn.get(v)!.http : all,
      );
    const base = path.startsWith('/api/v1/') ? `{{api}}${path.slice('/api/v1'.length)}` : `{{baseUrl}}${path}`;
    const qs = Object.entries(step.query ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    out.push('', `### ${name} → ${step.status}`, ...step.description.split('\n').map((l) => `# ${l}`));
    out.push(`# @name ${step.id}`, `${method} ${base}${qs ? `?${qs}` : ''}`);
    if (bearer) out.push('Authorization: Bearer {{token}}');
    for (const [k, v] of Object.entries(step.headers ?? {})) out.push(`${k}: ${v}`);
    const raw = step.rawBody ?? (step.body === undefined ? undefined : JSON.stringify(step.body, null, 2));
    if (raw !== undefined) out.push('Content-Type: application/json', '', fill(raw));
  }
  return `${out.join('\n')}\n`;
}
