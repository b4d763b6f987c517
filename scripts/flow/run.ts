/**
 * Runs the Flow (steps.ts) against a server, for people without Postman: `npm run flow`, or
 * `BASE=http://localhost:3000 bun scripts/flow/run.ts`. The requests and the pre-request and test scripts are
 * exactly those of the collection's "Flow" folder (compile.ts makes both), run here under a small stand-in for
 * Postman's `pm` (the part of it those scripts use). Each step prints its status; the first step whose status or
 * checks fail stops the run (exit 1) with the failed checks and the answer's body.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_BASE_URL, flowItems, type PostmanItem } from './compile.js';
import { FLOW_CONSTANTS } from './steps.js';

export interface StepResult {
  name: string;
  method: string;
  path: string;
  status: number;
  passed: string[];
  failed: string[];
  body: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

const show = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));

/** Postman's `pm`, as far as the generated scripts use it. */
function pmFor(vars: Map<string, string>, answer: Answer | null, passed: string[], failed: string[]) {
  const expect = (actual: unknown, label: string) => ({
    to: {
      equal(expected: unknown) {
        if (actual !== expected) throw new Error(`${label}: expected ${show(expected)}, got ${show(actual)}`);
      },
      eql(expected: unknown) {
        if (!isDeepStrictEqual(actual, expected)) {
          throw new Error(`${label}: expected ${show(expected)}, got ${show(actual)}`);
        }
      },
    },
  });
  const scope = {
    get: (k: string) => vars.get(k),
    set: (k: string, v: unknown) => vars.set(k, v === undefined ? '' : String(v)),
    toObject: () => Object.fromEntries(vars),
  };
  return {
    test(name: string, fn: () => void) {
      try {
        fn();
        passed.push(name);
      } catch (e) {
        failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    expect,
    collectionVariables: scope,
    // One set of variables: a value the environment sets is the one every request sees, as in Postman.
    environment: scope,
    response: answer && {
      code: answer.status,
      text: () => answer.text,
      json: () => JSON.parse(answer.text),
      headers: { get: (name: string) => answer.headers.get(name) ?? undefined },
      to: {
        have: {
          status(code: number) {
            if (answer.status !== code) throw new Error(`expected HTTP ${code}, got ${answer.status}`);
          },
        },
      },
    },
  };
}

function runScript(item: PostmanItem, listen: 'prerequest' | 'test', pm: unknown, failed: string[]) {
  const script = item.event.find((e) => e.listen === listen)?.script.exec.join('\n');
  if (!script) return;
  try {
    new Function('pm', script)(pm);
  } catch (e) {
    failed.push(`${listen} script: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `{{name}}` → its value (unknown names are left as they are, as Postman does). */
const fill = (text: string, vars: Map<string, string>) =>
  text.replace(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (all, v: string) => vars.get(v) ?? all);

/** Runs the Flow's requests in order against `base`; stops at the first step that fails. */
export async function runFlow(
  base: string,
  doc: any,
  onStep: (r: StepResult) => void = () => {},
): Promise<{ ok: boolean; results: StepResult[] }> {
  const vars = new Map<string, string>([...Object.entries(FLOW_CONSTANTS), ['baseUrl', base.replace(/\/$/, '')]]);
  const results: StepResult[] = [];
  for (const item of flowItems(doc)) {
    const passed: string[] = [];
    const failed: string[] = [];
    runScript(item, 'prerequest', pmFor(vars, null, passed, failed), failed);
    const { request } = item;
    const headers: Record<string, string> = {};
    for (const h of request.header) headers[h.key] = fill(h.value, vars);
    if (request.auth.type === 'bearer') headers.Authorization = `Bearer ${vars.get('token') ?? ''}`;
    const url = fill(request.url.raw, vars);
    let answer: Answer;
    try {
      const r = await fetch(url, {
        method: request.method,
        headers,
        body: request.body ? fill(request.body.raw, vars) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      answer = { status: r.status, headers: r.headers, text: await r.text() };
    } catch (e) {
      failed.push(`${request.method} ${url}: ${e instanceof Error ? e.message : String(e)}`);
      answer = { status: 0, headers: new Headers(), text: '' };
    }
    if (answer.status !== 0) runScript(item, 'test', pmFor(vars, answer, passed, failed), failed);
    const result: StepResult = {
      name: item.name,
      method: request.method,
      path: `/${request.url.path.join('/')}`,
      status: answer.status,
      passed,
      failed,
      body: answer.text,
    };
    results.push(result);
    onStep(result);
    if (failed.length > 0) return { ok: false, results };
  }
  return { ok: true, results };
}

if (import.meta.main) {
  const base = process.env.BASE ?? process.argv[2] ?? DEFAULT_BASE_URL;
  const doc = JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'openapi.json'), 'utf8'));
  console.log(`branchat flow against ${base}`);
  const { ok, results } = await runFlow(base, doc, (r) => {
    console.log(`${r.name.padEnd(60)} ${r.method.padEnd(6)} ${r.path} -> ${r.status || 'no answer'}`);
    if (r.failed.length > 0) {
      console.error(`FAILED: ${r.name}\n${r.failed.map((f) => `  ✗ ${f}`).join('\n')}`);
      console.error(`response body: ${r.body.length > 2000 ? `${r.body.slice(0, 2000)}…` : r.body}`);
    }
  });
  if (!ok) process.exit(1);
  console.log(`flow OK: ${results.length} steps`);
}
