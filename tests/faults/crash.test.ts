/**
 * Crash safety: the real server process under a burst of concurrent writes is killed with SIGKILL while
 * requests are in flight, restarted on the same database, and everything it acknowledged must be there,
 * exactly once, with every tree invariant intact. Requests that were in flight at the kill were never
 * acknowledged: each may or may not have happened, but at most once and never half-way.
 *
 * Run twice: content in PostgreSQL, and content on the MongoDB wire-protocol double (which lives in this
 * test process, so its data survives the server's restart).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { TreeNodeShape as TreeNode } from '../../src/http/branches/branches.routes.js';
import { startMongoDouble } from '../support/mongo-double/server.js';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  logsOnFailure,
  type Res,
  randomSecret,
  reasonToSkip,
  register,
  type ServerProcess,
  startServer,
  unavailable,
} from './harness.js';

const skipReason = await reasonToSkip('faults/crash', unavailable());

afterAll(cleanup, 30_000);

const WORKERS = 8;
const ROOTS = 3;

interface Pair {
  response_id: string;
  chat_id: string;
  question: string;
  response: string;
  branches: string[];
}

/** A write the server acknowledged with a 2xx answer. */
interface AckedPair {
  responseId: string;
  chatId: string;
  question: string;
  sentAt: number;
  ackedAt: number;
}

interface AckedBranch {
  chatId: string;
  rootId: string;
  parentId: string;
  forkResponseId: string;
  name: string;
  firstPair: AckedPair | null;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** What the burst did: what was acknowledged, and everything that was sent (acknowledged or not). */
class Burst {
  readonly roots: string[] = [];
  readonly rootOf = new Map<string, string>();
  readonly chats: string[] = [];
  readonly pairs: AckedPair[] = [];
  readonly branches: AckedBranch[] = [];
  /** Acknowledged branches by the pair they fork after (to fork again from an inherited pair). */
  readonly forksAt = new Map<string, string[]>();
  /** Every question and branch name sent, with the chat it was sent to. */
  readonly questionsSent = new Map<string, string>();
  readonly namesSent = new Set<string>();
  /** Chats that an unacknowledged add-message targeted (a crashed write may have left debris there). */
  readonly unackedTargets = new Set<string>();
  readonly problems: string[] = [];
  readonly statuses = new Map<string, number>();
  activations = 0;
  unacknowledged = 0;
  inflight = 0;
  private n = 0;
  killed = false;

  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  private next(): number {
    return ++this.n;
  }

  private async send(method: string, path: string, body: unknown): Promise<Res | null> {
    this.inflight++;
    try {
      const r = await call(this.base, method, path, { body, token: this.token });
      const key = `${path.split('/').pop()} ${r.status}`;
      this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
      if (r.status >= 300 && r.status !== 429) {
        this.problems.push(`${method} ${path} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      }
      return r;
    } catch {
      // No (complete) answer: the server was killed under it. Not acknowledged.
      this.unacknowledged++;
      return null;
    } finally {
      this.inflight--;
    }
  }

  addRoot(chatId: string) {
    this.roots.push(chatId);
    this.rootOf.set(chatId, chatId);
    this.chats.push(chatId);
  }

  async addMessage(chatId: string): Promise<AckedPair | null> {
    const question = `q${this.next()}`;
    this.questionsSent.set(question, chatId);
    const body: Record<string, unknown> = { chat_id: chatId, question };
    const variant = Math.random();
    if (variant < 0.4) body.response = `answer to ${question}`;
    else if (variant < 0.5) body.response = '';
    // else: absent, the responder answers
    const sentAt = performance.now();
    const r = await this.send('POST', '/api/v1/messages/add-message', body);
    if (r?.status !== 201) {
      if (!r) this.unackedTargets.add(chatId);
      return null;
    }
    const ackedAt = performance.now();
    if (r.body.chat_id !== chatId || r.body.question !== question) {
      this.problems.push(`add-message answered ${JSON.stringify(r.body)} for ${question} on ${chatId}`);
      return null;
    }
    const pair = { responseId: r.body.response_id, chatId, question, sentAt, ackedAt };
    this.pairs.push(pair);
    return pair;
  }

  async createBranch(): Promise<void> {
    const from = pick(this.pairs);
    // Fork from the chat that stores the pair, or sometimes from a branch that inherits it.
    const inheritors = this.forksAt.get(from.responseId) ?? [];
    const via = inheritors.length > 0 && Math.random() < 0.3 ? pick(inheritors) : from.chatId;
    const name = `b${this.next()}`;
    this.namesSent.add(name);
    const body: Record<string, unknown> = { chat_id: via, response_id: from.responseId, name };
    let question: string | undefined;
    if (Math.random() < 0.6) {
      question = `q${this.next()}`;
      body.question = question;
      if (Math.random() < 0.5) body.response = `first answer of ${name}`;
    }
    const activate = Math.random();
    if (activate < 0.35) body.activate = true;
    else if (activate < 0.7) body.activate = false;
    const sentAt = performance.now();
    if (question) this.questionsSent.set(question, `(new branch ${name})`);
    const r = await this.send('POST', '/api/v1/branches/create-branch', body);
    if (r?.status !== 201) return;
    const ackedAt = performance.now();
    const chat = r.body.chat;
    const rootId = this.rootOf.get(from.chatId)!;
    if (
      chat.parent_chat_id !== from.chatId ||
      chat.fork_response_id !== from.responseId ||
      chat.root_chat_id !== rootId ||
      chat.name !== name
    ) {
      this.problems.push(`create-branch ${JSON.stringify(body)} answered ${JSON.stringify(chat)}`);
      return;
    }
    let firstPair: AckedPair | null = null;
    if (question) {
      const p = r.body.qa_pair;
      if (p?.chat_id !== chat.chat_id || p.question !== question) {
        this.problems.push(`create-branch ${name}: qa_pair ${JSON.stringify(p)}`);
        return;
      }
      firstPair = { responseId: p.response_id, chatId: chat.chat_id, question, sentAt, ackedAt };
      this.questionsSent.set(question, chat.chat_id);
      this.pairs.push(firstPair);
    } else if (r.body.qa_pair !== null) {
      this.problems.push(`create-branch ${name} without a question answered qa_pair ${JSON.stringify(r.body.qa_pair)}`);
    }
    this.branches.push({
      chatId: chat.chat_id,
      rootId,
      parentId: from.chatId,
      forkResponseId: from.responseId,
      name,
      firstPair,
    });
    this.rootOf.set(chat.chat_id, rootId);
    this.chats.push(chat.chat_id);
    const list = this.forksAt.get(from.responseId);
    if (list) list.push(chat.chat_id);
    else this.forksAt.set(from.responseId, [chat.chat_id]);
  }

  async setActive(): Promise<void> {
    const r = await this.send('PUT', '/api/v1/branches/set-active-branch', { chat_id: pick(this.chats) });
    if (r?.status === 200) this.activations++;
  }

  async worker(): Promise<void> {
    while (!this.killed) {
      const op = Math.random();
      if (op < 0.5) await this.addMessage(pick(this.chats));
      else if (op < 0.9) await this.createBranch();
      else await this.setActive();
    }
  }
}

/** A chat's whole visible history, read page by page (ascending), with the paging flags checked. */
async function readHistory(base: string, token: string, chatId: string, problems: string[]) {
  const limit = 3 + Math.floor(Math.random() * 20);
  const get = (q: string) =>
    call(base, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}&limit=${limit}${q}`, { token, retries: 3 });
  let page = await get('');
  if (page.status !== 200) throw new Error(`get-chat ${chatId}: ${page.status} ${JSON.stringify(page.body)}`);
  const chat = page.body.chat;
  const pairs: Pair[] = [...page.body.qa_pairs];
  if (page.body.has_more_before) problems.push(`${chatId}: first page has_more_before`);
  for (let pages = 1; page.body.has_more_after; pages++) {
    if (pages > 10_000) throw new Error(`${chatId}: paging does not end`);
    const last = pairs[pairs.length - 1];
    if (!last || page.body.qa_pairs.length === 0) {
      problems.push(`${chatId}: empty page with has_more_after`);
      break;
    }
    page = await get(`&after=${last.response_id}`);
    if (page.status !== 200) throw new Error(`get-chat ${chatId} after: ${page.status} ${JSON.stringify(page.body)}`);
    if (!page.body.has_more_before) problems.push(`${chatId}: page after ${last.response_id} without has_more_before`);
    pairs.push(...page.body.qa_pairs);
  }
  // The last page read backwards from the end is the tail of the history read forwards.
  const tail = await get('&before=end');
  const tailIds = tail.body.qa_pairs.map((p: Pair) => p.response_id);
  const expectedTail = pairs.slice(-limit).map((p) => p.response_id);
  if (JSON.stringify(tailIds) !== JSON.stringify(expectedTail)) {
    problems.push(`${chatId}: before=end gives ${tailIds.length} pairs that are not the tail of the history`);
  }
  return { chat, pairs };
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

function flatten(node: TreeNode, out: TreeNode[] = []): TreeNode[] {
  out.push(node);
  for (const c of node.children) flatten(c, out);
  return out;
}

/** Everything that must hold after the restart; returns the problems found (empty = all good). */
async function verify(base: string, token: string, burst: Burst) {
  const problems: string[] = [];
  const nodes = new Map<string, TreeNode>();
  const activeOf = new Map<string, string>();
  const countOf = new Map<string, number>();

  // Trees: count, exactly one active chat, shape.
  for (const rootId of burst.roots) {
    const r = await call(base, 'GET', `/api/v1/branches/get-branches?chat_id=${rootId}`, { token, retries: 3 });
    if (r.status !== 200) throw new Error(`get-branches ${rootId}: ${r.status} ${JSON.stringify(r.body)}`);
    const all = flatten(r.body.tree);
    if (r.body.root_chat_id !== rootId || r.body.tree.chat_id !== rootId)
      problems.push(`${rootId}: tree of another root`);
    if (r.body.count !== all.length) problems.push(`${rootId}: count ${r.body.count} but ${all.length} nodes`);
    const active = all.filter((n) => n.active);
    if (active.length !== 1) problems.push(`${rootId}: ${active.length} active chats`);
    if (active[0]?.chat_id !== r.body.active_chat_id) {
      problems.push(`${rootId}: active_chat_id ${r.body.active_chat_id} is not the active node`);
    }
    activeOf.set(rootId, r.body.active_chat_id);
    countOf.set(rootId, r.body.count);
    for (const n of all) {
      if (nodes.has(n.chat_id)) problems.push(`${n.chat_id} appears twice in the trees`);
      nodes.set(n.chat_id, n);
      for (const c of n.children) {
        if (c.parent_chat_id !== n.chat_id)
          problems.push(`${c.chat_id} is a child of ${n.chat_id} but names its parent ${c.parent_chat_id}`);
      }
      if (
        (n.parent_chat_id === null) !== (n.chat_id === rootId) ||
        (n.chat_type === 'main') !== (n.chat_id === rootId)
      ) {
        problems.push(`${n.chat_id}: chat_type ${n.chat_type} / parent ${n.parent_chat_id} in the tree of ${rootId}`);
      }
    }
  }

  // Every branch is one that was asked for, at most once (a create-branch applied twice would show).
  const names = new Map<string, number>();
  for (const n of nodes.values()) {
    if (n.chat_type !== 'branch') continue;
    if (!burst.namesSent.has(n.name)) problems.push(`branch ${n.chat_id} named ${n.name} was never asked for`);
    names.set(n.name, (names.get(n.name) ?? 0) + 1);
  }
  for (const [name, k] of names) if (k > 1) problems.push(`branch ${name} exists ${k} times`);

  // Every acknowledged branch exists where it was created.
  for (const b of burst.branches) {
    const n = nodes.get(b.chatId);
    if (!n) problems.push(`acknowledged branch ${b.name} (${b.chatId}) is gone`);
    else if (n.parent_chat_id !== b.parentId || n.fork_response_id !== b.forkResponseId || n.name !== b.name) {
      problems.push(
        `branch ${b.chatId}: ${JSON.stringify({ ...n, children: undefined })} is not what was acknowledged`,
      );
    } else if (burst.rootOf.get(b.chatId) !== b.rootId) problems.push(`branch ${b.chatId} in another tree`);
  }

  // Every chat's history, read with paging.
  const histories = new Map<string, Pair[]>();
  await pool([...nodes.values()], 8, async (n) => {
    const { chat, pairs } = await readHistory(base, token, n.chat_id, problems);
    histories.set(n.chat_id, pairs);
    if (chat.message_count !== pairs.length || n.message_count !== pairs.length) {
      problems.push(`${n.chat_id}: message_count ${chat.message_count}/${n.message_count} but ${pairs.length} pairs`);
    }
  });

  const own = new Map<string, Pair>(); // response_id → the pair, from the history of the chat that stores it
  const ownIndex = new Map<string, number>(); // response_id → position among its chat's own pairs
  const questions = new Map<string, number>();
  const forkedAt = new Map<string, string[]>(); // response_id → live branches forking right after it
  for (const n of nodes.values()) {
    if (n.fork_response_id) {
      const list = forkedAt.get(n.fork_response_id);
      if (list) list.push(n.chat_id);
      else forkedAt.set(n.fork_response_id, [n.chat_id]);
    }
  }
  for (const n of nodes.values()) {
    const h = histories.get(n.chat_id)!;
    const ids = h.map((p) => p.response_id);
    if (new Set(ids).size !== ids.length) problems.push(`${n.chat_id}: duplicate response_ids in its history`);
    // Inherited pairs first, then the chat's own pairs: no interleaving, no gap.
    const firstOwn = h.findIndex((p) => p.chat_id === n.chat_id);
    const k = firstOwn === -1 ? h.length : firstOwn;
    if (h.slice(k).some((p) => p.chat_id !== n.chat_id))
      problems.push(`${n.chat_id}: own pairs interleaved with inherited ones`);
    if (n.parent_chat_id === null) {
      if (k !== 0) problems.push(`${n.chat_id}: a root with inherited pairs`);
    } else {
      // The inherited prefix is the parent's history up to and including the fork pair.
      const parent = histories.get(n.parent_chat_id);
      const f = parent?.findIndex((p) => p.response_id === n.fork_response_id) ?? -1;
      if (!parent || f === -1)
        problems.push(`${n.chat_id}: fork pair ${n.fork_response_id} not in its parent's history`);
      else {
        if (parent[f]!.chat_id !== n.parent_chat_id)
          problems.push(`${n.chat_id}: its parent does not store the fork pair`);
        const expected = parent.slice(0, f + 1).map((p) => p.response_id);
        if (JSON.stringify(ids.slice(0, k)) !== JSON.stringify(expected)) {
          problems.push(
            `${n.chat_id}: inherited prefix (${k} pairs) differs from its parent's history up to the fork (${expected.length})`,
          );
        }
      }
    }
    h.slice(k).forEach((p, i) => {
      own.set(p.response_id, p);
      ownIndex.set(p.response_id, i);
      questions.set(p.question, (questions.get(p.question) ?? 0) + 1);
      const target = burst.questionsSent.get(p.question);
      if (target === undefined)
        problems.push(`${n.chat_id}: pair ${p.response_id} with a question never sent (${p.question})`);
      else if (!target.startsWith('(new branch') && target !== n.chat_id) {
        problems.push(`${n.chat_id}: pair ${p.question} was sent to ${target}`);
      }
    });
    // `branches` of every pair: exactly the live chats forking right after it, oldest first.
    for (const p of h) {
      const expected = forkedAt.get(p.response_id) ?? [];
      const got = p.branches ?? [];
      if (JSON.stringify([...got].sort()) !== JSON.stringify([...expected].sort())) {
        problems.push(
          `${n.chat_id}: pair ${p.response_id} lists branches ${JSON.stringify(got)}, live: ${JSON.stringify(expected)}`,
        );
      }
      const created = got.map((id) => nodes.get(id)?.created_at ?? '');
      if (created.some((c, i) => i > 0 && c < created[i - 1]!))
        problems.push(`${p.response_id}: branches not oldest first`);
    }
  }
  // The same pair read through any chat is the same pair.
  for (const h of histories.values()) {
    for (const p of h) {
      const o = own.get(p.response_id);
      if (!o) problems.push(`pair ${p.response_id} of ${p.chat_id} is not in the history of ${p.chat_id}`);
      else if (o.chat_id !== p.chat_id || o.question !== p.question || o.response !== p.response) {
        problems.push(`pair ${p.response_id} reads differently through different chats`);
      }
    }
  }
  for (const [q, k] of questions) if (k > 1) problems.push(`question ${q} stored ${k} times`);

  // Every acknowledged pair: present exactly once, in the chat that stores it, in acknowledgement order.
  for (const a of burst.pairs) {
    const p = own.get(a.responseId);
    if (!p) problems.push(`acknowledged pair ${a.question} (${a.responseId}) of ${a.chatId} is gone`);
    else if (p.chat_id !== a.chatId || p.question !== a.question) {
      problems.push(`acknowledged pair ${a.responseId} is now ${JSON.stringify(p)}`);
    }
  }
  const byChat = new Map<string, AckedPair[]>();
  for (const a of burst.pairs) byChat.set(a.chatId, [...(byChat.get(a.chatId) ?? []), a]);
  for (const list of byChat.values()) {
    for (const a of list) {
      for (const b of list) {
        // a was acknowledged before b was sent: a must come first.
        const ia = ownIndex.get(a.responseId);
        const ib = ownIndex.get(b.responseId);
        if (a.ackedAt < b.sentAt && ia !== undefined && ib !== undefined && ia >= ib) {
          problems.push(`${a.question} was acknowledged before ${b.question} was sent but comes after it`);
        }
      }
    }
  }
  for (const b of burst.branches) {
    if (
      b.firstPair &&
      histories.get(b.chatId)?.find((p) => p.chat_id === b.chatId)?.response_id !== b.firstPair.responseId
    ) {
      problems.push(`branch ${b.name}: its first own pair is not the acknowledged one`);
    }
  }

  // list-chats agrees with the trees.
  const list = await call(base, 'GET', '/api/v1/chats/list-chats?limit=100', { token, retries: 3 });
  for (const rootId of burst.roots) {
    const e = list.body.chats?.find((c: { chat_id: string }) => c.chat_id === rootId);
    if (!e) problems.push(`list-chats lacks ${rootId}`);
    else if (e.active_chat_id !== activeOf.get(rootId) || e.branch_count !== countOf.get(rootId)! - 1) {
      problems.push(
        `list-chats: ${rootId} active ${e.active_chat_id}, ${e.branch_count} branches; tree says ${activeOf.get(rootId)}, ${countOf.get(rootId)! - 1}`,
      );
    }
  }

  const committedUnacked = {
    pairs: own.size - burst.pairs.length,
    branches: [...nodes.values()].filter((n) => n.chat_type === 'branch').length - burst.branches.length,
  };
  return { problems, nodes, histories, committedUnacked };
}

async function scenario(content: 'postgresql' | 'mongodb') {
  const databaseUrl = await freshDatabase();
  const port = await freePort();
  const jwtSecret = randomSecret();
  const double = content === 'mongodb' ? await startMongoDouble() : null;
  const extraEnv: Record<string, string> = double
    ? { MONGO_URL: double.url, MONGO_DB: `faults_${Math.random().toString(36).slice(2, 8)}` }
    : {};
  const servers: ServerProcess[] = [];
  try {
    const first = await startServer({ databaseUrl, port, jwtSecret, extraEnv });
    servers.push(first);
    const token = await register(first.base);
    const burst = new Burst(first.base, token);
    for (let i = 0; i < ROOTS; i++) {
      const r = await call(first.base, 'POST', '/api/v1/chats/create-chat', { body: { name: `tree ${i}` }, token });
      expect(r.status).toBe(201);
      burst.addRoot(r.body.chat_id);
      for (let j = 0; j < 2; j++) expect(await burst.addMessage(r.body.chat_id)).not.toBeNull();
    }

    const started = performance.now();
    const workers = Array.from({ length: WORKERS }, () => burst.worker());
    await Bun.sleep(1000 + Math.random() * 800);
    const inflightAtKill = burst.inflight;
    first.kill('SIGKILL');
    burst.killed = true;
    const code = await first.exited;
    await Promise.all(workers);
    const burstMs = Math.round(performance.now() - started);
    expect(first.signalCode).toBe('SIGKILL');
    expect(code).not.toBe(0);
    expect(burst.problems).toEqual([]);
    // The kill must have hit requests in flight, or this tested nothing.
    expect(inflightAtKill).toBeGreaterThan(0);

    const second = await startServer({ databaseUrl, port, jwtSecret, extraEnv });
    servers.push(second);
    const { problems, nodes, committedUnacked } = await verify(second.base, token, burst);

    // The service keeps working on the crashed chats: a new pair lands at the end of each.
    const targets = [...burst.unackedTargets, ...burst.roots].filter((c) => nodes.has(c)).slice(0, 20);
    for (const chatId of new Set(targets)) {
      const before = nodes.get(chatId)!.message_count;
      const added = await call(second.base, 'POST', '/api/v1/messages/add-message', {
        body: { chat_id: chatId, question: `after the crash ${chatId}`, response: 'ok' },
        token,
      });
      if (added.status !== 201) {
        problems.push(`add-message after the crash on ${chatId}: ${added.status} ${JSON.stringify(added.body)}`);
        continue;
      }
      const tail = await call(second.base, 'GET', `/api/v1/chats/get-chat?chat_id=${chatId}&before=end&limit=2`, {
        token,
      });
      const last = tail.body.qa_pairs?.at(-1);
      if (tail.body.chat?.message_count !== before + 1 || last?.response_id !== added.body.response_id) {
        problems.push(
          `${chatId}: after the crash, a new pair is not the last of ${before + 1}: ${JSON.stringify(tail.body.qa_pairs)}`,
        );
      }
      if (last && last.question !== `after the crash ${chatId}`)
        problems.push(`${chatId}: the new pair reads back as ${last.question}`);
    }

    console.info(
      `[faults/crash ${content}] burst ${burstMs} ms, ${inflightAtKill} in flight at the kill; acknowledged ` +
        `${burst.pairs.length} pairs, ${burst.branches.length} branches, ${burst.activations} activations; ` +
        `${burst.unacknowledged} unacknowledged, of which committed anyway: ` +
        `${committedUnacked.pairs} pairs, ${committedUnacked.branches} branches; ` +
        `${nodes.size} chats verified; statuses ${JSON.stringify(Object.fromEntries(burst.statuses))}`,
    );
    if (double) expect(double.unsupported).toEqual([]);
    expect(problems.slice(0, 40)).toEqual([]);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    await double?.stop();
  }
}

describe.skipIf(skipReason !== null)('kill -9 during a burst of writes, then restart', () => {
  test(
    'content in PostgreSQL: every acknowledged write survives, trees stay consistent',
    () => logsOnFailure('faults/crash postgresql', () => scenario('postgresql')),
    45_000,
  );
  test(
    'content in MongoDB (wire-protocol double): every acknowledged write survives, trees stay consistent',
    () => logsOnFailure('faults/crash mongodb', () => scenario('mongodb')),
    45_000,
  );
});
