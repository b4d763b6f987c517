/**
 * Real-time events across server processes: two real server processes (`bun src/server.ts`) on one fresh
 * PostgreSQL database and one JWT secret, with no Redis (events travel through PostgreSQL: the log and
 * LISTEN/NOTIFY). Sockets on one process receive the writes made through the other: in order, with the REST
 * answers as data; refusals before the upgrade; resume across processes, retention and `resync`; a client
 * that stops reading is dropped (1008) while another socket on the same tree gets every event; the frame and
 * replay bounds as server.ts wires them (a flood → 4429, a resume over WS_REPLAY_MAX_KB → resync).
 *
 * Skipped, with the reason printed, when PostgreSQL is absent.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { sign } from 'hono/jwt';
import {
  call,
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';

const skipReason = await unavailable();
if (skipReason) console.warn(`[events/cluster] skipped: ${skipReason}`);

const RETENTION = 5;
const MAX_BUFFER_KB = 64;
/** Under the 5 retained events when they are large (the other limits are the shipped defaults). */
const REPLAY_MAX_KB = 200;
const WAIT_MS = 10_000;

type Frame = Record<string, any>;

// ---- waiting for a condition -------------------------------------------------------------------------

/** Something that changes (frames arrive, a socket closes) and can be waited on until a condition holds. */
class Waitable {
  private readonly checks = new Set<() => void>();

  protected changed(): void {
    for (const check of [...this.checks]) check();
  }

  protected waitFor(cond: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      this.checks.add(check);
    });
  }
}

/** A frame without its (possibly 80 KB) data, for failure messages. */
const brief = (f: Frame) =>
  JSON.stringify({ type: f.type, event: f.event, seq: f.seq, id: f.id, status: f.problem?.status });

// ---- a WebSocket client (Bun's global WebSocket) ----------------------------------------------------

/** A socket that collects every frame and hands them out in order: "the next N frames". */
class FrameSocket extends Waitable {
  readonly frames: Frame[] = [];
  /** Frames already handed out by next(). */
  private read = 0;
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.onmessage = (m) => {
      this.frames.push(JSON.parse(String(m.data)));
      this.changed();
    };
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.changed();
    };
  }

  static async open(base: string, token: string): Promise<FrameSocket> {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${token}`]);
    const s = new FrameSocket(ws);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket to ${base} did not open`)), WAIT_MS);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`socket to ${base} failed to open`));
      };
    });
    return s;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** The next `n` frames not handed out yet, waiting for them. */
  async next(n: number, timeoutMs = WAIT_MS): Promise<Frame[]> {
    await this.waitFor(
      () => this.frames.length >= this.read + n,
      () =>
        `${n} more frame(s) after #${this.read}; got ${this.frames.length - this.read}: ` +
        `${this.frames.slice(this.read).map(brief).join(' ')}${this.closed ? ` (closed ${this.closed.code})` : ''}`,
      timeoutMs,
    );
    const out = this.frames.slice(this.read, this.read + n);
    this.read += n;
    return out;
  }

  async one(timeoutMs = WAIT_MS): Promise<Frame> {
    return (await this.next(1, timeoutMs))[0]!;
  }

  /** Subscribes and returns the answer (the `subscribed` frame, or an `error`). */
  async subscribe(chatId: string, lastSeq?: number): Promise<Frame> {
    this.send({ type: 'subscribe', chat_id: chatId, ...(lastSeq !== undefined ? { last_seq: lastSeq } : {}) });
    return this.one();
  }

  /**
   * Pings and waits for its pong; returns the frames that arrived before it and were not handed out yet.
   * Everything the server sent this socket before it answered the ping is among them.
   */
  async drain(): Promise<Frame[]> {
    const id = `drain-${randomBytes(4).toString('hex')}`;
    this.send({ type: 'ping', id });
    const isPong = (f: Frame) => f.type === 'pong' && f.id === id;
    await this.waitFor(
      () => this.frames.slice(this.read).some(isPong),
      () => `pong ${id}; frames since #${this.read}: ${this.frames.slice(this.read).map(brief).join(' ')}`,
      WAIT_MS,
    );
    const at = this.frames.findIndex((f, i) => i >= this.read && isPong(f));
    const before = this.frames.slice(this.read, at);
    this.read = at + 1;
    return before;
  }

  close(): void {
    this.ws.close();
  }
}

// ---- a raw WebSocket client over TCP that can stop reading ---------------------------------------------

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A client frame: FIN, the opcode, masked with a random key (RFC 6455 §5.3: clients must mask). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(len)]);
  const key = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ key[i % 4]!;
  return Buffer.concat([head, key, body]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/**
 * The handshake and the framing by hand, on a node:net socket, so that the client can stop reading from the
 * kernel (socket.pause()) and let the server's send buffer fill up, which a WebSocket object never does.
 */
class RawWebSocket extends Waitable {
  private buf: Buffer = Buffer.alloc(0);
  private handshake: { status: string; headers: Map<string, string> } | null = null;
  private readonly key = randomBytes(16).toString('base64');
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  /** Text messages received, parsed. */
  readonly texts: Frame[] = [];
  closeFrame: { code: number; reason: string } | null = null;
  ended = false;
  error: Error | null = null;

  private constructor(
    readonly socket: Socket,
    port: number,
    path: string,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
      this.changed();
    });
    socket.on('end', () => {
      this.ended = true;
      this.changed();
    });
    socket.on('close', () => {
      this.ended = true;
      this.changed();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.ended = true;
      this.changed();
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  }

  /** Connects and completes the handshake (101 with the right Sec-WebSocket-Accept). */
  static async open(port: number, path: string): Promise<RawWebSocket> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const raw = new RawWebSocket(socket, port, path);
    await raw.waitFor(
      () => raw.handshake !== null || raw.ended,
      () => 'the handshake response',
      WAIT_MS,
    );
    if (!raw.handshake) throw new Error(`no handshake response (${raw.error?.message ?? 'connection ended'})`);
    expect(raw.handshake.status).toMatch(/^HTTP\/1\.1 101 /);
    const accept = createHash('sha1')
      .update(raw.key + WS_GUID)
      .digest('base64');
    expect(raw.handshake.headers.get('sec-websocket-accept')).toBe(accept);
    return raw;
  }

  private parse(): void {
    if (!this.handshake) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [status = '', ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      this.handshake = { status, headers };
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      if (b1 & 0x80) throw new Error('the server sent a masked frame');
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buf.length < offset + len) return;
      const payload = Buffer.from(this.buf.subarray(offset, offset + len));
      this.buf = this.buf.subarray(offset + len);
      this.frame((b0 & 0x80) !== 0, b0 & 0x0f, payload);
    }
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x8) {
      this.closeFrame = {
        code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
        reason: payload.subarray(2).toString('utf8'),
      };
      return;
    }
    if (opcode === 0x9 || opcode === 0xa) return; // ping, pong
    if (opcode !== 0x0) this.fragmentOpcode = opcode;
    this.fragments.push(payload);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    if (this.fragmentOpcode === 0x1) this.texts.push(JSON.parse(message.toString('utf8')));
  }

  sendText(frame: unknown): void {
    this.socket.write(maskedFrame(0x1, Buffer.from(JSON.stringify(frame))));
  }

  async until(cond: (raw: RawWebSocket) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    await this.waitFor(
      () => cond(this),
      () => `${what}; texts: ${this.texts.length}, close: ${JSON.stringify(this.closeFrame)}, ended: ${this.ended}`,
      timeoutMs,
    );
  }

  /** Answers the server's close (a masked close frame with its code) and ends the connection. */
  finish(): void {
    if (this.ended) return;
    const code = Buffer.alloc(2);
    code.writeUInt16BE(this.closeFrame?.code ?? 1000);
    this.socket.end(maskedFrame(0x8, code));
  }
}

// ---- HTTP helpers -------------------------------------------------------------------------------------

interface Account {
  token: string;
  accountId: string;
}

async function registerAccount(base: string): Promise<Account> {
  const r = await call(base, 'POST', '/api/v1/auth/register', {
    body: { email: `events-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery' },
  });
  expect(r.status).toBe(201);
  return { token: r.body.token, accountId: r.body.account_id };
}

/** A REST call that must answer `status`; returns the body. */
async function ok(
  base: string,
  status: number,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<any> {
  const r = await call(base, method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (r.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  }
  return r.body;
}

const createChat = (base: string, token: string, name: string) =>
  ok(base, 201, 'POST', '/api/v1/chats/create-chat', token, { name });
const addMessage = (base: string, token: string, chatId: string, question: string, response: string) =>
  ok(base, 201, 'POST', '/api/v1/messages/add-message', token, { chat_id: chatId, question, response });

/** The upgrade request headers, for checking refusals with fetch (no socket is ever opened). */
const UPGRADE = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
  'Sec-WebSocket-Version': '13',
};

async function expectProblem(r: Response, status: number): Promise<any> {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  const body = (await r.json()) as any;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  return body;
}

// ---- the cluster --------------------------------------------------------------------------------------

describe.skipIf(skipReason !== null)('events across two server processes on one PostgreSQL', () => {
  const secret = randomSecret();
  let p1: ServerProcess;
  let p2: ServerProcess;
  const sockets: FrameSocket[] = [];
  const raws: RawWebSocket[] = [];

  const open = async (p: ServerProcess, token: string) => {
    const s = await FrameSocket.open(p.base, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    const databaseUrl = await freshDatabase();
    const extraEnv = {
      EVENTS_RETENTION: String(RETENTION),
      WS_MAX_BUFFER_KB: String(MAX_BUFFER_KB),
      WS_REPLAY_MAX_KB: String(REPLAY_MAX_KB),
    };
    // One after the other: the first applies the migrations to the fresh database.
    p1 = await startServer({ databaseUrl, port: await freePort(), jwtSecret: secret, extraEnv });
    p2 = await startServer({ databaseUrl, port: await freePort(), jwtSecret: secret, extraEnv });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const r of raws) r.socket.destroy();
    await cleanup();
  }, 30_000);

  test('writes through process 1 reach a socket on process 2 in order, with the REST answers as data', async () => {
    const a = await registerAccount(p1.base);
    const b = await registerAccount(p1.base);
    const root = (await createChat(p1.base, a.token, 'tree of A')).chat_id as string;
    const bRoot = (await createChat(p1.base, b.token, 'tree of B')).chat_id as string;

    const sa = await open(p2, a.token);
    expect(sa.ws.protocol).toBe('branchat.v1');
    expect(await sa.subscribe(root)).toEqual({ type: 'subscribed', root_chat_id: root, chat_id: root, seq: 0 });
    const sb = await open(p1, b.token);
    expect(await sb.subscribe(bRoot)).toEqual({ type: 'subscribed', root_chat_id: bRoot, chat_id: bRoot, seq: 0 });
    // And one of B's on process 2 too, next to A's: sharing a process with A's subscription leaks nothing either.
    const sb2 = await open(p2, b.token);
    expect(await sb2.subscribe(bRoot)).toEqual({ type: 'subscribed', root_chat_id: bRoot, chat_id: bRoot, seq: 0 });

    const m1 = await addMessage(p1.base, a.token, root, 'q1', 'a1');
    const m2 = await addMessage(p1.base, a.token, root, 'q2', 'a2');
    const branch = await ok(p1.base, 201, 'POST', '/api/v1/branches/create-branch', a.token, {
      chat_id: root,
      response_id: m1.response_id,
      name: 'after q1',
      question: 'q1b',
      response: 'a1b',
    });
    const branchId = branch.chat.chat_id as string;
    expect(branch.chat.active).toBe(true);
    const back = await ok(p1.base, 200, 'PUT', '/api/v1/branches/set-active-branch', a.token, { chat_id: root });
    const renamed = await ok(p1.base, 200, 'PUT', '/api/v1/chats/update-chat', a.token, {
      chat_id: root,
      name: 'renamed tree',
    });
    const deleted = await ok(p1.base, 200, 'DELETE', `/api/v1/chats/delete-chat?chat_id=${branchId}`, a.token);
    expect(deleted).toEqual({ deleted_chat_ids: [branchId] });

    const expected: [string, unknown][] = [
      ['message.added', m1],
      ['message.added', m2],
      ['branch.created', branch],
      ['branch.activated', { root_chat_id: root, active_chat_id: branchId }],
      ['branch.activated', back],
      ['chat.updated', renamed],
      ['chat.deleted', { deleted_chat_ids: [branchId] }], // the root was active: no branch.activated after it
    ];
    expect(back).toEqual({ root_chat_id: root, active_chat_id: root });
    const events = await sa.next(expected.length);
    expect(events.map((e) => [e.type, e.seq, e.event])).toEqual(
      expected.map(([name], i) => ['event', i + 1, name] as const),
    );
    expect(events.map((e) => e.data)).toEqual(expected.map(([, data]) => data));
    for (const e of events) {
      expect(e.root_chat_id).toBe(root);
      expect(new Date(e.at).toISOString()).toBe(e.at);
      expect(Object.keys(e).sort()).toEqual(['at', 'data', 'event', 'root_chat_id', 'seq', 'type']);
    }
    // Nothing else (no duplicate, no extra event) before a ping's answer.
    expect(await sa.drain()).toEqual([]);

    // B, on the process that served every one of A's writes, heard nothing of A's tree.
    expect(await sb.drain()).toEqual([]);
    expect(await sb2.drain()).toEqual([]);
    for (const s of [sb, sb2]) {
      expect(s.frames.filter((f) => f.type !== 'pong')).toEqual([
        { type: 'subscribed', root_chat_id: bRoot, chat_id: bRoot, seq: 0 },
      ]);
    }
    sa.close();
    sb.close();
    sb2.close();
  }, 60_000);

  test('refusals: no, garbage, unknown-account and expired tokens get 401 before any upgrade; 426; another account’s tree is 404', async () => {
    const a = await registerAccount(p1.base);
    const b = await registerAccount(p2.base);
    const now = Math.floor(Date.now() / 1000);

    const none = await expectProblem(await fetch(`${p2.base}/api/v1/ws`, { headers: UPGRADE }), 401);
    expect(none.detail).toContain('Missing token');

    const garbage = await fetch(`${p2.base}/api/v1/ws`, {
      headers: { ...UPGRADE, Authorization: 'Bearer not-a-jwt-at-all' },
    });
    expect(garbage.headers.get('www-authenticate')).toBe('Bearer');
    await expectProblem(garbage, 401);
    await expectProblem(
      await fetch(`${p1.base}/api/v1/ws`, {
        headers: { ...UPGRADE, 'Sec-WebSocket-Protocol': 'branchat.v1, bearer.aaa.bbb.ccc' },
      }),
      401,
    );

    // Signed with the server's own secret, unexpired, for an account that does not exist.
    const stranger = await sign({ sub: crypto.randomUUID(), iat: now, exp: now + 3600 }, secret, 'HS256');
    await expectProblem(await fetch(`${p2.base}/api/v1/ws?token=${stranger}`, { headers: UPGRADE }), 401);
    await expectProblem(
      await fetch(`${p1.base}/api/v1/ws`, {
        headers: { ...UPGRADE, 'Sec-WebSocket-Protocol': `branchat.v1, bearer.${stranger}` },
      }),
      401,
    );

    // A's real account, the right secret, but expired an hour ago.
    const expired = await sign({ sub: a.accountId, iat: now - 7200, exp: now - 3600 }, secret, 'HS256');
    await expectProblem(
      await fetch(`${p2.base}/api/v1/ws`, { headers: { ...UPGRADE, Authorization: `Bearer ${expired}` } }),
      401,
    );

    // The control: the same kind of token for A's account, unexpired, opens a socket (so the refusals above
    // are about the account and the expiry, not the signature).
    const forged = await sign({ sub: a.accountId, iat: now, exp: now + 3600 }, secret, 'HS256');
    const control = await open(p2, forged);
    expect(control.ws.protocol).toBe('branchat.v1');
    expect(await control.drain()).toEqual([]);
    control.close();

    // A Bun WebSocket with a bad token never opens.
    await expect(FrameSocket.open(p1.base, 'x.y.z')).rejects.toThrow('failed to open');

    // Not an upgrade: 426 with Upgrade: websocket, even with a valid token.
    const plain = await fetch(`${p1.base}/api/v1/ws?token=${a.token}`);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    await expectProblem(plain, 426);

    // Another account's tree: 404, nothing subscribed, nothing heard afterwards.
    const root = (await createChat(p1.base, a.token, 'private')).chat_id as string;
    const watcher = await open(p2, a.token);
    expect((await watcher.subscribe(root)).type).toBe('subscribed');
    const sb = await open(p2, b.token);
    sb.send({ type: 'subscribe', chat_id: root, id: 'peek' });
    const refused = await sb.one();
    expect(refused).toMatchObject({
      type: 'error',
      id: 'peek',
      problem: { type: '/problems/not-found', title: 'Not Found', status: 404 },
    });
    expect(typeof refused.problem.detail).toBe('string');
    sb.send({ type: 'subscribe', chat_id: root, last_seq: 0, id: 'peek-resume' });
    expect(await sb.one()).toMatchObject({ type: 'error', id: 'peek-resume', problem: { status: 404 } });

    const m = await addMessage(p1.base, a.token, root, 'secret question', 'secret answer');
    expect(await watcher.one()).toMatchObject({ type: 'event', seq: 1, event: 'message.added', data: m });
    expect(await sb.drain()).toEqual([]);
    watcher.close();
    sb.close();
  }, 60_000);

  test('resume across processes, retention of 5 and resync', async () => {
    const a = await registerAccount(p1.base);
    const root = (await createChat(p2.base, a.token, 'resumable')).chat_id as string;
    const write = (p: ServerProcess, n: number) => addMessage(p.base, a.token, root, `q${n}`, `a${n}`);

    // Events 1..3 on a socket of process 1, which then goes away.
    const first = await open(p1, a.token);
    expect((await first.subscribe(root)).seq).toBe(0);
    const early = [await write(p1, 1), await write(p2, 2), await write(p1, 3)];
    const got = await first.next(3);
    expect(got.map((e) => [e.seq, e.data])).toEqual(early.map((d, i) => [i + 1, d]));
    const k = got.at(-1)!.seq as number;
    first.close();

    // Two writes through process 2 while nobody listens.
    const missed = [await write(p2, 4), await write(p2, 5)];

    // Resume on process 2 from k: the two missed ones from the log, then a live one.
    const resumed = await open(p2, a.token);
    expect(await resumed.subscribe(root, k)).toEqual({
      type: 'subscribed',
      root_chat_id: root,
      chat_id: root,
      seq: k + 2,
    });
    const replay = await resumed.next(2);
    expect(replay.map((e) => [e.type, e.seq, e.event, e.data])).toEqual(
      missed.map((d, i) => ['event', k + 1 + i, 'message.added', d]),
    );
    const live = await write(p1, 6);
    expect(await resumed.one()).toMatchObject({ type: 'event', seq: k + 3, event: 'message.added', data: live });
    expect(await resumed.drain()).toEqual([]);

    // More than RETENTION further writes: the log keeps only the last 5.
    const later: any[] = [];
    for (let n = 7; n <= 7 + RETENTION; n++) later.push(await write(n % 2 ? p1 : p2, n));
    const current = k + 3 + later.length; // 12
    expect((await resumed.next(later.length)).map((e) => e.seq)).toEqual(
      later.map((_, i) => k + 4 + i), // the live socket got them all
    );

    // From an old seq (on both processes), and from one just too old: resync at the current seq.
    const fromOld1 = await open(p1, a.token);
    expect(await fromOld1.subscribe(root, k)).toMatchObject({ type: 'subscribed', seq: current });
    expect(await fromOld1.one()).toEqual({ type: 'resync', root_chat_id: root, seq: current });
    const fromOld2 = await open(p2, a.token);
    expect(await fromOld2.subscribe(root, current - RETENTION - 1)).toMatchObject({ seq: current });
    expect(await fromOld2.one()).toEqual({ type: 'resync', root_chat_id: root, seq: current });
    // From the oldest seq still covered: exactly the 5 retained events, no resync.
    const edge = await open(p2, a.token);
    expect(await edge.subscribe(root, current - RETENTION)).toMatchObject({ seq: current });
    const retained = await edge.next(RETENTION);
    expect(retained.map((e) => [e.type, e.seq, e.data])).toEqual(
      later.slice(-RETENTION).map((d, i) => ['event', current - RETENTION + 1 + i, d]),
    );
    // From a seq the tree never reached (another era): resync too.
    const future = await open(p1, a.token);
    expect(await future.subscribe(root, current + 50)).toMatchObject({ seq: current });
    expect(await future.one()).toEqual({ type: 'resync', root_chat_id: root, seq: current });

    // Live events follow the resync (and the resume) on every one of them.
    const next = await write(p2, 99);
    for (const s of [resumed, fromOld1, fromOld2, edge, future]) {
      expect(await s.one()).toMatchObject({ type: 'event', seq: current + 1, event: 'message.added', data: next });
      expect(await s.drain()).toEqual([]);
      s.close();
    }
  }, 60_000);

  test('a client that stops reading is dropped with 1008; another socket on the tree gets every event', async () => {
    const WRITES = 200;
    const PARALLEL = 4;
    const a = await registerAccount(p1.base);
    const root = (await createChat(p1.base, a.token, 'firehose')).chat_id as string;

    // The slow one, on process 2: subscribes, reads until `subscribed`, then stops reading from the kernel.
    const slow = await RawWebSocket.open(Number(new URL(p2.base).port), `/api/v1/ws?token=${a.token}`);
    raws.push(slow);
    slow.sendText({ type: 'subscribe', chat_id: root, id: 'slow' });
    await slow.until((r) => r.texts.some((f) => f.type === 'subscribed'), 'the slow client’s `subscribed`');
    slow.socket.pause();
    expect(slow.texts).toEqual([{ type: 'subscribed', root_chat_id: root, chat_id: root, seq: 0, id: 'slow' }]);

    // The normal one, on process 1.
    const fast = await open(p1, a.token);
    expect((await fast.subscribe(root)).seq).toBe(0);

    // ~80 KB answers, a few writes at a time, through process 1.
    const filler = 'x'.repeat(80_000);
    const bodies: any[] = [];
    let sent = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (sent < WRITES) {
          const n = ++sent;
          bodies.push(await addMessage(p1.base, a.token, root, `big ${n}`, `${n} ${filler}`));
        }
      }),
    );
    expect(bodies.length).toBe(WRITES);

    const events = await fast.next(WRITES, 30_000);
    expect(events.map((e) => [e.type, e.seq, e.event])).toEqual(
      events.map((_, i) => ['event', i + 1, 'message.added']),
    );
    const byId = new Map(bodies.map((body) => [body.response_id as string, body]));
    expect(new Set(events.map((e) => e.data.response_id)).size).toBe(WRITES);
    for (const e of events) expect(e.data).toEqual(byId.get(e.data.response_id));
    expect(fast.closed).toBeNull();
    expect(await fast.drain()).toEqual([]);

    // Process 2 is fine while the slow client still sits there unread: healthy, and a new socket works.
    expect((await fetch(`${p2.base}/healthz`)).status).toBe(200);
    const fresh = await open(p2, a.token);
    expect(await fresh.subscribe(root)).toMatchObject({ type: 'subscribed', seq: WRITES });
    const after = await addMessage(p1.base, a.token, root, 'after the flood', 'small');
    expect(await fresh.one()).toMatchObject({ type: 'event', seq: WRITES + 1, data: after });
    expect(await fast.one()).toMatchObject({ type: 'event', seq: WRITES + 1, data: after });

    // Reading again: what was buffered, then the server's close 1008, then the end of the stream.
    slow.socket.resume();
    await slow.until((r) => r.closeFrame !== null || r.ended, 'a close frame or the end of the stream', 20_000);
    expect(slow.closeFrame).toEqual({ code: 1008, reason: expect.stringContaining('slow consumer') });
    slow.finish();
    await slow.until((r) => r.ended, 'the end of the stream');
    const slowEvents = slow.texts.filter((f) => f.type === 'event');
    expect(slowEvents.length).toBeLessThan(WRITES);
    // What it did get is a gap-free prefix of the tree's events, and nothing after the close.
    expect(slowEvents.map((e) => e.seq)).toEqual(slowEvents.map((_, i) => i + 1));
    expect(slow.texts.length).toBe(1 + slowEvents.length);
    expect(p2.log()).toContain('slow consumer');

    // Still healthy afterwards; the fresh socket is unaffected.
    expect((await fetch(`${p2.base}/healthz`)).status).toBe(200);
    expect(await fresh.drain()).toEqual([]);
    fresh.close();
    fast.close();
  }, 90_000);
  test('bounds of server.ts: a resume over WS_REPLAY_MAX_KB is a resync on either process; a flood of frames is closed with 4429', async () => {
    const a = await registerAccount(p1.base);
    const root = (await createChat(p1.base, a.token, 'bounded')).chat_id as string;
    // 4 answers of ~60 KB, each kept (under 64 KiB): ~240 KB in all, over the 200 KiB one resume may send.
    for (let i = 1; i <= 4; i++) await addMessage(p1.base, a.token, root, `q${i}`, 'y'.repeat(60_000));
    for (const p of [p1, p2]) {
      const s = await open(p, a.token);
      expect(await s.subscribe(root, 0)).toMatchObject({ type: 'subscribed', seq: 4 });
      expect(await s.one()).toEqual({ type: 'resync', root_chat_id: root, seq: 4 });
      expect(await s.subscribe(root, 2)).toMatchObject({ type: 'subscribed', seq: 4 });
      expect((await s.next(2)).map((e) => [e.type, e.seq])).toEqual([
        ['event', 3],
        ['event', 4],
      ]);
      expect(await s.drain()).toEqual([]);
      s.close();
    }

    // WS_FRAME_BURST and WS_MAX_PENDING_FRAMES at their defaults (128): a flood is cut short.
    const flood = await open(p2, a.token);
    for (let i = 0; i < 3000; i++) flood.send({ type: 'ping', id: String(i) });
    const deadline = Date.now() + WAIT_MS;
    while (!flood.closed && Date.now() < deadline) await Bun.sleep(20);
    expect(flood.closed).toEqual({ code: 4429, reason: expect.stringContaining('too many frames') });
    expect(flood.frames.length).toBeLessThanOrEqual(128 + 128);
    expect(p2.log()).toContain('too many frames');
    expect((await fetch(`${p2.base}/healthz`)).status).toBe(200);
    const after = await open(p2, a.token);
    expect(await after.subscribe(root)).toMatchObject({ type: 'subscribed', seq: 4 });
    expect(await after.drain()).toEqual([]);
    after.close();
  }, 60_000);
});
