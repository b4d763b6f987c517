/**
 * Checks driven by the OpenAPI document the app serves, so an operation is covered the day it is added:
 *
 * - which operations are public is a short allow-list here: making one public is a deliberate diff;
 * - every operation that declares security refuses a missing, malformed, forged (wrong signature) or expired
 *   token with 401 problem+json, whatever else is wrong with the request (authentication comes first);
 * - every status an operation answers is declared in its responses: requests built from the document to provoke
 *   errors (no input, unknown ids, invalid or malformed bodies, wrong content type, oversized bodies, text a
 *   store cannot keep, a stale If-Match, a reused or malformed Idempotency-Key), sent to the app as it runs,
 *   once over budget (rate limits), with its stores down or failing, and with a model that fails or hangs;
 * - the answers every operation can give whatever it does (500; 503 and, for writes, 429 on /api/) are declared.
 */
import { beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { type AppOptions, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/context.js';
import { UpstreamError } from '../../src/domain/errors.js';
import type { Responder } from '../../src/domain/ports.js';
import { EventHub, hubOptions } from '../../src/events/events.hub.js';
import { memoryLimiters } from '../../src/limits/limiters.js';
import { createLogger } from '../../src/logger.js';
import { TEST_JWT_SECRET, testServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

/** The operations anyone may call. Adding one here is the review of making it public. */
const PUBLIC_OPERATIONS = ['getPublicShare', 'healthz', 'login', 'readyz', 'register'];

/**
 * Statuses no operation declares: 499 is what the log records for a client that left (nobody receives it);
 * 101 is the event socket's upgrade, which an in-process request never reaches (no Bun server: 501).
 */
const NEVER_DECLARED = new Set(['499']);

type App = ReturnType<typeof createApp>;
type Schema = Record<string, any>;

interface Operation {
  id: string;
  method: string;
  path: string;
  op: any;
  isProtected: boolean;
  declared: Set<string>;
  body?: Schema;
  upgrade: boolean;
}

interface Fixture {
  token: string | null;
  accountId: string;
  chatId: string;
  responseId: string;
}

interface Req {
  variant: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

let doc: any;
let operations: Operation[] = [];
const apps: Record<string, App> = {};
let base: {
  deps: Deps;
  tokens: AppOptions['tokens'];
  cache: AppOptions['cache'];
  idempotency: AppOptions['idempotency'];
};
let makeApp: (name: string, deps: Deps, extra?: Partial<AppOptions>) => App;

// ---- building requests from the document ---------------------------------------------------------------------

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 20; i++) s = doc.components.schemas[String(s.$ref).split('/').pop() as string];
  return s;
}

const randomEmail = () => `contract-${crypto.randomUUID()}@example.com`;

/**
 * How a request is filled in: `minimal` (required fields only), `full` (every field; an object with an example
 * is its example), or `unknown ids` (required fields, ids nobody has). Uuid fields named chat_id / response_id
 * get the fixture's ids (but with `unknown ids`).
 */
type Fill = 'minimal' | 'full' | 'unknown ids';

function sample(schema: Schema | undefined, fill: Fill, fx: Fixture, name = ''): unknown {
  const s = resolve(schema);
  if (fill === 'full' && s.example !== undefined && typeof s.example === 'object') return structuredClone(s.example);
  if (s.oneOf || s.anyOf) return sample((s.oneOf ?? s.anyOf)[0], fill, fx, name);
  if (s.allOf) return sample(s.allOf[0], fill, fx, name);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const type = Array.isArray(s.type) ? (s.type.find((t: string) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const keys: string[] = fill === 'full' ? Object.keys(s.properties ?? {}) : (s.required ?? []);
      for (const key of keys) out[key] = sample(s.properties?.[key], fill, fx, key);
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, fill, fx, name));
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    default:
      if (s.format === 'uuid') {
        if (fill !== 'unknown ids' && name === 'chat_id') return fx.chatId;
        if (fill !== 'unknown ids' && name === 'response_id') return fx.responseId;
        return crypto.randomUUID();
      }
      if (s.format === 'email') return randomEmail();
      if (s.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(s.minLength ?? 1, 8));
  }
}

function queryOf(op: Operation, fill: Fill, fx: Fixture, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const p of op.op.parameters ?? []) {
    // Required parameters only: optional ones may exclude each other (get-chat's after and before).
    if (p.in === 'query' && p.required) q.set(p.name, String(sample(p.schema, fill, fx, p.name)));
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const text = q.toString();
  return text ? `${op.path}?${text}` : op.path;
}

function headersOf(op: Operation, token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (token) h.Authorization = `Bearer ${token}`;
  if (op.upgrade) Object.assign(h, { Connection: 'Upgrade', Upgrade: 'websocket' });
  return h;
}

/** The request built from the document, its parameters and body valid as far as their schemas say. */
function valid(op: Operation, fx: Fixture, fill: Fill = 'minimal', headers: Record<string, string> = {}): Req {
  const req: Req = {
    variant: fill === 'minimal' ? 'valid' : fill,
    method: op.method,
    url: queryOf(op, fill, fx),
    headers: headersOf(op, fx.token, headers),
  };
  if (op.body) {
    req.headers['Content-Type'] = 'application/json';
    req.body = JSON.stringify(sample(op.body, fill, fx));
  }
  return req;
}

/** Requests meant to provoke each error an operation can answer. */
function provocations(op: Operation, fx: Fixture): Req[] {
  const json = { 'Content-Type': 'application/json' };
  const reqs: Req[] = [
    valid(op, fx),
    valid(op, fx, 'full'),
    valid(op, fx, 'unknown ids'),
    // Nothing but the token: no parameters, no body, no content type (and no Upgrade for the socket).
    {
      variant: 'empty',
      method: op.method,
      url: op.path,
      headers: fx.token ? { Authorization: `Bearer ${fx.token}` } : {},
    },
    { ...valid(op, fx), variant: 'unknown parameter', url: queryOf(op, 'minimal', fx, { no_such_parameter: '1' }) },
    { ...valid(op, fx), variant: 'unstorable query', url: queryOf(op, 'minimal', fx, { chat_id: 'a\u0000b' }) },
    { ...valid(op, fx, 'full', { 'If-Match': '"stale"', 'If-None-Match': '"stale"' }), variant: 'stale tags' },
    { ...valid(op, fx, 'full', { 'If-Match': 'W/"weak"' }), variant: 'weak If-Match' },
    { ...valid(op, fx, 'minimal', { Accept: 'text/event-stream' }), variant: 'event stream' },
  ];
  if (op.method !== 'GET') {
    // DELETE carries no body by design, but nothing stops a client from sending one.
    const pad = { pad: 'x'.repeat(2 * 1024 * 1024) };
    reqs.push({ ...valid(op, fx, 'minimal', json), variant: 'oversized', body: JSON.stringify(pad) });
  }
  if (op.body) {
    const v = valid(op, fx);
    reqs.push(
      { ...v, variant: 'wrong content type', headers: { ...v.headers, 'Content-Type': 'text/plain' } },
      { ...v, variant: 'no content type', headers: headersOf(op, fx.token) },
      { ...v, variant: 'malformed JSON', body: '{"' },
      { ...v, variant: 'too deep', body: `${'['.repeat(100)}${']'.repeat(100)}` },
      { ...v, variant: 'unknown field', body: JSON.stringify({ ...bodyOf(op, 'minimal', fx), no_such_field: 1 }) },
      { ...v, variant: 'empty object', body: '{}' },
      { ...v, variant: 'wrong types', body: JSON.stringify({ chat_id: 42, name: false, question: [], email: 1 }) },
    );
  }
  if (op.method === 'POST') {
    reqs.push({
      ...valid(op, fx, 'minimal', { 'Idempotency-Key': 'k'.repeat(256) }),
      variant: 'malformed Idempotency-Key',
    });
  }
  return reqs;
}

const bodyOf = (op: Operation, fill: Fill, fx: Fixture) => sample(op.body, fill, fx) as Record<string, unknown>;

/** Whether the body has a `question` (the model answers a question given without a response). */
const asksQuestions = (op: Operation) => Boolean(resolve(resolve(op.body).oneOf?.[0] ?? op.body).properties?.question);

async function send(app: App, r: Req): Promise<{ status: number; res: Response; text: string }> {
  const res = await app.request(r.url, { method: r.method, headers: r.headers, body: r.body });
  return { status: res.status, res, text: await res.text() };
}

/** What an operation answered that it does not declare ("GET /path: 413 (oversized)"), collected over a run. */
const undeclared = new Set<string>();
async function record(app: App, op: Operation, r: Req, appName: string): Promise<number> {
  const { status, res, text } = await send(app, r);
  const code = String(status);
  // CONTRACT_MATRIX=1 prints what each provocation got: the way to see that they still reach their target.
  if (process.env.CONTRACT_MATRIX) console.log(`${appName}\t${op.id}\t${r.variant}\t${code}`);
  if (!op.declared.has(code) && !NEVER_DECLARED.has(code)) {
    undeclared.add(`${op.method} ${op.path} (${op.id}): ${code} to "${r.variant}" [${appName}] ${text.slice(0, 160)}`);
  }
  if (status >= 400 && status !== 499 && op.op.responses[code]?.content?.['application/problem+json']) {
    expect(res.headers.get('Content-Type')).toStartWith('application/problem+json');
  }
  return status;
}

// ---- the fixtures ---------------------------------------------------------------------------------------------

let normal: App;

type Account = Awaited<ReturnType<typeof newAccount>>;

/** A chat holding one pair, of `account` (default: a fresh one), made through the running app. */
async function fixture(account?: Account): Promise<Fixture> {
  const a = account ?? (await newAccount(normal));
  const { chatId, ids } = await a.chatWith(1);
  return { token: a.token, accountId: a.accountId as string, chatId, responseId: ids[0] as string };
}

function forge(payload: Record<string, unknown>, secret: string): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Every method of `target` fails as `fail()` says (a store that is down, or broken). */
function failing<T extends object>(target: T, fail: () => Error): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver);
      if (typeof v !== 'function' || key === 'constructor') return v;
      return () => Promise.reject(fail());
    },
  });
}

const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const broken = () => new TypeError('a bug in a store');

beforeAll(async () => {
  const services = await testServices();
  base = { deps: services.deps, tokens: services.tokens, cache: services.cache, idempotency: services.idempotency };
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  makeApp = (name, deps, extra = {}) => {
    const feed = services.events;
    let events: AppOptions['events'];
    if (feed) {
      const hub = new EventHub(feed, deps, log, { ...hubOptions(loadConfig({})), maxBufferedBytes: 1 << 20 });
      events = { feed, hub };
    }
    const app = createApp({
      deps,
      tokens: base.tokens,
      idempotency: base.idempotency,
      log,
      events,
      // In this app's memory: the limits of one app never count another's requests.
      limits: memoryLimiters(),
      login: { maxFailures: 1000, windowSeconds: 60 },
      // 1 MiB for import-chat too, so one oversized body is over every limit.
      importMaxMb: 1,
      ...extra,
    });
    apps[name] = app;
    return app;
  };
  normal = makeApp('running', base.deps, { cache: base.cache });
  doc = await (await normal.request('/openapi.json')).json();
  operations = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      operations.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        op,
        isProtected: Array.isArray(op.security) && op.security.length > 0,
        declared: new Set(Object.keys(op.responses)),
        body: op.requestBody?.content?.['application/json']?.schema,
        upgrade: Boolean(op.responses['101']),
      });
    }
  }
});

describe('public and protected operations', () => {
  test('every operation declares security; the public ones are exactly the allow-list', () => {
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations)
      expect({ op: op.id, security: Array.isArray(op.op.security) }).toEqual({ op: op.id, security: true });
    const publicOps = operations
      .filter((op) => !op.isProtected)
      .map((op) => op.id)
      .sort();
    expect(publicOps).toEqual(PUBLIC_OPERATIONS);
    for (const op of operations.filter((o) => o.isProtected)) expect(op.op.security).toEqual([{ Bearer: [] }]);
  });

  test('every protected operation: no token, a malformed, forged or expired one → 401 problem, before anything else', async () => {
    const fx = await fixture();
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, string | null> = {
      'no token': null,
      'not a JWT': 'not-a-jwt',
      'forged (another key)': forge({ sub: fx.accountId, iat: now, exp: now + 3600 }, `${TEST_JWT_SECRET}-not`),
      expired: forge({ sub: fx.accountId, iat: now - 7200, exp: now - 3600 }, TEST_JWT_SECRET),
      'no such account': forge({ sub: crypto.randomUUID(), iat: now, exp: now + 3600 }, TEST_JWT_SECRET),
    };
    let checked = 0;
    for (const op of operations.filter((o) => o.isProtected)) {
      for (const [what, token] of Object.entries(tokens)) {
        // Every provocation, so that no body, parameter or header rule answers before authentication.
        for (const r of provocations(op, { ...fx, token })) {
          // The socket checks its token itself, in its handler: it answers 426 to a request that is no upgrade
          // first, and the query rule of every /api/v1 request (422) runs before any handler.
          if (op.upgrade && (r.variant === 'empty' || r.variant === 'unstorable query')) continue;
          const res = await normal.request(r.url, { method: r.method, headers: r.headers, body: r.body });
          const body = await res.json().catch(() => null);
          const label = `${op.id} ${what} ${r.variant}`;
          expect({ label, status: res.status }).toEqual({ label, status: 401 });
          expectProblem({ status: res.status, body, headers: res.headers }, 401);
          expect(res.headers.get('WWW-Authenticate')).toStartWith('Bearer');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test('public operations are served without a token: a forged one changes nothing', async () => {
    const fx = { ...(await fixture()), token: null };
    for (const op of operations.filter((o) => !o.isProtected)) {
      const plain = await send(normal, valid(op, fx));
      const forged = await send(normal, {
        ...valid(op, fx),
        headers: { ...valid(op, fx).headers, Authorization: 'Bearer a.b.c' },
      });
      expect({ op: op.id, status: forged.status }).toEqual({ op: op.id, status: plain.status });
      if (op.id !== 'login') expect({ op: op.id, status: plain.status }).not.toEqual({ op: op.id, status: 401 });
    }
  });
});

describe('every answer is declared', () => {
  beforeEach(() => undeclared.clear());

  test('the answers any operation may give are declared: 500 everywhere; 503 on /api/, and 429 for writes there', () => {
    const missing: string[] = [];
    for (const op of operations) {
      const need = ['500'];
      if (op.path.startsWith('/api/')) need.push('503');
      if (op.path.startsWith('/api/') && op.method !== 'GET') need.push('429');
      for (const code of need) if (!op.declared.has(code)) missing.push(`${op.id}: ${code}`);
    }
    expect(missing).toEqual([]);
  });

  test('requests built to provoke errors, to the running app: each status answered is declared', async () => {
    const account = await newAccount(normal);
    const seen = new Set<number>();
    for (const op of operations) {
      const fx = await fixture(account);
      const token = op.isProtected ? fx.token : null;
      for (const r of provocations(op, { ...fx, token })) seen.add(await record(normal, op, r, 'running'));
      // The same request twice (a second registration of one email → 409).
      const twice = { ...valid(op, { ...(await fixture(account)), token }, 'full'), variant: 'sent twice' };
      for (let i = 0; i < 2; i++) seen.add(await record(normal, op, twice, 'running'));
      if (op.method === 'POST' && op.isProtected) {
        // The same Idempotency-Key with another body → 422.
        const key = { 'Idempotency-Key': crypto.randomUUID() };
        await record(normal, op, valid(op, { ...fx, token }, 'full', key), 'running');
        seen.add(
          await record(
            normal,
            op,
            { ...valid(op, { ...fx, token }, 'unknown ids', key), variant: 'key reused' },
            'running',
          ),
        );
      }
    }
    expect([...undeclared]).toEqual([]);
    // The provocations reach what they are meant to (else this test proves little).
    for (const status of [200, 201, 400, 404, 409, 412, 413, 415, 422, 426]) expect([...seen]).toContain(status);
  });

  test('over the limits (account budget, login failures, registrations): each status answered is declared', async () => {
    const limited = makeApp('over budget', base.deps, {
      writeLimit: { points: 1, windowSeconds: 60 },
      login: { maxFailures: 1, windowSeconds: 60 },
      registration: { maxPerWindow: 1, windowSeconds: 60 },
    });
    const limitedOps: string[] = [];
    for (const op of operations) {
      // A fresh account each: its budget is one point.
      const fx = await fixture();
      const token = op.isProtected ? fx.token : null;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(await record(limited, op, valid(op, { ...fx, token }, 'full'), 'over budget'));
      if (statuses.includes(429)) limitedOps.push(op.id);
    }
    expect([...undeclared]).toEqual([]);
    // Every write is charged, and the heavy reads; login and register have limits of their own.
    const writes = operations.filter(
      (o) => o.method !== 'GET' || ['exportChat', 'getBranches', 'compareBranches', 'searchMessages'].includes(o.id),
    );
    expect(limitedOps.sort()).toEqual(writes.map((o) => o.id).sort());
  });

  test('with the stores down or failing, and the model failing or hanging: each status answered is declared', async () => {
    const d = base.deps;
    const model = (start: Responder['start']): Responder => ({ model: 'contract-model', start });
    const variants: Record<string, Deps> = {
      'stores down': { ...d, meta: failing(d.meta, connectionRefused), content: failing(d.content, connectionRefused) },
      'content store down': { ...d, content: failing(d.content, connectionRefused) },
      'stores broken': { ...d, meta: failing(d.meta, broken), content: failing(d.content, broken) },
      'content store broken': { ...d, content: failing(d.content, broken) },
      'model fails': { ...d, responder: model(() => Promise.reject(new UpstreamError('the model refused'))) },
      'model hangs': { ...d, responder: model(() => new Promise(() => {})), generation: { timeoutMs: 50 } },
    };
    const seen = new Set<number>();
    const account = await newAccount(normal);
    for (const [name, deps] of Object.entries(variants)) {
      const app = makeApp(name, deps);
      for (const op of operations) {
        const token = op.isProtected ? account.token : null;
        for (const fill of ['minimal', 'full'] as const) {
          seen.add(await record(app, op, valid(op, { ...(await fixture(account)), token }, fill), name));
        }
        if (asksQuestions(op)) {
          // A question without a response: the model answers.
          const fx = { ...(await fixture(account)), token };
          const body: Record<string, unknown> = { ...bodyOf(op, 'full', fx), question: 'What now?' };
          delete body.response;
          const r = { ...valid(op, fx), variant: 'asks the model', body: JSON.stringify(body) };
          seen.add(await record(app, op, r, name));
        }
      }
    }
    for (const status of [500, 502, 503, 504]) expect([...seen]).toContain(status);
    expect([...undeclared]).toEqual([]);
  });
});
