/**
 * The event log and the change feed on a real PostgreSQL (tests/support/db.ts), in one test process with two
 * sets of services (two pools, two feeds: two "processes" as far as PostgreSQL can tell):
 *
 * - a write through one is delivered by the other's feed, in seq order, with every commit's notice;
 * - resume reads (`since`): exact runs, [] at the head, 'gone' past the head, past the count retention and past
 *   the age retention (and pruning removes what is too old), 'over-limit' past either bound;
 * - a feed whose LISTEN connection is killed reconnects and delivers what committed meanwhile, gap-free;
 * - create-chat and import-chat start a tree's log with `tree.created` at seq 0.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'kysely';
import { v7 } from 'uuid';
import type { Services } from '../../src/bootstrap.js';
import { createChat, deleteChat } from '../../src/domain/chats/chats.service.js';
import type { Ctx } from '../../src/domain/context.js';
import { addMessage } from '../../src/domain/messages/messages.service.js';
import { importConversations } from '../../src/domain/transfer/transfer.service.js';
import type { EventFeed, TreeEvent } from '../../src/events/events.js';
import type { PostgresEventFeed } from '../../src/events/pg.feed.js';
import { pgDb } from '../../src/stores/pg-tx.js';
import { openExtraServices } from '../support/app.js';

const RETENTION = 5;
let writer: Services;
let reader: Services;
let ctx: Ctx;

beforeAll(async () => {
  writer = await openExtraServices({ EVENTS_RETENTION: String(RETENTION) });
  reader = await openExtraServices({ EVENTS_RETENTION: String(RETENTION) });
  const accountId = v7();
  await writer.deps.meta.createAccount({
    accountId,
    email: `log-${accountId}@example.com`,
    passwordHash: 'x',
    createdAt: new Date(),
  });
  ctx = { deps: writer.deps, accountId };
});

afterAll(async () => {
  await writer?.close();
  await reader?.close();
});

const feedOf = (s: Services) => s.events as EventFeed;
const db = () => pgDb(writer.orm);

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function addPairs(chatId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await addMessage(ctx, { chatId, question: `q${i}`, response: `a${i}` })).pair.responseId);
  return ids;
}

describe('the event log on PostgreSQL', () => {
  test('a write through one process is delivered by another’s feed, in seq order, with its commit notice', async () => {
    const notices: [string, number][] = [];
    const stopNotices = feedOf(reader).onCommit((root, seq) => notices.push([root, seq]));
    const chat = await createChat(ctx, { name: 'feed' });
    const got: TreeEvent[] = [];
    const stop = await feedOf(reader).listen(chat.chatId, (e) => got.push(e));
    const ids = await addPairs(chat.chatId, 3);
    await deleteChat(ctx, { chatId: chat.chatId });
    const noticed = () => notices.filter(([root]) => root === chat.chatId).map(([, seq]) => seq);
    // The events may come from the reader's own check of the tree before the writer's NOTIFY batch arrives.
    await until(() => got.length === 4 && noticed().includes(4), '4 events and the notice of the last');
    stop();
    stopNotices();
    expect(got.map((e) => [e.seq, e.event])).toEqual([
      [1, 'message.added'],
      [2, 'message.added'],
      [3, 'message.added'],
      [4, 'chat.deleted'],
    ]);
    expect(got.slice(0, 3).map((e) => (e.data as { response_id: string }).response_id)).toEqual(ids);
    expect(got[3]?.data).toEqual({ deleted_chat_ids: [chat.chatId] });
    // Every commit, the tree's creation (seq 0) included.
    expect(noticed()).toEqual([0, 1, 2, 3, 4]);
  });

  test('resume: exact runs within retention; [] at the head; gone past the head, the count or the age; over-limit past a bound', async () => {
    const chat = await createChat(ctx, { name: 'resume' });
    // Writes trim a tree's log back to the retention each time its seq passes a multiple of 32.
    const K = 32;
    const ids = await addPairs(chat.chatId, K);
    const feed = feedOf(reader);
    const seqs = async () =>
      (
        await sql<{ seq: string }>`
          select seq from tree_events where root_chat_id = ${chat.chatId} and seq > 0 order by seq`.execute(db())
      ).rows.map((r) => Number(r.seq));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(await seqs()).toEqual(range(K - 4, K));
    const run = await feed.since(chat.chatId, K - 5);
    expect(Array.isArray(run) && run.map((e) => e.seq)).toEqual(range(K - 4, K));
    expect(Array.isArray(run) && run.map((e) => (e.data as { response_id: string }).response_id)).toEqual(
      ids.slice(K - 5),
    );
    expect(await feed.since(chat.chatId, K)).toEqual([]);
    expect(await feed.since(chat.chatId, K + 1)).toBe('gone');
    expect(await feed.since(chat.chatId, K - 6)).toBe('gone');
    expect(await feed.since(chat.chatId, K - 5, { maxEvents: 4, maxBytes: 1e9 })).toBe('over-limit');
    expect(await feed.since(chat.chatId, K - 5, { maxEvents: 5, maxBytes: 200 })).toBe('over-limit');
    expect(await feed.since(chat.chatId, K - 2, { maxEvents: 2, maxBytes: 1e9 })).toHaveLength(2);
    // Two more: not trimmed yet (7 rows), yet only the last 5 are offered.
    await addPairs(chat.chatId, 2);
    expect(await seqs()).toEqual(range(K - 4, K + 2));
    expect(await feed.since(chat.chatId, K - 4)).toBe('gone');
    const last5 = await feed.since(chat.chatId, K - 3);
    expect(Array.isArray(last5) && last5.map((e) => e.seq)).toEqual(range(K - 2, K + 2));

    // Age: events up to K - 1 are two days old, past EVENTS_RETENTION_HOURS (24).
    await sql`update tree_events set at = now() - interval '2 days'
              where root_chat_id = ${chat.chatId} and seq <= ${K - 1}`.execute(db());
    expect(await feed.since(chat.chatId, K - 3)).toBe('gone');
    expect(await feed.since(chat.chatId, K - 2)).toBe('gone');
    expect(await (feed as PostgresEventFeed).prune()).toBeGreaterThanOrEqual(4);
    expect(await seqs()).toEqual(range(K, K + 2));
    const rest = await feed.since(chat.chatId, K - 1);
    expect(Array.isArray(rest) && rest.map((e) => e.seq)).toEqual(range(K, K + 2));
  });

  test('a feed whose LISTEN connection is killed reconnects and delivers what committed meanwhile, gap-free', async () => {
    const chat = await createChat(ctx, { name: 'reconnect' });
    const got: number[] = [];
    const stop = await feedOf(reader).listen(chat.chatId, (e) => got.push(e.seq));
    await addPairs(chat.chatId, 2);
    await until(() => got.length === 2, 'the first 2 events');
    // Every feed connection of this database (both "processes"), as a failover or a network cut would.
    const killed = await sql<{ n: string }>`
      select count(pg_terminate_backend(pid)) as n from pg_stat_activity
      where application_name = 'branchat-feed' and datname = current_database()`.execute(db());
    expect(Number(killed.rows[0]?.n)).toBeGreaterThanOrEqual(2);
    await addPairs(chat.chatId, 3); // committed while the feeds reconnect
    await until(() => got.length === 5, 'the 3 events committed while disconnected');
    await addPairs(chat.chatId, 1);
    await until(() => got.length === 6, 'a live event after the reconnect');
    stop();
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('create-chat and import-chat start the tree’s log with tree.created at seq 0', async () => {
    const chat = await createChat(ctx, { name: 'created' });
    const imported = await importConversations(ctx, {
      title: 'imported',
      create_time: 1_700_000_000,
      mapping: {
        root: { id: 'root', message: null, parent: null, children: ['u1'] },
        u1: {
          id: 'u1',
          parent: 'root',
          children: ['a1'],
          message: { id: 'u1', author: { role: 'user' }, content: { content_type: 'text', parts: ['hi'] } },
        },
        a1: {
          id: 'a1',
          parent: 'u1',
          children: [],
          message: { id: 'a1', author: { role: 'assistant' }, content: { content_type: 'text', parts: ['hello'] } },
        },
      },
      current_node: 'a1',
    });
    const root = imported.conversations[0]?.rootChatId as string;
    for (const [id, isImported] of [
      [chat.chatId, false],
      [root, true],
    ] as const) {
      const r = await sql<{ seq: string; event: string; data: string }>`
        select seq, event, data from tree_events where root_chat_id = ${id} order by seq`.execute(db());
      expect(r.rows.map((row) => [Number(row.seq), row.event])).toEqual([[0, 'tree.created']]);
      const data = JSON.parse(r.rows[0]?.data as string);
      expect(data).toMatchObject({ root_chat_id: id, imported: isImported });
      expect(data.chats[0]).toMatchObject({ chat_id: id, parent_chat_id: null, active: true });
      // Seq 0 is not an event a socket receives: a subscriber starts after it.
      expect(await feedOf(reader).currentSeq(id)).toBe(0);
      expect(await feedOf(reader).since(id, 0)).toEqual([]);
    }
  });
});
