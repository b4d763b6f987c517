/**
 * The event hub and the in-process bus, with fake sockets: order, exactly-once, resume, resync, gaps,
 * authorisation of subscriptions, slow consumers and token expiry. (Across processes on Redis:
 * tests/events/cluster.test.ts; the whole stack in one process: tests/integration/events.test.ts.)
 */
import { beforeEach, describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import { createChat } from '../../src/domain/chats/chats.service.js';
import type { Ctx, Deps } from '../../src/domain/context.js';
import {
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOKEN_EXPIRED,
  EventHub,
  type Session,
  type SocketPort,
} from '../../src/events/events.hub.js';
import type { EventBus, EventName, TreeEvent } from '../../src/events/events.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { createLogger } from '../../src/logger.js';
import { LocalResponder } from '../../src/responders/local.responder.js';
import { MemoryContentStore, MemoryMetadataStore } from '../support/memory-stores.js';

type Frame = Record<string, any>;

class FakeSocket implements SocketPort {
  frames: Frame[] = [];
  buffered = 0;
  closed: { code: number; reason: string } | null = null;
  send(text: string) {
    this.frames.push(JSON.parse(text));
  }
  bufferedAmount() {
    return this.buffered;
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  events() {
    return this.frames.filter((f) => f.type === 'event');
  }
}

const log = createLogger('silent');
let deps: Deps;
let ctx: Ctx;
let bus: MemoryEventBus;
let hub: EventHub;

beforeEach(() => {
  deps = {
    meta: new MemoryMetadataStore(),
    content: new MemoryContentStore(),
    responder: new LocalResponder(),
    hasher: { hash: async (p) => p, verify: async () => true },
    clock: () => new Date(),
    newId: () => v7(),
  };
  ctx = { deps, accountId: v7() };
  bus = new MemoryEventBus(5);
  hub = new EventHub(bus, deps, log, { maxBufferedBytes: 1000, maxSubscriptions: 2 });
});

const hour = () => Date.now() + 3_600_000;
const settle = () => new Promise((r) => setTimeout(r, 5));

async function connect(accountId = ctx.accountId): Promise<{ socket: FakeSocket; session: Session }> {
  const socket = new FakeSocket();
  return { socket, session: hub.open(socket, accountId, hour()) };
}

async function publishN(root: string, n: number, event: EventName = 'message.added') {
  for (let i = 0; i < n; i++) await bus.publish(root, event, { i });
}

describe('event hub', () => {
  test('subscribe: `subscribed` with the current seq, then each later event once, in order', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    await publishN(chat.chatId, 2);
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, id: 'a' }));
    expect(socket.frames[0]).toEqual({
      type: 'subscribed',
      root_chat_id: chat.chatId,
      chat_id: chat.chatId,
      seq: 2,
      id: 'a',
    });
    await publishN(chat.chatId, 3);
    expect(socket.events().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(socket.events()[0]).toMatchObject({ event: 'message.added', root_chat_id: chat.chatId, data: { i: 0 } });
  });

  test('resume: exactly the missed events, then live ones; beyond retention or the current seq → resync', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    await publishN(chat.chatId, 4);
    const a = await connect();
    await a.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, last_seq: 2 }));
    await publishN(chat.chatId, 1);
    expect(a.socket.events().map((e) => e.seq)).toEqual([3, 4, 5]);

    await publishN(chat.chatId, 5); // seq 10 now; retention 5 keeps 6..10
    const b = await connect();
    await b.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, last_seq: 5 }));
    expect(b.socket.events().map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
    const c = await connect();
    await c.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, last_seq: 4 }));
    expect(c.socket.frames.slice(1)).toEqual([{ type: 'resync', root_chat_id: chat.chatId, seq: 10 }]);
    await publishN(chat.chatId, 1);
    expect(c.socket.events().map((e) => e.seq)).toEqual([11]);
    const d = await connect();
    await d.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, last_seq: 99 }));
    expect(d.socket.frames[1]).toEqual({ type: 'resync', root_chat_id: chat.chatId, seq: 11 });
  });

  test('a gap in the live stream is filled from the log (exactly once, in order)', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    // A bus that drops the live delivery of seq 2 (a message lost while the fan-out reconnected).
    const lossy: EventBus = Object.assign(Object.create(bus), {
      listen(root: string, fn: (e: TreeEvent) => void) {
        return bus.listen(root, (e) => e.seq !== 2 && fn(e));
      },
    });
    hub = new EventHub(lossy, deps, log, { maxBufferedBytes: 1000, maxSubscriptions: 2 });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 4);
    await settle();
    expect(socket.events().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  test('the log unreachable during a gap: resync, then the held events, and no retry loop', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    let sinceCalls = 0;
    const broken: EventBus = Object.assign(Object.create(bus), {
      listen(root: string, fn: (e: TreeEvent) => void) {
        return bus.listen(root, (e) => e.seq !== 2 && fn(e));
      },
      async since() {
        sinceCalls++;
        throw new Error('redis down');
      },
    });
    hub = new EventHub(broken, deps, log, { maxBufferedBytes: 1000, maxSubscriptions: 2 });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 4);
    await settle();
    expect(socket.frames.slice(1).map((f) => [f.type, f.seq])).toEqual([
      ['event', 1],
      ['resync', 2],
      ['event', 3],
      ['event', 4],
    ]);
    expect(sinceCalls).toBe(1);
  });

  test('a sequence that starts over (log expired or evicted) is announced with resync, not dropped', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 3);
    // Another era of the sequence: the same tree numbered from 1 again.
    const listeners = (bus as unknown as { listeners: Map<string, Set<(e: TreeEvent) => void>> }).listeners;
    const again: TreeEvent = {
      seq: 1,
      root_chat_id: chat.chatId,
      event: 'message.added',
      at: '',
      data: { again: true },
    };
    for (const fn of listeners.get(chat.chatId) ?? []) fn(again);
    expect(socket.frames.slice(-2).map((f) => [f.type, f.seq])).toEqual([
      ['resync', 0],
      ['event', 1],
    ]);
  });

  test('a followed tree is never evicted from the in-process bus', async () => {
    const small = new MemoryEventBus(5, 2);
    const stop = await small.listen('followed', () => {});
    await small.publish('followed', 'message.added', {});
    for (const t of ['a', 'b', 'c']) await small.publish(t, 'message.added', {});
    expect(await small.currentSeq('followed')).toBe(1);
    stop();
  });

  test('a subscribe that fails leaves nothing behind; an unsubscribed tree sends nothing more', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    let fail = true;
    const flaky: EventBus = Object.assign(Object.create(bus), {
      async currentSeq(root: string) {
        if (fail) throw new Error('redis down');
        return bus.currentSeq(root);
      },
    });
    hub = new EventHub(flaky, deps, log, { maxBufferedBytes: 1000, maxSubscriptions: 1 });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    expect(socket.frames.map((f) => f.problem?.status)).toEqual([503]);
    await publishN(chat.chatId, 1);
    expect(socket.events()).toEqual([]);
    fail = false;
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId })); // the slot is free again
    expect(socket.frames.at(-1)?.type).toBe('subscribed');
    await session.receive(JSON.stringify({ type: 'unsubscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 1);
    expect(socket.events()).toEqual([]);
  });

  test('an event too large to retain is sent live, and resuming over it is a resync', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await bus.publish(chat.chatId, 'message.added', { big: 'x'.repeat(70 * 1024) });
    await bus.publish(chat.chatId, 'message.added', { small: true });
    expect(socket.events().map((e) => e.seq)).toEqual([1, 2]);
    expect(await bus.since(chat.chatId, 0)).toBe('gone');
    expect(await bus.since(chat.chatId, 1)).toHaveLength(1);
  });

  test('another account’s chat, a missing chat, a bad frame: an error frame and no subscription', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    const { socket, session } = await connect(v7());
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, id: 'x' }));
    expect(socket.frames).toEqual([
      {
        type: 'error',
        id: 'x',
        problem: {
          type: '/problems/not-found',
          title: 'Not Found',
          status: 404,
          detail: `Chat ${chat.chatId} not found`,
        },
      },
    ]);
    await publishN(chat.chatId, 2);
    expect(socket.events()).toEqual([]);

    await session.receive('{nope');
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: 'nope' }));
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, extra: 1 }));
    await session.receive(JSON.stringify({ type: 'shout' }));
    expect(socket.frames.slice(1).map((f) => f.problem.status)).toEqual([400, 422, 422, 422]);
    expect(socket.closed).toBeNull();
  });

  test('unsubscribe stops the events; ping answers pong; at most maxSubscriptions trees', async () => {
    const chats = await Promise.all([1, 2, 3].map((i) => createChat(ctx, { name: `c${i}` })));
    const { socket, session } = await connect();
    for (const c of chats) await session.receive(JSON.stringify({ type: 'subscribe', chat_id: c.chatId }));
    expect(socket.frames.map((f) => f.type)).toEqual(['subscribed', 'subscribed', 'error']);
    await session.receive(JSON.stringify({ type: 'unsubscribe', chat_id: chats[0]?.chatId }));
    await publishN(chats[0]?.chatId as string, 1);
    await publishN(chats[1]?.chatId as string, 1);
    expect(socket.events().map((e) => e.root_chat_id)).toEqual([chats[1]?.chatId]);
    await session.receive(JSON.stringify({ type: 'ping', id: 'p' }));
    expect(socket.frames.at(-1)).toEqual({ type: 'pong', id: 'p' });
  });

  test('a slow consumer (send buffer over the limit) is disconnected; others keep receiving', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    const slow = await connect();
    const fast = await connect();
    for (const s of [slow, fast]) await s.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 1);
    slow.socket.buffered = 5000; // the client stopped reading
    await publishN(chat.chatId, 3);
    expect(slow.socket.closed?.code).toBe(CLOSE_SLOW_CONSUMER);
    expect(slow.socket.events().map((e) => e.seq)).toEqual([1, 2]);
    expect(fast.socket.events().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(hub.size).toBe(1);
  });

  test('the socket closes when its token expires', async () => {
    const socket = new FakeSocket();
    hub.open(socket, ctx.accountId, Date.now() + 30);
    expect(socket.closed).toBeNull();
    await new Promise((r) => setTimeout(r, 60));
    expect(socket.closed?.code).toBe(CLOSE_TOKEN_EXPIRED);
    expect(hub.size).toBe(0);
  });
});
