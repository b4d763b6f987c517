/**
 * An unexpected failure deep in a store (OWASP API8, security misconfiguration): the client gets a bare
 * 500 problem — no stack trace, no driver message, no SQL — carrying the request id that the server logs
 * the error under.
 */
import { expect, test } from 'bun:test';
import type { ContentStore } from '../../src/domain/ports.js';
import { appFor, testServices } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

test('a forced 500 carries no stack trace or driver message', async () => {
  const services = await testServices();
  const leaky = `relation "qa_pairs" does not exist: select response_id from qa_pairs where account_id = $1`;
  const broken: ContentStore = Object.assign(Object.create(services.deps.content), {
    readRanges: async () => {
      const e = new Error(leaky);
      e.stack = `Error: ${leaky}\n    at Client._handleErrorMessage (/app/node_modules/pg/lib/client.js:380:19)`;
      throw e;
    },
  });
  const app = appFor({ ...services, deps: { ...services.deps, content: broken } });
  const a = await newAccount(app);
  const { chatId } = await a.chatWith(1);
  const r = await a.getChat(chatId);
  expectProblem(r, 500);
  const text = JSON.stringify(r.body);
  for (const secret of ['qa_pairs', 'relation', 'select', 'node_modules', 'client.js', 'Error:']) {
    expect(text).not.toContain(secret);
  }
  expect(Object.keys(r.body).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
  expect(r.body.instance).toBe(r.headers.get('X-Request-Id'));
});

test('an unknown query parameter is named as the query’s, an unknown body field as the body’s', async () => {
  const services = await testServices();
  const a = await newAccount(appFor(services));
  const { chatId } = await a.chatWith(1);
  const q = await a.call('GET', `/api/v1/chats/get-chat?chat_id=${chatId}&x=1`);
  expectProblem(q, 422);
  expect(q.body.errors).toEqual([{ path: '(query)', message: 'unknown field(s): x' }]);
  const b = await a.call('POST', '/api/v1/chats/create-chat', { body: { name: 'n', x: 1 } });
  expectProblem(b, 422);
  expect(b.body.errors).toEqual([{ path: '(body)', message: 'unknown field(s): x' }]);
});
