import type { ContentStore, MetadataStore, PasswordHasher, ReadCache, Responder } from './ports.js';

/** Long-lived collaborators of the services, built once at boot. */
export interface Deps {
  meta: MetadataStore;
  content: ContentStore;
  responder: Responder;
  cache: ReadCache;
  hasher: PasswordHasher;
  clock: () => Date;
  newId: () => string;
}

/** What a service call needs: the collaborators and the authenticated account. */
export interface Ctx {
  deps: Deps;
  accountId: string;
}
