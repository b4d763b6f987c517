/**
 * How much one import-chat call may hold, whatever its size in bytes (settings IMPORT_MAX_CONVERSATIONS and
 * IMPORT_MAX_PAIRS): it is stored in one transaction. Beyond either → 422 and nothing is stored; a larger
 * conversations.json is imported in parts. Deps carries them (domain/context.ts), transfer.service.ts applies them.
 */
export interface ImportLimits {
  /** Conversations per call (the length of a conversations.json array). */
  maxConversations: number;
  /** Pairs per call, summed over all its conversations. */
  maxPairs: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = { maxConversations: 1_000, maxPairs: 100_000 };
