/** How answers are generated: Deps carries them (domain/context.ts), generate.ts applies them. */
export interface GenerationSettings {
  /** Largest prompt, in tokens, sent to the model (system prompt + kept history + question). */
  contextTokens: number;
  /** Longest wait for the model to accept the request and between two chunks of its answer. */
  timeoutMs: number;
}

export const DEFAULT_GENERATION: GenerationSettings = { contextTokens: 8192, timeoutMs: 30_000 };
