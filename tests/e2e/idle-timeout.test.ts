/**
 * Keep-alive connections close when idle, after an answer the model generated too (issue 16, finding 4).
 * Bun's idle timeout is lifted while an answer waits for the model (src/http/sse.ts, allowSlowAnswer); it
 * used to stay lifted, so the connection stayed open for good after the answer. The real server process
 * (`npm start`, local responder) with HTTP_IDLE_TIMEOUT_SECONDS=1; raw keep-alive connections (node:net) send
 * one request each, read the whole response, and must then be closed by the server within the idle timeout
 * (Bun counts it in 4 s ticks) plus a margin: add-message and create-branch whose answer is generated, as
 * JSON and as an event stream, and a plain GET as the control.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '../faults/harness.js';
import { testDatabase } from '../support/db.js';
import { logsOnFailure, startServerProcess, stopServers } from '../support/server-process.js';

const IDLE_SECONDS = 1;
/** Bun checks idle timeouts every 4 s: closed within a tick or two after the timeout, or never. */
const CLOSED_WITHIN_MS = 12_000;

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-e2e-idle-'));
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
const base = `http://127.0.0.1:${port}`;

beforeAll(async () => {
  const db = await testDatabase();
  await startServerProcess({
    launcher: 'npm',
    port,
    env: {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      RESPONDER: 'local',
      HTTP_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
      LOG_LEVEL: 'warn',
    },
  });
});

afterAll(async () => {
  await stopServers(15_000);
  rmSync(dataDir, { recursive: true, force: true });
});

interface Exchange {
  status: number;
  body: string;
  /** Milliseconds from the end of the response until the server closed the connection; null: still open. */
  closedAfterMs: number | null;
}

/**
 * One request on a raw keep-alive connection: reads the whole response (Content-Length or chunked), then
 * waits up to CLOSED_WITHIN_MS for the server to close the idle connection.
 */
function exchange(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Exchange> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: keep-alive',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`]),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    let endedAt = 0;
    let status = 0;
    let text = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      if (endedAt) resolve({ status, body: text, closedAfterMs: null });
      else reject(new Error(`no complete response to ${method} ${path}: ${raw.toString()}`));
    }, CLOSED_WITHIN_MS + 30_000);
    const complete = (): boolean => {
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return false;
      const headText = raw.subarray(0, split).toString();
      const rest = raw.subarray(split + 4);
      status = Number(headText.split(' ')[1]);
      const length = /\r\ncontent-length: *(\d+)/i.exec(headText);
      if (length) {
        if (rest.length < Number(length[1])) return false;
        text = rest.subarray(0, Number(length[1])).toString();
        return true;
      }
      if (!/\r\ntransfer-encoding: *chunked/i.test(headText)) throw new Error(`unframed response: ${headText}`);
      if (!rest.toString().endsWith('0\r\n\r\n')) return false;
      text = rest.toString(); // chunk sizes included: enough to look for the events
      return true;
    };
    socket.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      if (!endedAt && complete()) endedAt = performance.now();
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      if (!endedAt) reject(new Error(`closed before the response to ${method} ${path} ended: ${raw.toString()}`));
      else resolve({ status, body: text, closedAfterMs: performance.now() - endedAt });
    });
    socket.on('error', () => {}); // a reset after the response counts as closed ('close' follows)
    socket.write(`${head}\r\n\r\n${payload}`);
    // After the response ended: still open past the bound is the failure, reported as null.
    const watch = setInterval(() => {
      if (endedAt && performance.now() - endedAt > CLOSED_WITHIN_MS) {
        clearInterval(watch);
        clearTimeout(giveUp);
        socket.destroy();
        resolve({ status, body: text, closedAfterMs: null });
      }
    }, 250);
    socket.on('close', () => clearInterval(watch));
  });
}

test(
  'the idle timeout applies again once a generated answer ended: add-message and create-branch, JSON and SSE; a plain GET as control',
  () =>
    logsOnFailure('e2e/idle-timeout', async () => {
      const reg = await call(base, 'POST', '/api/v1/auth/register', {
        body: { email: `idle${crypto.randomUUID()}@example.com`, password: 'correct horse battery' },
      });
      expect(reg.status).toBe(201);
      const token: string = reg.body.token;
      const chat = await call(base, 'POST', '/api/v1/chats/create-chat', { token, body: { name: 'idle' } });
      expect(chat.status).toBe(201);
      const chatId: string = chat.body.chat_id;
      const given = await call(base, 'POST', '/api/v1/messages/add-message', {
        token,
        body: { chat_id: chatId, question: 'fork here', response: 'given' },
      });
      expect(given.status).toBe(201);
      const responseId: string = given.body.response_id;

      const auth = { Authorization: `Bearer ${token}` };
      const sse = { ...auth, Accept: 'text/event-stream' };
      const ADD = '/api/v1/messages/add-message';
      const BRANCH = '/api/v1/branches/create-branch';
      const [plain, addJson, addSse, branchJson, branchSse] = await Promise.all([
        exchange('GET', '/healthz', {}),
        exchange('POST', ADD, auth, { chat_id: chatId, question: 'json, generated' }),
        exchange('POST', ADD, sse, { chat_id: chatId, question: 'stream, generated' }),
        exchange('POST', BRANCH, auth, { chat_id: chatId, response_id: responseId, question: 'branch json' }),
        exchange('POST', BRANCH, sse, { chat_id: chatId, response_id: responseId, question: 'branch stream' }),
      ]);

      expect(plain.status).toBe(200);
      expect(addJson.status).toBe(201);
      expect(JSON.parse(addJson.body).generation).not.toBeNull(); // the responder answered, not the client
      expect(addSse.status).toBe(200);
      expect(addSse.body).toContain('event: done');
      expect(branchJson.status).toBe(201);
      expect(JSON.parse(branchJson.body).qa_pair.generation).not.toBeNull();
      expect(branchSse.status).toBe(200);
      expect(branchSse.body).toContain('event: done');

      const closed = { plain, addJson, addSse, branchJson, branchSse };
      const stillOpen = Object.entries(closed)
        .filter(([, e]) => e.closedAfterMs === null)
        .map(([name]) => name);
      expect(stillOpen).toEqual([]);
      for (const e of Object.values(closed)) expect(e.closedAfterMs).toBeLessThanOrEqual(CLOSED_WITHIN_MS);
    }),
  90_000,
);
