/**
 * Builds the MongoDB filter for a search (see MongoContentStore.search). A single `$text` ORs its words
 * (stemmed by the index), and quoting them (phrases) would AND them but without stemming ("climbing" would no
 * longer find "climb"). So: `$text` over all the words (index-driven, stemmed, scored), plus, for each word,
 * a condition that some text field holds a word starting with its stem (Snowball, the stemmer family MongoDB
 * uses), which makes the search an AND like on PostgreSQL.
 */
import snowball from 'snowball-stemmers';
import type { SearchLanguage } from '../../config.js';

/**
 * Words as MongoDB's tokeniser sees them, roughly: runs of letters, digits, `_` and `'` (MongoDB keeps
 * `my_var` and, in English, `don't` as one word).
 */
const MONGO_WORD_RE = /[\p{L}\p{N}_']+/gu;

/** English stop words (MongoDB drops them from the index and from queries). */
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

export function mongoWords(text: string, language: SearchLanguage): string[] {
  const words = (text.toLowerCase().match(MONGO_WORD_RE) ?? [])
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 0 && !(language === 'english' && ENGLISH_STOP_WORDS.has(w)));
  return [...new Set(words)];
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `$text` plus one "a field has a word starting with this stem" condition per word; null: nothing to find. */
export function mongoSearchFilter(text: string, language: SearchLanguage): Record<string, unknown> | null {
  const words = mongoWords(text, language);
  if (words.length === 0) return null;
  const stemmer = language === 'simple' ? null : snowball.newStemmer(language);
  return {
    $text: { $search: words.join(' ') },
    $and: words.map((w) => {
      const stem = stemmer ? stemmer.stem(w) : w;
      // A word start: the text's start or a character that cannot be part of a word. ASCII classes only,
      // so that the same pattern means the same in MongoDB (PCRE) and JavaScript.
      const re = new RegExp(`(^|[^A-Za-z0-9_'])${escapeRegex(stem)}`, 'i');
      return { $or: [{ question: re }, { response: re }, { url: re }] };
    }),
  };
}
