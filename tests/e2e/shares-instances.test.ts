/**
 * Share links across two real server processes on one PostgreSQL (no Redis): a share made through A is read
 * through B; revoked through A, expired, or its chat deleted through A, it is a 404 through B at once (B keeps no
 * share row in memory, and its chat rows follow A's writes under the read lease). The servers' request logs never
 * hold a token (the path is logged with `{token}` in its place).
 *
 * Skipped, with the reason printed, without PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
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

const skipReason = await reasonToSkip('e2e/shares-instances', unavailable());

describe.skipIf(skipReason !== null)('share links on two instances', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let token = '';
  let databaseUrl = '';

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    const jwtSecret = randomSecret();
    const extraEnv = { PUBLIC_URL: 'https://chat.example.org/' };
    a = await startServer({ databaseUrl, port: await freePort(), jwtSecret, logLevel: 'info', extraEnv });
    b = await startServer({ databaseUrl, port: await freePort(), jwtSecret, logLevel: 'info', extraEnv });
    token = await register(a.base);
  }, 60_000);

  afterAll(async () => {
    await cleanup();
  });

  const ok = async (p: ServerProcess, method: string, path: string, body?: unknown) => {
    const r = await call(p.base, method, path, { body, token });
    if (r.status >= 300) throw new Error(`${method} ${path} on ${p.base} → ${r.status} ${JSON.stringify(r.body)}`);
    if (path.endsWith('/create-share')) issued.push(r.body.token);
    return r.body;
  };
  /** Every token made in this file (none may reach a log). */
  const issued: string[] = [];
  /** The public read, without a token. */
  const read = (p: ServerProcess, shareToken: string) => call(p.base, 'GET', `/api/v1/public/shares/${shareToken}`);

  async function chatWith(n: number): Promise<string> {
    const chat = (await ok(a, 'POST', '/api/v1/chats/create-chat', { name: 'shared' })).chat_id;
    for (let i = 1; i <= n; i++) {
      await ok(a, 'POST', '/api/v1/messages/add-message', { chat_id: chat, question: `q${i}`, response: `a${i}` });
    }
    return chat;
  }

  test('made on A, read on B; revoked on A → 404 on B at once, every time', async () => {
    const chat = await chatWith(2);
    for (let i = 0; i < 5; i++) {
      const s = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat });
      expect(s.url).toBe(`https://chat.example.org/app/s/${s.token}`);
      const onB = await read(b, s.token);
      expect(onB.status).toBe(200);
      expect(onB.body.qa_pairs.map((p: any) => p.question)).toEqual(['q1', 'q2']);
      expect(onB.headers.get('Cache-Control')).toBe('no-store');
      await ok(a, 'DELETE', `/api/v1/shares/delete-share?share_id=${s.share_id}`);
      // No wait: the very next read on B.
      const gone = await read(b, s.token);
      expect(gone.status).toBe(404);
      expect(gone.headers.get('Cache-Control')).toBe('no-store');
      expect((await read(a, s.token)).status).toBe(404);
    }
  });

  test('a frozen share read on B does not change after a write on A; a live one does', async () => {
    const chat = await chatWith(1);
    const frozen = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat });
    const live = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat, live: true });
    const before = (await read(b, frozen.token)).body;
    await ok(a, 'POST', '/api/v1/messages/add-message', { chat_id: chat, question: 'later', response: 'x' });
    expect((await read(b, frozen.token)).body).toEqual(before);
    expect((await read(b, live.token)).body.qa_pairs.map((p: any) => p.question)).toEqual(['q1', 'later']);
  });

  test('the chat deleted on A, or the share expired: 404 on B at once', async () => {
    const chat = await chatWith(1);
    const s = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat, live: true });
    const other = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat, expires_in_seconds: 600 });
    expect((await read(b, s.token)).status).toBe(200);
    expect((await read(b, other.token)).status).toBe(200);

    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(`update shares set expires_at = now() - interval '1 second' where share_id = $1`, [other.share_id]);
    } finally {
      await c.end();
    }
    expect((await read(b, other.token)).status).toBe(404);

    await ok(a, 'DELETE', `/api/v1/chats/delete-chat?chat_id=${chat}`);
    expect((await read(b, s.token)).status).toBe(404);
    const listed = await ok(b, 'GET', '/api/v1/shares/list-shares');
    expect(listed.shares.filter((x: any) => x.chat_id === chat)).toEqual([]);
  });

  test('no token in either server’s log', async () => {
    const chat = await chatWith(1);
    const s = await ok(a, 'POST', '/api/v1/shares/create-share', { chat_id: chat });
    expect((await read(b, s.token)).status).toBe(200);
    expect((await read(a, `${s.token}x`)).status).toBe(404);
    await Bun.sleep(200); // the log lines are written after the answers
    for (const p of [a, b]) {
      const log = p.log();
      expect(log).toContain('/api/v1/public/shares/{token}');
      expect(issued.length).toBeGreaterThan(8);
      for (const t of issued) expect(log.includes(t)).toBe(false);
    }
  });
});
