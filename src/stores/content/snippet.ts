/**
 * Snippets for stores whose search engine gives no highlighting (MongoDB's text index): an extract of the
 * text around the first match, with every matching word between MARK_START and MARK_END. A word matches a
 * search term when it starts with it (prefix) or when both reduce to the same crude English stem: an
 * approximation of the index's own stemming, for highlighting only (which pairs match is the index's call).
 */
import { truncate } from '../../domain/limits.js';
import { MARK_END, MARK_START } from '../../domain/ports.js';

const WORD_RE = /[\p{L}\p{N}]+/gu;

/** The distinct lowercased words of a search text, in order. */
export function searchTerms(text: string): string[] {
  return [...new Set((text.toLowerCase().match(WORD_RE) ?? []) as string[])];
}

function stem(word: string): string {
  for (const suffix of ['ingly', 'ings', 'ing', 'edly', 'ed', 'ies', 'es', 's', 'ly']) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

export function matchesTerm(word: string, terms: string[]): boolean {
  const w = word.toLowerCase();
  const ws = stem(w);
  return terms.some((t) => w.startsWith(t) || ws === stem(t));
}

/**
 * The snippet of a pair: its question, then its response. `alsoMatches`: the store's own word matching (a
 * store that knows its stemmer marks what it actually matched, e.g. `studies` for a search for `study`).
 */
export function pairSnippet(
  pair: { question: string; response: string },
  terms: string[],
  alsoMatches?: (word: string) => boolean,
): string {
  return buildSnippet(`${pair.question}\n${pair.response}`, terms, 30, alsoMatches);
}

/** An extract of about `maxWords` words of `text` starting a little before its first match. */
export function buildSnippet(
  text: string,
  terms: string[],
  maxWords = 30,
  alsoMatches?: (word: string) => boolean,
): string {
  const matches = (word: string) => matchesTerm(word, terms) || (alsoMatches?.(word) ?? false);
  const clean = text.replaceAll(MARK_START, '').replaceAll(MARK_END, '');
  const found = [...clean.matchAll(WORD_RE)].map((m) => ({ word: m[0], start: m.index, end: m.index + m[0].length }));
  if (found.length === 0) return truncate(clean, 200);
  const first = Math.max(
    0,
    found.findIndex((w) => matches(w.word)),
  );
  const from = Math.max(0, first - Math.floor(maxWords / 3));
  const to = Math.min(found.length, from + maxWords);
  let out = from > 0 ? '… ' : '';
  let pos = (found[from] as { start: number }).start;
  for (let i = from; i < to; i++) {
    const w = found[i] as { word: string; start: number; end: number };
    out += clean.slice(pos, w.start);
    out += matches(w.word) ? `${MARK_START}${w.word}${MARK_END}` : w.word;
    pos = w.end;
  }
  if (to < found.length) out += ' …';
  return out.replace(/\s+/g, ' ').trim();
}
