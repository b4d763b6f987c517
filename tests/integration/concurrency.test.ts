/**
 * Races through app.request() against a real PostgreSQL: whatever the interleaving, every call either
 * succeeds or answers 404, and the invariants of docs/api.md hold afterwards (exactly one active chat per tree,
 * every concurrent add-message kept in its own position, deleted chats absent everywhere).
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { testApp } from '../support/app.js';
import { type Client, newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

interface Node {
  chat_id: string;
  parent_chat_id: string | null;
  active: boolean;
  children: Node[];
}

function flatten(n: Node): Node[] {
  return [n, ...n.children.flatMap(flatten)];
}

/** Reads the tree and checks the one-active invariant; returns the live chat ids and the active one. */
async function treeState(a: Client, chatId: string) {
  const r = await a.getBranches(chatId);
  expect(r.status).toBe(200);
  const nodes = flatten(r.body.tree);
  const active = nodes.filter((n) => n.active);
  expect(active.map((n) => n.chat_id)).toEqual([r.body.active_chat_id]);
  expect(r.body.count).toBe(nodes.length);
  return { ids: nodes.map((n) => n.chat_id), active: r.body.active_chat_id as string, nodes, body: r.body };
}

/** The same invariant from list-chats' point of view. */
async function listedActive(a: Client, rootId: string): Promise<string | undefined> {
  const r = await a.listChats({ limit: 100 });
  expect(r.status).toBe(200);
  return r.body.chats.find((c: { chat_id: string }) => c.chat_id === rootId)?.active_chat_id;
}

describe('concurrent set-active-branch', () => {
  test('20 parallel calls over 20 branches: all 200, exactly one active afterwards', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const branches: string[] = [];
    for (let i = 0; i < 20; i++) {
      branches.push(await a.branch(root, ids[i % 2] as string, { activate: false, name: `b${i}` }));
    }
    expect((await treeState(a, root)).active).toBe(root);

    const results = await Promise.all(branches.map((b) => a.setActive(b)));
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ root_chat_id: root, active_chat_id: branches[i] });
    }

    const state = await treeState(a, root);
    expect(state.ids.length).toBe(21);
    expect(branches).toContain(state.active);
    expect(await listedActive(a, root)).toBe(state.active);
    // get-chat of every chat agrees with the tree.
    const flags = await Promise.all(state.ids.map(async (id) => (await a.getChat(id)).body.chat.active as boolean));
    expect(flags.filter(Boolean).length).toBe(1);
  });
});

describe('concurrent add-message', () => {
  test('20 parallel calls on one chat: all 201, all kept in distinct positions', async () => {
    const a = await newAccount(app);
    const { chatId } = await a.chatWith(1);
    const questions = Array.from({ length: 20 }, (_, i) => `parallel-${i}`);

    const results = await Promise.all(questions.map((q) => a.addMessage(chatId, q, `answer to ${q}`)));
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ chat_id: chatId, question: questions[i], response: `answer to ${questions[i]}` });
    }
    const returned = results.map((r) => r.body.response_id as string);
    expect(new Set(returned).size).toBe(20);

    const page = await a.getChat(chatId, { limit: 1000 });
    expect(page.status).toBe(200);
    expect(page.body.chat.message_count).toBe(21);
    const pairs = page.body.qa_pairs as { response_id: string; question: string; response: string }[];
    expect(pairs.length).toBe(21);
    expect(pairs[0]?.question).toBe('q1');
    const stored = pairs.slice(1);
    expect(new Set(stored.map((p) => p.response_id))).toEqual(new Set(returned));
    expect(stored.map((p) => p.question).sort()).toEqual([...questions].sort());
    for (const p of stored) expect(p.response).toBe(`answer to ${p.question}`);

    // Each pair sits at its own position: paging one pair at a time walks all of them exactly once.
    const walked: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 21; i++) {
      const r = await a.getChat(chatId, { limit: 1, after });
      expect(r.status).toBe(200);
      expect(r.body.qa_pairs.length).toBe(1);
      after = r.body.qa_pairs[0].response_id;
      walked.push(after as string);
    }
    expect(walked).toEqual(pairs.map((p) => p.response_id));
    const last = await a.getChat(chatId, { limit: 1, after });
    expect(last.body.qa_pairs).toEqual([]);
    expect(last.body.has_more_after).toBe(false);
  });
});

describe('concurrent create-branch', () => {
  test('10 parallel branches from one pair: all 201, all listed in the pair and in the tree', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(3);
    const fork = ids[1] as string;

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        a.createBranch({ chat_id: root, response_id: fork, name: `fork-${i}`, question: `bq${i}`, response: `ba${i}` }),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe(201);
      expect(r.body.chat).toMatchObject({ chat_type: 'branch', parent_chat_id: root, fork_response_id: fork });
      expect(r.body.chat.message_count).toBe(3);
    }
    const created = results.map((r) => r.body.chat.chat_id as string);
    expect(new Set(created).size).toBe(10);

    const page = await a.getChat(root);
    const pair = page.body.qa_pairs.find((p: { response_id: string }) => p.response_id === fork);
    expect(new Set(pair.branches)).toEqual(new Set(created));
    expect(pair.branches.length).toBe(10);
    for (const p of page.body.qa_pairs) if (p.response_id !== fork) expect(p.branches).toEqual([]);
    expect(page.body.chat.message_count).toBe(3);

    const state = await treeState(a, root);
    expect(state.ids.length).toBe(11);
    const rootNode = state.nodes[0] as Node;
    // Children oldest first, the same order as the pair's `branches`.
    expect(rootNode.children.map((n) => n.chat_id)).toEqual(pair.branches);
    expect(created).toContain(state.active);
    expect(await listedActive(a, root)).toBe(state.active);

    // Each branch sees the shared prefix and only its own first pair.
    for (const [i, id] of created.entries()) {
      expect(await a.questions(id)).toEqual(['q1', 'q2', `bq${i}`]);
    }
    expect(await a.questions(root)).toEqual(['q1', 'q2', 'q3']);
  });

  test('set-active-branch and create-branch(activate) racing: exactly one active afterwards', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(2);
    const existing: string[] = [];
    for (let i = 0; i < 6; i++) existing.push(await a.branch(root, ids[0] as string, { activate: false }));

    const calls: Promise<{ status: number; body: any }>[] = [];
    for (let i = 0; i < 6; i++) {
      calls.push(a.setActive(existing[i] as string));
      calls.push(a.createBranch({ chat_id: root, response_id: ids[1] as string, activate: true }));
      calls.push(
        a.createBranch({ chat_id: existing[i] as string, response_id: ids[0] as string, activate: i % 2 === 0 }),
      );
    }
    calls.push(a.setActive(root));
    const results = await Promise.all(calls);
    for (const [i, r] of results.entries()) expect(r.status).toBe(i === results.length - 1 || i % 3 === 0 ? 200 : 201);

    const state = await treeState(a, root);
    expect(state.ids.length).toBe(1 + 6 + 12);
    const candidates = new Set([
      root,
      ...existing,
      ...results.filter((r) => r.status === 201 && r.body.chat.active).map((r) => r.body.chat.chat_id as string),
    ]);
    expect(candidates.has(state.active)).toBe(true);
    expect(await listedActive(a, root)).toBe(state.active);
  });
});

describe('concurrent delete-chat', () => {
  // The delete starts 0, 5 or 15 ms after the others, so some of them land before it and some after.
  test.each([0, 5, 15])(
    'delete racing add-message, create-branch and set-active on the same branch (+%i ms)',
    async (delay) => {
      const a = await newAccount(app);
      const { chatId: root, ids } = await a.chatWith(2);
      const victim = await a.branch(root, ids[0] as string, { question: 'v1', response: 'r1', activate: true });
      const victimPair = (await a.getChat(victim, { before: 'end', limit: 1 })).body.qa_pairs[0].response_id as string;
      const sibling = await a.branch(root, ids[1] as string, { activate: false });

      const adds = Array.from({ length: 6 }, (_, i) => a.addMessage(victim, `late-${i}`, 'x'));
      const forks = Array.from({ length: 4 }, (_, i) =>
        a.createBranch({ chat_id: victim, response_id: victimPair, activate: i % 2 === 0 }),
      );
      const activations = Array.from({ length: 2 }, () => a.setActive(victim));
      const deletion = Bun.sleep(delay).then(() => a.deleteChat(victim));
      const [del, addResults, forkResults, activeResults] = await Promise.all([
        deletion,
        Promise.all(adds),
        Promise.all(forks),
        Promise.all(activations),
      ]);

      expect(del.status).toBe(200);
      for (const r of addResults) expect([201, 404]).toContain(r.status);
      for (const r of forkResults) expect([201, 404]).toContain(r.status);
      for (const r of activeResults) expect([200, 404]).toContain(r.status);
      for (const r of [...addResults, ...forkResults, ...activeResults]) {
        if (r.status === 404) expect(r.headers.get('Content-Type')).toContain('application/problem+json');
      }

      // A branch of the victim that was created committed before the delete, so the delete took it along.
      const forked = forkResults.filter((r) => r.status === 201).map((r) => r.body.chat.chat_id as string);
      expect(del.body.deleted_chat_ids[0]).toBe(victim);
      expect(new Set(del.body.deleted_chat_ids)).toEqual(new Set([victim, ...forked]));

      const state = await treeState(a, root);
      expect(new Set(state.ids)).toEqual(new Set([root, sibling]));
      // The victim's subtree was active (it was activated last or one of its forks was): its parent took over.
      expect(state.active).toBe(root);
      expect(await listedActive(a, root)).toBe(root);
      for (const id of [victim, ...forked]) {
        expect((await a.getChat(id)).status).toBe(404);
        expect((await a.addMessage(id, 'after')).status).toBe(404);
      }
      const page = await a.getChat(root);
      expect(page.body.qa_pairs.map((p: { branches: string[] }) => p.branches)).toEqual([[], [sibling]]);
      expect(await a.questions(root)).toEqual(['q1', 'q2']);
      expect(await a.questions(sibling)).toEqual(['q1', 'q2']);
    },
  );

  test('parallel deletes of one chat: exactly one 200, the others 404', async () => {
    const a = await newAccount(app);
    const { chatId: root, ids } = await a.chatWith(1);
    const b = await a.branch(root, ids[0] as string);
    // Forked from an inherited pair: it hangs under the root, not under b, and survives b's deletion.
    const child = await a.branch(b, ids[0] as string);
    const own = await a.add(b, 'in b');
    const deep = await a.branch(b, own);

    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => a.deleteChat(b)),
      a.deleteChat(deep),
      a.setActive(deep),
    ]);
    const deletes = results.slice(0, 5);
    expect(deletes.filter((r) => r.status === 200).length).toBe(1);
    expect(deletes.filter((r) => r.status === 404).length).toBe(4);
    expect([200, 404]).toContain(results[5]?.status as number);
    expect([200, 404]).toContain(results[6]?.status as number);

    // Every chat of b's subtree was deleted by exactly one of the calls.
    const all = results
      .slice(0, 6)
      .filter((r) => r.status === 200)
      .flatMap((r) => (r.body as { deleted_chat_ids: string[] }).deleted_chat_ids); // the first six are deletes
    expect(all.sort()).toEqual([b, deep].sort());

    const state = await treeState(a, root);
    expect(state.ids).toEqual([root, child]);
    expect(state.active).toBe(root);
  });
});
