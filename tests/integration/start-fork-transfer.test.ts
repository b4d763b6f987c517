/**
 * Start forks (branches forking before the first pair of their tree) in export and import, on both content stores:
 * the json and chatgpt exports of a tree holding start forks (empty ones, ones with branches, one from regenerate),
 * the round trip import(export(tree)) = tree whichever chat is active, an empty root, the markdown of a start fork,
 * a real ChatGPT shape with several first questions below a system node, and the nesting limit counting a start
 * fork as depth 1. The random round trip (transfer.test.ts) builds start forks too.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { MAX_BRANCH_DEPTH } from '../../src/domain/model.js';
import { toChatGpt } from '../../src/domain/transfer/chatgpt/index.js';
import type { SnapshotChat, TreeSnapshot } from '../../src/domain/transfer/snapshot.js';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

const EXPORT = '/api/v1/chats/export-chat';
const IMPORT = '/api/v1/chats/import-chat';

async function exportOf(a: Client, chatId: string, format: 'json' | 'chatgpt' | 'markdown') {
  const r = await a.call('GET', EXPORT, { query: { chat_id: chatId, format } });
  expect(r.status).toBe(200);
  return r.body;
}

interface Imported {
  conversations: { root_chat_id: string; active_chat_id: string; chat_count: number; pair_count: number }[];
  notes: string[];
}

async function importOf(a: Client, body: unknown): Promise<Imported> {
  const r = await a.call('POST', IMPORT, { body });
  if (r.status !== 201) throw new Error(`import-chat ${r.status}: ${JSON.stringify(r.body).slice(0, 2000)}`);
  return r.body;
}

/** A json export without ids: each chat's parent by index, the seq it forks after (null: a start fork), its pairs. */
function canonical(tree: any) {
  const index = new Map<string, number>(tree.chats.map((c: any, i: number) => [c.chat_id, i]));
  const seqOf = new Map<string, number>();
  for (const c of tree.chats) {
    c.qa_pairs.forEach((p: any, i: number) => {
      seqOf.set(p.response_id, i + 1);
    });
  }
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
      qa_pairs: c.qa_pairs.map(({ response_id: _r, chat_id: _c, branches, ...rest }: any) => ({
        ...rest,
        branches: branches.map((b: string) => index.get(b)),
      })),
    })),
  };
}

/** What get-chat shows of every chat of a json export, in its order: history, count, start forks (by index). */
async function views(a: Client, tree: any) {
  const index = new Map<string, number>(tree.chats.map((c: any, i: number) => [c.chat_id, i]));
  const out: unknown[] = [];
  for (const c of tree.chats) {
    const r = await a.getChat(c.chat_id, { limit: 1000 });
    expect(r.status).toBe(200);
    out.push({
      message_count: r.body.chat.message_count,
      parent: r.body.chat.parent_chat_id === null ? null : index.get(r.body.chat.parent_chat_id),
      start_branches: r.body.start_branches.map((id: string) => index.get(id)),
      pairs: r.body.qa_pairs.map((p: any) => [p.question, p.response, p.timestamp, p.type, p.generation]),
    });
  }
  return out;
}

/** import(export(root, chatgpt)) read back as json equals the original, and so does every chat's view. */
async function expectRoundTrip(a: Client, root: string) {
  const original = await exportOf(a, root, 'json');
  const imported = await importOf(a, await exportOf(a, root, 'chatgpt'));
  expect(imported.notes).toEqual([]);
  const conv = imported.conversations[0] as Imported['conversations'][number];
  const copy = await exportOf(a, conv.root_chat_id, 'json');
  expect(canonical(copy)).toEqual(canonical(original));
  expect(await views(a, copy)).toEqual(await views(a, original));
  expect(conv.active_chat_id).toBe(copy.active_chat_id);
  expect(conv.chat_count).toBe(original.chats.length);
  return copy;
}

async function startFork(a: Client, chatId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await a.createBranch({ chat_id: chatId, response_id: null, ...extra });
  expect(r.status).toBe(201);
  return r.body.chat.chat_id;
}

/**
 * root: q1, q2 (a branch B after q1)
 * S1 (start fork): "q1, asked again", "and then?"   └─ X after S1's first pair
 * S2 (start fork, empty)
 * S3 (regenerate of q1: a start fork repeating q1 with a new answer)
 */
async function sampleTree(a: Client) {
  const { chatId: root, ids } = await a.chatWith(2, 'Plans');
  const b = await a.branch(root, ids[0] as string, { question: 'q2 other', response: 'b', activate: false });
  const s1 = await startFork(a, b, { question: 'q1, asked again', response: 'again', activate: false });
  const s1First = (await a.getChat(s1)).body.qa_pairs[0].response_id as string;
  await a.add(s1, 'and then?', 'then');
  const x = await a.branch(s1, s1First, { question: 'deeper', response: 'x' });
  const s2 = await startFork(a, root, { name: 'Empty start', activate: false });
  const regen = await a.regenerate(ids[0] as string, false);
  expect(regen.status).toBe(201);
  const s3 = regen.body.chat.chat_id as string;
  return { root, ids, b, s1, x, s2, s3 };
}

describe('export of a tree with start forks', () => {
  test('json: a start fork is a branch of the root with fork_response_id null, in no pair’s branches', async () => {
    const a = await newAccount(app);
    const t = await sampleTree(a);
    const tree = await exportOf(a, t.x, 'json');
    const rows = tree.chats.map((c: any) => [c.chat_id, c.chat_type, c.parent_chat_id, c.fork_response_id]);
    expect(rows).toEqual([
      [t.root, 'main', null, null],
      [t.b, 'branch', t.root, t.ids[0]],
      [t.s1, 'branch', t.root, null],
      [t.x, 'branch', t.s1, expect.any(String)],
      [t.s2, 'branch', t.root, null],
      [t.s3, 'branch', t.root, null],
    ]);
    const own = (id: string) => tree.chats.find((c: any) => c.chat_id === id);
    expect(own(t.s1).qa_pairs.map((p: any) => p.question)).toEqual(['q1, asked again', 'and then?']);
    expect(own(t.s1).qa_pairs[0].branches).toEqual([t.x]);
    expect(own(t.s2).qa_pairs).toEqual([]);
    expect(own(t.s3).qa_pairs.map((p: any) => p.question)).toEqual(['q1']);
    expect(tree.chats.flatMap((c: any) => c.qa_pairs.flatMap((p: any) => p.branches))).toEqual([t.b, t.x]);
    expect(tree.active_chat_id).toBe(t.x);
  });

  test('chatgpt: the start forks’ first questions are more children of the root node, oldest first', async () => {
    const a = await newAccount(app);
    const t = await sampleTree(a);
    const conv = await exportOf(a, t.root, 'chatgpt');
    const rootNode = Object.values(conv.mapping).find((n: any) => n.parent === null) as any;
    const firsts = rootNode.children.map((id: string) => conv.mapping[id].message);
    expect(firsts.map((m: any) => [m.content.parts[0], m.metadata.branchat.chat_id])).toEqual([
      ['q1', t.root],
      ['q1, asked again', t.s1],
      ['q1', t.s3], // S2 is empty: only the extension lists it
    ]);
    const listed = conv.branchat.chats.map((c: any) => [c.chat_id, c.parent_chat_id, c.fork_response_id]);
    expect(listed).toContainEqual([t.s2, t.root, null]);
  });

  test('markdown: a start fork’s own history, said to start the conversation again', async () => {
    const a = await newAccount(app);
    const t = await sampleTree(a);
    const md = (await exportOf(a, t.x, 'markdown')) as string;
    expect(md).toContain('a branch, 2 question(s)');
    // Its start fork's first pair, then its own; none of the root's pairs.
    expect(md.indexOf('\nq1, asked again\n')).toBeGreaterThan(0);
    expect(md.indexOf('\nq1, asked again\n')).toBeLessThan(md.indexOf('\ndeeper\n'));
    expect(md).not.toContain('\nq1\n');
    expect(md).not.toContain('\nq2\n');
    const start = (await exportOf(a, t.s1, 'markdown')) as string;
    expect(start).toContain('a branch from the start of the conversation');
    expect(start).toContain('2 question(s) and answer(s)');
    expect(start).not.toContain('\nq1\n'); // none of the root's pairs
    const empty = (await exportOf(a, t.s2, 'markdown')) as string;
    expect(empty.startsWith('# Empty start\n')).toBe(true);
    expect(empty).toContain('a branch from the start of the conversation (its first question asked differently), 0');
  });
});

describe('round trip with start forks (chatgpt)', () => {
  test('the same tree, views and active chat, whichever chat is active (a start fork, an empty one, below one)', async () => {
    const a = await newAccount(app);
    const t = await sampleTree(a);
    for (const active of [t.x, t.s2, t.s3, t.root]) {
      expect((await a.setActive(active)).status).toBe(200);
      await expectRoundTrip(a, t.root);
    }
  });

  test('an empty root with start forks (one empty), and a system prompt', async () => {
    const a = await newAccount(app);
    const created = await a.call('POST', '/api/v1/chats/create-chat', {
      body: { name: 'Blank', system_prompt: 'Be brief.' },
    });
    const root = created.body.chat_id as string;
    const s = await startFork(a, root, { question: 'hello?', response: 'hi' });
    const first = (await a.getChat(s)).body.qa_pairs[0].response_id as string;
    await a.branch(s, first, { question: 'and?', response: 'more' });
    await startFork(a, root, { activate: false });
    const copy = await expectRoundTrip(a, root);
    expect(copy.chats[0].qa_pairs).toEqual([]);
    expect(copy.system_prompt).toBe('Be brief.');
  });

  test('an imported tree behaves like the original: start_branches, regenerate, create-branch below', async () => {
    const a = await newAccount(app);
    const t = await sampleTree(a);
    const imported = await importOf(a, await exportOf(a, t.root, 'chatgpt'));
    const root = imported.conversations[0]?.root_chat_id as string;
    const page = (await a.getChat(root, { limit: 1000 })).body;
    expect(page.start_branches).toHaveLength(3);
    const s1 = page.start_branches[0] as string;
    expect(await a.questions(s1)).toEqual(['q1, asked again', 'and then?']);
    // A start fork of the copy regenerates into another start fork; a branch of it nests below.
    const s1Page = (await a.getChat(s1)).body;
    const regen = await a.regenerate(s1Page.qa_pairs[0].response_id, false);
    expect(regen.body.chat.parent_chat_id).toBe(root);
    expect(regen.body.chat.fork_response_id).toBeNull();
    const below = await a.branch(s1, s1Page.qa_pairs[1].response_id, { question: 'later' });
    expect(await a.questions(below)).toEqual(['q1, asked again', 'and then?', 'later']);
    expect((await a.getChat(root, { limit: 1 })).body.start_branches).toHaveLength(4);
  });
});

describe('import of ChatGPT data with several first questions', () => {
  /** A real export's shape: the root node, a hidden system node, then the first questions below it. */
  function realShape() {
    const node = (id: string, parent: string | null, role: string | null, text: string, t: number) => ({
      id,
      parent,
      children: [] as string[],
      message:
        role === null
          ? null
          : {
              id,
              author: { role },
              create_time: t,
              content: { content_type: 'text', parts: [text] },
              metadata: role === 'system' ? { is_visually_hidden_from_conversation: true } : {},
            },
    });
    const nodes = [
      node('root', null, null, '', 0),
      node('sys', 'root', 'system', '', 1_700_000_000),
      node('u1', 'sys', 'user', 'Plan a trip', 1_700_000_001),
      node('a1', 'u1', 'assistant', 'Lisbon', 1_700_000_002),
      node('a1b', 'u1', 'assistant', 'Porto', 1_700_000_003),
      node('u1x', 'sys', 'user', 'Plan a cheap trip', 1_700_000_010),
      node('a1x', 'u1x', 'assistant', 'Faro', 1_700_000_011),
      node('u2x', 'a1x', 'user', 'By train?', 1_700_000_012),
      node('a2x', 'u2x', 'assistant', 'Yes', 1_700_000_013),
    ];
    const mapping = Object.fromEntries(nodes.map((n) => [n.id, n]));
    for (const n of nodes) if (n.parent !== null) mapping[n.parent]?.children.push(n.id);
    return { title: 'Trips', create_time: 1_700_000_000, mapping, current_node: 'a2x' };
  }

  test('the current path is the root; the other first question and the other first answer are start forks', async () => {
    const a = await newAccount(app);
    const imported = await importOf(a, realShape());
    expect(imported.notes).toEqual([]);
    const conv = imported.conversations[0] as Imported['conversations'][number];
    expect(conv.chat_count).toBe(3);
    expect(conv.pair_count).toBe(4);
    expect(conv.active_chat_id).toBe(conv.root_chat_id);
    expect(await a.questions(conv.root_chat_id)).toEqual(['Plan a cheap trip', 'By train?']);
    const starts = (await a.getChat(conv.root_chat_id)).body.start_branches as string[];
    const seen = [];
    for (const s of starts) {
      const page = (await a.getChat(s)).body;
      expect(page.chat.parent_chat_id).toBe(conv.root_chat_id);
      expect(page.chat.fork_response_id).toBeNull();
      seen.push(page.qa_pairs.map((p: any) => `${p.question} → ${p.response}`));
    }
    expect(seen).toEqual([['Plan a trip → Lisbon'], ['Plan a trip → Porto']]);
    // And it survives its own round trip.
    await expectRoundTrip(a, conv.root_chat_id);
  });
});

describe(`nesting below a start fork (a start fork is depth 1; at most ${MAX_BRANCH_DEPTH} levels)`, () => {
  /** The root (one pair), then a start fork (level 1) and a chain of branches below it down to `levels`. */
  function chain(levels: number): TreeSnapshot {
    const t = Date.parse('2025-01-01T00:00:00Z');
    const chats: SnapshotChat[] = [];
    const pairOf = (i: number) => ({
      responseId: `p${i}`,
      question: `level ${i}`,
      response: 'ok',
      timestamp: new Date(t + i),
      type: 'text' as const,
      language: null,
      url: null,
      generation: null,
      feedback: null,
    });
    for (let i = 0; i <= levels; i++) {
      chats.push({
        chatId: `c${i}`,
        parentChatId: i === 0 ? null : i === 1 ? 'c0' : `c${i - 1}`,
        forkResponseId: i <= 1 ? null : `p${i - 1}`,
        name: `level ${i}`,
        createdAt: new Date(t + i),
        updatedAt: new Date(t + i),
        pairs: [pairOf(i)],
      });
    }
    return { title: 'Deep', systemPrompt: null, activeChatId: `c${levels}`, chats };
  }

  test('the deepest chain below a start fork imports; its last chat cannot branch; one level more → 422', async () => {
    const a = await newAccount(app);
    const imported = await importOf(a, toChatGpt(chain(MAX_BRANCH_DEPTH)));
    const conv = imported.conversations[0] as Imported['conversations'][number];
    expect(conv.chat_count).toBe(MAX_BRANCH_DEPTH + 1);
    const deepest = (await a.getChat(conv.active_chat_id, { limit: 1000 })).body;
    // Level 1 is a start fork: the deepest chat sees levels 1 … MAX, none of the root's pairs.
    expect(deepest.qa_pairs).toHaveLength(MAX_BRANCH_DEPTH);
    expect(deepest.qa_pairs[0].question).toBe('level 1');
    expectProblem(
      await a.createBranch({ chat_id: deepest.chat.chat_id, response_id: deepest.qa_pairs.at(-1).response_id }),
      422,
    );

    const tooDeep = await a.call('POST', IMPORT, { body: toChatGpt(chain(MAX_BRANCH_DEPTH + 1)) });
    expectProblem(tooDeep, 422);
    expect(tooDeep.body.errors[0].message).toContain(`more than ${MAX_BRANCH_DEPTH} levels`);
  });
});
