/**
 * The few things that differ between Bun (the default runtime) and Node ≥ 22.17 (`npm run start:node`):
 * the HTTP listener and the client address. Everything else is the same code.
 */
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
  },
): Promise<Listener> {
  const idleTimeout = options.idleTimeoutSeconds ?? BUN_DEFAULT_IDLE_TIMEOUT;
  if (isBun) {
    const server = options.websocket
      ? Bun.serve({
          hostname: options.hostname,
          port: options.port,
          idleTimeout,
          fetch,
          error: options.onError,
          websocket: options.websocket as Bun.WebSocketHandler<unknown>,
        })
      : Bun.serve({ hostname: options.hostname, port: options.port, idleTimeout, fetch, error: options.onError });
    idleTimeouts.set(server, idleTimeout);
    return {
      port: server.port ?? options.port,
      async stop(force) {
        await server.stop(force);
      },
    };
  }
  const { serve } = await import('@hono/node-server');
  return new Promise((resolve) => {
    const server = serve(
      { fetch: fetch as (req: Request) => Response, hostname: options.hostname, port: options.port },
      (info) =>
        resolve({
          port: info.port,
          async stop(force) {
            const s = server as unknown as { close(cb?: () => void): void; closeAllConnections?: () => void };
            if (force) s.closeAllConnections?.();
            else s.close();
          },
        }),
    );
    // Node has no idle timeout during a request (nothing to lift for a long answer), only between requests.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = idleTimeout * 1000;
  });
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
