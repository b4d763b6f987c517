/**
 * Per-account rate limit (OWASP API4, unrestricted resource consumption): each account has a budget of
 * points per fixed window; every POST, PUT, PATCH or DELETE on the protected routes costs 1, and the heavy
 * operations cost their weight (RateCosts), reads included. Past the budget the answer is 429 with
 * Retry-After and nothing is stored (before the body is read; an import's further weight right after it is
 * parsed). Other reads cost nothing. What a request was charged is given back when a step before its handler
 * refuses it (no heavy slot, the rest of an import's weight over the budget, a body never sent, a key in flight:
 * refusedBeforeWork) or answers it from its Idempotency-Key (a replay), within the window it was charged in.
 * A handler's own failure is not refunded (a model that ran for a client that left, a query that timed out).
 * Counted where the limiter counts (src/limits/limiters.ts): in Redis, shared by every process, when
 * REDIS_URL is set; else per process.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../domain/errors.js';
import type { AppBindings } from '../app-types.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the heavy operations cost, in points of the account's budget (a plain write costs 1). */
export interface RateCosts {
  /** import-chat: per started 1,000 messages (mapping nodes) in the body; at least once. */
  importPer1000Messages: number;
  /** export-chat (any format); fork-chat costs as much (it reads what an export reads, and writes it once). */
  exportChat: number;
  /** get-branches. */
  getBranches: number;
  /** search-messages (its cost grows with the matches it ranks). */
  searchMessages: number;
}

export const DEFAULT_RATE_COSTS: RateCosts = {
  importPer1000Messages: 10,
  exportChat: 10,
  getBranches: 5,
  searchMessages: 1,
};

export interface AccountRateLimit {
  points: number;
  windowSeconds: number;
  limiter: RateLimiterAbstract;
  costs: RateCosts;
  /** The operations' paths (from their route definitions). */
  paths: {
    importChat: string;
    exportChat: string;
    forkChat: string;
    getBranches: string;
    compareBranches: string;
    searchMessages: string;
  };
}

/**
 * Points charged to each request so far (both charges of an import) and when their window ends, for the refund.
 * Keyed by the context: the body limit replaces c.req.raw with a wrapped Request.
 */
const charged = new WeakMap<Context, { points: number; until: number }>();
/** Requests refused before their handler ran (refusedBeforeWork). */
const noWork = new WeakSet<Context>();

/** Marks a request refused before any of its work was done: its points are given back. */
export function refusedBeforeWork(c: Context): void {
  noWork.add(c);
}

function refusal(limit: AccountRateLimit, points: number, waitMs: number): RateLimitedError {
  return RateLimitedError.after(
    `Over the account's budget of ${limit.points} points per ${limit.windowSeconds} s ` +
      `(this request costs ${points}); slow down`,
    waitMs,
  );
}

async function charge(c: Context<AppBindings>, limit: AccountRateLimit, cost: number): Promise<void> {
  // An operation never costs more than the whole budget: it may take all of it, but is not refused forever.
  const points = Math.min(cost, limit.points);
  const key = c.get('accountId');
  if (points > 1) {
    // A weight that does not fit is refused without being counted (a refused consume still counts, and a large
    // one would spend the rest of the window's budget).
    const now = await limit.limiter.get(key).catch(() => null);
    if (now && now.remainingPoints < points) throw refusal(limit, points, now.msBeforeNext);
  }
  try {
    const res = await limit.limiter.consume(key, points);
    const before = charged.get(c);
    const until = Date.now() + res.msBeforeNext;
    charged.set(c, { points: (before?.points ?? 0) + points, until: Math.min(before?.until ?? until, until) });
    c.header('RateLimit-Limit', String(limit.points));
    c.header('RateLimit-Remaining', String(res.remainingPoints));
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e;
    if (points > 1) await limit.limiter.reward(key, points).catch(() => {}); // a race past the check: uncount it
    throw refusal(limit, points, e.msBeforeNext);
  }
}

/** Before the body: writes cost 1, the heavy operations their weight (an import its first thousand). */
export function accountRateLimit(limit: AccountRateLimit): MiddlewareHandler<AppBindings> {
  const { paths, costs } = limit;
  const weights = new Map<string, number>([
    [`POST ${paths.importChat}`, costs.importPer1000Messages],
    [`GET ${paths.exportChat}`, costs.exportChat],
    [`POST ${paths.forkChat}`, costs.exportChat],
    [`GET ${paths.getBranches}`, costs.getBranches],
    [`GET ${paths.compareBranches}`, costs.getBranches],
    [`GET ${paths.searchMessages}`, costs.searchMessages],
  ]);
  return async (c, next) => {
    // Hono answers HEAD with the GET handler (all the work, no body): it costs what GET costs.
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const cost = weights.get(`${method} ${c.req.path}`) ?? (WRITES.has(method) ? 1 : 0);
    if (cost > 0) await charge(c, limit, cost);
    if (method === 'POST' && c.req.path === paths.forkChat) {
      copyCharges.set(c, async (pairs) => {
        const already = Math.min(costs.exportChat, limit.points);
        const whole = Math.min(
          Math.max(costs.exportChat, costs.importPer1000Messages * Math.ceil(pairs / 1000)),
          limit.points,
        );
        if (whole <= already) return;
        try {
          await charge(c, limit, whole - already);
        } catch (e) {
          refusedBeforeWork(c);
          throw e;
        }
      });
    }
    await next();
    const paid = charged.get(c);
    const didNoWork = noWork.has(c) || c.res.headers.get('Idempotent-Replayed') === 'true';
    // Only within the window it was charged in: a refund into the next window would add to its budget.
    if (paid && didNoWork && Date.now() < paid.until) {
      charged.delete(c);
      await limit.limiter.reward(c.get('accountId'), paid.points).catch(() => {});
    }
  };
}

/** The rest of a copy's weight, per request, set by accountRateLimit (see chargeCopy). */
const copyCharges = new WeakMap<Context, (pairs: number) => Promise<void>>();

/**
 * fork-chat, once it knows how many pairs it copies: the rest of its weight, so a copy costs what importing the
 * same pairs would (RATE_COST_IMPORT per started 1,000), at least RATE_COST_EXPORT (charged before the body). A
 * refusal here gives the first part back: nothing was copied. Without a write limit, nothing to do.
 */
export async function chargeCopy(c: Context, pairs: number): Promise<void> {
  await copyCharges.get(c)?.(pairs);
}

/** Mapping nodes in an import body, counted without trusting its shape (the importer checks it later). */
export function importMessageCount(body: unknown): number {
  let n = 0;
  for (const conversation of Array.isArray(body) ? body : [body]) {
    const mapping = (conversation as { mapping?: unknown } | null)?.mapping;
    if (mapping && typeof mapping === 'object') n += Object.keys(mapping).length;
  }
  return n;
}

/**
 * After the body is parsed, on import-chat: the rest of the import's cost (each further started 1,000
 * messages), so the weight follows the work the import will do and chunked uploads pay the same.
 */
export function importRateCharge(limit: AccountRateLimit): MiddlewareHandler<AppBindings> {
  const per = limit.costs.importPer1000Messages;
  return async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === limit.paths.importChat && per > 0) {
      const thousands = Math.max(1, Math.ceil(importMessageCount(await c.req.json()) / 1000));
      const already = Math.min(per, limit.points);
      const rest = Math.min(per * thousands, limit.points) - already;
      if (rest > 0) {
        try {
          await charge(c, limit, rest);
        } catch (e) {
          refusedBeforeWork(c); // nothing imported: the first part of its weight comes back too
          throw e;
        }
      }
    }
    await next();
  };
}

const BUDGET =
  "the account's budget of WRITE_RATE_LIMIT points per WRITE_RATE_WINDOW_SECONDS (default 600 per 60 s, " +
  'where a write costs 1), shared by every server instance when REDIS_URL is set';

/** The weights as the operations' OpenAPI descriptions state them. */
export const RATE_WEIGHT_DOC = {
  importChat:
    `Rate limit: costs RATE_COST_IMPORT (default ${DEFAULT_RATE_COSTS.importPer1000Messages}) points per started ` +
    `1,000 messages (mapping nodes) in the body, never more than the whole budget, of ${BUDGET}; past it → 429 ` +
    'with Retry-After and nothing stored.',
  exportChat: `Rate limit: costs RATE_COST_EXPORT (default ${DEFAULT_RATE_COSTS.exportChat}) points of ${BUDGET}; past it → 429 with Retry-After.`,
  forkChat:
    `Rate limit: costs what importing the copied pairs would (RATE_COST_IMPORT, default ` +
    `${DEFAULT_RATE_COSTS.importPer1000Messages}, points per started 1,000 pairs), at least RATE_COST_EXPORT (default ` +
    `${DEFAULT_RATE_COSTS.exportChat}) points, of ${BUDGET}; past it → 429 with Retry-After and nothing stored.`,
  compareBranches: `Rate limit: costs RATE_COST_GET_BRANCHES (default ${DEFAULT_RATE_COSTS.getBranches}) points, as get-branches does, of ${BUDGET}; past it → 429 with Retry-After.`,
  getBranches: `Rate limit: costs RATE_COST_GET_BRANCHES (default ${DEFAULT_RATE_COSTS.getBranches}) points of ${BUDGET}; past it → 429 with Retry-After.`,
  searchMessages: `Rate limit: costs RATE_COST_SEARCH (default ${DEFAULT_RATE_COSTS.searchMessages}) point of ${BUDGET}; past it → 429 with Retry-After.`,
};
