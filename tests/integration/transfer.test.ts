/**
 * Import and export through the API, on both content stores: the formats, the hand-written ChatGPT fixture,
 * malformed input (a 422 listing the problems, nothing stored), isolation, and the round trip
 * import(export(tree)) = tree on random trees built with real API calls (property-based, fast-check; start forks
 * and regenerations included, more in start-fork-transfer.test.ts); the limits of one import (conversations,
 * pairs, nesting depth) and the stored-time window.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_BRANCH_DEPTH } from '../../src/domain/model.js';
import { appFor, testApp } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
let services: Awaited<ReturnType<typeof testApp>>['services'];
beforeAll(async () => {
  ({ app, services } = await testApp());
});

const EXPORT = '/api/v1/chats/export-chat';
const IMPORT = '/api/v1/chats/import-chat';
const fixture = () =>
  JSON.parse(readFileSync(join(import.meta.dir, '..', 'fixtures', 'chatgpt-conversation.json'), 'utf8'));

async function exportOf(a: Client, chatId: string, format: 'json' | 'chatgpt' | 'markdown') {
  const r = await a.call('GET', EXPORT, { query: { chat_id: chatId, format } });
  expect(r.status).toBe(200);
  return r;
}

async function importOf(a: Client, body: unknown) {
  const r = await a.call('POST', IMPORT, { body });
  if (r.status !== 201) throw new Error(`import-chat ${r.status}: ${JSON.stringify(r.body).slice(0, 2000)}`);
  return r.body as {
    conversations: {
      root_chat_id: string;
      active_chat_id: string;
      title: string;
      chat_count: number;
      pair_count: number;
    }[];
    notes: string[];
  };
}

/**
 * A tree as its shape and content with every id replaced by a position: chats in export order (root first,
 * parents first), each with its parent's index, the seq it forks after, and its own pairs without ids.
 */
function canonical(tree: any) {
  const index = new Map<string, number>(tree.chats.map((c: any, i: number) => [c.chat_id, i]));
  const seqOf = new Map<string, number>();
  for (const c of tree.chats) {
    c.qa_pairs.forEach((p: any, i: number) => {
      seqOf.set(p.response_id, i + 1);
    });
  }
  const pair = (p: any) => {
    const { response_id: _r, chat_id: _c, branches, ...rest } = p;
    return { ...rest, branches: branches.map((b: string) => index.get(b)) };
  };
  return {
    title: tree.title,
    system_prompt: tree.system_prompt,
    active: index.get(tree.active_chat_id),
    chats: tree.chats.map((c: any) => ({
      parent: c.parent_chat_id === null ? null : index.get(c.parent_chat_id),
      fork_seq: c.fork_response_id === null ? null : seqOf.get(c.fork_response_id),
      chat_type: c.chat_type,
      name: c.name,
      active: c.active,
      created_at: c.created_at,
      updated_at: c.updated_at,
      qa_pairs: c.qa_pairs.map(pair),
    })),
  };
}

/** Every chat's whole visible history as read by get-chat, in export order, without ids. */
async function histories(a: Client, tree: any) {
  const out: unknown[] = [];
  for (const c of tree.chats) {
    const r = await a.getChat(c.chat_id, { limit: 1000 });
    expect(r.status).toBe(200);
    out.push({
      message_count: r.body.chat.message_count,
      system_prompt: r.body.chat.system_prompt,
      pairs: r.body.qa_pairs.map((p: any) => [p.question, p.response, p.timestamp, p.type, p.generation]),
    });
  }
  return out;
}

describe('export-chat', () => {
  test('json: the whole tree from any of its chats; markdown: the visible history of the chat given', async () => {
    const a = await newAccount(app);
    const root = (
      await a.call('POST', '/api/v1/chats/create-chat', { body: { name: 'Trip', system_prompt: 'Be brief.' } })
    ).body.chat_id as string;
    const p1 = await a.add(root, 'Where in March?', 'Lisbon.');
    await a.add(root, 'And in April?', 'Seville.');
    const b = await a.branch(root, p1, { name: 'Trip (May)', question: 'What about May?', response: 'Porto.' });
    await a.call('POST', '/api/v1/messages/add-message', {
      body: { chat_id: b, question: 'Show me code', response: 'print(1)', type: 'code', language: 'python' },
    });

    const fromBranch = (await exportOf(a, b, 'json')).body;
    const fromRoot = await exportOf(a, root, 'json');
    expect(fromRoot.headers.get('Content-Disposition')).toBe('attachment; filename="trip.json"');
    expect({ ...fromRoot.body, exported_at: 0 }).toEqual({ ...fromBranch, exported_at: 0 });
    expect(fromBranch.format).toBe('branchat.tree.v1');
    expect(fromBranch.root_chat_id).toBe(root);
    expect(fromBranch.active_chat_id).toBe(b);
    expect(fromBranch.system_prompt).toBe('Be brief.');
    expect(fromBranch.chats.map((c: any) => [c.chat_id, c.parent_chat_id, c.fork_response_id])).toEqual([
      [root, null, null],
      [b, root, p1],
    ]);
    // Own pairs only: the branch does not repeat its inherited prefix.
    expect(fromBranch.chats[1].qa_pairs.map((p: any) => p.question)).toEqual(['What about May?', 'Show me code']);
    expect(fromBranch.chats[0].qa_pairs[0].branches).toEqual([b]);

    const md = await exportOf(a, b, 'markdown');
    expect(md.headers.get('Content-Type')).toBe('text/markdown; charset=utf-8');
    const text = md.body as string;
    expect(text.startsWith('# Trip (May)\n')).toBe(true);
    expect(text).toContain('> Be brief.');
    // The branch's visible history: inherited first pair, then its own; never the root's second pair.
    const order = ['Where in March?', 'What about May?', 'Show me code'].map((q) => text.indexOf(q));
    expect(order.every((i, k) => i > 0 && (k === 0 || i > (order[k - 1] as number)))).toBe(true);
    expect(text).not.toContain('And in April?');
    expect(text).toContain('```python\nprint(1)\n```');
  });

  test('chatgpt: the public export shape, with current_node at the active chat’s last message', async () => {
    const a = await newAccount(app);
    const { chatId, ids } = await a.chatWith(2, 'Shape');
    const b = await a.branch(chatId, ids[0] as string, { question: 'edited q2', response: 'other a2' });
    const r = await exportOf(a, chatId, 'chatgpt');
    const conv = r.body;
    expect(conv.title).toBe('Shape');
    expect(typeof conv.create_time).toBe('number');
    const nodes = Object.values(conv.mapping) as any[];
    for (const n of nodes) {
      expect(Object.keys(n).sort()).toEqual(['children', 'id', 'message', 'parent']);
      for (const child of n.children) expect(conv.mapping[child].parent).toBe(n.id);
    }
    const messages = nodes.filter((n) => n.message).map((n) => n.message);
    for (const m of messages) {
      expect(['user', 'assistant', 'system']).toContain(m.author.role);
      expect(m.content.content_type).toBe('text');
      expect(Array.isArray(m.content.parts)).toBe(true);
    }
    // The first answer has two children: the root's next question and the branch's first (an "edit").
    const firstAnswer = conv.mapping[ids[0] as string];
    expect(firstAnswer.message.content.parts).toEqual(['a1']);
    expect(firstAnswer.children.map((id: string) => conv.mapping[id].message.content.parts[0])).toEqual([
      'q2',
      'edited q2',
    ]);
    // The branch is active: current_node is its last answer.
    expect(conv.mapping[conv.current_node].message.content.parts).toEqual(['other a2']);
    expect(conv.branchat.active_chat_id).toBe(b);
  });

  test('another account’s chat → 404; a bad format → 422; no token → 401', async () => {
    const a = await newAccount(app);
    const other = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    expectProblem(await other.call('GET', EXPORT, { query: { chat_id: chatId, format: 'json' } }), 404);
    expectProblem(await a.call('GET', EXPORT, { query: { chat_id: chatId, format: 'xml' } }), 422);
    expectProblem(await a.call('GET', EXPORT, { query: { chat_id: chatId }, token: null }), 401);
  });
});

describe('import-chat', () => {
  test('the hand-written ChatGPT fixture: edits and regenerations become branches; the active path is kept', async () => {
    const a = await newAccount(app);
    const result = await importOf(a, fixture());
    expect(result.conversations).toHaveLength(1);
    const conv = result.conversations[0] as (typeof result.conversations)[number];
    const tree = (await exportOf(a, conv.root_chat_id, 'json')).body;
    expect(tree.title).toBe(fixture().title);
    expect(conv.chat_count).toBe(tree.chats.length);
    expect(conv.pair_count).toBe(tree.chats.reduce((n: number, c: any) => n + c.qa_pairs.length, 0));
    expect(tree.chats.length).toBeGreaterThanOrEqual(3); // the root, the edit, the regeneration
    expect(tree.active_chat_id).toBe(conv.active_chat_id);
    // The active chat's history ends with the leaf current_node points at.
    const f = fixture();
    const leaf = f.mapping[f.current_node].message;
    const active = await a.getChat(conv.active_chat_id, { limit: 1000, before: 'end' });
    const last = active.body.qa_pairs.at(-1);
    const leafText = leaf.content.parts.filter((p: unknown) => typeof p === 'string').join('\n');
    expect(leaf.author.role === 'assistant' ? last.response : last.question).toBe(leafText);
    expect(last.timestamp).toBe(new Date(Math.round(leaf.create_time * 1000)).toISOString());
    // Listed like any conversation, ordered by its own (historic) last activity.
    const list = await a.listChats();
    expect(list.body.chats.map((c: any) => c.chat_id)).toContain(conv.root_chat_id);
  });

  test('an array (conversations.json): all stored in one call', async () => {
    const a = await newAccount(app);
    const one = fixture();
    const two = { ...fixture(), title: 'Second', id: 'other-id', conversation_id: 'other-id' };
    const result = await importOf(a, [one, two]);
    expect(result.conversations.map((c) => c.title)).toEqual([one.title, 'Second']);
    expect(new Set(result.conversations.map((c) => c.root_chat_id)).size).toBe(2);
  });

  test('malformed input → 422 listing each problem with its path; nothing is stored', async () => {
    const a = await newAccount(app);
    const bad = fixture();
    const ids = Object.keys(bad.mapping);
    const victim = ids[ids.length - 1] as string;
    bad.mapping[victim].parent = 'no-such-node';
    const broken = { ...fixture(), mapping: 'not an object' };
    const r = await a.call('POST', IMPORT, { body: [fixture(), bad, broken] });
    expectProblem(r, 422);
    const paths = (r.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths.some((p) => p.startsWith('[1].mapping') && p.includes(victim))).toBe(true);
    expect(paths.some((p) => p.startsWith('[2].mapping'))).toBe(true);
    expect(paths.some((p) => p.startsWith('[0]'))).toBe(false);
    // Nothing at all, not even the valid first conversation.
    expect((await a.listChats()).body.chats).toEqual([]);

    expectProblem(await a.call('POST', IMPORT, { body: 'just a string' }), 422);
    expectProblem(await a.call('POST', IMPORT, { body: [] }), 422);
    expect((await a.listChats()).body.chats).toEqual([]);
  });

  test('a body over 1 MiB is accepted here (import limit), no token → 401', async () => {
    const a = await newAccount(app);
    const big = fixture();
    const anyUser = Object.values(big.mapping).find((n: any) => n.message?.author.role === 'user') as any;
    anyUser.message.content.parts = ['x'.repeat(30_000)];
    const padding = 'p'.repeat(1_200_000);
    const r = await a.call('POST', IMPORT, { body: { ...big, padding } });
    expect(r.status).toBe(201);
    expectProblem(await a.call('POST', IMPORT, { body: fixture(), token: null }), 401);
  });
});

// ---- round trip on random trees ---------------------------------------------------------------------------

/** What to build: pairs and branches in order; each refers to earlier things by index (taken modulo). */
type Step =
  | { kind: 'add'; chat: number; q: string; r: string | null; type: 0 | 1 | 2 }
  | { kind: 'branch'; chat: number; pair: number; name: string | null; first: { q: string; r: string } | null }
  // A start fork (create-branch with response_id null, from any chat of the tree), or a regenerated answer (of a
  // first question: a start fork too).
  | { kind: 'start'; chat: number; name: string | null; first: { q: string; r: string } | null; activate: boolean }
  | { kind: 'regenerate'; chat: number; pair: number; activate: boolean }
  | { kind: 'activate'; chat: number }
  | { kind: 'delete'; chat: number };

const words = fc.string({
  unit: fc.constantFrom('a', 'é', '🙂', ' ', 'b', '\n', '`', '<'),
  minLength: 1,
  maxLength: 12,
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      chat: fc.nat(),
      q: words,
      r: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
      type: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('branch' as const),
      chat: fc.nat(),
      pair: fc.nat(),
      name: fc.option(words, { nil: null }),
      first: fc.option(fc.record({ q: words, r: fc.string({ maxLength: 8 }) }), { nil: null }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      chat: fc.nat(),
      name: fc.option(words, { nil: null }),
      first: fc.option(fc.record({ q: words, r: fc.string({ maxLength: 8 }) }), { nil: null }),
      activate: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('regenerate' as const),
      chat: fc.nat(),
      pair: fc.nat(),
      activate: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('activate' as const), chat: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), chat: fc.nat() }), weight: 1 },
);

async function build(a: Client, steps: Step[], systemPrompt: string | null): Promise<string> {
  const created = await a.call('POST', '/api/v1/chats/create-chat', {
    body: systemPrompt === null ? { name: 'Random tree' } : { name: 'Random tree', system_prompt: systemPrompt },
  });
  const root = created.body.chat_id as string;
  let chats = [root];
  for (const s of steps) {
    const chat = chats[s.chat % chats.length] as string;
    if (s.kind === 'add') {
      const kind = [{}, { type: 'code', language: 'ts' }, { type: 'link', url: 'https://example.org/x' }][s.type];
      const body = { chat_id: chat, question: s.q, ...(s.r === null ? {} : { response: s.r }), ...kind };
      expect((await a.call('POST', '/api/v1/messages/add-message', { body })).status).toBe(201);
    } else if (s.kind === 'branch') {
      const page = await a.getChat(chat, { limit: 1000 });
      const pairs = page.body.qa_pairs as { response_id: string }[];
      if (pairs.length === 0) continue;
      const fork = pairs[s.pair % pairs.length] as { response_id: string };
      const extra = {
        ...(s.name === null ? {} : { name: s.name }),
        ...(s.first === null ? {} : { question: s.first.q, response: s.first.r }),
      };
      chats.push(await a.branch(chat, fork.response_id, extra));
    } else if (s.kind === 'start') {
      const extra = {
        ...(s.name === null ? {} : { name: s.name }),
        ...(s.first === null ? {} : { question: s.first.q, response: s.first.r }),
      };
      const r = await a.createBranch({ chat_id: chat, response_id: null, activate: s.activate, ...extra });
      expect(r.status).toBe(201);
      chats.push(r.body.chat.chat_id);
    } else if (s.kind === 'regenerate') {
      const pairs = (await a.getChat(chat, { limit: 1000 })).body.qa_pairs as { response_id: string }[];
      const old = pairs[s.pair % Math.max(1, pairs.length)];
      if (!old) continue;
      const r = await a.regenerate(old.response_id, s.activate);
      expect(r.status).toBe(201);
      chats.push(r.body.chat.chat_id);
    } else if (s.kind === 'activate') {
      expect((await a.setActive(chat)).status).toBe(200);
    } else if (chat !== root) {
      const d = await a.deleteChat(chat);
      expect(d.status).toBe(200);
      chats = chats.filter((c) => !d.body.deleted_chat_ids.includes(c));
    }
  }
  return root;
}

describe('round trip', () => {
  test('import(export(tree, chatgpt)) gives the same tree, histories and active chat (random trees, start forks included)', async () => {
    const a = await newAccount(app);
    const seen = { startForks: 0, emptyStartForks: 0, belowStartForks: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        fc.option(words, { nil: null }),
        async (steps, systemPrompt) => {
          const root = await build(a, steps, systemPrompt);
          const original = (await exportOf(a, root, 'json')).body;
          const exported = (await exportOf(a, root, 'chatgpt')).body;
          const imported = await importOf(a, exported);
          expect(imported.notes).toEqual([]);
          const conv = imported.conversations[0] as (typeof imported.conversations)[number];
          const copy = (await exportOf(a, conv.root_chat_id, 'json')).body;
          expect(canonical(copy)).toEqual(canonical(original));
          expect(await histories(a, copy)).toEqual(await histories(a, original));
          expect(conv.active_chat_id).toBe(copy.active_chat_id);
          const starts = copy.chats.filter((c: any) => c.parent_chat_id !== null && c.fork_response_id === null);
          seen.startForks += starts.length;
          seen.emptyStartForks += starts.filter((c: any) => c.qa_pairs.length === 0).length;
          const startIds = new Set(starts.map((c: any) => c.chat_id));
          seen.belowStartForks += copy.chats.filter((c: any) => startIds.has(c.parent_chat_id)).length;
        },
      ),
      { numRuns: Number(process.env.ROUNDTRIP_RUNS ?? 25) },
    );
    // The generator does reach start forks (about one per run; empty ones, rarer, are covered by
    // start-fork-transfer.test.ts).
    expect(seen.startForks).toBeGreaterThan(0);
    if (process.env.ROUNDTRIP_COVERAGE) console.log('round trip coverage', seen);
  }, 180_000);
});

// ---- times outside the stored window ----------------------------------------------------------------------

/** A ChatGPT conversation of one question/answer pair per entry of `seconds` (the pair's time, in s). */
function dated(title: string, seconds: number[]) {
  const mapping: Record<string, any> = { root: { id: 'root', message: null, parent: null, children: [] } };
  let parent = 'root';
  seconds.forEach((t, i) => {
    const msg = (id: string, role: string, text: string) => ({
      id,
      author: { role },
      create_time: t,
      content: { content_type: 'text', parts: [text] },
    });
    for (const [id, role, text] of [
      [`u${i}`, 'user', `zebra question ${i}`],
      [`a${i}`, 'assistant', `zebra answer ${i}`],
    ] as const) {
      mapping[parent].children.push(id);
      mapping[id] = { id, message: msg(id, role, text), parent, children: [] };
      parent = id;
    }
  });
  return { title, create_time: seconds[0], update_time: seconds.at(-1), current_node: parent, mapping };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAY_MS = 86_400_000;

/** Every time a tree's JSON export holds: chats' created_at/updated_at and pairs' timestamps. */
function timesOf(tree: any): string[] {
  return tree.chats.flatMap((c: any) => [c.created_at, c.updated_at, ...c.qa_pairs.map((p: any) => p.timestamp)]);
}

describe('times outside the stored window (1970-01-01 … now + 1 day)', () => {
  test('an import at 9999-12-31T23:59:59.999Z, then a message: every read answers, every time in the window', async () => {
    const a = await newAccount(app);
    const imported = await importOf(a, dated('Far future', [253_402_300_799.999]));
    expect(imported.notes.join('\n')).toContain('1970-01-01T00:00:00.000Z');
    const conv = imported.conversations[0] as (typeof imported.conversations)[number];
    await a.add(conv.active_chat_id, 'zebra after the import', 'ok');

    const list = await a.listChats();
    expect(list.status).toBe(200);
    const search = await a.call('GET', '/api/v1/messages/search-messages', { query: { q: 'zebra' } });
    expect(search.status).toBe(200);
    expect(search.body.hits.length).toBe(2);
    const page = await a.getChat(conv.active_chat_id, { limit: 100 });
    expect(page.status).toBe(200);
    expect((await a.getBranches(conv.active_chat_id)).status).toBe(200);
    const tree = (await exportOf(a, conv.root_chat_id, 'json')).body;
    expect((await exportOf(a, conv.root_chat_id, 'chatgpt')).status).toBe(200);

    const bound = Date.now() + DAY_MS;
    const times = [
      list.body.chats[0].last_activity_at,
      list.body.chats[0].updated_at,
      page.body.chat.updated_at,
      ...page.body.qa_pairs.map((p: any) => p.timestamp),
      ...search.body.hits.map((h: any) => h.timestamp),
      ...timesOf(tree),
    ];
    for (const t of times) {
      expect(t).toMatch(ISO);
      expect(Date.parse(t)).toBeLessThanOrEqual(bound);
    }
    // The new pair is the latest thing in the tree, and list-chats says so.
    const last = page.body.qa_pairs.at(-1);
    expect(last.question).toBe('zebra after the import');
    expect(list.body.chats[0].last_activity_at).toBe(
      new Date(Math.max(...timesOf(tree).map((t) => Date.parse(t)))).toISOString(),
    );
  });

  test('last_activity_at of an imported tree is its latest time (also for a tree older than 1970)', async () => {
    const a = await newAccount(app);
    const old = await importOf(a, dated('Old', [-315_619_200, -315_619_100])); // 1960
    const recent = await importOf(a, dated('Recent', [978_307_200, 978_307_260.5])); // 2001
    expect(old.notes.join('\n')).toContain('1970-01-01T00:00:00.000Z');
    expect(recent.notes).toEqual([]);
    const listed = new Map<string, any>((await a.listChats()).body.chats.map((c: any) => [c.chat_id, c]));
    for (const conv of [...old.conversations, ...recent.conversations]) {
      const times = timesOf((await exportOf(a, conv.root_chat_id, 'json')).body);
      for (const t of times) expect(Date.parse(t)).toBeGreaterThanOrEqual(0);
      const latest = new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString();
      expect(listed.get(conv.root_chat_id).last_activity_at).toBe(latest);
    }
    expect(listed.get(recent.conversations[0]?.root_chat_id as string).last_activity_at).toBe(
      '2001-01-01T00:01:00.500Z',
    );
  });
});

// ---- limits of one import, and of a tree's depth ----------------------------------------------------------

describe('import limits (IMPORT_MAX_CONVERSATIONS, IMPORT_MAX_PAIRS)', () => {
  const refusal = (r: Res, setting: string) => {
    expectProblem(r, 422);
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0].path).toBe('(input)');
    expect(r.body.errors[0].message).toContain(setting);
  };

  test('the defaults: 1,001 conversations in one call → 422 before any is read; nothing stored', async () => {
    const a = await newAccount(app);
    const r = await a.call('POST', IMPORT, { body: Array.from({ length: 1_001 }, () => ({})) });
    refusal(r, 'IMPORT_MAX_CONVERSATIONS');
    expect(r.body.errors[0].message).toContain('holds 1001 conversations; at most 1000');
    expect((await a.listChats()).body.chats).toEqual([]);
  });

  test('beyond either cap → 422, nothing stored; at the caps → 201', async () => {
    const small = appFor({ ...services, deps: { ...services.deps, imports: { maxConversations: 3, maxPairs: 5 } } });
    const a = await newAccount(small);
    const conv = (n: number, title: string) =>
      dated(
        title,
        Array.from({ length: n }, (_, i) => 1_700_000_000 + i),
      );

    refusal(
      await a.call('POST', IMPORT, { body: [conv(1, 'a'), conv(1, 'b'), conv(1, 'c'), conv(1, 'd')] }),
      'IMPORT_MAX_CONVERSATIONS',
    );
    const pairs = await a.call('POST', IMPORT, { body: [conv(3, 'a'), conv(3, 'b')] });
    refusal(pairs, 'IMPORT_MAX_PAIRS');
    expect(pairs.body.errors[0].message).toContain('holds 6 pairs; at most 5');
    refusal(await a.call('POST', IMPORT, { body: conv(6, 'one too long') }), 'IMPORT_MAX_PAIRS');
    expect((await a.listChats()).body.chats).toEqual([]);

    expect((await a.call('POST', IMPORT, { body: [conv(1, 'a'), conv(2, 'b'), conv(2, 'c')] })).status).toBe(201);
    expect((await a.call('POST', IMPORT, { body: conv(5, 'five') })).status).toBe(201);
    expect((await a.listChats()).body.chats).toHaveLength(4);
  });
});

describe(`the deepest tree (${MAX_BRANCH_DEPTH} levels of branches)`, () => {
  test('create-branch refuses one level more (422); the deepest tree exports (chatgpt) and imports back', async () => {
    const a = await newAccount(app);
    const root = (await a.createChat('Deep')).body.chat_id as string;
    let fork = await a.add(root, 'level 0', 'answer 0');
    let chat = root;
    for (let level = 1; level <= MAX_BRANCH_DEPTH; level++) {
      const r = await a.createBranch({ chat_id: chat, response_id: fork, question: `level ${level}`, response: 'ok' });
      expect(r.status).toBe(201);
      chat = r.body.chat.chat_id;
      fork = r.body.qa_pair.response_id;
    }
    // One level more: refused, whatever the branch would hold; nothing created.
    for (const extra of [{}, { question: 'too deep', response: 'no' }]) {
      const r = await a.createBranch({ chat_id: chat, response_id: fork, ...extra });
      expectProblem(r, 422);
      expect(r.body.errors[0].path).toBe('response_id');
      expect(r.body.errors[0].message).toContain(`at most ${MAX_BRANCH_DEPTH}`);
    }
    const before = await a.getBranches(root);
    expect(before.body.count).toBe(MAX_BRANCH_DEPTH + 1);
    // Forking the deepest chat from an inherited pair attaches higher up: allowed.
    expect(
      (await a.createBranch({ chat_id: chat, response_id: (await a.getChat(root)).body.qa_pairs[0].response_id }))
        .status,
    ).toBe(201);

    const original = (await exportOf(a, root, 'json')).body;
    const imported = await importOf(a, (await exportOf(a, root, 'chatgpt')).body);
    expect(imported.notes).toEqual([]);
    const conv = imported.conversations[0] as (typeof imported.conversations)[number];
    expect(conv.chat_count).toBe(MAX_BRANCH_DEPTH + 2);
    const copy = (await exportOf(a, conv.root_chat_id, 'json')).body;
    expect(canonical(copy)).toEqual(canonical(original));
    // The copy is as deep, and as closed: its deepest chat cannot branch either.
    const deepest = copy.chats.find((c: any) => c.qa_pairs[0]?.question === `level ${MAX_BRANCH_DEPTH}`);
    const deep = await a.createBranch({ chat_id: deepest.chat_id, response_id: deepest.qa_pairs[0].response_id });
    expectProblem(deep, 422);
  }, 120_000);
});
