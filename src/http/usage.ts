/** The wire form of usage totals (get-chat's chat, get-branches' nodes, compare-branches' tails). */
import { z } from '@hono/zod-openapi';
import type { UsageTotals } from '../domain/ports.js';

const tokenSum = (what: string) =>
  z
    .number()
    .int()
    .openapi({ description: `Sum of the ${what} of the generated answers (a response the client gave counts 0).` });

export const UsageFields = {
  prompt_tokens: tokenSum('`generation.prompt_tokens`'),
  completion_tokens: tokenSum('`generation.completion_tokens`'),
};

export const UsageSchema = z.object(UsageFields).openapi('Usage', {
  description:
    'What the generated answers of a chat’s whole visible history (inherited pairs included) cost, in tokens: the ' +
    'sums of their `generation` counts. Pairs whose response the client gave, and counts an import did not say ' +
    '(null), add 0.',
  example: { prompt_tokens: 1843, completion_tokens: 412 },
});

export type UsageJson = z.infer<typeof UsageSchema>;

export function usageJson(u: UsageTotals): UsageJson {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens };
}
