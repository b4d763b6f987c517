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
  /**
   * Bytes of text (questions and answers, UTF-8) one fork-chat may copy: what an import body may hold
   * (IMPORT_MAX_MB), so a fork never holds more in memory or in its transaction than an import can.
   */
  maxTextBytes?: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxConversations: 1_000,
  maxPairs: 100_000,
  maxTextBytes: 32 * 1024 * 1024,
};
