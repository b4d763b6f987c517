/**
 * Reads of the event log (`tree_events`) and of each tree's latest seq (`conversations.event_seq`) for the
 * PostgreSQL change feed (src/events/pg.feed.ts), and its pruning by age. Writes append to the log in their own
 * transaction (src/stores/metadata/postgres-metadata.store.ts), which also trims it to the retention per tree.
 */

import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../../stores/pg-tx.js';
import type { EventName, ReplayLimit, TreeEvent } from '../events.js';

/** Log rows read per query while catching trees up (their data is held until delivered). */
export const FETCH_ROWS = 200;
/** Frame bytes around an event's data (type, seq, root, event name, time): what a replay is charged per event. */
const FRAME_OVERHEAD = 140;

export interface EventRow {
  root_chat_id: string;
  seq: string | number;
  event: string;
  at: Date | string;
  data: string;
}

export function toEvent(row: EventRow): TreeEvent {
  return {
    seq: Number(row.seq),
    root_chat_id: row.root_chat_id,
    event: row.event as EventName,
    at: (row.at instanceof Date ? row.at : new Date(row.at)).toISOString(),
    data: JSON.parse(row.data),
  };
}

/**
 * The events of each of `roots` after its position (`after[i]`), ordered by tree then seq, at most FETCH_ROWS
 * rows (on the feed's connection: catching up never waits for the pool).
 */
export async function readAfter(client: pg.Client, roots: string[], after: number[]): Promise<EventRow[]> {
  const r = await client.query<EventRow>(
    `select e.root_chat_id, e.seq, e.event, e.at, e.data
     from unnest($1::uuid[], $2::bigint[]) as f(root, after)
     join tree_events e on e.root_chat_id = f.root and e.seq > f.after
     order by e.root_chat_id, e.seq
     limit ${FETCH_ROWS}`,
    [roots, after],
  );
  return r.rows;
}

/** The latest seq of each of `roots` that exists (on the feed's connection). */
export async function readSeqs(client: pg.Client, roots: string[]): Promise<{ chat_id: string; event_seq: string }[]> {
  const r = await client.query<{ chat_id: string; event_seq: string }>(
    'select chat_id, event_seq from conversations where chat_id = any($1::uuid[])',
    [roots],
  );
  return r.rows;
}

/** How much of the log is kept: the last `retention` events per tree, none older than `maxAgeMs`. */
export interface Retention {
  retention: number;
  maxAgeMs: number;
}

/** EventFeed.since over the pool (`db`): the whole run after + 1 … current, or 'gone' / 'over-limit'. */
export async function since(
  db: () => Db,
  kept: Retention,
  rootChatId: string,
  after: number,
  limit?: ReplayLimit,
): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
  const cutoff = new Date(Date.now() - kept.maxAgeMs);
  const retained = sql`e.root_chat_id = ${rootChatId} and e.seq > ${after} and e.at > ${cutoff}`;
  const r = await sql<{ current: string | null; n: string; bytes: string; first: string | null }>`
    select (select event_seq from conversations where chat_id = ${rootChatId}) as current,
           count(*) as n, coalesce(sum(octet_length(e.data) + ${FRAME_OVERHEAD}), 0) as bytes, min(e.seq) as first
    from tree_events e where ${retained}`.execute(db());
  const row = r.rows[0];
  const current = Number(row?.current ?? 0);
  if (after > current) return 'gone';
  if (after === current) return [];
  const n = Number(row?.n ?? 0);
  // Not all kept (trimmed by count or age), or `after` is from before the log began.
  if (current - after > kept.retention || n !== current - after || Number(row?.first) !== after + 1) return 'gone';
  if (limit && (n > limit.maxEvents || Number(row?.bytes) > limit.maxBytes)) return 'over-limit';
  const events = await sql<EventRow>`
    select e.root_chat_id, e.seq, e.event, e.at, e.data from tree_events e
    where ${retained} and e.seq <= ${current} order by e.seq`.execute(db());
  // Pruned between the two reads (age is stamped by each writer's clock, so not always in seq order): the run
  // must still be whole, after + 1 … current.
  if (
    events.rows.length !== current - after ||
    Number(events.rows[0]?.seq) !== after + 1 ||
    Number(events.rows.at(-1)?.seq) !== current
  )
    return 'gone';
  return events.rows.map(toEvent);
}

/** EventFeed.currentSeq over the pool: the tree's latest seq (0 before its first event). */
export async function currentSeq(db: () => Db, rootChatId: string): Promise<number> {
  const r = await sql<{ event_seq: string }>`
    select event_seq from conversations where chat_id = ${rootChatId}`.execute(db());
  return Number(r.rows[0]?.event_seq ?? 0);
}

/**
 * Deletes events older than `maxAgeMs`, in batches (so no statement holds many locks for long; the batches stop
 * early once `stop()`), then the leases of processes long gone. Returns how many events were deleted.
 */
export async function prune(db: () => Db, maxAgeMs: number, stop: () => boolean): Promise<number> {
  const cutoff = new Date(Date.now() - maxAgeMs);
  let total = 0;
  for (;;) {
    const r = await sql`
      delete from tree_events
      where ctid in (select ctid from tree_events where at <= ${cutoff} limit 5000 for update skip locked)`.execute(
      db(),
    );
    const n = Number(r.numAffectedRows ?? 0);
    total += n;
    if (n < 5000 || stop()) {
      // Leases of processes gone without a goodbye (killed): long expired, nobody waits for them.
      await sql`delete from read_leases where expires_at < clock_timestamp() - interval '1 minute'`.execute(db());
      return total;
    }
  }
}
