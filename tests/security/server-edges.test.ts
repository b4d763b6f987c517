/**
 * What only a real listener shows (issue 16): a client that goes away mid-body is a client-closed request
 * (499, logged at info), not a 500 "unhandled error"; /metrics answers a loopback scraper and nobody behind a
 * proxy when METRICS_TOKEN is unset; an error escaping the app still gets a problem with the headers every
 * answer carries. One `npm start` for all of it (as a user starts the server), plus listen() in process.
 */

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastResortResponse } from '../../src/app.js';
import { listen } from '../../src/runtime.js';
import { testDatabase } from '../support/db.js';
import { type ServerProcess, startServerProcess, stopServers } from '../support/server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-edges-'));
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
let server: ServerProcess;

beforeAll(async () => {
  const db = await testDatabase();
  const env: Record<string, string> = { HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'info' };
  if (process.env.MONGO_URL) env.MONGO_URL = process.env.MONGO_URL;
  server = await startServerProcess({ launcher: 'npm', port, env });
}, 60_000);

afterAll(async () => {
  await stopServers(15_000);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Writes `data` on a raw connection; resolves with what came back once the server closed it (or after `ms`). */
function raw(data: string, { closeAfterMs }: { closeAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => {
      s.write(data);
      if (closeAfterMs !== undefined) setTimeout(() => s.destroy(), closeAfterMs);
    });
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    setTimeout(() => {
      s.destroy();
      resolve(out);
    }, 10_000);
  });
}

/** The server's log lines (JSON) written since `from` characters. */
const linesSince = (from: number) =>
  server
    .log()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function register(): Promise<string> {
  const r = await fetch(`${server.base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      email: `edges${Date.now()}${Math.random()}@example.com`,
      password: 'correct horse battery',
    }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { token: string }).token;
}

describe('npm start', () => {
  test('a client that disconnects mid-body: 499 logged at info, no "unhandled error" (Content-Length and chunked)', async () => {
    const token = await register();
    const head = (framing: string) =>
      'POST /api/v1/chats/create-chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\n${framing}\r\n`;
    const from = server.log().length;
    await raw(`${head('Content-Length: 1000\r\n')}{"name":`, { closeAfterMs: 300 });
    await raw(`${head('Transfer-Encoding: chunked\r\n')}8\r\n{"name":\r\n`, { closeAfterMs: 300 });
    let requests: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && requests.length < 2; i++) {
      await Bun.sleep(100);
      requests = linesSince(from).filter((l) => l.msg === 'request' && l.path === '/api/v1/chats/create-chat');
    }
    expect(requests.map((l) => [l.status, l.level])).toEqual([
      [499, 30],
      [499, 30],
    ]);
    const lines = linesSince(from);
    expect(lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    // Nothing was created, and the server goes on.
    const list = await fetch(`${server.base}/api/v1/chats/list-chats`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(((await list.json()) as { chats: unknown[] }).chats).toEqual([]);
  });

  test('/metrics without METRICS_TOKEN: a loopback scraper reads it; a forwarded request gets 404', async () => {
    const local = await fetch(`${server.base}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain('branchat_cache_hit_total');
    const forwarded: Record<string, string>[] = [
      { 'X-Forwarded-For': '203.0.113.9' },
      { Forwarded: 'for=203.0.113.9' },
      { 'X-Real-IP': '203.0.113.9' },
    ];
    for (const h of forwarded) {
      const r = await fetch(`${server.base}/metrics`, { headers: h });
      expect(r.status).toBe(404);
      expect(r.headers.get('X-Request-Id')).toBeTruthy();
    }
  });

  test('Bun’s own answers to what never reaches the app (oversized headers, bad request line) close only that connection', async () => {
    // Bun answers these itself, bare (no security headers, no X-Request-Id): nothing in the app can run.
    expect(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`)).toStartWith(
      'HTTP/1.1 431',
    );
    expect(await raw('NOT A REQUEST LINE\r\n\r\n')).toStartWith('HTTP/1.1 400');
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
  });
});

describe('listen(): an error escaping the app', () => {
  test('answers a 500 problem with X-Request-Id and the security headers, not Bun’s bare error page', async () => {
    const seen: Error[] = [];
    const listener = await listen(
      () => {
        throw new Error('secret internals: select * from accounts');
      },
      {
        hostname: '127.0.0.1',
        port: 0,
        onError: (e) => {
          seen.push(e);
          return lastResortResponse();
        },
      },
    );
    try {
      const r = await fetch(`http://127.0.0.1:${listener.port}/anything`);
      expect(r.status).toBe(500);
      expect(r.headers.get('Content-Type')).toStartWith('application/problem+json');
      expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(r.headers.get('X-Frame-Options')).toBeTruthy();
      const id = r.headers.get('X-Request-Id');
      expect(id).toBeTruthy();
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 500, instance: id });
      expect(JSON.stringify(body)).not.toContain('secret');
      expect(seen.map((e) => e.message)).toEqual(['secret internals: select * from accounts']);
    } finally {
      await listener.stop(true);
    }
  });
});
