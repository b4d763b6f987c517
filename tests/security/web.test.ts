/** The demo app's static files under /app: only files of its folder, client routes get index.html, strict CSP. */
import { beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { testServices } from '../support/app.js';

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-'));
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(dir, 'dist', 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the web root');
  const s = await testServices();
  app = createApp({ deps: s.deps, tokens: s.tokens, log: createLogger('silent'), webDir: join(dir, 'dist') });
});

describe('/app', () => {
  test('index, assets (cached for a year), client routes → index.html, all with a strict CSP', async () => {
    expect((await app.request('/app')).status).toBe(301);
    const index = await app.request('/app/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>demo</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const asset = await app.request('/app/assets/app-1234.js');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await (await app.request('/app/chats/some-route')).text()).toContain('<title>demo</title>');
    // A shared chat's page (its token in the path; base64url has no dot): the app, sending no referrer anywhere.
    const shared = await app.request('/app/s/q3V8xk2Jd0Zc1mWf5bT7yHn4sPa9uLe6rGiO2vX-_kE');
    expect(shared.status).toBe(200);
    expect(await shared.text()).toContain('<title>demo</title>');
    expect(shared.headers.get('referrer-policy')).toBe('no-referrer');
  });

  test('nothing outside the folder; a missing asset or a malformed path is a 404 problem', async () => {
    for (const path of [
      '/app/..%2fsecret.txt',
      '/app/%2e%2e/secret.txt',
      '/app/%252e%252e%252fsecret.txt',
      '/app/..%5csecret.txt',
      '/app/assets/missing.js',
      '/app/%E0%A4%A',
      '/app/x%00.js',
    ]) {
      const r = await app.request(path);
      const body = await r.text();
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(body).not.toContain('outside the web root');
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
