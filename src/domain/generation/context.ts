/**
 * The context sent to the model: the system prompt, then the chat's visible history (inherited pairs
 * included, other branches never), newest pairs kept first, trimmed to a token budget, then the question.
 * Tokens are counted with a real BPE tokenizer (o200k_base, the GPT-4o family's encoding); other models'
 * tokenizers differ by a few percent, so leave headroom in CONTEXT_TOKEN_BUDGET.
 */
import { createRequire } from 'node:module';
import type { Ctx } from '../context.js';
import { historyLength, rangesFor, segmentsOf } from '../history.js';
import type { ChatRecord } from '../model.js';
import type { ModelMessage } from '../ports.js';

/** Chat Completions framing per message (role and separators), as OpenAI documents for its chat models. */
const PER_MESSAGE = 4;
/** The assistant reply's priming. */
const PER_REPLY = 3;
/** History pairs read per round trip while walking back from the newest. */
const READ_BATCH = 64;

/**
 * Counting splits the text into pieces of at most this many characters (at a space where there is one): BPE
 * on one long run without spaces (`yyyy…`, base64) takes time quadratic in its length (100,000 characters:
 * ~30 s), in pieces it is linear. A cut inside a word may count a token more: at most one per piece.
 */
const PIECE = 400;

type BpeCount = (text: string, options: { disallowedSpecial: Set<string> }) => number;
let bpe: BpeCount | undefined;
const TOKENIZER = 'gpt-tokenizer/encoding/o200k_base';
// Resolved (not loaded) at start: a missing package fails the start, not the first question.
createRequire(import.meta.url).resolve(TOKENIZER);

/**
 * The o200k tokenizer: its tables take ~55 MB of memory, so they are loaded at the first count (only a question
 * that the responder answers needs one), not when the server starts.
 */
function bpeCount(text: string, options: { disallowedSpecial: Set<string> }): number {
  bpe ??= (createRequire(import.meta.url)(TOKENIZER) as { countTokens: BpeCount }).countTokens;
  return bpe(text, options);
}

/** Tokens of a text; special-token spellings such as `<|endoftext|>` in user text count as plain text. */
export function countTokens(text: string): number {
  const options = { disallowedSpecial: new Set<string>() };
  if (text.length <= PIECE) return bpeCount(text, options);
  let n = 0;
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + PIECE);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > at + PIECE / 2) end = space;
      // Never split a surrogate pair.
      else if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
    }
    n += bpeCount(text.slice(at, end), options);
    at = end;
  }
  return n;
}

export function messageTokens(m: ModelMessage): number {
  return PER_MESSAGE + countTokens(m.content);
}

export interface ModelContext {
  messages: ModelMessage[];
  /** Counted locally: framing + system prompt + kept history + question. */
  promptTokens: number;
  /** How many history pairs were kept (the newest ones). */
  historyPairs: number;
}

/**
 * Builds the context for a question asked in `chat` (for a new branch: the branch record, whose visible
 * history is its fork's). The system prompt and the question are always sent, even if they alone exceed
 * the budget (the model then refuses: 502); history pairs are added newest first, whole pairs only, while
 * the total stays within `budget`.
 */
export async function buildContext(
  ctx: Ctx,
  chat: ChatRecord,
  question: string,
  budget: number,
): Promise<ModelContext> {
  const system: ModelMessage[] = chat.systemPrompt ? [{ role: 'system', content: chat.systemPrompt }] : [];
  const ask: ModelMessage = { role: 'user', content: question };
  let used = PER_REPLY + messageTokens(ask) + system.reduce((n, m) => n + messageTokens(m), 0);

  const segments = segmentsOf(chat);
  const kept: ModelMessage[][] = []; // newest first
  let to = historyLength(segments);
  walk: while (to >= 1 && used < budget) {
    const from = Math.max(1, to - READ_BATCH + 1);
    const pairs = await ctx.deps.content.readRanges(ctx.accountId, rangesFor(segments, from, to));
    for (let i = pairs.length - 1; i >= 0; i--) {
      const p = pairs[i];
      if (!p) continue;
      const turn: ModelMessage[] = [
        { role: 'user', content: p.question },
        { role: 'assistant', content: p.response },
      ];
      const cost = messageTokens(turn[0] as ModelMessage) + messageTokens(turn[1] as ModelMessage);
      if (used + cost > budget) break walk;
      used += cost;
      kept.push(turn);
    }
    to = from - 1;
  }
  kept.reverse();
  return { messages: [...system, ...kept.flat(), ask], promptTokens: used, historyPairs: kept.length };
}
