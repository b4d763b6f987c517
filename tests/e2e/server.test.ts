/**
 * The real server process, started with the README's start command (`npm start`) and no database
 * configuration: embedded PostgreSQL in a temporary DATA_DIR. Called over HTTP, stopped with SIGTERM,
 * restarted on the same DATA_DIR to show the data is kept.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call as harnessCall } from '../faults/harness.js';
import { logsOnFailure, root, startServerProcess, stopServers } from '../support/server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-e2e-'));
// As root, PostgreSQL runs as the `postgres` user, which must be able to enter the data directory.
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
const pgPort = 30000 + Math.floor(Math.random() * 10000);
const base = `http://127.0.0.1:${port}`;

const start = () =>
  startServerProcess({
    launcher: 'npm',
    port,
    env: { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info' },
  });

const call = (method: string, path: string, body?: unknown, token?: string) =>
  harnessCall(base, method, path, { body, token });

afterAll(async () => {
  await stopServers(15_000);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server process', () => {
  let token = '';
  let chatId = '';

  test(
    'starts on its embedded defaults and serves the API over HTTP',
    () =>
      logsOnFailure('e2e/server', async () => {
        const server = await start();
        try {
          expect((await call('GET', '/readyz')).status).toBe(200);

          const reg = await call('POST', '/api/v1/auth/register', {
            email: 'e2e@example.com',
            password: 'password123',
          });
          expect(reg.status).toBe(201);
          token = reg.body.token;
          const chat = await call('POST', '/api/v1/chats/create-chat', { name: 'e2e' }, token);
          expect(chat.status).toBe(201);
          chatId = chat.body.chat_id;
          const m = await call('POST', '/api/v1/messages/add-message', { chat_id: chatId, question: 'hi' }, token);
          expect(m.status).toBe(201);
          const b = await call(
            'POST',
            '/api/v1/branches/create-branch',
            { chat_id: chatId, response_id: m.body.response_id, question: 'fork' },
            token,
          );
          expect(b.status).toBe(201);
          const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${b.body.chat.chat_id}`, undefined, token);
          expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['hi', 'fork']);
          expect(page.headers.get('x-request-id')).toBeTruthy();

          const doc = await fetch(`${base}/openapi.json`).then((r) => r.json());
          expect(doc).toEqual(JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')));
          const docs = await fetch(`${base}/docs`);
          expect(docs.status).toBe(200);
          // The reference's scripts are served by the server itself (the pinned package), never from a CDN.
          const scripts = [...(await docs.text()).matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
          expect(scripts.length).toBe(2);
          for (const src of scripts)
            expect({ src, status: (await fetch(`${base}${src}`)).status }).toEqual({ src, status: 200 });
        } finally {
          await server.stop();
        }
        expect(server.log()).toContain('"msg":"stopped"');
        expect(server.log()).not.toContain(token);
      }),
    120_000,
  );

  test(
    'keeps its data across a restart',
    () =>
      logsOnFailure('e2e/server', async () => {
        const server = await start();
        try {
          const login = await call('POST', '/api/v1/auth/login', { email: 'e2e@example.com', password: 'password123' });
          expect(login.status).toBe(200);
          const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, login.body.token);
          expect(page.status).toBe(200);
          expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['hi']);
          expect(page.body.qa_pairs[0].branches).toHaveLength(1);
        } finally {
          await server.stop();
        }
      }),
    120_000,
  );
});
