/**
 * Import and export through the API, on both content stores: the formats, the hand-written ChatGPT fixture,
 * malformed input (a 422 listing the problems, nothing stored), isolation, and the round trip
 * import(export(tree)) = tree on random trees built with real API calls (property-based, fast-check).
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
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
  test('import(export(tree, chatgpt)) gives the same tree, histories and active chat (random trees)', async () => {
    const a = await newAccount(app);
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
        },
      ),
      { numRuns: Number(process.env.ROUNDTRIP_RUNS ?? 25) },
    );
  }, 180_000);
});
