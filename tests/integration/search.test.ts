/**
 * search-messages: full-text, branch-aware, account-scoped, paged. Runs on both content stores (npm run
 * test:pg: PostgreSQL tsvector + GIN; test:mongo: MongoDB text index on the wire-protocol double, or a real
 * server with MONGO_URL). Prefix matching is PostgreSQL's alone and tested only there.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let store: string;
beforeAll(async () => {
  const t = await testApp();
  app = t.app;
  store = t.services.deps.content.name;
});

interface Hit {
  chat_id: string;
  root_chat_id: string;
  open_chat_id: string;
  response_id: string;
  snippet: string;
  score: number;
  type: string;
  timestamp: string;
}

type Account = Awaited<ReturnType<typeof newAccount>>;

async function search(a: Account, q: string, extra: Record<string, string | number> = {}) {
  const r = await a.call('GET', '/api/v1/messages/search-messages', { query: { q, ...extra } });
  if (r.status !== 200) throw new Error(`search ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as { hits: Hit[]; next_cursor: string | null };
}

const ids = (hits: Hit[]) => hits.map((h) => h.response_id).sort();

describe('search-messages', () => {
  test('finds words in questions and responses, with a marked snippet and what is needed to open the pair', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0, 'trip');
    const inQuestion = await a.add(chatId, 'Which volcano should we climb?', 'Etna is close.');
    const inResponse = await a.add(chatId, 'And after that?', 'A boat to the volcano island of Stromboli.');
    await a.add(chatId, 'Where do we sleep?', 'In Catania.');

    const r = await search(a, 'volcano');
    expect(ids(r.hits)).toEqual([inQuestion, inResponse].sort());
    expect(r.next_cursor).toBeNull();
    for (const h of r.hits) {
      expect(h.chat_id).toBe(chatId);
      expect(h.root_chat_id).toBe(chatId);
      expect(h.open_chat_id).toBe(chatId);
      expect(h.type).toBe('text');
      expect(h.score).toBeGreaterThan(0);
      expect(h.snippet).toContain('<mark>volcano</mark>');
      expect(Number.isNaN(Date.parse(h.timestamp))).toBe(false);
    }
    const scores = r.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));

    // Case-insensitive; every word must match (AND); unknown words find nothing.
    expect(ids((await search(a, 'VOLCANO Etna')).hits)).toEqual([inQuestion]);
    expect((await search(a, 'volcano catania')).hits).toEqual([]);
    expect((await search(a, 'zanzibar')).hits).toEqual([]);
  });

  test('stemmed in the search language: "climbing" finds "climb", "islands" finds "island"', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const id = await a.add(chatId, 'Which volcano should we climb?', 'The island one.');
    expect(ids((await search(a, 'climbing')).hits)).toEqual([id]);
    expect(ids((await search(a, 'islands')).hits)).toEqual([id]);
  });

  test('branch-aware: a chat’s visible history only (inherited included, other branches never); without chat_id each pair once', async () => {
    const a = await newAccount(app);
    const { chatId: root } = await a.chatWith(0, 'root');
    const shared = await a.add(root, 'kiwi shared', 'before the fork');
    const branch = await a.branch(root, shared);
    const rootLater = await a.add(root, 'kiwi on main', 'after the fork');
    const branchOwn = await a.add(branch, 'kiwi on the branch', 'own pair');
    const sibling = await a.branch(root, shared, { question: 'kiwi sibling', response: 'first pair' });

    const inBranch = await search(a, 'kiwi', { chat_id: branch });
    expect(ids(inBranch.hits)).toEqual([shared, branchOwn].sort());
    const inherited = inBranch.hits.find((h) => h.response_id === shared) as Hit;
    expect(inherited.chat_id).toBe(root); // stored in the root
    expect(inherited.open_chat_id).toBe(branch); // opened in the branch searched
    expect(inherited.root_chat_id).toBe(root);

    expect(ids((await search(a, 'kiwi', { chat_id: root })).hits)).toEqual([shared, rootLater].sort());

    const everywhere = await search(a, 'kiwi');
    expect(everywhere.hits).toHaveLength(4);
    expect(new Set(everywhere.hits.map((h) => h.response_id)).size).toBe(4);
    const siblingHit = everywhere.hits.find((h) => h.chat_id === sibling) as Hit;
    expect(siblingHit.open_chat_id).toBe(sibling);
    expect(siblingHit.root_chat_id).toBe(root);
    expect(ids(everywhere.hits)).toContain(branchOwn);
  });

  test('deleted chats never appear; searching a deleted or foreign chat is 404', async () => {
    const a = await newAccount(app);
    const b = await newAccount(app);
    const { chatId: root } = await a.chatWith(0);
    const kept = await a.add(root, 'mango kept', 'x');
    const branch = await a.branch(root, kept, { question: 'mango on a branch', response: 'y' });
    await a.add(branch, 'more mango', 'z');
    expect((await search(a, 'mango')).hits).toHaveLength(3);

    expect((await a.deleteChat(branch)).status).toBe(200);
    expect(ids((await search(a, 'mango')).hits)).toEqual([kept]);
    expectProblem(
      await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'mango', chat_id: branch } }),
      404,
    );

    // Another account sees nothing of it, and cannot search it by id.
    expect((await search(b, 'mango')).hits).toEqual([]);
    expectProblem(
      await b.call('GET', '/api/v1/messages/search-messages', { query: { q: 'mango', chat_id: root } }),
      404,
    );

    expect((await a.deleteChat(root)).status).toBe(200);
    expect((await search(a, 'mango')).hits).toEqual([]);
  });

  test('message types are searchable: code by its code, links by their URL', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const add = (body: Record<string, unknown>) =>
      a.call('POST', '/api/v1/messages/add-message', { body: { chat_id: chatId, ...body } });
    const code = await add({
      question: 'How do I read a file?',
      response: 'const text = readFileSync(path, "utf8");',
      type: 'code',
      language: 'typescript',
    });
    const link = await add({
      question: 'Any guide?',
      response: 'This one.',
      type: 'link',
      url: 'https://example.org/flamingo',
    });
    expect([code.status, link.status]).toEqual([201, 201]);

    const c = await search(a, 'readFileSync');
    expect(c.hits.map((h) => [h.response_id, h.type])).toEqual([[code.body.response_id, 'code']]);
    const l = await search(a, 'flamingo');
    expect(l.hits.map((h) => [h.response_id, h.type])).toEqual([[link.body.response_id, 'link']]);
  });

  test('snippets are HTML-escaped text with only <mark> as markup', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    await a.add(chatId, 'Look: <script>alert("x")</script> papaya & <b>friends</b> and Vec<String> too', 'ok');
    const [hit] = (await search(a, 'papaya')).hits;
    expect(hit?.snippet).toContain('<mark>papaya</mark>');
    expect(hit?.snippet).toContain('&lt;script&gt;');
    expect(hit?.snippet).toContain('&amp;');
    expect(hit?.snippet).toContain('Vec&lt;String&gt;'); // code keeps its angle brackets
    expect(hit?.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '')).not.toMatch(/[<>]/);
  });

  test('pages: every hit exactly once, best first; a cursor belongs to its search', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const all: string[] = [];
    for (let i = 0; i < 23; i++) {
      // Different densities of the word, so scores differ (and some tie).
      all.push(await a.add(chatId, `lemon ${'lemon '.repeat(i % 4)}number ${i}`, `answer ${i}`));
    }
    const seen: Hit[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { hits: Hit[]; next_cursor: string | null } = await search(a, 'lemon', {
        limit: 10,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.hits);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(ids(seen)).toEqual([...all].sort());
    const scores = seen.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));

    const first = await search(a, 'lemon', { limit: 10 });
    const other = await a.call('GET', '/api/v1/messages/search-messages', {
      query: { q: 'answer', cursor: first.next_cursor as string },
    });
    expectProblem(other, 422);
    expectProblem(
      await a.call('GET', '/api/v1/messages/search-messages', {
        query: { q: 'lemon', chat_id: chatId, cursor: first.next_cursor as string },
      }),
      422,
    );
  });

  test('bad input is 422, no token is 401', async () => {
    const a = await newAccount(app);
    const path = '/api/v1/messages/search-messages';
    for (const query of [
      {},
      { q: '' },
      { q: '   ' },
      { q: '!!! ---' },
      { q: 'x'.repeat(201) },
      { q: 'ok', limit: 0 },
      { q: 'ok', limit: 101 },
      { q: 'ok', chat_id: 'not-a-uuid' },
      { q: 'ok', cursor: 'garbage' },
    ]) {
      expectProblem(await a.call('GET', path, { query: query as Record<string, string> }), 422);
    }
    const anon = await app.request(`${path}?q=hello`);
    expect(anon.status).toBe(401);
  });

  test('MongoDB and PostgreSQL alike: `my_var`, `don’t`-style words and several stems ANDed', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const id = await a.add(chatId, 'Set my_var before climbing', 'The connections were generous.');
    await a.add(chatId, 'climbing only', 'nothing else');
    expect(ids((await search(a, 'climb connected')).hits)).toEqual([id]);
    expect(ids((await search(a, 'my_var')).hits)).toEqual([id]);
    expect(ids((await search(a, 'generously climbs')).hits)).toEqual([id]);
  });

  test('a word that appears verbatim is found even when its stem is not a prefix of it (happy → happi)', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const words = ['happy', 'city', 'history', 'party', 'query'];
    const byWord = new Map<string, string>();
    for (const w of words) byWord.set(w, await a.add(chatId, `Tell me about the ${w}`, `The ${w} is here.`));
    const studies = await a.add(chatId, 'Two studies', 'and one study');
    for (const w of words) {
      const r = await search(a, w);
      expect({ w, hits: ids(r.hits) }).toEqual({ w, hits: [byWord.get(w) as string] });
      expect(r.hits[0]?.snippet).toContain(`<mark>${w}</mark>`);
    }
    expect(ids((await search(a, 'study')).hits)).toEqual([studies]);
    expect(ids((await search(a, 'studies')).hits)).toEqual([studies]);
    expect(ids((await search(a, 'happy history')).hits)).toEqual([]);
  });

  test('only stop words: nothing to find, an empty answer (not an error)', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    await a.add(chatId, 'the and of', 'the');
    expect((await search(a, 'the of')).hits).toEqual([]);
  });

  // The preload (tests/support/setup.ts) has set MONGO_URL by now when content goes to MongoDB.
  const onMongo = Boolean(process.env.MONGO_URL);
  if (onMongo) console.info('[skip] search prefix test: prefix matching is PostgreSQL’s, content here is in MongoDB');
  test.skipIf(onMongo)('PostgreSQL: every word also matches as a prefix', async () => {
    expect(store).toBe('postgresql');
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(0);
    const id = await a.add(chatId, 'A connection error again', 'Restart the router.');
    expect(ids((await search(a, 'conn err')).hits)).toEqual([id]);
    expect(ids((await search(a, 'rout')).hits)).toEqual([id]);
  });
});
