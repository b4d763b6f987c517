import type { GenerationSettings } from './generation/generate.js';
import type { ContentStore, MetadataStore, PasswordHasher, Responder } from './ports.js';

/** Long-lived collaborators of the services, built once at boot. */
export interface Deps {
  meta: MetadataStore;
  content: ContentStore;
  responder: Responder;
  /** Context budget and model timeout; defaults in generation/generate.ts. */
  generation?: Partial<GenerationSettings>;
  hasher: PasswordHasher;
  clock: () => Date;
  newId: () => string;
}

/** What a service call needs: the collaborators and the authenticated account. */
export interface Ctx {
  deps: Deps;
  accountId: string;
}
