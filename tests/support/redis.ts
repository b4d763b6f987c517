/** A real Redis for cache tests: REDIS_URL, else 127.0.0.1:6379 if it answers, else none (with the reason). */
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';

export async function findRedis(): Promise<{ url: string } | { skip: string }> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return { url };
  } catch (e) {
    return { skip: `no Redis answers at ${url} (${e instanceof Error ? e.message : String(e)}); set REDIS_URL` };
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
export async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A redis-server of the test's own, on its own port, that the test may pause, kill and restart. */
export class OwnRedis {
  private proc: ReturnType<typeof Bun.spawn> | undefined;
  constructor(readonly port: number) {}
  static available(): string | null {
    return Bun.which('redis-server') ? null : 'redis-server is not installed';
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    this.proc = Bun.spawn(
      ['redis-server', '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdout: 'ignore',
        stderr: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      try {
        await c.connect();
        await c.ping();
        return;
      } catch {
        await Bun.sleep(50);
      } finally {
        c.disconnect();
      }
    }
    throw new Error('redis-server did not start');
  }
  signal(sig: 'SIGSTOP' | 'SIGCONT') {
    this.proc?.kill(sig);
  }
  async kill() {
    this.proc?.kill('SIGKILL');
    await this.proc?.exited;
  }
}
