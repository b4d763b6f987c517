/**
 * Problems of an import: collected (deduplicated, bounded), each with the path of what is wrong, such as
 * `[2].mapping.<id>.message.content.parts`. Field problems come from the schema (schema.ts), read part by part
 * (readFields) so that one bad field never hides the problems of another; the importer adds the problems of
 * the tree through the same scope.
 */
import type { z } from 'zod';
import type { FieldIssue } from '../../errors.js';
import { storableText } from '../../limits.js';
import { clampMs, type TimeWindow } from '../../time.js';

/** Most problems one fromChatGpt call lists (a last entry says when there were more). */
export const MAX_ISSUES = 50;

/** Every problem of one call, deduplicated, at most MAX_ISSUES (then one entry saying there were more). */
export class Problems {
  private readonly list: FieldIssue[] = [];
  private readonly seen = new Set<string>();
  private more = false;

  add(path: string, message: string): void {
    if (this.list.length >= MAX_ISSUES) {
      this.more = true;
      return;
    }
    const key = `${path}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path, message });
  }

  get count(): number {
    return this.list.length;
  }

  result(): FieldIssue[] {
    if (!this.more) return this.list;
    return [
      ...this.list,
      { path: '(input)', message: `more problems were found; only the first ${MAX_ISSUES} are listed` },
    ];
  }
}

/** Reports problems of one conversation: paths relative to it, prefixed with `[i].` inside an array. */
export interface Scope {
  issue(path: string, message: string): void;
  /** Problems reported through this scope so far. */
  readonly errors: number;
}

export function scope(problems: Problems, prefix: string): Scope {
  let errors = 0;
  return {
    issue(path, message) {
      errors++;
      problems.add(prefix === '' ? path || '(input)' : path === '' ? prefix : `${prefix}.${path}`, message);
    },
    get errors() {
      return errors;
    },
  };
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const absent = (v: unknown) => v === undefined || v === null;
export const plural = (n: number, one: string, many: string) => (n === 1 ? `${n} ${one}` : `${n} ${many}`);

/** `path` and a zod issue's path below it: keys joined with dots, array indexes as `[i]`. */
function below(path: string, issuePath: readonly PropertyKey[]): string {
  let out = path;
  for (const key of issuePath) {
    if (typeof key === 'number') out += `[${key}]`;
    else out = out === '' ? String(key) : `${out}.${String(key)}`;
  }
  return out;
}

/** `value` checked by `schema`: its data, or undefined after every issue was reported under `path`. */
export function readValue<S extends z.ZodType>(schema: S, value: unknown, path: string, sc: Scope) {
  const r = schema.safeParse(value);
  if (r.success) return r.data as z.output<S>;
  for (const issue of r.error.issues) sc.issue(below(path, issue.path), issue.message);
  return undefined;
}

/**
 * The fields `keys` of an object schema read from `raw`, each on its own: a bad field is reported under
 * `path.<key>` and left undefined, the others are read whatever it holds.
 */
export function readFields<S extends z.ZodObject, K extends keyof S['shape'] & string>(
  schema: S,
  raw: Record<string, unknown>,
  keys: readonly K[],
  path: string,
  sc: Scope,
): { [P in K]?: z.output<S['shape'][P]> } {
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = readValue(schema.shape[key] as z.ZodType, raw[key], below(path, [key]), sc);
  return out as { [P in K]?: z.output<S['shape'][P]> };
}

/**
 * `raw` as an object for `schema`; otherwise the schema's own complaint (e.g. "must be an object") is
 * reported at `path` and the result is null.
 */
export function objectFor(schema: z.ZodType, raw: unknown, path: string, sc: Scope): Record<string, unknown> | null {
  if (isRecord(raw)) return raw;
  readValue(schema, raw, path, sc);
  return null;
}

/** A text the import derives (joined parts, merged answers) against its limit. */
export function checkText(text: string, max: number, path: string, what: string, sc: Scope): void {
  if (text.length > max) sc.issue(path, `${what} has ${text.length} characters; at most ${max} (UTF-16 code units)`);
  if (!storableText(text)) sc.issue(path, `${what} contains U+0000 or an unpaired surrogate`);
}

/** The stored-time window of one call, and how many times of the conversation being read were moved into it. */
export interface Times {
  readonly window: TimeWindow;
  moved: number;
}

/** `ms` inside the window (counted when moved). */
export function within(ms: number, times: Times): number {
  const inside = clampMs(ms, times.window);
  if (inside !== ms) times.moved++;
  return inside;
}

/** Seconds as the schema checked them → milliseconds since 1970 (rounded) inside the window; null when absent. */
export function msOf(seconds: number | null | undefined, times: Times): number | null {
  return typeof seconds === 'number' ? within(Math.round(seconds * 1000), times) : null;
}
