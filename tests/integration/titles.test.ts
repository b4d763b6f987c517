/**
 * Automatic titles (docs/api.md, "Titles"), on both content stores: a conversation created without a name is "New
 * chat" until its first pair; then a title proposed by the responder (the local one: the question's first words;
 * the OpenAI one against the fake model, falling back to the local title) arrives in the background, announced as
 * `chat.updated`, without delaying the answer; a name the user gave (at creation, or by a rename while the title is
 * in flight) is never replaced; a failing proposal leaves "New chat", with nothing surfaced to the client.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'kysely';
import { localTitle } from '../../src/domain/chats/titles.js';
import type { Responder, TitleRequest } from '../../src/domain/ports.js';
import { LocalResponder } from '../../src/responders/local.responder.js';
import { OpenAIResponder, TITLE_INSTRUCTION } from '../../src/responders/openai.responder.js';
import { pgDb } from '../../src/stores/pg-tx.js';
import { appFor, testServices } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { type Behaviour, type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

type Services = Awaited<ReturnType<typeof testServices>>;
let services: Services;
let app: ReturnType<typeof appFor>;
beforeAll(async () => {
  services = await testServices();
  app = appFor(services);
});

/** An app whose responder is `responder` (the services' stores and background tasks). */
const appWith = (responder: Responder) => appFor({ ...services, deps: { ...services.deps, responder } });

/** The local responder, with a proposeTitle that waits for `release()` and counts its calls. */
function gatedResponder() {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const calls: TitleRequest[] = [];
  const local = new LocalResponder();
  const responder: Responder = {
    model: local.model,
    start: (request) => local.start(request),
    async proposeTitle(request) {
      calls.push(request);
      await gate;
      return local.proposeTitle(request);
    },
  };
  return { responder, calls, release };
}

async function createUnnamed(a: Client): Promise<any> {
  const r = await a.call('POST', '/api/v1/chats/create-chat', { body: {} });
  expect(r.status).toBe(201);
  return r.body;
}

async function chatOf(a: Client, chatId: string): Promise<any> {
  const r = await a.getChat(chatId);
  expect(r.status).toBe(200);
  return r.body.chat;
}

/** The events of a tree's log, oldest first. */
async function eventsOf(rootChatId: string): Promise<{ event: string; data: any }[]> {
  const rows = await sql<{ event: string; data: string }>`
    select event, data from tree_events where root_chat_id = ${rootChatId} order by seq`.execute(pgDb(services.orm));
  return rows.rows.map((r) => ({ event: r.event, data: JSON.parse(r.data) }));
}

/** Until no background task runs (every title asked for so far has landed, or given up). */
const settled = () => services.background.idle();

describe('titles from the local responder', () => {
  test('a chat created without a name is "New chat", then gets the title of its first pair, announced', async () => {
    const a = await newAccount(app);
    const created = await createUnnamed(a);
    expect(created.name).toBe('New chat');
    const before = await a.getChat(created.chat_id);

    const pair = await a.addMessage(created.chat_id, 'Where should we go in March?\nSomewhere warm!', 'Lisbon.');
    expect(pair.status).toBe(201);
    await settled();

    const chat = await chatOf(a, created.chat_id);
    expect(chat.name).toBe('Where should we go in March? Somewhere warm');
    expect(chat.name).toBe(localTitle('Where should we go in March?\nSomewhere warm!'));
    expect(chat.updated_at > before.body.chat.updated_at).toBe(true);
    // The tree's version moved: the page's ETag is another one (caches see the title at once).
    expect((await a.getChat(created.chat_id)).headers.get('ETag')).not.toBe(before.headers.get('ETag'));
    const listed = (await a.listChats()).body.chats.find((c: any) => c.chat_id === created.chat_id);
    expect(listed?.name).toBe(chat.name);

    const events = await eventsOf(created.chat_id);
    expect(events.map((e) => e.event)).toEqual(['tree.created', 'message.added', 'chat.updated']);
    expect(events[2]?.data).toMatchObject({ chat_id: created.chat_id, name: chat.name, chat_type: 'main' });

    // Later pairs change nothing: the title is set once.
    await a.add(created.chat_id, 'And in April?', 'Porto.');
    await settled();
    expect((await chatOf(a, created.chat_id)).name).toBe(chat.name);
    expect((await eventsOf(created.chat_id)).filter((e) => e.event === 'chat.updated')).toHaveLength(1);
  });

  test('the first pair of a start fork or of a generated answer titles the conversation too', async () => {
    const a = await newAccount(app);
    const root = (await createUnnamed(a)).chat_id;
    const fork = await a.createBranch({ chat_id: root, response_id: null, question: 'Packing list for Porto?' });
    expect(fork.status).toBe(201);
    await settled();
    expect((await chatOf(a, root)).name).toBe('Packing list for Porto');
    // The branch keeps its own name (its first question's): only the conversation's name is a title.
    expect((await chatOf(a, fork.body.chat.chat_id)).name).toBe('Packing list for Porto?');

    const other = (await createUnnamed(a)).chat_id;
    expect((await a.addMessage(other, 'Is the responder answering this one?')).status).toBe(201);
    await settled();
    expect((await chatOf(a, other)).name).toBe('Is the responder answering this one');
  });

  test('a named chat never gets a title, not even one named "New chat"', async () => {
    const { responder, calls, release } = gatedResponder();
    release();
    const b = await newAccount(appWith(responder));
    for (const name of ['Trip ideas', 'New chat']) {
      const c = await b.createChat(name);
      await b.add(c.body.chat_id, 'Where should we go in March?', 'Lisbon.');
      await settled();
      expect((await chatOf(b, c.body.chat_id)).name).toBe(name);
      expect((await eventsOf(c.body.chat_id)).some((e) => e.event === 'chat.updated')).toBe(false);
    }
    expect(calls).toHaveLength(0);
  });
});

describe('titles in the background', () => {
  test('the answer is not delayed: add-message returns while the title is still being proposed', async () => {
    const { responder, calls, release } = gatedResponder();
    const a = await newAccount(appWith(responder));
    const root = (await createUnnamed(a)).chat_id;

    const pair = await a.addMessage(root, 'Where should we go in March?', 'Lisbon.');
    expect(pair.status).toBe(201);
    // Answered, while the title waits at the gate.
    expect(calls.map((c) => [c.question, c.answer])).toEqual([['Where should we go in March?', 'Lisbon.']]);
    expect(services.background.size).toBeGreaterThanOrEqual(1);
    expect((await chatOf(a, root)).name).toBe('New chat');
    // A second pair meanwhile starts no second proposal for the same conversation.
    await a.add(root, 'And in April?', 'Porto.');
    expect(calls).toHaveLength(1);

    release();
    await settled();
    expect((await chatOf(a, root)).name).toBe('Where should we go in March');
  });

  test('a rename before the title arrives wins: the title is dropped, no event announces it', async () => {
    const { responder, calls, release } = gatedResponder();
    const a = await newAccount(appWith(responder));
    const root = (await createUnnamed(a)).chat_id;
    await a.add(root, 'Where should we go in March?', 'Lisbon.');
    expect(calls).toHaveLength(1);

    const renamed = await a.updateChat(root, 'My spring trip');
    expect(renamed.status).toBe(200);
    release();
    await settled();

    expect((await chatOf(a, root)).name).toBe('My spring trip');
    const updates = (await eventsOf(root)).filter((e) => e.event === 'chat.updated');
    expect(updates.map((e) => e.data.name)).toEqual(['My spring trip']);
    // And for good: later pairs bring no title either.
    await a.add(root, 'And in April?', 'Porto.');
    await settled();
    expect((await chatOf(a, root)).name).toBe('My spring trip');
    expect(calls).toHaveLength(1);
  });

  test('renaming a branch is not naming the conversation: the title still comes', async () => {
    const a = await newAccount(app);
    const root = (await createUnnamed(a)).chat_id;
    const fork = await a.createBranch({ chat_id: root, response_id: null });
    expect((await a.updateChat(fork.body.chat.chat_id, 'Mine')).status).toBe(200);
    await a.add(root, 'Where should we go in March?', 'Lisbon.');
    await settled();
    expect((await chatOf(a, root)).name).toBe('Where should we go in March');
    expect((await chatOf(a, fork.body.chat.chat_id)).name).toBe('Mine');
  });

  test('a conversation deleted before its title arrives stays deleted, quietly', async () => {
    const { responder, release } = gatedResponder();
    const a = await newAccount(appWith(responder));
    const root = (await createUnnamed(a)).chat_id;
    await a.add(root, 'Where should we go in March?', 'Lisbon.');
    expect((await a.deleteChat(root)).status).toBe(200);
    release();
    await settled();
    expect((await a.getChat(root)).status).toBe(404);
    expect((await eventsOf(root)).map((e) => e.event)).toEqual(['tree.created', 'message.added', 'chat.deleted']);
  });

  test('a failing proposal leaves "New chat" and surfaces nothing; the next pair tries again', async () => {
    const local = new LocalResponder();
    let fail = true;
    const responder: Responder = {
      model: local.model,
      start: (request) => local.start(request),
      async proposeTitle(request) {
        if (fail) throw new Error('the title model is down');
        return local.proposeTitle(request);
      },
    };
    const a = await newAccount(appWith(responder));
    const root = (await createUnnamed(a)).chat_id;
    const pair = await a.addMessage(root, 'Where should we go in March?', 'Lisbon.');
    expect(pair.status).toBe(201);
    await settled();
    const chat = await chatOf(a, root);
    expect(chat.name).toBe('New chat');
    expect(chat.message_count).toBe(1);
    expect((await eventsOf(root)).some((e) => e.event === 'chat.updated')).toBe(false);

    fail = false;
    await a.add(root, 'And in April?', 'Porto.');
    await settled();
    expect((await chatOf(a, root)).name).toBe('And in April');
  });
});

describe('titles from an OpenAI-compatible model', () => {
  let fake: FakeOpenAI;
  let a: Client;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const responder = new OpenAIResponder({ baseURL: fake.url, model: 'test-model', timeoutMs: 10_000 });
    a = await newAccount(appWith(responder));
  });
  afterAll(() => fake.stop());

  test('one short completion of the configured model; its answer cleaned', async () => {
    const root = (await createUnnamed(a)).chat_id;
    fake.next({ kind: 'stream', chunks: ['"Spring', ' trip to', ' Lisbon."\n', 'Anything else?'] });
    const sent = fake.requests.length;
    await a.add(root, 'Where should we go in March?', 'Lisbon: mild and sunny.');
    await settled();
    expect((await chatOf(a, root)).name).toBe('Spring trip to Lisbon');

    const asked = fake.requests.slice(sent);
    expect(asked).toHaveLength(1);
    const body = asked[0]?.body;
    expect(body?.model).toBe('test-model');
    expect(body?.max_tokens).toBe(16);
    expect(body?.messages[0]).toEqual({ role: 'system', content: TITLE_INSTRUCTION });
    expect(body?.messages[1]?.content).toContain('Where should we go in March?');
    expect(body?.messages[1]?.content).toContain('Lisbon: mild and sunny.');
  });

  test('the generated answer comes first, then the title request', async () => {
    const root = (await createUnnamed(a)).chat_id;
    fake.next({ kind: 'stream', chunks: ['Porto ', 'is lovely.'] });
    fake.next({ kind: 'stream', chunks: ['Porto in May'] });
    const pair = await a.addMessage(root, 'Where in May?');
    expect(pair.status).toBe(201);
    expect(pair.body.response).toBe('Porto is lovely.');
    await settled();
    expect((await chatOf(a, root)).name).toBe('Porto in May');
    expect(fake.requests.at(-1)?.body.messages[1]?.content).toContain('Porto is lovely.');
  });

  test('a model that fails, or answers nothing usable, gives the local title instead', async () => {
    const failures: Behaviour[] = [
      { kind: 'status', status: 500 },
      { kind: 'reset' },
      { kind: 'stream', chunks: ['""', ' \n'] },
    ];
    for (const b of failures) {
      const root = (await createUnnamed(a)).chat_id;
      fake.next(b);
      await a.add(root, 'Which trains go to Porto?', 'Several, from Lisbon.');
      await settled();
      expect((await chatOf(a, root)).name).toBe('Which trains go to Porto');
    }
  });
});
