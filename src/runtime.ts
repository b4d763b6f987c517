/**
 * The few things that differ between Bun (the default runtime) and Node ≥ 22.17 (`npm run start:node`):
 * the HTTP listener and the client address. Everything else is the same code.
 */
import { createServer } from 'node:net';
import type { Context } from 'hono';

export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

export interface Listener {
  port: number;
  /** Stop accepting connections; with `force`, also drop the open ones. */
  stop(force: boolean): Promise<void>;
}

type FetchHandler = (req: Request, server?: unknown) => Response | Promise<Response>;

/** Bun's idle timeout when none is given (seconds). */
const BUN_DEFAULT_IDLE_TIMEOUT = 10;
const idleTimeouts = new WeakMap<object, number>();

/** The idle timeout (seconds) a Bun server was started with; Bun's default for one listen() did not start. */
export function idleTimeoutOf(server: object): number {
  return idleTimeouts.get(server) ?? BUN_DEFAULT_IDLE_TIMEOUT;
}

export async function listen(
  fetch: FetchHandler,
  options: {
    hostname: string;
    port: number;
    /** Bun's WebSocket handlers (ignored on Node). */
    websocket?: unknown;
    /** Seconds an idle connection stays open (Bun: idleTimeout; Node: keepAliveTimeout). */
    idleTimeoutSeconds?: number;
    /**
     * The answer when `fetch` itself throws (Bun's `error` handler; Node: its own 500), instead of Bun's bare
     * page. Bun's own 400/431/505 for a malformed request line or oversized headers never reach either.
     */
    onError?: (error: Error) => Response | Promise<Response>;
    /**
     * SO_REUSEPORT: other processes (with this option too) may listen on the same port; the kernel spreads new
     * connections over them (Linux; Node ≥ 22.12).
     */
    reusePort?: boolean;
  },
): Promise<Listener> {
  const idleTimeout = options.idleTimeoutSeconds ?? BUN_DEFAULT_IDLE_TIMEOUT;
  const reusePort = options.reusePort === true;
  if (isBun) {
    const server = options.websocket
      ? Bun.serve({
          hostname: options.hostname,
          port: options.port,
          idleTimeout,
          reusePort,
          fetch,
          error: options.onError,
          websocket: options.websocket as Bun.WebSocketHandler<unknown>,
        })
      : Bun.serve({
          hostname: options.hostname,
          port: options.port,
          idleTimeout,
          reusePort,
          fetch,
          error: options.onError,
        });
    idleTimeouts.set(server, idleTimeout);
    return {
      port: server.port ?? options.port,
      async stop(force) {
        await server.stop(force);
      },
    };
  }
  const { createAdaptorServer } = await import('@hono/node-server');
  return new Promise((resolve, reject) => {
    // serve() without its listen(port, host): listen's options object is where reusePort goes.
    const server = createAdaptorServer({ fetch: fetch as (req: Request) => Response, hostname: options.hostname });
    (
      server as unknown as {
        listen(o: { port: number; host: string; reusePort?: boolean }, cb: () => void): void;
      }
    ).listen({ port: options.port, host: options.hostname, ...(reusePort ? { reusePort } : {}) }, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        async stop(force) {
          const s = server as unknown as { close(cb?: () => void): void; closeAllConnections?: () => void };
          if (force) s.closeAllConnections?.();
          else s.close();
        },
      });
    });
    // A port in use (EADDRINUSE) or refused (EACCES): rejected like Bun.serve's throw.
    (server as unknown as { once(event: 'error', f: (e: Error) => void): void }).once('error', reject);
    // Node has no idle timeout during a request (nothing to lift for a long answer), only between requests.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = idleTimeout * 1000;
  });
}

/**
 * Fails as listen() would when the port is taken or refused: checked before the slow part of the start (the
 * databases, migrations; a second `npm start` would otherwise trip over the first one's embedded PostgreSQL). The
 * probe's socket is closed at once; port 0 (any free port) is never taken.
 */
export function probePort(hostname: string, port: number, reusePort = false): Promise<void> {
  // Shared with SO_REUSEPORT: the other processes' listeners are expected (listen() itself still fails on a
  // port held by a process without the option).
  if (port === 0 || reusePort) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: hostname, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * The one line for a listener that could not start, instead of a stack trace: a port in use or refused (Bun and
 * Node both give the error a `code`), or the error's message.
 */
export function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} is in use: set PORT=… to another port, or stop the other process`;
  if (code === 'EACCES') return `port ${port} needs privileges this process lacks: set PORT=… above 1023`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${host}: no such local address (set HOST=…)`;
  return `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
}

/** What the start line says about the database: never a password (a URL's credentials are dropped). */
export function databaseSummary(config: { DATABASE_URL?: string; DATA_DIR: string; EMBEDDED_PG_PORT: number }) {
  if (!config.DATABASE_URL) {
    return `embedded PostgreSQL (data in ${config.DATA_DIR}, port ${config.EMBEDDED_PG_PORT})`;
  }
  try {
    const u = new URL(config.DATABASE_URL);
    return `PostgreSQL at ${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/**
 * The human line printed once listening when stdout is a terminal (LOG_FORMAT=auto), e.g.
 * `branchat listening on http://localhost:3000 — demo /app/ · API docs /docs · embedded PostgreSQL (…) · bun 1.4.5`.
 */
export function startLine(o: {
  host: string;
  port: number;
  /** The demo app is built (WEB_DIR holds index.html). */
  web: boolean;
  database: string;
  /** MongoDB holds the message content. */
  mongo: boolean;
  runtime: string;
}): string {
  const host = ['0.0.0.0', '::', ''].includes(o.host) ? 'localhost' : o.host.includes(':') ? `[${o.host}]` : o.host;
  const parts = [
    o.web ? 'demo /app/' : 'demo /app/ (not built: npm run build:web)',
    'API docs /docs',
    o.database + (o.mongo ? ' + MongoDB (content)' : ''),
    o.runtime,
  ];
  return `branchat listening on http://${host}:${o.port} — ${parts.join(' · ')}`;
}

/** The client's address, or 'unknown' where there is no socket (in-process requests in tests). */
export async function clientAddress(c: Context): Promise<string> {
  try {
    const { getConnInfo } = isBun ? await import('hono/bun') : await import('@hono/node-server/conninfo');
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
