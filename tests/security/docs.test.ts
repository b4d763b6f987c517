/**
 * The API reference at /docs, without a browser (tests/browser/docs.test.ts drives it in Chromium): served
 * from the pinned package by the service itself, no inline script, nothing from another origin, a strict CSP.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { testServices } from '../support/app.js';

const ROOT = join(import.meta.dir, '..', '..');
const SCALAR = join(ROOT, 'node_modules', '@scalar', 'api-reference');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const scalarVersion: string = JSON.parse(readFileSync(join(SCALAR, 'package.json'), 'utf8')).version;

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const s = await testServices();
  app = createApp({ deps: s.deps, tokens: s.tokens, log: createLogger('silent') });
});

/** The directives of a CSP header, by name. */
const directives = (csp: string) =>
  Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  );

describe('/docs', () => {
  test('the package is a runtime dependency pinned to one exact version (the server serves its bundle)', () => {
    expect(pkg.dependencies['@scalar/api-reference']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies['@scalar/api-reference']).toBe(scalarVersion);
    expect(pkg.devDependencies?.['@scalar/api-reference']).toBeUndefined();
    expect(pkg.dependencies['@scalar/hono-api-reference']).toBeUndefined();
  });

  test('the page: a strict CSP, scripts of this origin only, no inline script, no URL of another origin', async () => {
    const r = await app.request('/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const csp = directives(r.headers.get('content-security-policy') ?? '');
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    for (const [name, values] of Object.entries(csp)) {
      for (const v of values as string[]) {
        expect({ name, v, ok: !/^(https?:|\*|'unsafe-eval'|'strict-dynamic')/.test(v) }).toEqual({ name, v, ok: true });
      }
    }
    const html = await r.text();
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[2]!.trim())).toEqual(['', '']); // no inline code
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1]!)?.[1])).toEqual([
      expect.stringMatching(/^\/docs\/assets\/init-[0-9a-f]{12}\.js$/),
      `/docs/assets/scalar-${scalarVersion}.js`,
    ]);
  });

  test('the assets: the installed bundle under its version and the init file, JavaScript, cached for a year', async () => {
    const html = await (await app.request('/docs')).text();
    const [init, bundle] = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    const b = await app.request(bundle!);
    expect(b.status).toBe(200);
    expect(b.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(b.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const served = new Uint8Array(await b.arrayBuffer());
    expect(Buffer.from(served).equals(readFileSync(join(SCALAR, 'dist', 'browser', 'standalone.js')))).toBe(true);
    const i = await app.request(init!);
    expect(i.status).toBe(200);
    expect(i.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await i.text();
    expect(code).toContain('Scalar.createApiReference');
    expect(code).toContain('"withDefaultFonts":false');
    expect(code).not.toMatch(/https?:\/\//);
  });

  test('any other asset name (another version, a path outside) is a 404 problem', async () => {
    for (const path of [
      '/docs/assets/scalar-0.0.1.js',
      '/docs/assets/init-000000000000.js',
      '/docs/assets/standalone.js',
      '/docs/assets/..%2f..%2fpackage.json',
      '/docs/assets/%2e%2e%2fpackage.json',
    ]) {
      const r = await app.request(path);
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
