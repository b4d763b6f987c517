/**
 * Model-based test (fast-check state machine) of conversation trees: random sequences of create-chat,
 * add-message, create-branch (from any visible pair, inherited ones included), set-active-branch,
 * delete-chat, update-chat (renames, and the conversation's archive and pin flags), set-feedback, get-chat and calls
 * on deleted chats run against the real service and against a small reference model written here. After every step
 * the affected trees must agree with the model in full: every live chat's whole visible history read page by page
 * (pairs, order, `branches`, paging flags), the chat objects, the get-branches tree, `count`, the active chat,
 * list-chats (pinned first, archived ones only when asked), and 404 for deleted chats;
 * and the tree's event log (tree_events) replayed from seq 0 rebuilds the same tree: its live chats with their
 * parents, fork points, names and own pairs, the active chat and the feedback set on pairs, with seqs 0, 1, 2 …
 * without a gap.
 *
 * Environment: MODEL_RUNS (default 20), MODEL_COMMANDS (max commands per run, default 25), MODEL_BUDGET_MS
 * (time for the whole property), and MODEL_SEED / MODEL_PATH to replay a failure with the values fast-check prints.
 */
import { beforeAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { TreeNodeShape as TreeNode } from '../../src/http/branches/branches.routes.js';
import { pgDb } from '../../src/stores/pg-tx.js';
import { testApp, testServices } from '../support/app.js';
import { type Client, newAccount, type Res } from '../support/client.js';
import { expectProblem } from '../support/problem.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

const RUNS = Number(process.env.MODEL_RUNS ?? 20);
const MAX_COMMANDS = Number(process.env.MODEL_COMMANDS ?? 25);
const MAX_TREES = 3;
/** Time for the whole property, shrinking included (a failure found by then is reported as it stands). */
const BUDGET_MS = Number(process.env.MODEL_BUDGET_MS ?? 60_000 + RUNS * 3_000);

// ---- the reference model -----------------------------------------------------------------------

interface MPair {
  id: string;
  label: string;
  /** The chat that stores the pair. */
  chatId: string;
  question: string;
  response: string;
  timestamp: string;
  /** As the write answered it: the responder's record, or null for a response the client gave. */
  generation: unknown;
  /** The feedback as set-feedback answered it (`{rating, comment, updated_at}`), or null. */
  feedback: unknown;
}

interface MChat {
  id: string;
  label: string;
  rootId: string;
  parentId: string | null;
  /** The parent's pair after which this branch forks; null for a root, and for a start fork (parent = root). */
  forkId: string | null;
  name: string;
  own: MPair[];
  deleted: boolean;
  createdAt: string;
  /** The latest `updated_at` the service showed. */
  updatedAt: string;
  /** A root made by fork-chat: the chat and pair it was copied from (`forked_from` while that chat is live). */
  forkedFrom?: { chatId: string; responseId: string | null };
  /** How many of its own pairs the chat was created with by an import (fork-chat): the log names them as IMPORTED. */
  importedPairs?: number;
  /** On a root: its conversation's flags (update-chat from any chat of the tree); absent = false. */
  archived?: boolean;
  pinned?: boolean;
}

interface Paging {
  limit: number;
  backward: boolean;
}

interface Model {
  paging: Paging;
  /** Every chat ever created, oldest first (deleted ones stay, flagged). */
  chats: MChat[];
  byId: Map<string, MChat>;
  /** Every pair ever created, oldest first. */
  pairs: MPair[];
  /** Live tree (root id) → its active chat. */
  active: Map<string, string>;
  /** Live tree → the latest `last_activity_at` list-chats showed. */
  lastActivity: Map<string, string>;
  /** Chats renamed or given a pair by the current step: their `updated_at` must move forward. */
  touched: Set<string>;
}

interface Real {
  a: Client;
  accountId: string;
  /** What this run did so far, with model labels: attached to any failure. */
  log: string[];
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const live = (m: Model) => m.chats.filter((c) => !c.deleted);
const liveRoots = (m: Model) => live(m).filter((c) => c.parentId === null);
const liveIn = (m: Model, rootId: string) => live(m).filter((c) => c.rootId === rootId);
const chatOf = (m: Model, id: string) => m.byId.get(id)!;
const label = (m: Model, id: string) => m.byId.get(id)?.label ?? id;

/** The chat's visible history: the parent's history up to and including the fork pair, then its own pairs. */
function visible(m: Model, c: MChat): MPair[] {
  // A root, or a start fork (it forks before the tree's first pair: nothing inherited).
  if (c.parentId === null || c.forkId === null) return c.own;
  const inherited = visible(m, chatOf(m, c.parentId));
  const at = inherited.findIndex((p) => p.id === c.forkId);
  if (at < 0) throw new Error(`model: fork pair of ${c.label} not in its parent's history`);
  return [...inherited.slice(0, at + 1), ...c.own];
}

/** Live branches forking right after the pair, oldest first. */
const branchesOf = (m: Model, pairId: string) => live(m).filter((c) => c.forkId === pairId);
const childrenOf = (m: Model, chatId: string) => live(m).filter((c) => c.parentId === chatId);
/** The tree's live start forks, oldest first (get-chat's `start_branches`, on every chat of the tree). */
const startForksOf = (m: Model, rootId: string) =>
  live(m).filter((c) => c.rootId === rootId && c.parentId !== null && c.forkId === null);

/**
 * The name a branch gets without one: with a first question that is not blank, that question on one line (runs
 * of white space as one space, trimmed), at most 60 code points; longer, cut with an ellipsis; else the source
 * chat's name and a suffix.
 */
function checkDefaultName(got: string, sourceName: string, question: string | undefined) {
  const line = question?.replace(/\s+/gu, ' ').trim() ?? '';
  if (line === '') {
    expect(got.startsWith(sourceName.slice(0, 150)), `default name ${JSON.stringify(got)}`).toBe(true);
    expect(got.endsWith(' (branch)'), `default name ${JSON.stringify(got)}`).toBe(true);
  } else if ([...line].length <= 60) {
    expect(got, 'default name: the first question').toBe(line);
  } else {
    expect(got.endsWith('…') && line.startsWith(got.slice(0, -1)), `default name ${JSON.stringify(got)}`).toBe(true);
    expect([...got].length).toBeLessThanOrEqual(60);
  }
}

/** The live chat and the chats below it (their parent chain reaches it). */
function subtree(m: Model, c: MChat): MChat[] {
  return [c, ...childrenOf(m, c.id).flatMap((child) => subtree(m, child))];
}

function pairJson(m: Model, p: MPair) {
  return {
    response_id: p.id,
    chat_id: p.chatId,
    question: p.question,
    response: p.response,
    timestamp: p.timestamp,
    generation: p.generation,
    type: 'text',
    branches: branchesOf(m, p.id).map((c) => c.id),
    feedback: p.feedback,
  };
}

/** Tokens of the generated answers over the chat's visible history (a given response, or a null count, adds 0). */
function usageOf(m: Model, c: MChat) {
  const sum = (k: 'prompt_tokens' | 'completion_tokens') =>
    visible(m, c).reduce((n, p) => n + ((p.generation as Record<string, number | null> | null)?.[k] ?? 0), 0);
  return { prompt_tokens: sum('prompt_tokens'), completion_tokens: sum('completion_tokens') };
}

/**
 * The Chat object without `updated_at` (checked apart: it only has to move forward); with `usage` as get-chat
 * shows it (list-chats does not).
 */
function chatJson(m: Model, r: Real, c: MChat, withUsage = false) {
  return {
    chat_id: c.id,
    account_id: r.accountId,
    chat_type: c.parentId === null ? 'main' : 'branch',
    name: c.name,
    created_at: c.createdAt,
    active: m.active.get(c.rootId) === c.id,
    root_chat_id: c.rootId,
    parent_chat_id: c.parentId,
    fork_response_id: c.forkId,
    message_count: visible(m, c).length,
    system_prompt: null,
    forked_from:
      c.forkedFrom && !chatOf(m, c.forkedFrom.chatId).deleted
        ? { chat_id: c.forkedFrom.chatId, response_id: c.forkedFrom.responseId }
        : null,
    archived: chatOf(m, c.rootId).archived ?? false,
    pinned: chatOf(m, c.rootId).pinned ?? false,
    ...(withUsage ? { usage: usageOf(m, c) } : {}),
  };
}

function treeNode(m: Model, c: MChat): TreeNode {
  return {
    chat_id: c.id,
    name: c.name,
    chat_type: c.parentId === null ? 'main' : 'branch',
    parent_chat_id: c.parentId,
    fork_response_id: c.forkId,
    active: m.active.get(c.rootId) === c.id,
    message_count: visible(m, c).length,
    usage: usageOf(m, c),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    children: childrenOf(m, c.id).map((child) => treeNode(m, child)),
  };
}

function addChat(m: Model, c: Omit<MChat, 'label' | 'own' | 'deleted'>): MChat {
  const chat: MChat = { ...c, label: `C${m.chats.length + 1}`, own: [], deleted: false };
  m.chats.push(chat);
  m.byId.set(chat.id, chat);
  return chat;
}

function addPair(m: Model, chat: MChat, body: any, question: string, response: string | undefined): MPair {
  expect(body.chat_id, 'pair stored in the chat').toBe(chat.id);
  expect(body.question).toBe(question);
  expect(body.type).toBe('text');
  expect(body.branches).toEqual([]);
  expect(body.feedback).toBeNull();
  expect(body.timestamp).toMatch(ISO_MS);
  if (response === undefined) {
    // The responder answered: any non-empty text, which every later read must return unchanged.
    expect(typeof body.response).toBe('string');
    expect(body.response.length).toBeGreaterThan(0);
    expect(body.generation.model).toBe('branchat-local');
    expect(Number.isInteger(body.generation.prompt_tokens) && body.generation.prompt_tokens > 0).toBe(true);
    expect(Number.isInteger(body.generation.completion_tokens) && body.generation.completion_tokens > 0).toBe(true);
  } else {
    expect(body.response).toBe(response);
    expect(body.generation).toBeNull();
  }
  const pair: MPair = {
    id: body.response_id,
    label: `P${m.pairs.length + 1}`,
    chatId: chat.id,
    question,
    response: body.response,
    timestamp: body.timestamp,
    generation: body.generation,
    feedback: null,
  };
  chat.own.push(pair);
  m.pairs.push(pair);
  m.touched.add(chat.id);
  return pair;
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// ---- checks against the service ----------------------------------------------------------------

function expectStatus(r: Res, status: number, what: string) {
  if (r.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** The chat object of a get-chat answer; `updated_at` moves forward, strictly when the step wrote the chat. */
function checkChat(m: Model, r: Real, c: MChat, got: any, withUsage = false) {
  const { updated_at, ...rest } = got;
  expect(rest, `chat ${c.label}`).toEqual(chatJson(m, r, c, withUsage));
  expect(updated_at).toMatch(ISO_MS);
  if (m.touched.has(c.id)) expect(updated_at > c.updatedAt, `updated_at of ${c.label} moves on a write`).toBe(true);
  else expect(updated_at >= c.updatedAt, `updated_at of ${c.label} never goes back`).toBe(true);
  c.updatedAt = updated_at;
}

/** Reads the chat's whole visible history page by page (the run's page size and direction). */
async function checkHistory(m: Model, r: Real, c: MChat) {
  const want = visible(m, c);
  const n = want.length;
  const { limit, backward } = m.paging;
  let lo = 0;
  let hi = n;
  for (let page = 0; ; page++) {
    let query: Record<string, string | number>;
    if (backward) {
      query = hi === n ? { limit, before: 'end' } : { limit, before: want[hi]!.id };
      lo = Math.max(0, hi - limit);
    } else {
      query = lo === 0 ? { limit } : { limit, after: want[lo - 1]!.id };
      hi = Math.min(n, lo + limit);
    }
    const what = `get-chat ${c.label} ${JSON.stringify(query)}`;
    const res = await r.a.getChat(c.id, query);
    expectStatus(res, 200, what);
    expect(res.body.start_branches, `${what} start_branches`).toEqual(startForksOf(m, c.rootId).map((x) => x.id));
    if (page === 0) {
      checkChat(m, r, c, res.body.chat, true);
      expect(res.headers.get('ETag'), what).toBeTruthy();
    }
    expect(res.body.qa_pairs, what).toEqual(want.slice(lo, hi).map((p) => pairJson(m, p)));
    expect([res.body.has_more_before, res.body.has_more_after], `${what} has_more_before/after`).toEqual([
      lo > 0,
      hi < n,
    ]);
    if (backward ? lo === 0 : hi === n) break;
    if (backward) hi = lo;
    else lo = hi;
  }
}

/** One live tree in full: each chat's history, then get-branches asked from the root and from the newest chat. */
async function checkTree(m: Model, r: Real, rootId: string) {
  const chats = liveIn(m, rootId);
  for (const c of chats) await checkHistory(m, r, c);
  const expected = {
    root_chat_id: rootId,
    active_chat_id: m.active.get(rootId),
    count: chats.length,
    tree: treeNode(m, chatOf(m, rootId)),
  };
  for (const id of new Set([rootId, chats[chats.length - 1]!.id])) {
    const res = await r.a.getBranches(id);
    expectStatus(res, 200, `get-branches ${label(m, id)}`);
    expect(res.body, `get-branches ${label(m, id)}`).toEqual(expected);
  }
}

/** A pair a tree was created with by an import: the log names no pair id for it. */
const IMPORTED = '<imported>';

/** A tree as its event log rebuilds it. */
interface Replayed {
  chats: Map<string, { parent: string | null; fork: string | null; name: string; own: string[] }>;
  active: string | null;
  /** The feedback the log's pair.feedback events leave on the pairs of its live chats (imported pairs aside). */
  feedback: Map<string, unknown>;
}

/** Reads the tree's log from seq 0 and applies each event; the seqs must be 0, 1, 2 … up to event_seq. */
async function replayLog(rootId: string): Promise<Replayed> {
  const db = pgDb((await testServices()).orm);
  const rows = (
    await sql<{ seq: string; event: string; data: string }>`
      select seq, event, data from tree_events where root_chat_id = ${rootId} order by seq`.execute(db)
  ).rows;
  const head = await sql<{ event_seq: string }>`select event_seq from conversations where chat_id = ${rootId}`.execute(
    db,
  );
  expect(
    rows.map((r) => Number(r.seq)),
    'the event log: seq 0 … event_seq without a gap',
  ).toEqual(Array.from({ length: Number(head.rows[0]?.event_seq) + 1 }, (_, i) => i));
  const out: Replayed = { chats: new Map(), active: null, feedback: new Map() };
  const add = (c: any) =>
    out.chats.set(c.chat_id, { parent: c.parent_chat_id, fork: c.fork_response_id, name: c.name, own: [] });
  for (const row of rows) {
    const d = JSON.parse(row.data);
    switch (row.event) {
      case 'tree.created':
        for (const c of d.chats) add(c);
        // An imported tree (fork-chat here) announces its chats, not its pairs (a client reads those over REST):
        // each pair it was created with counts as one IMPORTED entry. Only roots are imported by this model.
        if (d.imported) {
          for (const c of d.chats) {
            if (c.parent_chat_id !== null) throw new Error('replay: imported branches are not modelled');
            out.chats.get(c.chat_id)?.own.push(...Array.from({ length: c.message_count }, () => IMPORTED));
          }
        }
        out.active = d.chats.find((c: any) => c.active)?.chat_id ?? null;
        break;
      case 'message.added':
        out.chats.get(d.chat_id)?.own.push(d.response_id);
        break;
      case 'branch.created':
        add(d.chat);
        if (d.qa_pair) out.chats.get(d.chat.chat_id)?.own.push(d.qa_pair.response_id);
        break;
      case 'branch.activated':
        out.active = d.active_chat_id;
        break;
      case 'chat.updated': {
        const c = out.chats.get(d.chat_id);
        if (c) c.name = d.name;
        break;
      }
      case 'chat.deleted':
        for (const id of d.deleted_chat_ids) out.chats.delete(id);
        if (d.deleted_chat_ids.includes(rootId)) out.active = null;
        break;
      case 'pair.feedback':
        if (d.feedback === null) out.feedback.delete(d.response_id);
        else out.feedback.set(d.response_id, d.feedback);
        break;
      default:
        throw new Error(`unknown event ${row.event} in the log`);
    }
  }
  // Only the pairs of live chats count (a deleted chat's pairs keep their rows, which nothing reads).
  const own = new Set([...out.chats.values()].flatMap((c) => c.own));
  for (const id of [...out.feedback.keys()]) if (!own.has(id)) out.feedback.delete(id);
  return out;
}

/** The tree rebuilt from its event log equals the model's (a deleted tree: no live chat, no active one). */
async function checkLog(m: Model, rootId: string) {
  const replayed = await replayLog(rootId);
  const live = m.active.has(rootId) ? liveIn(m, rootId) : [];
  const want = new Map(
    live.map((c) => [
      c.id,
      {
        parent: c.parentId,
        fork: c.forkId,
        name: c.name,
        own: c.own.map((p, i) => (i < (c.importedPairs ?? 0) ? IMPORTED : p.id)),
      },
    ]),
  );
  expect(replayed.chats, `the event log of ${label(m, rootId)} replayed`).toEqual(want);
  const rated = live.flatMap((c) =>
    c.own.filter((p, i) => i >= (c.importedPairs ?? 0) && p.feedback !== null).map((p) => [p.id, p.feedback] as const),
  );
  expect(replayed.feedback, `the feedback by the event log of ${label(m, rootId)}`).toEqual(new Map(rated));
  expect(replayed.active, `the active chat by the event log of ${label(m, rootId)}`).toBe(m.active.get(rootId) ?? null);
}

/** A deleted chat answers 404 to get-chat and get-branches. */
async function checkGone(r: Real, c: MChat) {
  expectProblem(await r.a.getChat(c.id), 404);
  expectProblem(await r.a.getBranches(c.id), 404);
}

/**
 * list-chats: one entry per live tree (its root chat), with the active chat and branch count; pinned trees first,
 * then by `last_activity_at` descending. With `archived=true` every live tree; by default the archived ones are left
 * out, the others in the same order. `wrote` is a tree this step wrote to (at or after `since`, epoch ms).
 */
async function checkList(m: Model, r: Real, wrote?: { rootId: string; since: number }) {
  const res = await r.a.listChats({ limit: 100, archived: 'true' });
  expectStatus(res, 200, 'list-chats');
  const entries: any[] = res.body.chats;
  expect(res.body.next_cursor).toBeNull();
  const roots = liveRoots(m);
  expect(entries.map((e) => e.chat_id).sort(), 'list-chats: the live trees').toEqual(roots.map((c) => c.id).sort());
  let previous: { pinned: boolean; at: string } | undefined;
  for (const e of entries) {
    const root = chatOf(m, e.chat_id);
    const { updated_at, last_activity_at, ...rest } = e;
    expect(rest, `list-chats entry ${root.label}`).toEqual({
      ...chatJson(m, r, root),
      active_chat_id: m.active.get(root.id),
      branch_count: liveIn(m, root.id).length - 1,
    });
    expect(updated_at).toBe(root.updatedAt);
    expect(last_activity_at).toMatch(ISO_MS);
    if (previous !== undefined) {
      const inOrder = previous.pinned !== e.pinned ? previous.pinned : last_activity_at <= previous.at;
      expect(inOrder, 'list-chats order: pinned first, then newest activity').toBe(true);
    }
    previous = { pinned: e.pinned, at: last_activity_at };
    const seen = m.lastActivity.get(root.id);
    if (seen !== undefined) expect(last_activity_at >= seen, `last_activity_at of ${root.label}`).toBe(true);
    m.lastActivity.set(root.id, last_activity_at);
  }
  const unarchived = await r.a.listChats({ limit: 100 });
  expectStatus(unarchived, 200, 'list-chats (archived hidden)');
  expect(
    unarchived.body.chats.map((e: any) => e.chat_id),
    'list-chats: archived trees hidden by default',
  ).toEqual(entries.filter((e) => !chatOf(m, e.chat_id).archived).map((e) => e.chat_id));
  if (wrote) {
    const at = Date.parse(m.lastActivity.get(wrote.rootId)!);
    expect(at, `last_activity_at of ${label(m, wrote.rootId)} after a write`).toBeGreaterThanOrEqual(wrote.since);
  }
}

/** After a step: the given trees (live ones in full, deleted ones as 404s) and list-chats. */
async function checkAfter(m: Model, r: Real, rootIds: string[], wrote?: { rootId: string; since: number }) {
  for (const rootId of new Set(rootIds)) {
    if (m.active.has(rootId)) await checkTree(m, r, rootId);
    await checkLog(m, rootId);
  }
  await checkList(m, r, wrote);
  m.touched.clear();
}

/** Runs one step; a failure carries the steps of the run so far, in model labels. */
async function step(r: Real, what: string, fn: () => Promise<void>) {
  r.log.push(what);
  try {
    await fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `${err.message}\n\nsteps of this run (C = chat, P = pair, in creation order):\n  ${r.log.join('\n  ')}`;
    throw err;
  }
}

// ---- commands ----------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

class CreateChat implements Cmd {
  constructor(readonly name: string) {}
  check(m: Readonly<Model>) {
    return liveRoots(m).length < MAX_TREES;
  }
  async run(m: Model, r: Real) {
    await step(r, `create-chat C${m.chats.length + 1}`, async () => {
      const since = Date.now();
      const res = await r.a.createChat(this.name);
      expectStatus(res, 201, 'create-chat');
      const b = res.body;
      expect(b).toMatchObject({ chat_type: 'main', name: this.name, active: true, message_count: 0 });
      expect(b.root_chat_id).toBe(b.chat_id);
      const c = addChat(m, {
        id: b.chat_id,
        rootId: b.chat_id,
        parentId: null,
        forkId: null,
        name: this.name,
        createdAt: b.created_at,
        updatedAt: b.updated_at,
      });
      m.active.set(c.id, c.id);
      checkChat(m, r, c, b);
      await checkAfter(m, r, [c.id], { rootId: c.id, since });
    });
  }
  toString() {
    return `createChat(${JSON.stringify(this.name)})`;
  }
}

class AddMessage implements Cmd {
  constructor(
    readonly chat: number,
    readonly question: string,
    readonly response: string | undefined,
  ) {}
  check(m: Readonly<Model>) {
    return live(m).length > 0;
  }
  async run(m: Model, r: Real) {
    const c = pick(live(m), this.chat);
    const how = this.response === undefined ? 'responder' : 'with response';
    await step(r, `add-message P${m.pairs.length + 1} to ${c.label} (${how})`, async () => {
      const since = Date.now();
      const res = await r.a.addMessage(c.id, this.question, this.response);
      expectStatus(res, 201, 'add-message');
      addPair(m, c, res.body, this.question, this.response);
      await checkAfter(m, r, [c.rootId], { rootId: c.rootId, since });
    });
  }
  toString() {
    return `addMessage(chat#${this.chat}, ${JSON.stringify(this.question)}, ${JSON.stringify(this.response)})`;
  }
}

interface BranchOptions {
  chat: number;
  pair: number;
  name: string | undefined;
  first: { question: string; response: string | undefined } | undefined;
  activate: boolean | undefined;
  /** stray: a pair not visible in the chat (→ 404); orphan: a response without a question (→ 422). */
  invalid: 'stray' | 'orphan' | null;
  /** A start fork (before the tree's first pair): `response_id` null, or absent. */
  start: 'null' | 'absent' | false;
}

class CreateBranch implements Cmd {
  constructor(readonly o: BranchOptions) {}
  check(m: Readonly<Model>) {
    return this.o.start !== false ? live(m).length > 0 : live(m).some((c) => visible(m, c).length > 0);
  }
  async run(m: Model, r: Real) {
    const o = this.o;
    if (o.start !== false) return this.startFork(m, r, pick(live(m), o.chat));
    const c = pick(
      live(m).filter((x) => visible(m, x).length > 0),
      o.chat,
    );
    const seen = visible(m, c);
    const stray = m.pairs.filter((p) => !seen.includes(p));
    if (o.invalid === 'stray' && stray.length > 0) {
      const p = pick(stray, o.pair);
      await step(r, `create-branch from ${c.label} at ${p.label} (not visible there → 404)`, async () => {
        const body = { chat_id: c.id, response_id: p.id, ...(o.first ? { question: o.first.question } : {}) };
        expectProblem(await r.a.createBranch(body), 404);
        await checkAfter(m, r, [c.rootId]);
      });
      return;
    }
    const p = pick(seen, o.pair);
    if (o.invalid === 'orphan') {
      await step(r, `create-branch from ${c.label} at ${p.label} with a response but no question (→ 422)`, async () => {
        const body = { chat_id: c.id, response_id: p.id, response: o.first?.response ?? 'orphan' };
        expectProblem(await r.a.createBranch(body), 422);
        await checkAfter(m, r, [c.rootId]);
      });
      return;
    }
    const store = chatOf(m, p.chatId);
    const where = store === c ? 'own' : `inherited from ${store.label}`;
    const what =
      `create-branch C${m.chats.length + 1} from ${c.label} at ${p.label} (${where})` +
      `${o.first ? ` with a first pair${o.first.response === undefined ? ' (responder)' : ''}` : ''}` +
      `${o.activate === undefined ? '' : `, activate: ${o.activate}`}`;
    await step(r, what, async () => {
      const body: Record<string, unknown> = { chat_id: c.id, response_id: p.id };
      if (o.name !== undefined) body.name = o.name;
      if (o.first) {
        body.question = o.first.question;
        if (o.first.response !== undefined) body.response = o.first.response;
      }
      if (o.activate !== undefined) body.activate = o.activate;
      const since = Date.now();
      const res = await r.a.createBranch(body);
      expectStatus(res, 201, 'create-branch');
      const got = res.body.chat;
      if (o.name !== undefined) expect(got.name).toBe(o.name);
      else checkDefaultName(got.name, c.name, o.first?.question);
      const b = addChat(m, {
        id: got.chat_id,
        rootId: c.rootId,
        // A fork at an inherited pair attaches to the chat that stores the pair.
        parentId: store.id,
        forkId: p.id,
        name: got.name,
        createdAt: got.created_at,
        updatedAt: got.updated_at,
      });
      if (o.activate !== false) m.active.set(c.rootId, b.id);
      if (o.first) addPair(m, b, res.body.qa_pair, o.first.question, o.first.response);
      else expect(res.body.qa_pair).toBeNull();
      m.touched.delete(b.id);
      checkChat(m, r, b, got);
      await checkAfter(m, r, [c.rootId], { rootId: c.rootId, since });
    });
  }
  /** A start fork asked from any chat `c` of the tree: it hangs under the root, with an empty history. */
  private async startFork(m: Model, r: Real, c: MChat) {
    const o = this.o;
    const what =
      `create-branch C${m.chats.length + 1} from ${c.label} at the start (response_id ${o.start})` +
      `${o.first ? ` with a first pair${o.first.response === undefined ? ' (responder)' : ''}` : ''}` +
      `${o.activate === undefined ? '' : `, activate: ${o.activate}`}`;
    await step(r, what, async () => {
      const body: Record<string, unknown> = { chat_id: c.id };
      if (o.start === 'null') body.response_id = null;
      if (o.name !== undefined) body.name = o.name;
      if (o.first) {
        body.question = o.first.question;
        if (o.first.response !== undefined) body.response = o.first.response;
      }
      if (o.activate !== undefined) body.activate = o.activate;
      const since = Date.now();
      const res = await r.a.createBranch(body);
      expectStatus(res, 201, 'create-branch (start fork)');
      const got = res.body.chat;
      if (o.name !== undefined) expect(got.name).toBe(o.name);
      else checkDefaultName(got.name, c.name, o.first?.question);
      const b = addChat(m, {
        id: got.chat_id,
        rootId: c.rootId,
        parentId: c.rootId,
        forkId: null,
        name: got.name,
        createdAt: got.created_at,
        updatedAt: got.updated_at,
      });
      if (o.activate !== false) m.active.set(c.rootId, b.id);
      if (o.first) addPair(m, b, res.body.qa_pair, o.first.question, o.first.response);
      else expect(res.body.qa_pair).toBeNull();
      m.touched.delete(b.id);
      checkChat(m, r, b, got);
      await checkAfter(m, r, [c.rootId], { rootId: c.rootId, since });
    });
  }
  toString() {
    return `createBranch(${JSON.stringify(this.o)})`;
  }
}

/**
 * fork-chat (without branches): a new conversation whose root holds a copy of the chat's visible history up to a pair
 * (all of it when none is given): new ids, the same questions, answers, timestamps and generation records.
 */
class ForkChat implements Cmd {
  constructor(
    readonly chat: number,
    readonly pair: number | null,
    readonly name: string | undefined,
  ) {}
  check(m: Readonly<Model>) {
    return live(m).length > 0 && liveRoots(m).length < MAX_TREES;
  }
  async run(m: Model, r: Real) {
    const c = pick(live(m), this.chat);
    const seen = visible(m, c);
    const upTo = this.pair === null || seen.length === 0 ? null : pick(seen, this.pair);
    const copied = upTo ? seen.slice(0, seen.indexOf(upTo) + 1) : seen;
    const what = `fork-chat C${m.chats.length + 1} from ${c.label} up to ${upTo ? upTo.label : 'the end'} (${copied.length} pairs)`;
    await step(r, what, async () => {
      const since = Date.now();
      const body: Record<string, unknown> = { chat_id: c.id };
      if (upTo) body.response_id = upTo.id;
      if (this.name !== undefined) body.name = this.name;
      const res = await r.a.forkChat(body);
      expectStatus(res, 201, 'fork-chat');
      const got = res.body.chat;
      expect([res.body.chat_count, res.body.pair_count]).toEqual([1, copied.length]);
      expect(res.body.active_chat_id).toBe(got.chat_id);
      const root = addChat(m, {
        id: got.chat_id,
        rootId: got.chat_id,
        parentId: null,
        forkId: null,
        name: this.name ?? c.name,
        createdAt: got.created_at,
        updatedAt: got.updated_at,
        forkedFrom: { chatId: c.id, responseId: copied.at(-1)?.id ?? null },
        importedPairs: copied.length,
      });
      m.active.set(root.id, root.id);
      // The copies, in order, with ids of their own: everything else as in the source.
      const page = await r.a.getChat(root.id, { limit: 1000 });
      expectStatus(page, 200, 'get-chat of the copy');
      const pairs: any[] = page.body.qa_pairs;
      // The copies keep their originals' feedback.
      expect(pairs.map((p) => [p.question, p.response, p.timestamp, p.generation, p.feedback])).toEqual(
        copied.map((p) => [p.question, p.response, p.timestamp, p.generation, p.feedback]),
      );
      for (const p of pairs) {
        expect(m.pairs.some((x) => x.id === p.response_id)).toBe(false);
        const pair: MPair = {
          ...copied[root.own.length]!,
          id: p.response_id,
          label: `P${m.pairs.length + 1}`,
          chatId: root.id,
        };
        root.own.push(pair);
        m.pairs.push(pair);
      }
      checkChat(m, r, root, got);
      await checkAfter(m, r, [root.id, c.rootId], { rootId: root.id, since });
    });
  }
  toString() {
    return `forkChat(chat#${this.chat}, ${this.pair === null ? 'all' : `pair#${this.pair}`}, ${JSON.stringify(this.name)})`;
  }
}

/**
 * Regenerate a pair (any pair ever created: one of a deleted chat → 404): a branch forking where its question
 * starts (after the pair before it in the chat that stores it; for that chat's first pair, where that chat forks:
 * the start for a root or a start fork), whose first pair is the same question with a generated answer.
 */
class Regenerate implements Cmd {
  constructor(
    readonly pair: number,
    readonly activate: boolean | undefined,
  ) {}
  check(m: Readonly<Model>) {
    return m.pairs.length > 0;
  }
  async run(m: Model, r: Real) {
    const p = pick(m.pairs, this.pair);
    const store = chatOf(m, p.chatId);
    await step(r, `regenerate P${m.pairs.indexOf(p) + 1} (in ${store.label}) → C${m.chats.length + 1}`, async () => {
      const since = Date.now();
      const res = await r.a.regenerate(p.id, this.activate);
      if (store.deleted) {
        expectProblem(res, 404);
        return checkAfter(m, r, [store.rootId]);
      }
      expectStatus(res, 201, 'regenerate');
      const at = store.own.indexOf(p);
      const [parentId, forkId] =
        at > 0
          ? [store.id, store.own[at - 1]!.id]
          : store.parentId === null || store.forkId === null
            ? [store.rootId, null]
            : [store.parentId, store.forkId];
      const got = res.body.chat;
      expect([got.parent_chat_id, got.fork_response_id], 'where the regenerated answer forks').toEqual([
        parentId,
        forkId,
      ]);
      checkDefaultName(got.name, store.name, p.question);
      const b = addChat(m, {
        id: got.chat_id,
        rootId: store.rootId,
        parentId,
        forkId,
        name: got.name,
        createdAt: got.created_at,
        updatedAt: got.updated_at,
      });
      if (this.activate !== false) m.active.set(store.rootId, b.id);
      addPair(m, b, res.body.qa_pair, p.question, undefined);
      m.touched.delete(b.id);
      checkChat(m, r, b, got);
      await checkAfter(m, r, [store.rootId], { rootId: store.rootId, since });
    });
  }
  toString() {
    return `regenerate(pair#${this.pair}, ${this.activate})`;
  }
}

/**
 * set-feedback on any pair ever created (one of a deleted chat → 404; a comment with rating null → 422): every chat
 * whose history shows the pair shows the feedback; the tree's ETags change, no chat's `updated_at` moves.
 */
class SetFeedback implements Cmd {
  constructor(
    readonly pair: number,
    readonly rating: 'up' | 'down' | null,
    readonly comment: string | null | undefined,
  ) {}
  check(m: Readonly<Model>) {
    return m.pairs.length > 0;
  }
  async run(m: Model, r: Real) {
    const p = pick(m.pairs, this.pair);
    const store = chatOf(m, p.chatId);
    const what = `set-feedback ${this.rating} on ${p.label} (in ${store.label})`;
    await step(r, what, async () => {
      const before = store.deleted ? null : (await r.a.getChat(store.id, { limit: 1 })).headers.get('ETag');
      const res = await r.a.setFeedback(p.id, this.rating, this.comment);
      if (this.rating === null && typeof this.comment === 'string') {
        expectProblem(res, 422);
        return checkAfter(m, r, [store.rootId]);
      }
      if (store.deleted) {
        expectProblem(res, 404);
        return checkAfter(m, r, [store.rootId]);
      }
      expectStatus(res, 200, 'set-feedback');
      expect(res.body.response_id).toBe(p.id);
      if (this.rating === null) expect(res.body.feedback).toBeNull();
      else {
        expect(res.body.feedback).toMatchObject({ rating: this.rating, comment: this.comment || null });
        expect(res.body.feedback.updated_at).toMatch(ISO_MS);
      }
      p.feedback = res.body.feedback;
      const after = (await r.a.getChat(store.id, { limit: 1 })).headers.get('ETag');
      expect(after, 'a new ETag after set-feedback').not.toBe(before);
      await checkAfter(m, r, [store.rootId]);
    });
  }
  toString() {
    return `setFeedback(pair#${this.pair}, ${this.rating}, ${JSON.stringify(this.comment)})`;
  }
}

class SetActive implements Cmd {
  constructor(readonly chat: number) {}
  check(m: Readonly<Model>) {
    return live(m).length > 0;
  }
  async run(m: Model, r: Real) {
    const c = pick(live(m), this.chat);
    await step(r, `set-active-branch ${c.label}`, async () => {
      const changed = m.active.get(c.rootId) !== c.id;
      const since = Date.now();
      const res = await r.a.setActive(c.id);
      expectStatus(res, 200, 'set-active-branch');
      expect(res.body).toEqual({ root_chat_id: c.rootId, active_chat_id: c.id });
      m.active.set(c.rootId, c.id);
      await checkAfter(m, r, [c.rootId], changed ? { rootId: c.rootId, since } : undefined);
    });
  }
  toString() {
    return `setActive(chat#${this.chat})`;
  }
}

class DeleteChat implements Cmd {
  /** `root`: delete a whole conversation; else a branch (with its subtree). */
  constructor(
    readonly chat: number,
    readonly root: boolean,
  ) {}
  private candidates(m: Model) {
    return live(m).filter((c) => (c.parentId === null) === this.root);
  }
  check(m: Readonly<Model>) {
    return this.candidates(m).length > 0;
  }
  async run(m: Model, r: Real) {
    const c = pick(this.candidates(m), this.chat);
    const gone = subtree(m, c);
    await step(r, `delete-chat ${c.label} (deletes ${gone.map((x) => x.label).join(', ')})`, async () => {
      const res = await r.a.deleteChat(c.id);
      expectStatus(res, 200, 'delete-chat');
      expect([...res.body.deleted_chat_ids].sort(), 'deleted_chat_ids').toEqual(gone.map((x) => x.id).sort());
      for (const x of gone) x.deleted = true;
      if (c.parentId === null) {
        m.active.delete(c.rootId);
        m.lastActivity.delete(c.rootId);
      } else if (gone.some((x) => x.id === m.active.get(c.rootId))) {
        // The active chat was deleted: the deleted subtree's parent takes over.
        m.active.set(c.rootId, c.parentId);
      }
      for (const x of gone) await checkGone(r, x);
      // Conversations copied from a deleted chat no longer show where they came from (another tree's write).
      const copies = liveRoots(m).filter((x) => x.forkedFrom && gone.some((g) => g.id === x.forkedFrom?.chatId));
      await checkAfter(m, r, [c.rootId, ...copies.map((x) => x.id)]);
    });
  }
  toString() {
    return `deleteChat(${this.root ? 'root' : 'branch'}#${this.chat})`;
  }
}

class UpdateChat implements Cmd {
  constructor(
    readonly chat: number,
    readonly name: string,
    readonly ifMatch: 'none' | 'fresh' | 'stale',
  ) {}
  check(m: Readonly<Model>) {
    return live(m).length > 0;
  }
  async run(m: Model, r: Real) {
    const c = pick(live(m), this.chat);
    await step(r, `update-chat ${c.label} (If-Match: ${this.ifMatch})`, async () => {
      let headers: Record<string, string> | undefined;
      if (this.ifMatch !== 'none') {
        const etag = (await r.a.getChat(c.id, { limit: 1 })).headers.get('ETag');
        expect(etag).toBeTruthy();
        headers = { 'If-Match': etag! };
      }
      const since = Date.now();
      const res = await r.a.updateChat(c.id, this.name, headers);
      expectStatus(res, 200, 'update-chat');
      c.name = this.name;
      m.touched.add(c.id);
      checkChat(m, r, c, res.body);
      m.touched.delete(c.id);
      expect(res.headers.get('ETag')).toBeTruthy();
      if (this.ifMatch === 'stale') {
        // The ETag used above no longer matches the renamed chat.
        expectProblem(await r.a.updateChat(c.id, `${this.name}?`, headers), 412);
      }
      await checkAfter(m, r, [c.rootId], { rootId: c.rootId, since });
    });
  }
  toString() {
    return `updateChat(chat#${this.chat}, ${JSON.stringify(this.name)}, ${this.ifMatch})`;
  }
}

/** update-chat archived and/or pinned from any chat of a tree: the conversation's flags (every chat shows them). */
class SetFlags implements Cmd {
  constructor(
    readonly chat: number,
    readonly archived: boolean | undefined,
    readonly pinned: boolean | undefined,
  ) {}
  check(m: Readonly<Model>) {
    return live(m).length > 0 && (this.archived !== undefined || this.pinned !== undefined);
  }
  async run(m: Model, r: Real) {
    const c = pick(live(m), this.chat);
    await step(r, `update-chat ${c.label} archived ${this.archived} pinned ${this.pinned}`, async () => {
      const body = { chat_id: c.id, archived: this.archived, pinned: this.pinned };
      const res = await r.a.call('PUT', '/api/v1/chats/update-chat', { body });
      expectStatus(res, 200, 'update-chat (flags)');
      const root = chatOf(m, c.rootId);
      if (this.archived !== undefined) root.archived = this.archived;
      if (this.pinned !== undefined) root.pinned = this.pinned;
      m.touched.add(c.id);
      checkChat(m, r, c, res.body);
      m.touched.delete(c.id);
      // Not activity: last_activity_at stays (checkList checks it never moves back).
      await checkAfter(m, r, [c.rootId]);
    });
  }
  toString() {
    return `setFlags(chat#${this.chat}, archived ${this.archived}, pinned ${this.pinned})`;
  }
}

/** One get-chat page with a random cursor (any pair ever created) and limit, on a live or a deleted chat. */
class GetChat implements Cmd {
  constructor(
    readonly deleted: boolean,
    readonly chat: number,
    readonly cursor: 'first' | 'after' | 'before' | 'end',
    readonly pair: number,
    readonly limit: number | undefined,
  ) {}
  private candidates(m: Model) {
    return m.chats.filter((c) => c.deleted === this.deleted);
  }
  check(m: Readonly<Model>) {
    return this.candidates(m).length > 0;
  }
  async run(m: Model, r: Real) {
    const c = pick(this.candidates(m), this.chat);
    const p =
      (this.cursor === 'after' || this.cursor === 'before') && m.pairs.length > 0 ? pick(m.pairs, this.pair) : null;
    const query: Record<string, string | number> = {};
    if (this.limit !== undefined) query.limit = this.limit;
    if (p) query[this.cursor] = p.id;
    if (this.cursor === 'end') query.before = 'end';
    await step(
      r,
      `get-chat ${c.label} ${p ? `${this.cursor} ${p.label}` : this.cursor}, limit ${this.limit}`,
      async () => {
        const res = await r.a.getChat(c.id, query);
        if (c.deleted) return expectProblem(res, 404);
        const want = visible(m, c);
        const n = want.length;
        const limit = this.limit ?? 200;
        let lo = 0;
        let hi = Math.min(n, limit);
        if (p) {
          const at = want.indexOf(p);
          // A cursor outside the chat's visible history → 404.
          if (at < 0) return expectProblem(res, 404);
          if (this.cursor === 'after') [lo, hi] = [at + 1, Math.min(n, at + 1 + limit)];
          else [lo, hi] = [Math.max(0, at - limit), at];
        } else if (this.cursor === 'end') {
          [lo, hi] = [Math.max(0, n - limit), n];
        }
        expectStatus(res, 200, 'get-chat');
        checkChat(m, r, c, res.body.chat, true);
        expect(res.body.start_branches).toEqual(startForksOf(m, c.rootId).map((x) => x.id));
        expect(res.body.qa_pairs).toEqual(want.slice(lo, hi).map((x) => pairJson(m, x)));
        expect([res.body.has_more_before, res.body.has_more_after], 'has_more_before/after').toEqual([lo > 0, hi < n]);
      },
    );
  }
  toString() {
    return `getChat(${this.deleted ? 'deleted' : 'live'}#${this.chat}, ${this.cursor}, pair#${this.pair}, limit ${this.limit})`;
  }
}

/** Any call on a deleted chat answers 404 and changes nothing. */
class TouchDeleted implements Cmd {
  constructor(
    readonly chat: number,
    readonly op: 'add-message' | 'create-branch' | 'update-chat' | 'set-active' | 'delete-chat' | 'get-branches',
  ) {}
  check(m: Readonly<Model>) {
    return m.chats.some((c) => c.deleted);
  }
  async run(m: Model, r: Real) {
    const c = pick(
      m.chats.filter((x) => x.deleted),
      this.chat,
    );
    await step(r, `${this.op} on deleted ${c.label} (→ 404)`, async () => {
      const fork = c.own[0] ?? m.pairs[0];
      const res =
        this.op === 'add-message'
          ? await r.a.addMessage(c.id, 'into the void', 'nothing')
          : this.op === 'create-branch'
            ? await r.a.createBranch({ chat_id: c.id, response_id: fork?.id ?? crypto.randomUUID() })
            : this.op === 'update-chat'
              ? await r.a.updateChat(c.id, 'resurrected?')
              : this.op === 'set-active'
                ? await r.a.setActive(c.id)
                : this.op === 'delete-chat'
                  ? await r.a.deleteChat(c.id)
                  : await r.a.getBranches(c.id);
      expectProblem(res, 404);
      await checkAfter(m, r, [c.rootId]);
    });
  }
  toString() {
    return `${this.op}(deleted#${this.chat})`;
  }
}

// ---- generators --------------------------------------------------------------------------------

const storable = (s: string) => !s.includes('\u0000');
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }).filter(storable),
);
const answer = fc.option(fc.oneof(fc.constant(''), text), { nil: undefined, freq: 3 });
const name = fc.string({ minLength: 1, maxLength: 20 });
const index = fc.nat({ max: 999 });

const command = fc.oneof(
  { weight: 1, arbitrary: name.map((n) => new CreateChat(n)) },
  { weight: 5, arbitrary: fc.tuple(index, text, answer).map(([c, q, a]) => new AddMessage(c, q, a)) },
  {
    weight: 6,
    arbitrary: fc
      .record({
        chat: index,
        pair: index,
        name: fc.option(name, { nil: undefined }),
        first: fc.option(fc.record({ question: text, response: answer }), { nil: undefined }),
        activate: fc.constantFrom(undefined, true, false),
        invalid: fc.oneof(
          { weight: 8, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.constantFrom('stray' as const, 'orphan' as const) },
        ),
        start: fc.oneof(
          { weight: 4, arbitrary: fc.constant(false as const) },
          { weight: 1, arbitrary: fc.constantFrom('null' as const, 'absent' as const) },
        ),
      })
      .map((o) => new CreateBranch(o)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(index, fc.constantFrom(undefined, true, false))
      .map(([p, activate]) => new Regenerate(p, activate)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(index, fc.option(index, { nil: null }), fc.option(name, { nil: undefined }))
      .map(([c, p, n]) => new ForkChat(c, p, n)),
  },
  { weight: 2, arbitrary: index.map((c) => new SetActive(c)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        index,
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom('up' as const, 'down' as const) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        fc.option(fc.oneof(fc.constant(''), text), { nil: undefined, freq: 2 }),
      )
      .map(([p, rating, comment]) => new SetFeedback(p, rating, rating === null && comment ? undefined : comment)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(index, fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }))
      .map(([c, root]) => new DeleteChat(c, root)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(index, name, fc.constantFrom('none' as const, 'fresh' as const, 'stale' as const))
      .map(([c, n, i]) => new UpdateChat(c, n, i)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(index, fc.constantFrom(undefined, true, false), fc.constantFrom(undefined, true, false))
      .filter(([, a, p]) => a !== undefined || p !== undefined)
      .map(([c, a, p]) => new SetFlags(c, a, p)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        index,
        fc.constantFrom('first' as const, 'after' as const, 'before' as const, 'end' as const),
        index,
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      )
      .map(([d, c, k, p, l]) => new GetChat(d, c, k, p, l)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        index,
        fc.constantFrom(
          'add-message' as const,
          'create-branch' as const,
          'update-chat' as const,
          'set-active' as const,
          'delete-chat' as const,
          'get-branches' as const,
        ),
      )
      .map(([c, op]) => new TouchDeleted(c, op)),
  },
);

const paging = fc.record({ limit: fc.constantFrom(2, 3, 1000), backward: fc.boolean() });

test(
  'random sequences of every tree operation agree with a reference model after every step',
  async () => {
    await fc.assert(
      fc.asyncProperty(paging, fc.commands([command], { maxCommands: MAX_COMMANDS, size: 'max' }), async (pg, cmds) => {
        const a = await newAccount(app);
        const real: Real = { a, accountId: a.accountId!, log: [`paging: ${JSON.stringify(pg)}`] };
        const setup = async () => {
          const model: Model = {
            paging: pg,
            chats: [],
            byId: new Map(),
            pairs: [],
            active: new Map(),
            lastActivity: new Map(),
            touched: new Set(),
          };
          // Every run starts with one conversation, so that the first commands have something to work on.
          await new CreateChat('first').run(model, real);
          return { model, real };
        };
        await fc.asyncModelRun(setup, cmds);
      }),
      {
        numRuns: RUNS,
        seed: process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED),
        path: process.env.MODEL_PATH,
        // Shrinking replays whole runs against the service: bound it, and still report what it found.
        interruptAfterTimeLimit: BUDGET_MS,
        markInterruptAsFailure: true,
      },
    );
  },
  BUDGET_MS + 30_000,
);
