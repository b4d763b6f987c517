import type { GenerationSettings } from './generation/settings.js';
import type { BackgroundTasks, ContentStore, MetadataStore, PasswordHasher, Responder, ShareStore } from './ports.js';
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
}

/** What a service call needs: the collaborators and the authenticated account. */
export interface Ctx {
  deps: Deps;
  accountId: string;
}
