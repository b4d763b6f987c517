/**
 * REUSE_PORT=1 (SO_REUSEPORT): several server processes on one machine share one port and the kernel spreads new
 * connections over them (bench/processes.ts measures 1, 2 and 4 processes this way). Real processes on one fresh
 * database: two with REUSE_PORT=1 on one port both listen and both hold some of 16 connections opened to it (found
 * through /proc: each process's socket inodes against /proc/net/tcp); a write through the shared port is read back
 * on fresh connections, whichever process takes them; with one of the two killed the other answers alone; a third
 * process without REUSE_PORT still refuses the port with the one-line "in use" message, as before.
 *
 * Skipped, with the reason printed, without PostgreSQL or off Linux (/proc/net/tcp).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  reasonToSkip,
  register,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';
import { listeningSockets, ServerProcess as Process } from '../support/server-process.js';

const skipReason = await reasonToSkip('e2e/reuse-port', unavailable(), () =>
  existsSync('/proc/net/tcp') ? null : 'no /proc/net/tcp (not Linux): cannot see which process holds a connection',
);

/** Inodes of the established TCP connections whose local port is `port` (the server side of them). */
function establishedInodes(port: number): Set<string> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(hex) && f[3] === '01') out.add(f[9] as string);
    }
  }
  return out;
}

/** How many of `inodes` process `pid` holds open. */
function held(pid: number, inodes: Set<string>): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1] as string)) n++;
    } catch {} // closed meanwhile
  }
  return n;
}

describe.skipIf(skipReason !== null)('REUSE_PORT=1: processes sharing one port', () => {
  let databaseUrl = '';
  let jwtSecret = '';
  let port = 0;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    jwtSecret = randomSecret();
    port = await freePort();
    const extraEnv = { REUSE_PORT: '1' };
    // One after the other: the first applies the migrations. The second's /healthz may be answered by the first,
    // so it is up once two sockets listen.
    a = await startServer({ databaseUrl, port, jwtSecret, extraEnv });
    b = await startServer({ databaseUrl, port, jwtSecret, extraEnv });
    const deadline = Date.now() + 20_000;
    while (listeningSockets(port) < 2 && Date.now() < deadline) await Bun.sleep(50);
  }, 60_000);

  afterAll(async () => {
    await cleanup();
  });

  test('both listen, and the kernel hands each some of the connections', async () => {
    expect(listeningSockets(port)).toBe(2);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        sockets.push(
          await new Promise<Socket>((resolve, reject) => {
            // The first bytes of a request, unfinished: Bun's listener defers the accept until data arrives.
            const s = connect({ host: '127.0.0.1', port }, () => {
              s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
              resolve(s);
            });
            s.once('error', reject);
          }),
        );
      }
      await Bun.sleep(300); // accepted by now
      const inodes = establishedInodes(port);
      const onA = held(a.pid, inodes);
      const onB = held(b.pid, inodes);
      // 16 connections: all on one process by chance is 2 in 65,536.
      expect(onA + onB).toBe(16);
      expect(onA).toBeGreaterThan(0);
      expect(onB).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  test('a write through the shared port is read back on every fresh connection', async () => {
    const base = `http://127.0.0.1:${port}`;
    const token = await register(base);
    const chat = (await call(base, 'POST', '/api/v1/chats/create-chat', { body: { name: 'shared' }, token })).body;
    for (let i = 0; i < 5; i++) {
      const w = await call(base, 'POST', '/api/v1/messages/add-message', {
        body: { chat_id: chat.chat_id, question: `q${i}`, response: `a${i}` },
        token,
      });
      expect(w.status).toBe(201);
      for (let j = 0; j < 6; j++) {
        const r = await fetch(`${base}/api/v1/chats/get-chat?chat_id=${chat.chat_id}`, {
          headers: { Authorization: `Bearer ${token}`, Connection: 'close' },
        });
        const page = (await r.json()) as { qa_pairs: { response_id: string }[] };
        expect(page.qa_pairs).toHaveLength(i + 1);
        expect(page.qa_pairs.at(-1)?.response_id).toBe(w.body.response_id);
      }
    }
  });

  test('with one process killed the other answers alone', async () => {
    a.kill('SIGKILL');
    await a.exited;
    expect(listeningSockets(port)).toBe(1);
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { Connection: 'close' } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    expect(b.running).toBe(true);
  });

  test('a process without REUSE_PORT still refuses the shared port', async () => {
    const c = new Process(port, {
      env: { NODE_ENV: 'test', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, LOG_LEVEL: 'warn' },
    });
    expect(await c.exited).toBe(1);
    expect(c.log()).toContain(`port ${port} is in use`);
    expect(listeningSockets(port)).toBe(1);
  });
});
