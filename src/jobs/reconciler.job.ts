/**
 * Runs the content reconciler (src/domain/reconcile.ts) in the background: once at start over the last
 * RECONCILE_LOOKBACK_HOURS, then every RECONCILE_INTERVAL_SECONDS over what is new since. Every instance
 * may run it; runs are idempotent and their removals fenced. Failures are logged and retried next time.
 */
import type { Config } from '../config.js';
import type { Deps } from '../domain/context.js';
import { reconcileContent } from '../domain/reconcile.js';
import type { Logger } from '../logger.js';

export function startReconciler(deps: Deps, config: Config, log: Logger): { stop(): Promise<void> } {
  if (config.RECONCILE_INTERVAL_SECONDS === 0 || deps.content.atomicWithMetadata) {
    return { stop: async () => {} };
  }
  const graceMs = config.RECONCILE_GRACE_SECONDS * 1000;
  let since = new Date(deps.clock().getTime() - config.RECONCILE_LOOKBACK_HOURS * 3_600_000);
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= reconcileContent(deps, { since, graceMs })
      .then((r) => {
        // Overlap the next window with this one: cheap, and robust to a write that landed late.
        since = new Date(r.until.getTime() - graceMs);
        if (r.removed > 0) log.warn({ scanned: r.scanned, removed: r.removed }, 'reconciler removed orphaned content');
        else log.debug({ scanned: r.scanned }, 'reconciler found nothing to remove');
      })
      .catch((e) => log.warn({ err: e instanceof Error ? { message: e.message } : String(e) }, 'reconciler failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, config.RECONCILE_INTERVAL_SECONDS * 1000);
  first.unref?.();
  timer.unref?.();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
