/**
 * Server-sent events for writes that wait for a model (README, "Streaming"): add-message and create-branch
 * answer `text/event-stream` when the client asks for it with `Accept`. Events: `delta` ({text}) as the
 * answer arrives, then exactly one of `done` (what the JSON answer would have been: the stored pair, or the
 * new branch with its pair) or `error` (problem details; nothing was stored). Comment lines keep idle
 * connections open through proxies.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { CancelledError } from '../domain/errors.js';
import type { PendingWrite } from '../domain/messages/messages.service.js';
import { idleTimeoutOf } from '../runtime.js';
import type { AppBindings } from './app-types.js';
import { errorToProblemBody } from './errors.js';

export const EVENT_STREAM = 'text/event-stream';
const HEARTBEAT_MS = 15_000;

/** True when the client's Accept lists text/event-stream (and does not refuse it with q=0). */
export function wantsEventStream(c: Context): boolean {
  const accept = c.req.header('Accept') ?? '';
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (type !== EVENT_STREAM) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** How to give back the idle timeout of each request that lifted it (allowSlowAnswer). */
const lifted = new WeakMap<Request, () => void>();

/**
 * Lifts Bun's idle timeout (HTTP_IDLE_TIMEOUT_SECONDS) for a request that waits for a model: the model's own
 * timeout (RESPONDER_TIMEOUT_MS) bounds the wait instead. The answer restores it as it ends (a JSON answer:
 * restoreIdleTimeout; a stream: when it closes). Elsewhere (Node, app.request in tests) nothing to do.
 */
export function allowSlowAnswer(c: Context): void {
  const server = c.env as { timeout?: (request: Request, seconds: number) => void } | undefined;
  if (typeof server?.timeout !== 'function') return;
  const req = c.req.raw;
  server.timeout(req, 0);
  lifted.set(req, () => server.timeout?.(req, idleTimeoutOf(server)));
}

/**
 * Restores the idle timeout allowSlowAnswer lifted (no-op if it did not, or a stream took it over). Bun
 * keeps, for the idle connection after a response, the timeout in force when the response's last bytes
 * were queued, and ignores one set later: so this must run before the answer is returned (or, for a
 * stream, before its end is written), never after; else the connection stays open for good.
 */
export function restoreIdleTimeout(c: Context): void {
  takeIdleTimeout(c)();
}

/** The restore of a lifted idle timeout, now owned by the caller. */
function takeIdleTimeout(c: Context): () => void {
  const restore = lifted.get(c.req.raw);
  lifted.delete(c.req.raw);
  return restore ?? (() => {});
}

/** Streams running now (graceful shutdown waits for them, like for requests). */
let running = 0;
export const activeStreams = () => running;

/** Aborts when the client disconnects (the request's signal, or the response body being cancelled). */
export function clientGone(c: Context): AbortController {
  const ctl = new AbortController();
  const signal = c.req.raw.signal;
  if (signal.aborted) ctl.abort();
  else signal.addEventListener('abort', () => ctl.abort(), { once: true });
  return ctl;
}

/**
 * Answers with an event stream (hono/streaming's streamSSE) that runs `pending`, sends each piece of text as a
 * `delta`, then `done` with `toJson(result)` (the write's tree events are already in the log: they commit with it),
 * or one `error`. If the client goes away the generation is cancelled and, unless the pair was already being
 * stored, nothing is stored.
 */
export function eventStream<T>(
  c: Context<AppBindings>,
  gone: AbortController,
  pending: PendingWrite<T>,
  toJson: (result: T) => unknown,
): Response {
  const outcome = c.get('streamOutcome');
  // The stream restores the idle timeout itself, as it ends (the handler returns long before).
  const restoreIdle = takeIdleTimeout(c);
  running++;
  const response = streamSSE(c, async (stream) => {
    stream.onAbort(() => gone.abort());
    // Every write joins one chain, so events and comments go out in order (writeSSE takes a turn before it
    // writes); the generation never waits for it (a delta never waits for a slow client), and the chain is
    // finished before streamSSE closes the stream. Once the client is gone, writes are dropped.
    let chain: Promise<unknown> = Promise.resolve();
    const comment = (text: string) => {
      chain = chain.then(() => stream.write(`: ${text}\n\n`));
    };
    const send = (event: string, data: unknown) => {
      chain = chain.then(() => stream.writeSSE({ event, data: JSON.stringify(data) }));
    };
    const heartbeat = setInterval(() => comment('keep-alive'), HEARTBEAT_MS);
    try {
      let result: T;
      try {
        comment('stream open');
        result = await pending.run((text) => send('delta', { text }));
      } catch (e) {
        // Nothing was stored: the key is free for a retry, and the client (if still there) gets the problem.
        await outcome?.release();
        if (e instanceof CancelledError || gone.signal.aborted) {
          c.get('log').info({ reason: e instanceof Error ? e.message : String(e) }, 'stream cancelled by the client');
        } else {
          const problem = errorToProblemBody(c, e);
          c.get('log').warn({ status: problem.status, detail: problem.detail }, 'stream ended with an error');
          send('error', problem);
        }
        return;
      }
      // Stored. From here on the answer is `done` whatever else fails: never an `error` event, and the key is
      // never released (a retry must replay, not store again; if recording the answer fails, the key stays
      // in flight until its lease ends, as for a JSON answer).
      const json = toJson(result);
      await outcome?.complete(JSON.stringify(json)).catch((e) => {
        c.get('log').error({ err: e }, 'could not record the streamed answer for its Idempotency-Key');
      });
      send('done', json);
    } finally {
      clearInterval(heartbeat);
      outcome?.end(); // settled above, or (if recording it failed) left in flight until its lease runs out
      // Before the end of the stream is written (see restoreIdleTimeout; streamSSE closes it when this returns):
      // the idle connection after it closes.
      restoreIdle();
      try {
        await chain;
      } finally {
        // Only once every frame was written (a write resolves when the client took it): a graceful shutdown
        // waits for activeStreams() to reach 0, so a final `done` still queued is never cut off.
        running--;
      }
    }
  });
  // streamSSE's own headers are `text/event-stream`, `no-cache`, `Connection: keep-alive` and an explicit chunked
  // Transfer-Encoding; ours as before (the connection and framing are the server's business).
  for (const [name, value] of Object.entries(STREAM_HEADERS)) response.headers.set(name, value);
  response.headers.delete('Connection');
  response.headers.delete('Transfer-Encoding');
  return response;
}

const STREAM_HEADERS = {
  'Content-Type': `${EVENT_STREAM}; charset=utf-8`,
  'Cache-Control': 'no-cache, no-transform',
  // nginx: pass each event on as it comes.
  'X-Accel-Buffering': 'no',
};

/** A finished stream replayed (Idempotency-Key): just its `done` event. */
export function replayedStream(doneJson: string, headers: Record<string, string>): Response {
  return new Response(`event: done\ndata: ${doneJson}\n\n`, {
    status: 200,
    headers: { ...STREAM_HEADERS, ...headers },
  });
}
