/**
 * Idempotency-Key on POST routes (docs/api.md "Safe retries", after the IETF draft): the same key and body
 * answer the first answer again (same status and body, `Idempotent-Replayed: true`) and store nothing new;
 * the same key with another body → 422; while the first call is still running, however long (its claim is
 * renewed while it runs) → 409. Keys are scoped per account. A first call that ends in a 5xx, 429 or 499 releases its key,
 * so a retry runs again. A streamed call is recorded as its JSON answer (201) when the stream completes;
 * replayed as JSON, or as a one-event stream.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { IdempotencyStore } from '../../stores/idempotency.store.js';
import type { AppBindings } from '../app-types.js';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from '../errors.js';
import { EVENT_STREAM, replayedStream, wantsEventStream } from '../sse.js';
import { refusedBeforeWork } from './write-limit.js';

const KEY_RE = /^[\x20-\x7e]{1,255}$/;

/** Recursive, which is safe: requireJsonBody ran first and refused bodies nested deeper than JSON_MAX_DEPTH. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * `refuse`: POST paths that take no key (a key sent → 422 before any work): create-share, whose answer holds a
 * secret the server must not keep (a replay would need it stored).
 */
export function idempotency(
  store: IdempotencyStore,
  options: { refuse?: readonly string[] } = {},
): MiddlewareHandler<AppBindings> {
  const refused = new Set(options.refuse ?? []);
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('Idempotency-Key');
    if (key === undefined) return next();
    if (refused.has(c.req.path)) {
      refusedBeforeWork(c);
      throw new HttpProblem(
        422,
        'This operation takes no Idempotency-Key: its answer holds a secret that is never stored',
        {},
        [{ path: 'Idempotency-Key', message: 'not accepted by this operation' }],
      );
    }
    if (!KEY_RE.test(key)) {
      throw new HttpProblem(422, 'Idempotency-Key must be 1..255 printable ASCII characters', {}, [
        { path: 'Idempotency-Key', message: 'must be 1..255 printable ASCII characters' },
      ]);
    }
    const accountId = c.get('accountId');
    // Canonical JSON: whitespace and key order do not matter (the body was already checked to be JSON).
    const canonical = JSON.stringify(sortKeys(await c.req.json()));
    const hash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${canonical}`).digest('hex');

    const claim = await store.claim(accountId, key, hash);
    if (claim.kind !== 'claimed') {
      if (claim.requestHash !== hash) {
        throw new HttpProblem(422, 'This Idempotency-Key was used with a different request', {}, [
          { path: 'Idempotency-Key', message: 'already used with a different body or route' },
        ]);
      }
      if (claim.kind === 'in_flight') {
        refusedBeforeWork(c);
        throw new HttpProblem(409, 'A request with this Idempotency-Key is still in progress');
      }
      if (claim.status < 400 && wantsEventStream(c)) {
        return replayedStream(claim.body, { 'Idempotent-Replayed': 'true', 'X-Request-Id': c.get('requestId') });
      }
      return new Response(claim.body, {
        status: claim.status,
        headers: {
          'Content-Type': claim.status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json',
          'Idempotent-Replayed': 'true',
          'X-Request-Id': c.get('requestId'),
        },
      });
    }

    // The claim is renewed for as long as the request runs (a model may take minutes), so a retry meanwhile
    // gets 409 however long it is. A streamed answer settles its key when the stream ends (http/sse.ts), as
    // the JSON answer it stands for, and holds the lease until then.
    const lease = store.hold(accountId, key, claim.token);
    c.set('streamOutcome', {
      complete: (json) => lease.complete(201, json),
      release: () => lease.release().catch(() => {}),
      end: () => lease.stop(),
    });
    try {
      await next();
    } catch (e) {
      await lease.release().catch(() => {});
      throw e;
    }
    if (c.res.headers.get('Content-Type')?.startsWith(EVENT_STREAM)) return;
    try {
      // Answers that did no work leave the key free for the retry they invite: a server error, a refusal for
      // load (429) and a request its client closed (499) are never replayed.
      if (c.res.status >= 500 || c.res.status === 429 || c.res.status === 499) await lease.release().catch(() => {});
      else await lease.complete(c.res.status, await c.res.clone().text());
    } finally {
      lease.stop(); // if recording the answer failed, the key stays in flight until its lease runs out
    }
  };
}
