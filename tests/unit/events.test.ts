/**
 * The event hub and the in-process bus, with fake sockets: order, exactly-once, resume, resync, gaps,
 * authorisation of subscriptions, slow consumers and token expiry; the bounds on what a client can make the
 * hub hold (frame size, rate and backlog → 1009 / 4429) or send (replay per resume, per socket and per
 * account → resync), on a hand-moved clock. (Across processes on Redis:
 * tests/events/cluster.test.ts; the whole stack in one process: tests/integration/events.test.ts.)
 */
import { beforeEach, describe, expect, test } from 'bun:test';
import { v7 } from 'uuid';
import { loadConfig } from '../../src/config.js';
import { createChat } from '../../src/domain/chats/chats.service.js';
import type { Ctx, Deps } from '../../src/domain/context.js';
import {
  CLOSE_FRAME_TOO_LARGE,
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOKEN_EXPIRED,
  CLOSE_TOO_MANY_FRAMES,
  EventHub,
  type HubOptions,
  hubOptions,
  type Session,
  type SocketPort,
} from '../../src/events/events.hub.js';
import type { EventFeed, EventName, TreeEvent } from '../../src/events/events.js';
import { createLogger } from '../../src/logger.js';
import { LocalResponder } from '../../src/responders/local.responder.js';
import { MemoryEventFeed } from '../support/memory-feed.js';
import { MemoryContentStore, MemoryMetadataStore, MemoryShareStore } from '../support/memory-stores.js';

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
/** The configuration's defaults, with a small send buffer and two trees per socket, and `more`. */
const limits = (more: Partial<HubOptions> = {}): HubOptions => ({
  ...hubOptions(loadConfig({})),
  maxBufferedBytes: 1000,
  maxSubscriptions: 2,
  ...more,
});
let deps: Deps;
let ctx: Ctx;
let bus: MemoryEventFeed;
let hub: EventHub;

beforeEach(() => {
  const meta = new MemoryMetadataStore();
  deps = {
    meta,
    content: new MemoryContentStore(),
    shares: new MemoryShareStore(meta),
    responder: new LocalResponder(),
    hasher: { hash: async (p) => p, verify: async () => true },
    clock: () => new Date(),
    newId: () => v7(),
  };
  ctx = { deps, accountId: v7() };
  bus = new MemoryEventFeed(5);
  hub = new EventHub(bus, deps, log, limits());
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
    const lossy: EventFeed = Object.assign(Object.create(bus), {
      listen(root: string, fn: (e: TreeEvent) => void) {
        return bus.listen(root, (e) => e.seq !== 2 && fn(e));
      },
    });
    hub = new EventHub(lossy, deps, log, limits());
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    await publishN(chat.chatId, 4);
    await settle();
    expect(socket.events().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  test('the log unreachable during a gap: resync, then the held events, and no retry loop', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    let sinceCalls = 0;
    const broken: EventFeed = Object.assign(Object.create(bus), {
      listen(root: string, fn: (e: TreeEvent) => void) {
        return bus.listen(root, (e) => e.seq !== 2 && fn(e));
      },
      async since() {
        sinceCalls++;
        throw new Error('redis down');
      },
    });
    hub = new EventHub(broken, deps, log, limits());
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

  test('a subscribe that fails leaves nothing behind; an unsubscribed tree sends nothing more', async () => {
    const chat = await createChat(ctx, { name: 'c' });
    let fail = true;
    const flaky: EventFeed = Object.assign(Object.create(bus), {
      async currentSeq(root: string) {
        if (fail) throw new Error('redis down');
        return bus.currentSeq(root);
      },
    });
    hub = new EventHub(flaky, deps, log, limits({ maxSubscriptions: 1 }));
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

describe('what a client can make the hub hold or send is bounded', () => {
  /** A clock the token buckets read, moved by hand. */
  let clock = 0;
  const now = () => clock;
  const ping = (id = 'p') => JSON.stringify({ type: 'ping', id });
  const pongs = (s: FakeSocket) => s.frames.filter((f) => f.type === 'pong').length;

  test('a flood over the frame rate is closed with 4429 at the first frame past the burst; nothing queued is handled', async () => {
    hub = new EventHub(bus, deps, log, limits({ frameBurst: 5, framesPerSecond: 1, now }));
    const { socket, session } = await connect();
    // All at once, as frames read from one TCP chunk arrive.
    const handled = Array.from({ length: 1000 }, (_, i) => session.receive(ping(String(i))));
    await Promise.all(handled);
    expect(socket.closed).toEqual({ code: CLOSE_TOO_MANY_FRAMES, reason: 'too many frames: frame rate exceeded' });
    // The 5 accepted were still queued when the 6th closed the socket: none was handled.
    expect(pongs(socket)).toBe(0);
    expect(hub.size).toBe(0);
    // Anything after the close is dropped, answered by nothing.
    await session.receive(ping());
    expect(pongs(socket)).toBe(0);
  });

  test('a client at the sustained rate is never closed', async () => {
    hub = new EventHub(bus, deps, log, limits({ frameBurst: 3, framesPerSecond: 2, now }));
    const chat = await createChat(ctx, { name: 'c' });
    const { socket, session } = await connect();
    await session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId }));
    for (let i = 0; i < 50; i++) {
      clock += 500; // 2 frames per second
      await session.receive(ping());
    }
    await session.receive(JSON.stringify({ type: 'unsubscribe', chat_id: chat.chatId }));
    expect(socket.closed).toBeNull();
    expect(pongs(socket)).toBe(50);
    // Over it, even by a little, once the burst is spent: closed.
    for (let i = 0; i < 20 && !socket.closed; i++) {
      clock += 400;
      await session.receive(ping());
    }
    expect(socket.closed?.code).toBe(CLOSE_TOO_MANY_FRAMES);
  });

  test('frames waiting to be handled are bounded in number and bytes (4429), whatever the rate allows', async () => {
    // Subscribes that wait on the metadata store: frames pile up behind the first.
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let reads = 0;
    const getChat = deps.meta.getChat.bind(deps.meta);
    deps.meta.getChat = async (...args) => {
      reads++;
      await gate;
      return getChat(...args);
    };
    hub = new EventHub(bus, deps, log, limits({ maxPendingFrames: 4, now }));
    const chat = await createChat(ctx, { name: 'c' });
    const a = await connect();
    const frames = [a.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, id: 'first' }))];
    await settle(); // the first one is being handled (waiting on the store)
    expect(reads).toBe(1);
    for (let i = 0; i < 10; i++) {
      frames.push(a.session.receive(JSON.stringify({ type: 'subscribe', chat_id: chat.chatId, id: String(i) })));
    }
    expect(a.socket.closed).toEqual({
      code: CLOSE_TOO_MANY_FRAMES,
      reason: 'too many frames: too many unhandled frames',
    });
    release();
    await Promise.all(frames);
    // The one being handled when the socket closed read the store; the three behind it never did.
    expect(reads).toBe(1);
    expect(a.socket.frames).toEqual([]);

    // Bytes: 3 frames of ~1 KB against a 2 KiB bound.
    hub = new EventHub(bus, deps, log, limits({ maxPendingBytes: 2048, now }));
    const b = await connect();
    const big = ping('x'.repeat(100)).replace('{', `{${' '.repeat(900)}`);
    const pending = [b.session.receive(big), b.session.receive(big)];
    expect(b.socket.closed).toBeNull();
    pending.push(b.session.receive(big));
    expect(b.socket.closed?.code).toBe(CLOSE_TOO_MANY_FRAMES);
    await Promise.all(pending);

    // Handled frames free their place: the same frames, one at a time, never close.
    const c = await connect();
    for (let i = 0; i < 20; i++) await c.session.receive(big);
    expect(c.socket.closed).toBeNull();
    expect(pongs(c.socket)).toBe(20);
  });

  test('a frame over the size limit is closed with 1009', async () => {
    const { socket, session } = await connect();
    await session.receive(ping('x'.repeat(5000)));
    expect(socket.closed?.code).toBe(CLOSE_FRAME_TOO_LARGE);
    expect(socket.frames).toEqual([]);
  });

  /** Events of ~1 KB each (the envelope is small beside the data). */
  const KB_EVENT = { text: 'x'.repeat(1000) };
  const subscribe = (s: Session, chatId: string, lastSeq?: number) =>
    s.receive(
      JSON.stringify({ type: 'subscribe', chat_id: chatId, ...(lastSeq !== undefined ? { last_seq: lastSeq } : {}) }),
    );
  const replayed = (s: FakeSocket) => s.frames.slice(1).map((f) => [f.type, f.seq]);

  test('one resume replays at most replayMaxEvents / replayMaxBytes; beyond, resync and no events', async () => {
    bus = new MemoryEventFeed(1000);
    hub = new EventHub(bus, deps, log, limits({ replayMaxEvents: 3, replayMaxBytes: 2500, now }));
    const chat = await createChat(ctx, { name: 'c' });
    for (let i = 0; i < 10; i++) await bus.publish(chat.chatId, 'message.added', KB_EVENT);

    const all = await connect();
    await subscribe(all.session, chat.chatId, 0);
    expect(replayed(all.socket)).toEqual([['resync', 10]]);
    const fewBig = await connect();
    await subscribe(fewBig.session, chat.chatId, 7); // 3 events, but ~3.4 KB
    expect(replayed(fewBig.socket)).toEqual([['resync', 10]]);
    const within = await connect();
    await subscribe(within.session, chat.chatId, 8);
    expect(replayed(within.socket)).toEqual([
      ['event', 9],
      ['event', 10],
    ]);
    // Live events follow the resync as usual.
    await bus.publish(chat.chatId, 'message.added', {});
    for (const s of [all, fewBig, within]) expect(s.socket.events().at(-1)?.seq).toBe(11);
    // Nothing missed: nothing to replay, no resync.
    const current = await connect();
    await subscribe(current.session, chat.chatId, 11);
    expect(replayed(current.socket)).toEqual([]);
  });

  test('replay budgets: per socket, then per account across its sockets (reconnecting does not reset it); another account is unaffected; both refill', async () => {
    bus = new MemoryEventFeed(1000);
    // Each resume of 2 events is ~2.3 KB; a socket may receive ~3 of them at once, an account ~5.
    hub = new EventHub(
      bus,
      deps,
      log,
      limits({
        maxSubscriptions: 100,
        replaySocketBurstBytes: 7500,
        replaySocketBytesPerSecond: 1000,
        replayAccountBurstBytes: 12_000,
        replayAccountBytesPerSecond: 1000,
        now,
      }),
    );
    const chat = await createChat(ctx, { name: 'c' });
    for (let i = 0; i < 4; i++) await bus.publish(chat.chatId, 'message.added', KB_EVENT);

    const outcomes = async (s: { session: Session; socket: FakeSocket }, n: number, id = chat.chatId) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const before = s.socket.frames.length;
        await subscribe(s.session, id, 2);
        out.push(
          s.socket.frames
            .slice(before + 1)
            .map((f) => (f.type === 'event' ? f.seq : f.type))
            .join(','),
        );
      }
      return out;
    };
    const a1 = await connect();
    expect(await outcomes(a1, 4)).toEqual(['3,4', '3,4', '3,4', 'resync']);
    // Another socket of the account: its own budget, but the account's runs out after two more.
    const a2 = await connect();
    expect(await outcomes(a2, 3)).toEqual(['3,4', '3,4', 'resync']);
    a1.session.dispose();
    a2.session.dispose();
    const a3 = await connect();
    expect(await outcomes(a3, 1)).toEqual(['resync']);

    // Another account, same process: its own budget.
    const other = { deps, accountId: v7() };
    const theirs = await createChat(other, { name: 'theirs' });
    for (let i = 0; i < 4; i++) await bus.publish(theirs.chatId, 'message.added', KB_EVENT);
    const b = await connect(other.accountId);
    expect(await outcomes(b, 2, theirs.chatId)).toEqual(['3,4', '3,4']);

    // Time refills both.
    clock += 10_000;
    expect(await outcomes(a3, 1)).toEqual(['3,4']);
  });

  test('sockets per account: one past the bound is refused (before the upgrade, else closed 4429 at once); others unaffected', async () => {
    bus = new MemoryEventFeed(1000);
    hub = new EventHub(bus, deps, log, limits({ maxSocketsPerAccount: 2 }));
    const a1 = await connect();
    const a2 = await connect();
    expect(hub.canOpen(ctx.accountId)).toBe(false);
    // One that raced past the check before the upgrade is closed before it holds anything.
    const a3 = await connect();
    expect(a3.socket.closed).toEqual({ code: CLOSE_TOO_MANY_FRAMES, reason: 'too many sockets for this account' });
    expect(a1.socket.closed).toBeNull();
    expect(a2.socket.closed).toBeNull();
    // Another account has its own; a closed socket gives its place back.
    expect(hub.canOpen(v7())).toBe(true);
    a1.session.dispose();
    expect(hub.canOpen(ctx.accountId)).toBe(true);
    expect((await connect()).socket.closed).toBeNull();
    expect(hubOptions(loadConfig({})).maxSocketsPerAccount).toBe(20);
  });

  test('hubOptions: the WS_* settings, KiB as bytes', () => {
    expect(hubOptions(loadConfig({ WS_FRAME_BURST: '7', WS_REPLAY_ACCOUNT_BURST_KB: '3' }))).toMatchObject({
      frameBurst: 7,
      framesPerSecond: 10,
      maxPendingFrames: 128,
      maxPendingBytes: 64 * 1024,
      replayMaxEvents: 500,
      replayMaxBytes: 512 * 1024,
      replaySocketBurstBytes: 2048 * 1024,
      replaySocketBytesPerSecond: 128 * 1024,
      replayAccountBurstBytes: 3 * 1024,
      replayAccountBytesPerSecond: 512 * 1024,
    });
    expect(() => loadConfig({ WS_FRAMES_PER_SECOND: '0' })).toThrow(/WS_FRAMES_PER_SECOND/);
  });
});
