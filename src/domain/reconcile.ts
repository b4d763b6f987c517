/**
 * The dual write's recovery side. Content is written first (under the tree lock, with a fencing token),
 * then the metadata commit makes it visible. A process that dies between the two leaves content at a
 * slot its chat never counted (seq > own_count), or under a branch whose row never committed. Such
 * content is invisible — reads are bounded by the metadata — and the next append at that slot replaces
 * it; this sweep removes whatever is left.
 *
 * Only content older than `graceMs` is judged, so a write whose transaction is still open is never
 * mistaken for an orphan, and a removal names the exact fence it saw, so it can never remove a later
 * write at the same slot.
 */
import type { Deps } from './context.js';
import type { SlotCursor } from './ports.js';

export interface ReconcileOptions {
  /** Start of the window to scan (content timestamps). */
  since: Date;
  /** Content younger than this is left alone. */
  graceMs: number;
  batch?: number;
}

export interface ReconcileReport {
  scanned: number;
  removed: number;
  /** The end of the window scanned: the next run can start from here. */
  until: Date;
}

export async function reconcileContent(
  deps: Pick<Deps, 'meta' | 'content' | 'clock'>,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const until = new Date(deps.clock().getTime() - options.graceMs);
  const report: ReconcileReport = { scanned: 0, removed: 0, until };
  // Content written in the metadata transaction commits or rolls back with it: nothing to sweep.
  if (deps.content.atomicWithMetadata || until <= options.since) return report;
  const limit = options.batch ?? 500;
  let after: SlotCursor | null = null;
  for (;;) {
    const slots = await deps.content.scanSlots({ from: options.since, to: until, after, limit });
    if (slots.length === 0) break;
    report.scanned += slots.length;
    const counts = await deps.meta.ownCounts([...new Set(slots.map((s) => s.chatId))]);
    for (const s of slots) {
      const count = counts.get(s.chatId);
      if (count !== undefined && s.seq <= count) continue;
      if (await deps.content.removeSlot(s.accountId, s.chatId, s.seq, s.fence)) report.removed++;
    }
    if (slots.length < limit) break;
    const last = slots[slots.length - 1] as (typeof slots)[number];
    after = { timestamp: last.timestamp, responseId: last.responseId };
  }
  return report;
}
