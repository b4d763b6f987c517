import type { ContentStore, MetadataStore, PasswordHasher, Responder } from './ports.js';

/** Long-lived collaborators of the services, built once at boot. */
export interface Deps {
  meta: MetadataStore;
  content: ContentStore;
  responder: Responder;
  hasher: PasswordHasher;
  clock: () => Date;
  newId: () => string;
}

/** What a service call needs: the collaborators and the authenticated account. */
export interface Ctx {
  deps: Deps;
  accountId: string;
}
