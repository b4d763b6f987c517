/** The one check that a response is a well-formed RFC 9457 problem of docs/api.md (used by every suite). */
import { expect } from 'bun:test';
import type { Res } from './client.js';

export function expectProblem(r: Res, status: number) {
  expect(r.status).toBe(status);
  expect(r.headers.get('Content-Type')).toStartWith('application/problem+json');
  expect(r.body.status).toBe(status);
  for (const k of ['type', 'title', 'detail', 'instance']) expect(typeof r.body[k]).toBe('string');
  expect(r.body.title.length).toBeGreaterThan(0);
  expect(r.body.instance.length).toBeGreaterThan(0);
  expect(r.body.instance).toBe(r.headers.get('X-Request-Id'));
  expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff');
  if (status === 422) {
    expect(Array.isArray(r.body.errors)).toBe(true);
    expect(r.body.errors.length).toBeGreaterThan(0);
    for (const e of r.body.errors) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
  // Never a stack trace or driver text.
  expect(JSON.stringify(r.body)).not.toMatch(/at .+\.ts:\d+|node_modules|postgres|syntax error at/i);
}
