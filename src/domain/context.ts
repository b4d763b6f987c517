import type { GenerationSettings } from './generation/settings.js';
import type {
  BackgroundTasks,
  ContentStore,
  MetadataStore,
  PasswordHasher,
  ReplicaReads,
  Responder,
  ShareStore,
} from './ports.js';
import type { ImportLimits } from './transfer/limits.js';

/** Long-lived collaborators of the services, built once at boot. */
export interface Deps {
  meta: MetadataStore;
  content: ContentStore;
  /** Share links (account-level rows beside the metadata). */
  shares: ShareStore;
  responder: Responder;
  /** Context budget and model timeout; defaults in generation/settings.ts. */
  generation?: Partial<GenerationSettings>;
  /** How much one import-chat call may hold; defaults in transfer/limits.ts. */
  imports?: Partial<ImportLimits>;
  hasher: PasswordHasher;
  /** Work after the answer (automatic titles); absent: none is done. */
  background?: BackgroundTasks;
  clock: () => Date;
  newId: () => string;
  /** A read replica for search, export and list-chats (kept linearizable); absent: the primary serves them. */
  replica?: ReplicaReads;
}

/** What a service call needs: the collaborators and the authenticated account. */
export interface Ctx {
  deps: Deps;
  accountId: string;
}

/** Runs reads a replica may serve (ports.ts, ReplicaReads) there when one is configured, else as they are. */
export function onReplica<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  return ctx.deps.replica ? ctx.deps.replica.read(fn) : fn();
}
