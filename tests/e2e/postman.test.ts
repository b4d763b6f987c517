/**
 * The Postman collection, postman/flow.http and the Flow runner (issue: "Postman collection generated from
 * openapi.json … run it with newman against a live server in CI"). The Flow is written once
 * (scripts/flow/steps.ts); the collection's Flow folder, flow.http and `npm run flow` are made from it.
 *
 * - The committed postman/* files (collection, environment, flow.http) are what scripts/postman.ts generates now.
 * - postman/flow.http sends the same requests as the collection's Flow folder, in the same order.
 * - The Flow's compiler refuses a step it cannot make right (an unknown operation, a variable used before set).
 * - The real server process (tests/faults/harness.ts: `bun src/server.ts` on a fresh database of the test
 *   PostgreSQL) runs the whole collection through newman's Node API: every Flow request runs, no assertion fails,
 *   and the reference requests' example values pass validation. Then `npm run flow`'s runner runs against it.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { resolveFlow } from '../../scripts/flow/compile.js';
import { runFlow } from '../../scripts/flow/run.js';
import { FLOW } from '../../scripts/flow/steps.js';
import {
  buildCollection,
  buildEnvironment,
  collectionFile,
  environmentFile,
  FLOW_FOLDER,
  flowHttp,
  flowHttpFile,
  flowStepNames,
  readOpenApi,
  serialise,
} from '../../scripts/postman.js';
import {
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  reasonToSkip,
  root,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';

const skipReason = await reasonToSkip('e2e/postman', unavailable());

afterAll(cleanup, 30_000);

const committedCollection = () => JSON.parse(readFileSync(collectionFile, 'utf8'));
const flowFolder = (collection: any) => collection.item.find((f: any) => f.name === FLOW_FOLDER);

/** METHOD /path of a collection request. */
const requestLine = (item: any) => `${item.request.method} /${item.request.url.path.join('/')}`;

describe('the committed Postman files', () => {
  test('the collection is what scripts/postman.ts generates (run `npm run openapi`), every time the same', async () => {
    // Compared as JSON values, so a formatter run over the file does not make it stale.
    const generated = serialise(await buildCollection(readOpenApi()));
    expect(committedCollection()).toEqual(JSON.parse(generated));
    // Again: the converter's made-up example values come from a seeded generator, every id from a name.
    expect(serialise(await buildCollection(readOpenApi()))).toBe(generated);
    const ids = JSON.stringify(committedCollection()).match(/"(?:id|_postman_id)":"[^"]+"/g) ?? [];
    expect(ids.length).toBeGreaterThan(40);
    expect(new Set(ids).size).toBe(ids.length);
  }, 30_000);

  test('postman/flow.http is what scripts/postman.ts generates from the Flow (run `npm run openapi`)', () => {
    expect(readFileSync(flowHttpFile, 'utf8')).toBe(flowHttp(readOpenApi()));
  });

  test('the environment is what scripts/postman.ts generates', () => {
    const env = JSON.parse(readFileSync(environmentFile, 'utf8'));
    expect(env).toEqual(JSON.parse(serialise(buildEnvironment(readOpenApi()))));
    expect(env.values).toEqual([
      { key: 'baseUrl', value: 'http://localhost:3000', type: 'default', enabled: true },
      { key: 'token', value: '', type: 'secret', enabled: true },
    ]);
  });

  test('one request per operation of openapi.json, in a folder named after its tag', () => {
    const doc = readOpenApi();
    const expected: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      // Path parameters as Postman writes them (`{token}` → `:token`).
      for (const [method, op] of Object.entries<any>(item))
        expected.push(`${op.tags[0]}: ${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
    }
    const actual = committedCollection()
      .item.filter((f: any) => f.name !== FLOW_FOLDER)
      .flatMap((f: any) => f.item.map((i: any) => `${f.name}: ${requestLine(i)}`));
    expect(actual.sort()).toEqual(expected.sort());
  });

  test('postman/flow.http sends the Flow folder’s requests, in order, with a token exactly where the Flow has one', () => {
    const http = readFileSync(flowHttpFile, 'utf8');
    const blocks = http.split(/^###/m).slice(1);
    const sent = blocks.map((block) => {
      const line = /^(GET|POST|PUT|DELETE|PATCH) \{\{api\}\}([^?\s]+)/m.exec(block);
      if (!line) throw new Error(`no request line in flow.http block:${block}`);
      const auth = /^Authorization: Bearer \{\{token\}\}$/m.test(block) ? 'bearer' : 'noauth';
      return `${line[1]} /api/v1${line[2]} ${auth}`;
    });
    const flow = flowFolder(committedCollection()).item.map((i: any) => `${requestLine(i)} ${i.request.auth.type}`);
    expect(flow.length).toBe(flowStepNames().length);
    expect(sent).toEqual(flow);
  });
});

describe('the Flow compiler', () => {
  const doc = readOpenApi();
  const step = FLOW[2]!; // create-chat: a body without variables, a capture
  test('every step resolves: its operation, method and path, a bearer token where the operation is protected', () => {
    const resolved = resolveFlow(doc);
    expect(resolved.map((r) => r.step.id)).toEqual(FLOW.map((s) => s.id));
    expect(resolved[0]).toMatchObject({
      name: '01 register',
      method: 'POST',
      path: '/api/v1/auth/register',
      bearer: false,
    });
    expect(resolved.find((r) => r.step.id === 'anonymous')?.bearer).toBe(false);
    expect(resolved.find((r) => r.step.id === 'getRoot')?.bearer).toBe(true);
  });

  test('refuses a step it cannot make right', () => {
    const cases: [string, typeof FLOW][] = [
      ['no operation nope', [{ ...step, operationId: 'nope' }]],
      ['declares no query parameter "colour"', [{ ...step, query: { colour: 'red' } }]],
      ['{{chat_id}} is used before anything sets it', [{ ...step, body: { chat_id: '{{chat_id}}' } }]],
      [
        '{{x}} is set twice',
        [
          { ...step, capture: { x: 'text' } },
          { ...step, id: 'again', capture: { x: 'text' } },
        ],
      ],
      ['not body.<path>, header.<Name> or text', [{ ...step, capture: { x: 'body' } }]],
      ['no checks', [{ ...step, checks: {} }]],
      ['declares no path parameter "id"', [{ ...step, params: { id: 'x' } }]],
      [
        'no value for the path parameter "token"',
        [{ ...step, id: 'publicShare', operationId: 'getPublicShare', body: undefined }],
      ],
    ];
    for (const [message, steps] of cases) expect(() => resolveFlow(doc, steps)).toThrow(message);
  });
});

let serverStarted: Promise<ServerProcess> | undefined;
/** One server for the file, started on first use (never when PostgreSQL is absent). */
function server(): Promise<ServerProcess> {
  serverStarted ??= (async () =>
    startServer({ databaseUrl: await freshDatabase(), port: await freePort(), jwtSecret: randomSecret() }))();
  return serverStarted;
}

interface Ran {
  folder: string;
  name: string;
  status: number | undefined;
  error: string | undefined;
  assertions: { name: string; failed: boolean }[];
}

function runNewman(base: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: committedCollection(),
        environment: JSON.parse(readFileSync(environmentFile, 'utf8')),
        envVar: [{ key: 'baseUrl', value: base }],
        reporters: [],
        timeoutRequest: 15_000,
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

describe.skipIf(skipReason !== null)('against the real server', () => {
  test('newman runs the whole collection: every Flow request, no failed assertion', async () => {
    const s = await server();
    const t0 = performance.now();
    const summary = await runNewman(s.base);
    const ms = Math.round(performance.now() - t0);
    const executions: Ran[] = summary.run.executions.map((e: any) => ({
      folder: e.item.parent()?.name as string,
      name: e.item.name,
      status: e.response?.code as number | undefined,
      error: e.requestError?.message as string | undefined,
      assertions: (e.assertions ?? []).map((a: any) => ({ name: a.assertion as string, failed: Boolean(a.error) })),
    }));
    const failures = summary.run.failures.map(
      (f) => `${f.source?.name ?? '?'} [${f.at}]: ${f.error?.test ?? ''} ${f.error?.name}: ${f.error?.message}`,
    );
    if (failures.length > 0) console.error(`[e2e/postman] server log tail:\n${s.tail()}`);
    expect(failures).toEqual([]);
    expect(summary.run.stats.assertions.failed).toBe(0);

    // The Flow: all of its requests ran, in order, each answered and each checked by passing assertions.
    const flow = executions.filter((e) => e.folder === FLOW_FOLDER);
    const committedFlow = flowFolder(committedCollection()).item.map((i: any) => i.name);
    expect(flow.map((e) => e.name)).toEqual(committedFlow);
    expect(flow.length).toBe(flowStepNames().length);
    for (const e of flow) {
      expect({ name: e.name, error: e.error, answered: typeof e.status === 'number' }).toEqual({
        name: e.name,
        error: undefined,
        answered: true,
      });
      expect(e.assertions.length).toBeGreaterThanOrEqual(2);
      expect(e.assertions.filter((a) => a.failed)).toEqual([]);
    }
    // Each step answered the status the Flow expects of it (successes, the stale If-Match, the 404, the 401).
    expect(flow.map((e) => e.status)).toEqual(FLOW.map((step) => step.status));
    expect(flow.map((e) => e.status)).toContain(412);

    // The reference requests (one per operation, example values): all sent, none refused as malformed.
    const reference = executions.filter((e) => e.folder !== FLOW_FOLDER);
    const operations = Object.values<any>(readOpenApi().paths).flatMap((item) => Object.keys(item)).length;
    expect(reference.length).toBe(operations);
    const malformed = reference.filter(
      (e) => e.status === undefined || [400, 415, 422].includes(e.status) || e.status >= 500,
    );
    expect(malformed.map((e) => `${e.folder}/${e.name}: ${e.status ?? e.error}`)).toEqual([]);

    const assertions = executions.reduce((n, e) => n + e.assertions.length, 0);
    console.info(
      `[e2e/postman] newman: ${executions.length} requests (${flow.length} in ${FLOW_FOLDER}), ${assertions} assertions, ${ms} ms`,
    );
  }, 60_000);

  test('`npm run flow` (scripts/flow/run.ts) runs the same steps and checks: exit 0', async () => {
    const s = await server();
    const proc = Bun.spawn([process.execPath, join(root, 'scripts', 'flow', 'run.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', BASE: s.base },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) console.error(`[e2e/postman] flow runner:\n${out}\n${err}\nserver log tail:\n${s.tail()}`);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(`flow OK: ${flowStepNames().length} steps`);
    for (const name of flowStepNames()) expect(out).toContain(name);
  }, 60_000);

  test('the runner stops at the first failed check, with what failed', async () => {
    const s = await server();
    // Every step's path under a prefix the server does not know: register answers 404, not 201.
    const { ok, results } = await runFlow(`${s.base}/nowhere`, readOpenApi());
    expect(ok).toBe(false);
    expect(results.length).toBe(1);
    expect(results[0]!.status).toBe(404);
    expect(results[0]!.failed).toContain('201 Created: expected HTTP 201, got 404');
    expect(results[0]!.failed.some((f) => f.includes('body.token_type: expected "Bearer", got undefined'))).toBe(true);
  }, 30_000);
});
