/**
 * Work done after a request has been answered (automatic titles: domain/chats/titles.ts), in this process, never
 * awaited by the request. At most one task per key at a time (a second one for a running key is dropped: the first
 * does the job), at most `maxRunning` at once (beyond, dropped: a title is retried by the conversation's next pair),
 * each bounded by `timeoutMs` (its signal aborts). A failure is logged at warn and goes no further.
 *
 * Shutdown (`close`): new tasks are refused, running ones get `graceMs` to finish, then their signals abort and they
 * get a moment to settle before the stores close under them; what is abandoned that way is simply not written (a
 * title is one conditional write: half of one cannot happen).
 */
import type { BackgroundTasks } from '../domain/ports.js';
import type { Logger } from '../logger.js';

export interface BackgroundOptions {
  /** The longest one task may run before its signal aborts. */
  timeoutMs?: number;
  /** Tasks running at once, beyond which new ones are dropped. */
  maxRunning?: number;
}

export class BackgroundJobs implements BackgroundTasks {
  private readonly running = new Map<string, { done: Promise<void>; controller: AbortController }>();
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxRunning: number;

  constructor(
    private readonly log: Logger,
    options: BackgroundOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRunning = options.maxRunning ?? 1_000;
  }

  run(key: string, task: (signal: AbortSignal) => Promise<void>): void {
    if (this.closed || this.running.has(key)) return;
    if (this.running.size >= this.maxRunning) {
      this.log.warn({ job: key, running: this.running.size }, 'background task dropped: too many running');
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('background task timed out')), this.timeoutMs);
    timer.unref?.();
    const done = (async () => {
      try {
        await task(controller.signal);
      } catch (e) {
        // Abandoned at shutdown: expected, not worth a warning.
        const level = this.closed && controller.signal.aborted ? 'debug' : 'warn';
        this.log[level](
          { job: key, err: e instanceof Error ? { message: e.message } : String(e) },
          'background task failed',
        );
      } finally {
        clearTimeout(timer);
        this.running.delete(key);
      }
    })();
    this.running.set(key, { done, controller });
  }

  /** Tasks running now. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves once no task runs (tasks started meanwhile included). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /**
   * Refuses new tasks, waits up to `graceMs` for the running ones, then aborts the rest and waits at most
   * `settleMs` more for them to notice.
   */
  async close(graceMs = 2_000, settleMs = 1_000): Promise<void> {
    this.closed = true;
    if (this.running.size === 0) return;
    if (await within(this.idle(), graceMs)) return;
    const left = this.running.size;
    for (const r of this.running.values()) r.controller.abort(new Error('shutting down'));
    await within(this.idle(), settleMs);
    this.log.info({ abandoned: left }, 'background tasks abandoned at shutdown');
  }
}

/** True if `p` settles within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
