/**
 * The "Done when", end to end: the real server process (`npm start`) with OPENAI_BASE_URL pointed at
 * the test's fake OpenAI-compatible server (tests/support/fake-openai.ts); a real `curl -N` with
 * `Accept: text/event-stream` shows the answer streaming (delta events, in order, as the fake sends them
 * 150 ms apart) and then `done`, whose pair is the one get-chat returns afterwards. Also: SIGTERM while a
 * stream runs lets it finish (graceful shutdown waits for streams) and its pair is there after a restart.
 */
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call as harnessCall } from '../faults/harness.js';
import { testDatabase } from '../support/db.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { logsOnFailure, type ServerProcess, startServerProcess, stopServers } from '../support/server-process.js';
import { parseEvents } from '../support/sse.js';

const dataDir = mkdtempSync(join(tmpdir(), 'branchat-e2e-llm-'));
chmodSync(dataDir, 0o755);
const port = 20000 + Math.floor(Math.random() * 10000);
const base = `http://127.0.0.1:${port}`;

/** `npm start` on the test database (DATABASE_URL: no embedded PostgreSQL to start), answering via `fake`. */
async function startServer(fake: FakeOpenAI): Promise<ServerProcess> {
  const db = await testDatabase();
  return startServerProcess({
    launcher: 'npm',
    port,
    env: {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODEL: 'fake-model',
      LOG_LEVEL: 'info',
    },
  });
}

/** Stops (SIGTERM) whichever server is still running. */
const stopServer = () => stopServers(15_000);

afterAll(async () => {
  await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown, token?: string) =>
  harnessCall(base, method, path, { body, token });

/** `curl -sN` asking add-message for an event stream; its output is read as it comes. */
function curlStream(token: string, body: unknown) {
  const proc = Bun.spawn(
    [
      'curl',
      '-sN',
      '--max-time',
      '30',
      '-X',
      'POST',
      `${base}/api/v1/messages/add-message`,
      '-H',
      'Accept: text/event-stream',
      '-H',
      'Content-Type: application/json',
      '-H',
      `Authorization: Bearer ${token}`,
      '-d',
      JSON.stringify(body),
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  let text = '';
  let firstDeltaAt = -1;
  const t0 = performance.now();
  const onFirstDelta: (() => void)[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const piece of proc.stdout) {
      text += decoder.decode(piece, { stream: true });
      if (firstDeltaAt < 0 && text.includes('event: delta')) {
        firstDeltaAt = performance.now() - t0;
        for (const f of onFirstDelta) f();
      }
    }
    return { text, firstDeltaAt, totalMs: performance.now() - t0, exitCode: await proc.exited };
  })();
  const firstDelta = new Promise<void>((r) => onFirstDelta.push(r));
  return { done, firstDelta };
}

async function register(): Promise<string> {
  const reg = await call('POST', '/api/v1/auth/register', {
    email: `llm-e2e-${crypto.randomUUID()}@example.com`,
    password: 'password123',
  });
  expect(reg.status).toBe(201);
  return reg.body.token;
}

test(
  'curl with Accept: text/event-stream shows the answer streaming, then the stored pair',
  () =>
    logsOnFailure('e2e/llm-stream', async () => {
      const fake = await startFakeOpenAI();
      try {
        const server = await startServer(fake);
        const token = await register();
        const chat = await call(
          'POST',
          '/api/v1/chats/create-chat',
          { name: 'streamed', system_prompt: 'Be brief.' },
          token,
        );
        expect(chat.status).toBe(201);
        const chatId = chat.body.chat_id;

        const chunks = ['Streaming ', 'works ', 'end ', 'to ', 'end.'];
        fake.next({ kind: 'stream', chunks, delayMs: 150 });
        const { text, firstDeltaAt, totalMs, exitCode } = await curlStream(token, {
          chat_id: chatId,
          question: 'Does streaming work?',
        }).done;
        expect(exitCode).toBe(0);

        expect(text).toStartWith(': stream open\n\n');
        const events = parseEvents(text);
        expect(events.map((e) => e.event)).toEqual([...chunks.map(() => 'delta'), 'done']);
        expect(events.slice(0, -1).map((e) => e.data.text)).toEqual(chunks);
        // Five chunks 150 ms apart: curl showed the first delta well before the end (~600 ms before).
        expect(firstDeltaAt).toBeGreaterThanOrEqual(0);
        expect(totalMs - firstDeltaAt).toBeGreaterThanOrEqual(400);

        const done = events.at(-1)?.data;
        expect(done.response).toBe(chunks.join(''));
        expect(done.generation.model).toBe('fake-model-fake'); // as the fake's usage report names it
        expect(fake.requests).toHaveLength(1);
        expect(fake.requests[0]?.body.model).toBe('fake-model');
        expect(fake.requests[0]?.body.messages).toEqual([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Does streaming work?' },
        ]);

        const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, token);
        expect(page.status).toBe(200);
        expect(page.body.qa_pairs).toEqual([done]);
        expect(page.body.chat.message_count).toBe(1);

        await server.stop();
        expect(server.log()).toContain('"msg":"stopped"');
        expect(server.log()).not.toContain(token);
      } finally {
        await stopServer();
        await fake.stop();
      }
    }),
  120_000,
);

test(
  'SIGTERM while a stream runs: the stream finishes with done, and its pair is there after a restart',
  () =>
    logsOnFailure('e2e/llm-stream', async () => {
      const fake = await startFakeOpenAI();
      try {
        const first = await startServer(fake);
        const token = await register();
        const chat = await call('POST', '/api/v1/chats/create-chat', { name: 'shutdown' }, token);
        const chatId = chat.body.chat_id;

        const chunks = ['still ', 'streaming ', 'while ', 'stopping.'];
        fake.next({ kind: 'stream', chunks, delayMs: 200 });
        const stream = curlStream(token, { chat_id: chatId, question: 'Will you finish?' });
        await stream.firstDelta;
        first.signal('SIGTERM');
        const { text, exitCode } = await stream.done;
        expect(exitCode).toBe(0);
        const events = parseEvents(text);
        expect(events.map((e) => e.event)).toEqual([...chunks.map(() => 'delta'), 'done']);
        const done = events.at(-1)?.data;
        expect(done.response).toBe(chunks.join(''));
        await first.stop();
        expect(first.log()).toContain('"msg":"stopped"');
        expect(first.log()).not.toContain('grace period over');

        await startServer(fake);
        const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, token);
        expect(page.status).toBe(200);
        expect(page.body.qa_pairs).toEqual([done]);
      } finally {
        await stopServer();
        await fake.stop();
      }
    }),
  120_000,
);

test(
  'a JSON (not streamed) add-message or create-branch whose client leaves mid-answer: the model is stopped, nothing stored',
  () =>
    logsOnFailure('e2e/llm-stream', async () => {
      const fake = await startFakeOpenAI();
      try {
        const server = await startServer(fake);
        const token = await register();
        const chat = await call('POST', '/api/v1/chats/create-chat', { name: 'left' }, token);
        const chatId = chat.body.chat_id;
        const seeded = await call(
          'POST',
          '/api/v1/messages/add-message',
          { chat_id: chatId, question: 'seed', response: 'given' },
          token,
        );
        expect(seeded.status).toBe(201);

        // Each answer waits for a gate that never opens while the client is there: the client gives up first.
        const held = new Promise<void>(() => {});
        const routes = [
          { path: '/api/v1/messages/add-message', body: { chat_id: chatId, question: 'never mind' } },
          {
            path: '/api/v1/branches/create-branch',
            body: { chat_id: chatId, response_id: seeded.body.response_id, question: 'forget it' },
          },
        ];
        for (const [i, route] of routes.entries()) {
          fake.next({ kind: 'stream', chunks: ['half ', 'an answer'], gate: held, gateAt: 1 });
          const leaving = new AbortController();
          const sent = fetch(`${base}${route.path}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify(route.body),
            signal: leaving.signal,
          }).catch(() => 'left');
          // Once the model has the request, the client goes away.
          for (let t = 0; fake.requests.length <= i && t < 200; t++) await Bun.sleep(25);
          expect(fake.requests).toHaveLength(i + 1);
          leaving.abort();
          expect(await sent).toBe('left');
          expect(await fake.requests[i]?.outcome).toBe('cancelled');
        }

        const page = await call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}`, undefined, token);
        expect(page.body.qa_pairs.map((p: { question: string }) => p.question)).toEqual(['seed']);
        const tree = await call('GET', `/api/v1/branches/get-branches?chat_id=${chatId}`, undefined, token);
        expect(tree.body.tree.children).toEqual([]);
        expect(server.log()).toContain('"status":499');
      } finally {
        await stopServer();
        await fake.stop();
      }
    }),
  120_000,
);
