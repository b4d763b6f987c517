/**
 * Search on MongoDB content (see MongoContentStore.search): stems computed at write time, matched exactly.
 *
 * Each pair document carries `search_stems`, the distinct stems of its question, response and URL, and
 * `search_weights`, each stem's score in that document (MongoDB's own text-score formula), plus `search_key`,
 * the tokenizer version and language they were computed with. A search asks for every stem of the query with
 * `search_stems: { $all: [...] }`, answered from the (account_id, search_stems) multikey index, and ranks by
 * the sum of the matched stems' weights. The pair and the query go through the same tokenizer, stop words
 * and Snowball stemmer, so a word that appears verbatim in a pair always finds it, and every word of the query
 * must match (AND), as on PostgreSQL.
 *
 * Why not `$text`: its `$search` ORs its words, and ANDing them took one regular expression per word on the
 * text fields, looking for the stem as a word start. That missed every word whose stem is not a prefix of
 * the word itself (happy → happi, city → citi, studies → studi), and it scanned every document `$text` had
 * matched on any one word.
 */
import snowball from 'snowball-stemmers';
import type { SearchLanguage } from '../../config.js';

/** Bumped whenever tokenizing or scoring changes: documents with another key are re-indexed at startup. */
const SEARCH_VERSION = 1;

/** What `search_key` holds for documents indexed under `language` by this code. */
export const searchKey = (language: SearchLanguage) => `${SEARCH_VERSION}:${language}`;

/**
 * Words: runs of letters (with their combining marks), digits, `_` and `'` (MongoDB's tokenizer keeps
 * `my_var` and, in English, `don't` as one word). Leading and trailing apostrophes are dropped.
 */
const WORD_RE = /[\p{L}\p{M}\p{N}_']+/gu;

/**
 * Words longer than this are not indexed: a search text is at most 200 characters (ContentSearch.text), so
 * no query can hold them, and a 100 KB "word" would otherwise be an index key.
 */
const MAX_WORD_LENGTH = 200;

/** English stop words, MongoDB's list (dropped from the pair's terms and from queries alike). */
const ENGLISH_STOP_WORDS = new Set(
  `a about above after again against all am an and any are aren't as at be because been before being below
  between both but by can't cannot could couldn't did didn't do does doesn't doing don't down during each few
  for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
  himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
  myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
  she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
  there's these they they'd they'll they're they've this those through to too under until up very was wasn't
  we we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
  why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves`.split(/\s+/),
);

/** Case folding and diacritic removal after stemming, as MongoDB's text index does (`café` = `cafe`). */
function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
}

type Stemmer = (word: string) => string;
const stemmers = new Map<SearchLanguage, Stemmer>();

function stemmerFor(language: SearchLanguage): Stemmer {
  let s = stemmers.get(language);
  if (!s) {
    const snow = language === 'simple' ? null : snowball.newStemmer(language);
    s = snow ? (w) => snow.stem(w) : (w) => w;
    stemmers.set(language, s);
  }
  return s;
}

/** The terms of a text, in order, repeats kept: lowercased words, stop words dropped, stemmed, folded. */
export function searchStemsOf(text: string, language: SearchLanguage): string[] {
  const stem = stemmerFor(language);
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD_RE)) {
    const word = m[0].replace(/^'+|'+$/g, '');
    if (word.length === 0 || word.length > MAX_WORD_LENGTH) continue;
    if (language === 'english' && ENGLISH_STOP_WORDS.has(word)) continue;
    out.push(fold(stem(word)));
  }
  return out;
}

/** The distinct stems of a search text; empty when it has nothing to find (only stop words, say). */
export function queryStems(text: string, language: SearchLanguage): string[] {
  return [...new Set(searchStemsOf(text, language))];
}

/** The search fields of a pair document. */
export interface SearchFields {
  search_stems: string[];
  search_weights: number[];
  search_key: string;
}

/**
 * A pair's distinct stems and their weights, scored as MongoDB scores a text index entry (FTSSpec::
 * _scoreStringV2, every field of weight 1): per field, a term seen `n` times among `total` terms scores
 * (1 + 1/2 + … + 1/2^(n-1)) × (0.5 + 0.5·n/total), × 1.1 when the field is exactly that one word; a stem's
 * weight is the sum over the fields.
 */
export function searchFieldsOf(
  pair: { question: string; response: string; url: string | null },
  language: SearchLanguage,
): SearchFields {
  const weights = new Map<string, number>();
  for (const raw of [pair.question, pair.response, pair.url ?? '']) {
    const terms = searchStemsOf(raw, language);
    const counts = new Map<string, number>();
    for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [term, count] of counts) {
      let freq = 0;
      for (let i = 0, exp = 1; i < count; i++, exp *= 2) freq += 1 / exp;
      const coeff = (0.5 * count) / terms.length + 0.5;
      const exact = raw.toLowerCase() === term ? 1.1 : 1;
      weights.set(term, (weights.get(term) ?? 0) + freq * coeff * exact);
    }
  }
  return { search_stems: [...weights.keys()], search_weights: [...weights.values()], search_key: searchKey(language) };
}

/**
 * The aggregation expression of a document's score for `stems` (all present: the `$all` filter ran first):
 * the sum of their weights. The stems are passed as a literal, never read as field paths.
 */
export function scoreExpression(stems: string[]): Record<string, unknown> {
  return {
    $sum: {
      $map: {
        input: { $literal: stems },
        as: 'stem',
        in: { $arrayElemAt: ['$search_weights', { $indexOfArray: ['$search_stems', '$$stem'] }] },
      },
    },
  };
}

/** For snippets: does a word of the text match one of the query's stems? */
export function stemMatcher(stems: string[], language: SearchLanguage): (word: string) => boolean {
  const wanted = new Set(stems);
  return (word) => searchStemsOf(word, language).some((s) => wanted.has(s));
}
