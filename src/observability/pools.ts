/**
 * The database pools of this process, for /metrics (http/ops/metrics.ts): each pool registers itself when it is
 * created (stores/postgres.ts for `pg`, bootstrap.ts for Bun's client) and drops out once closed. Read only at
 * scrape time; nothing here runs per statement.
 */

export interface PoolReading {
  /** Connections open (null: the client does not say). */
  open: number | null;
  /** Open connections not in use (null: the client does not say). */
  idle: number | null;
  /** Requests waiting for a connection (null: the client does not say). */
  waiting: number | null;
  /** Statements sent and not answered yet (null: not counted for this client). */
  inFlight: number | null;
  /** The pool's size limit. */
  max: number;
}

export interface PoolSource {
  /** The pool's kind, the `pool` label: `pg`, `bun-sql`, `bun-sql-notify`. */
  readonly kind: string;
  read(): PoolReading;
  /** Closed: dropped at the next reading. */
  closed(): boolean;
}

const sources = new Set<PoolSource>();

export function trackPool(source: PoolSource): void {
  for (const s of sources) if (s.closed()) sources.delete(s);
  sources.add(source);
}

/** Every open pool's reading, summed per kind (tests may open several sets of pools in one process). */
export function poolReadings(): Map<string, PoolReading> {
  const byKind = new Map<string, PoolReading>();
  const add = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
  for (const s of sources) {
    if (s.closed()) {
      sources.delete(s);
      continue;
    }
    const r = s.read();
    const sum = byKind.get(s.kind);
    byKind.set(
      s.kind,
      sum
        ? {
            open: add(sum.open, r.open),
            idle: add(sum.idle, r.idle),
            waiting: add(sum.waiting, r.waiting),
            inFlight: add(sum.inFlight, r.inFlight),
            max: sum.max + r.max,
          }
        : { ...r },
    );
  }
  return byKind;
}

/** A read replica's outcome counts (src/stores/replica.ts), for `branchat_replica_reads_total`. */
export interface ReplicaSource {
  counts(): { replica: number; lagging: number; failed: number };
  closed(): boolean;
}

const replicas = new Set<ReplicaSource>();

export function trackReplica(source: ReplicaSource): void {
  for (const s of replicas) if (s.closed()) replicas.delete(s);
  replicas.add(source);
}

/** The reads that could go to a replica, by where they went (summed over this process's replicas); null: none. */
export function replicaReadings(): { replica: number; lagging: number; failed: number } | null {
  let out: { replica: number; lagging: number; failed: number } | null = null;
  for (const s of replicas) {
    if (s.closed()) continue;
    const c = s.counts();
    out = out
      ? { replica: out.replica + c.replica, lagging: out.lagging + c.lagging, failed: out.failed + c.failed }
      : { ...c };
  }
  return out;
}
