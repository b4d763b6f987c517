/**
 * First contact (issue 19): what someone who just ran `npm start` meets.
 *
 * - `GET /`: a browser is sent to the demo app (or to /docs without it); anything else gets the entry points as
 *   JSON, each of which answers. `GET /favicon.ico`: an icon (drawn in code), not a 404.
 * - On a terminal (a pseudo-terminal here, through util-linux `script`) the start is one human line naming the URL,
 *   /app/ and /docs; with stdout piped it stays a JSON record.
 * - A port in use: one line on stderr and exit 1, before anything else is started (no database is reached), no
 *   stack trace.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { drawIcon, entryPoints } from '../../src/http/ops/home.js';
import { createLogger } from '../../src/logger.js';
import { databaseSummary, listenFailure, startLine } from '../../src/runtime.js';
import { cleanup, freePort, freshDatabase, randomSecret, reasonToSkip, root, unavailable } from '../faults/harness.js';
import { testServices } from '../support/app.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let web: string;
let withApp: ReturnType<typeof createApp>;
let withoutApp: ReturnType<typeof createApp>;
let notBuilt: ReturnType<typeof createApp>;
let unbuilt: string;

beforeAll(async () => {
  const s = await testServices();
  web = mkdtempSync(join(tmpdir(), 'branchat-first-contact-'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>demo</title>');
  withApp = createApp({ deps: s.deps, tokens: s.tokens, log: createLogger('silent'), webDir: web });
  withoutApp = createApp({ deps: s.deps, tokens: s.tokens, log: createLogger('silent') });
  // WEB_DIR set (it always is: web/dist by default) but not built, as in a fresh clone before build:web.
  unbuilt = mkdtempSync(join(tmpdir(), 'branchat-first-contact-unbuilt-'));
  notBuilt = createApp({ deps: s.deps, tokens: s.tokens, log: createLogger('silent'), webDir: unbuilt });
});

afterAll(async () => {
  rmSync(web, { recursive: true, force: true });
  rmSync(unbuilt, { recursive: true, force: true });
  await cleanup();
});

describe('GET /', () => {
  test('a browser is redirected to the demo app, or to /docs where the app is not served', async () => {
    for (const [app, location] of [
      [withApp, '/app/'],
      [withoutApp, '/docs'],
      [notBuilt, '/docs'],
    ] as const) {
      const r = await app.request('/', { headers: { Accept: BROWSER_ACCEPT } });
      expect({ status: r.status, location: r.headers.get('location') }).toEqual({ status: 302, location });
      expect(r.headers.get('vary')).toContain('Accept');
    }
  });

  test('Accept: application/json, curl’s */*, or no Accept: the entry points as JSON', async () => {
    for (const accept of ['application/json', '*/*', undefined]) {
      const r = await withApp.request('/', { headers: accept ? { Accept: accept } : {} });
      expect({ accept, status: r.status }).toEqual({ accept, status: 200 });
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(r.headers.get('vary')).toContain('Accept');
      const body = (await r.json()) as { service: string; links: Record<string, { href: string; title: string }> };
      expect(body.service).toBe('branchat');
      expect(Object.fromEntries(Object.entries(body.links).map(([k, v]) => [k, v.href]))).toEqual({
        app: '/app/',
        docs: '/docs',
        openapi: '/openapi.json',
        api: '/api/v1',
        health: '/healthz',
        ready: '/readyz',
      });
    }
    // Only what is mounted: no /app without a web directory, /metrics with a cache (as the server has).
    expect(Object.keys(entryPoints({ app: false, metrics: true }))).toEqual([
      'docs',
      'openapi',
      'api',
      'health',
      'ready',
      'metrics',
    ]);
  });

  test('every listed page answers (the API itself: under /api/v1, described by /docs)', async () => {
    const body = (await (await withApp.request('/')).json()) as { links: Record<string, { href: string }> };
    for (const [name, { href }] of Object.entries(body.links)) {
      if (name === 'api') continue;
      const r = await withApp.request(href);
      expect({ href, status: r.status }).toEqual({ href, status: 200 });
    }
  });
});

describe('GET /favicon.ico', () => {
  /** The images of an .ico file: size, and the BGRA pixels (top row first) of each. */
  function readIco(bytes: Uint8Array) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect([v.getUint16(0, true), v.getUint16(2, true)]).toEqual([0, 1]); // reserved, type icon
    return Array.from({ length: v.getUint16(4, true) }, (_, i) => {
      const e = 6 + 16 * i;
      const size = bytes[e] || 256;
      const [length, offset] = [v.getUint32(e + 8, true), v.getUint32(e + 12, true)];
      expect(offset + length).toBeLessThanOrEqual(bytes.length);
      expect([v.getUint32(offset, true), v.getInt32(offset + 4, true), v.getInt32(offset + 8, true)]).toEqual([
        40,
        size,
        size * 2,
      ]);
      expect(v.getUint16(offset + 14, true)).toBe(32);
      const pixel = (x: number, y: number) => {
        const o = offset + 40 + ((size - 1 - y) * size + x) * 4; // rows bottom-up
        return { b: bytes[o]!, g: bytes[o + 1]!, r: bytes[o + 2]!, a: bytes[o + 3]! };
      };
      return { size, pixel };
    });
  }

  test('an icon at 16 and 32 pixels: transparent corners, the tile, the white branch', async () => {
    const r = await withoutApp.request('/favicon.ico');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/x-icon');
    expect(r.headers.get('cache-control')).toBe('public, max-age=86400');
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from(drawIcon()))).toBe(true);
    const images = readIco(bytes);
    expect(images.map((i) => i.size)).toEqual([16, 32]);
    for (const { size, pixel } of images) {
      expect(pixel(0, 0).a).toBe(0); // outside the rounded tile
      const tile = pixel(Math.round(size * 0.85), Math.round(size * 0.85));
      expect(tile).toEqual({ r: 79, g: 70, b: 229, a: 255 });
      const trunk = pixel(Math.floor(size * 0.36), Math.floor(size * 0.45)); // on the main line
      expect(trunk.a).toBe(255);
      expect(Math.min(trunk.r, trunk.g, trunk.b)).toBeGreaterThan(200);
    }
  });
});

describe('the start line and a port in use, as text', () => {
  test('the start line: where to go, and the database without its credentials', () => {
    const database = databaseSummary({
      DATABASE_URL: 'postgres://branchat:s3cret@db.internal:5432/branchat',
      DATA_DIR: './.data',
      EMBEDDED_PG_PORT: 54329,
    });
    expect(database).toBe('PostgreSQL at db.internal:5432/branchat');
    expect(databaseSummary({ DATA_DIR: './.data', EMBEDDED_PG_PORT: 54329 })).toBe(
      'embedded PostgreSQL (data in ./.data, port 54329)',
    );
    expect(startLine({ host: '0.0.0.0', port: 3000, web: true, database, mongo: false, runtime: 'bun 1.4.5' })).toBe(
      'branchat listening on http://localhost:3000 — demo /app/ · API docs /docs · PostgreSQL at db.internal:5432/branchat · bun 1.4.5',
    );
    expect(startLine({ host: '::1', port: 8080, web: false, database, mongo: true, runtime: 'node v22' })).toBe(
      'branchat listening on http://[::1]:8080 — demo /app/ (not built: npm run build:web) · API docs /docs · ' +
        'PostgreSQL at db.internal:5432/branchat + MongoDB (content) · node v22',
    );
  });

  test('listen failures are one sentence each', () => {
    const err = (code: string) => Object.assign(new Error('listen failed'), { code });
    expect(listenFailure(err('EADDRINUSE'), '0.0.0.0', 3000)).toBe(
      'port 3000 is in use: set PORT=… to another port, or stop the other process',
    );
    expect(listenFailure(err('EACCES'), '0.0.0.0', 80)).toBe(
      'port 80 needs privileges this process lacks: set PORT=… above 1023',
    );
    expect(listenFailure(new Error('boom'), 'example', 1)).toBe('cannot listen on example:1: boom');
  });
});

const skip = await reasonToSkip('e2e/first-contact', unavailable());

/** `bun src/server.ts` with exactly `env` (and PATH, HOME); stdout and stderr apart. */
function spawnServer(env: Record<string, string>, command?: string[]) {
  return Bun.spawn(command ?? [process.execPath, 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  });
}

describe.skipIf(skip !== null)('the server process', () => {
  test('a port in use: one line on stderr, exit 1, before the database is even tried', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const proc = spawnServer({
        HOST: '127.0.0.1',
        PORT: String(port),
        // Nothing listens there: reaching it would fail differently ("startup failed"), and slowly.
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        JWT_SECRET: randomSecret(),
      });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      const line = `port ${port} is in use: set PORT=… to another port, or stop the other process`;
      expect({ code, err }).toEqual({ code: 1, err: `${line}\n` });
      // stdout is not a terminal: the JSON log has the same sentence, as a fatal record, and nothing else.
      const records = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(records).toEqual([expect.objectContaining({ level: 60, msg: line, port, code: 'EADDRINUSE' })]);
      expect(out + err).not.toMatch(/\n\s+at |Error:/);
    } finally {
      holder.close();
    }
  }, 30_000);

  test('on a terminal, the start is one human line; piped, the JSON record names /app/ and /docs', async () => {
    const port = await freePort();
    const env = {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: await freshDatabase(),
      JWT_SECRET: randomSecret(),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'branchat-first-contact-data-')),
      LOG_LEVEL: 'warn',
    };
    // A pseudo-terminal for the server's stdout: `script` runs it (-q: no banner; -e: its exit code).
    const tty = spawnServer(env, ['script', '-qec', `exec ${process.execPath} src/server.ts`, '/dev/null']);
    let out = '';
    try {
      const decoder = new TextDecoder();
      const deadline = Date.now() + 30_000;
      const reader = (tty.stdout as ReadableStream<Uint8Array>).getReader();
      while (!out.includes('\n') && Date.now() < deadline) {
        const { value, done } = await Promise.race([
          reader.read(),
          Bun.sleep(deadline - Date.now()).then(() => ({ value: undefined, done: true })),
        ]);
        if (done) break;
        out += decoder.decode(value, { stream: true });
      }
      reader.releaseLock();
    } finally {
      // `script` gets SIGTERM; the server, in a session of its own on the closed terminal, a SIGHUP.
      process.kill(-tty.pid, 'SIGTERM');
      await tty.exited;
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => true,
          () => false,
        );
        if (!up) break;
        await Bun.sleep(100);
      }
    }
    const webBuilt = await Bun.file(join(root, 'web', 'dist', 'index.html')).exists();
    const line = out.replace(/\r/g, '').split('\n')[0];
    expect(line).toBe(
      `branchat listening on http://127.0.0.1:${port} — demo /app/${webBuilt ? '' : ' (not built: npm run build:web)'}` +
        ` · API docs /docs · PostgreSQL at ${new URL(env.DATABASE_URL).host}${new URL(env.DATABASE_URL).pathname}` +
        ` · bun ${Bun.version}`,
    );

    // The same start with stdout piped: the JSON record.
    const piped = spawnServer({ ...env, LOG_LEVEL: 'info' });
    try {
      const reader = (piped.stdout as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      const deadline = Date.now() + 30_000;
      while (!text.includes('branchat listening') && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      reader.releaseLock();
      const record = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((r) => r.msg === 'branchat listening');
      expect(record).toMatchObject({ url: `http://127.0.0.1:${port}`, app: '/app/', docs: '/docs' });
    } finally {
      process.kill(-piped.pid, 'SIGTERM');
      await piped.exited;
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  }, 90_000);
});
