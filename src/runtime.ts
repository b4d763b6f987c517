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

export async function listen(
  fetch: FetchHandler,
  options: { hostname: string; port: number /** Bun's WebSocket handlers (ignored on Node). */; websocket?: unknown },
): Promise<Listener> {
  if (isBun) {
    const server = options.websocket
      ? Bun.serve({
          hostname: options.hostname,
          port: options.port,
          fetch,
          websocket: options.websocket as Bun.WebSocketHandler<unknown>,
        })
      : Bun.serve({ hostname: options.hostname, port: options.port, fetch });
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
