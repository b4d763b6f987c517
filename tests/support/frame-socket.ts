/**
 * A WebSocket client of /api/v1/ws for tests that drive server processes (tests/events/feed.test.ts,
 * tests/cluster): keeps every frame, hands them out in order, waits with a clear failure. `closeSockets()` at
 * clean-up closes every socket opened.
 */
import { randomBytes } from 'node:crypto';

const WAIT_MS = 10_000;
export type Frame = Record<string, any>;
const brief = (f: Frame) => JSON.stringify({ type: f.type, event: f.event, seq: f.seq, id: f.id });

/** A WebSocket (Bun's) that keeps every frame and hands them out in order (as in cluster.test.ts). */
export class FrameSocket {
  readonly frames: Frame[] = [];
  private read = 0;
  closed: number | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => {
      this.frames.push(JSON.parse(String(m.data)));
      for (const w of [...this.waiters]) w();
    };
    ws.onclose = (e) => {
      this.closed = e.code;
      for (const w of [...this.waiters]) w();
    };
  }

  static open(base: string, token: string): Promise<FrameSocket> {
    const s = new FrameSocket(
      new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`, ['branchat.v1', `bearer.${token}`]),
    );
    sockets.push(s);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket to ${base} did not open`)), WAIT_MS);
      s.ws.onopen = () => {
        clearTimeout(timer);
        resolve(s);
      };
      s.ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`socket to ${base} failed to open`));
      };
    });
  }

  until(cond: () => boolean, what: () => string, timeoutMs = WAIT_MS): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The next `n` frames not handed out yet. */
  async next(n: number, timeoutMs = WAIT_MS): Promise<Frame[]> {
    await this.until(
      () => this.frames.length >= this.read + n,
      () => `${n} frame(s) after #${this.read}, got: ${this.frames.slice(this.read).map(brief).join(' ')}`,
      timeoutMs,
    );
    this.read += n;
    return this.frames.slice(this.read - n, this.read);
  }

  async subscribe(chatId: string, lastSeq?: number): Promise<Frame> {
    this.ws.send(JSON.stringify({ type: 'subscribe', chat_id: chatId, last_seq: lastSeq }));
    return (await this.next(1))[0]!;
  }

  /** Pings and returns the frames that came before the pong (everything sent before it was answered). */
  async drain(): Promise<Frame[]> {
    const id = randomBytes(4).toString('hex');
    this.ws.send(JSON.stringify({ type: 'ping', id }));
    const at = () => this.frames.findIndex((f, i) => i >= this.read && f.type === 'pong' && f.id === id);
    await this.until(
      () => at() >= 0,
      () => `pong ${id}`,
    );
    const before = this.frames.slice(this.read, at());
    this.read = at() + 1;
    return before;
  }
}

const sockets: FrameSocket[] = [];

export function closeSockets() {
  for (const s of sockets.splice(0)) s.ws.close();
}
