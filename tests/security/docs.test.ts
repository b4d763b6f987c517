/**
 * The API reference at /docs, without a browser (tests/browser/docs.test.ts drives it in Chromium): served
 * by the service itself (the bundle the web build copied, else the installed devDependency's), no inline script,
 * nothing from another origin, a strict CSP.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { createApp } from '../../src/app.js';
import { docsHandlers, locateBundle } from '../../src/http/ops/docs.js';
import { createLogger } from '../../src/logger.js';
import { testServices } from '../support/app.js';

const ROOT = join(import.meta.dir, '..', '..');
const SCALAR = join(ROOT, 'node_modules', '@scalar', 'api-reference');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const scalarVersion: string = JSON.parse(readFileSync(join(SCALAR, 'package.json'), 'utf8')).version;

let app: ReturnType<typeof createApp>;
let services: Awaited<ReturnType<typeof testServices>>;
beforeAll(async () => {
  services = await testServices();
  app = createApp({ deps: services.deps, tokens: services.tokens, log: createLogger('silent') });
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
  test('the package is a build-time dependency pinned to one exact version (the build copies its bundle)', () => {
    expect(pkg.devDependencies['@scalar/api-reference']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies['@scalar/api-reference']).toBe(scalarVersion);
    expect(pkg.dependencies['@scalar/api-reference']).toBeUndefined();
    expect(pkg.dependencies['@scalar/hono-api-reference']).toBeUndefined();
  });

  test('the web build (npm run build:web, part of npm ci) copies the package’s bundle where the server looks', async () => {
    // Into a directory of its own: web/dist may be served by another test meanwhile.
    const out = mkdtempSync(join(tmpdir(), 'branchat-web-'));
    try {
      const vite = Bun.spawn(
        [
          join(ROOT, 'node_modules', '.bin', 'vite'),
          ...['build', '--config', 'web/vite.config.ts', '--logLevel', 'error', '--outDir', out, '--emptyOutDir'],
        ],
        { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
      );
      const [code, err] = await Promise.all([vite.exited, new Response(vite.stderr).text()]);
      expect({ code, err }).toEqual({ code: 0, err: '' });
      const bundle = locateBundle(out, null);
      expect(bundle?.name).toBe(`scalar-${scalarVersion}.js`);
      expect(readFileSync(bundle!.file).equals(readFileSync(join(SCALAR, 'dist', 'browser', 'standalone.js')))).toBe(
        true,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  test('the bundle of the web output is served when there is one; without one or the package, a 404 problem', async () => {
    const web = mkdtempSync(join(tmpdir(), 'branchat-docs-'));
    try {
      mkdirSync(join(web, 'docs'));
      writeFileSync(join(web, 'docs', 'scalar-9.8.7.js'), 'globalThis.Scalar = {};\n');
      writeFileSync(join(web, 'docs', 'other.js'), 'not the bundle');
      expect(locateBundle(web, null)).toEqual({
        version: '9.8.7',
        name: 'scalar-9.8.7.js',
        file: join(web, 'docs', 'scalar-9.8.7.js'),
      });
      const built = createApp({
        deps: services.deps,
        tokens: services.tokens,
        log: createLogger('silent'),
        webDir: web,
      });
      const html = await (await built.request('/docs')).text();
      expect(html).toContain('src="/docs/assets/scalar-9.8.7.js"');
      const b = await built.request('/docs/assets/scalar-9.8.7.js');
      expect(b.status).toBe(200);
      expect(await b.text()).toBe('globalThis.Scalar = {};\n');
      expect((await built.request(`/docs/assets/scalar-${scalarVersion}.js`)).status).toBe(404);
      // An empty web output: the installed package (a development checkout); neither: nothing to serve.
      const empty = join(web, 'empty');
      mkdirSync(empty);
      expect(locateBundle(empty)?.file).toBe(join(SCALAR, 'dist', 'browser', 'standalone.js'));
      expect(locateBundle(empty, null)).toBeUndefined();
      expect(locateBundle(undefined, join(web, 'no-such-package'))).toBeUndefined();
      const none = docsHandlers(empty, null);
      const bare = new Hono().get('/docs', none.page).get('/docs/assets/:file', none.assets);
      const r = await bare.request('/docs');
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(((await r.json()) as { detail: string }).detail).toContain('npm run build:web');
      expect((await bare.request(`/docs/assets/scalar-${scalarVersion}.js`)).status).toBe(404);
    } finally {
      rmSync(web, { recursive: true, force: true });
    }
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
