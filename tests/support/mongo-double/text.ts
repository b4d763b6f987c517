/**
 * Text indexes and `$text` for the MongoDB test double, modelled on MongoDB 7.0's own implementation
 * (mongodb/mongo, src/mongo/db/fts): spec normalisation (fts_spec.cpp FTSSpec::fixSpec), the language-override
 * check (FTSSpec::_getLanguageToUseV2), the version-3 tokenizer (fts_unicode_tokenizer.cpp), the English stop
 * words (stop_words_english.txt), the Snowball English stemmer (third_party/libstemmer_c stem_UTF_8_english.c),
 * the `$search` parser (fts_query_parser.cpp, fts_query_impl.cpp FTSQueryImpl::parse), matching (fts_matcher.cpp)
 * and scoring (FTSSpec::_scoreStringV2).
 *
 * Implemented languages: english and none. Every other language MongoDB knows is accepted where MongoDB only
 * validates it (a document's language override), and refused as unsupported where it would have to tokenize.
 * Not implemented (unsupported): `$caseSensitive`/`$diacriticSensitive: true`, wildcard (`$**`) text indexes,
 * textIndexVersion 1/2, language overrides inside embedded documents (only the top-level field is read).
 */
import type { Document } from 'bson';
import { CommandError, unsupported } from './errors.js';

/** The hidden field carrying a document's text score through mingo; never returned to the client. */
export const SCORE_FIELD = '__mongoDoubleTextScore';

export interface TextIndexSpec {
  /** The key as the server stores it: prefix fields, `_fts: 'text', _ftsx: 1`, suffix fields. */
  key: Document;
  /** Text fields and their (integer) weights, sorted by field name as the server lists them. */
  weights: Record<string, number>;
  default_language: string;
  language_override: string;
  textIndexVersion: number;
  /** Fields before the text fields: a `$text` query needs an equality predicate on each. */
  prefix: string[];
}

export interface TextQuery {
  language: string;
  /** Stemmed positive terms (from plain words and from phrases): a document must contain one of them. */
  terms: Set<string>;
  negatedTerms: Set<string>;
  phrases: string[];
  negatedPhrases: string[];
}

const cannotCreate = (message: string) => new CommandError(67, 'CannotCreateIndex', message);

// ---- languages -------------------------------------------------------------------------------------

/** Text index version 3 languages and aliases (fts_language.cpp MONGO_FTS_LANGUAGE_LIST, plus "none"). */
const LANGUAGES: Record<string, string> = { none: 'none' };
for (const [name, alias] of [
  ['danish', 'da'],
  ['dutch', 'nl'],
  ['english', 'en'],
  ['finnish', 'fi'],
  ['french', 'fr'],
  ['german', 'de'],
  ['hungarian', 'hu'],
  ['italian', 'it'],
  ['norwegian', 'nb'],
  ['portuguese', 'pt'],
  ['romanian', 'ro'],
  ['russian', 'ru'],
  ['spanish', 'es'],
  ['swedish', 'sv'],
  ['turkish', 'tr'],
] as const) {
  LANGUAGES[name] = name;
  LANGUAGES[alias] = name;
}

/** The canonical language for a name, compared ASCII-case-insensitively like the server; undefined if unknown. */
export function languageOf(name: string): string | undefined {
  const key = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return Object.hasOwn(LANGUAGES, key) ? LANGUAGES[key] : undefined;
}

function implemented(language: string): 'english' | 'none' {
  if (language === 'english' || language === 'none') return language;
  throw unsupported(`text search language '${language}' (only english and none are implemented)`);
}

// ---- tokenizer ---------------------------------------------------------------------------------------

/**
 * Word delimiters of the version-3 tokenizer: code points with the Unicode properties White_Space, Dash,
 * Hyphen, Quotation_Mark, Terminal_Punctuation, Pattern_Syntax or STerm (fts/unicode/gen_delimiter_list.py),
 * except that for English the apostrophe is not one ("' special case"). So letters, digits and `_` are word
 * characters: `snake_case` is one token, `json.loads` two. (Hyphen is not a JS property: its members are listed.)
 */
const DELIMITER =
  /[\p{White_Space}\p{Dash}\p{Quotation_Mark}\p{Terminal_Punctuation}\p{Pattern_Syntax}\p{Sentence_Terminal}\u00AD\u058A\u1806\u2010\u2011\u2E17\u30FB\uFE63\uFF0D\uFF65]/u;

/** English stop words, MongoDB's list (src/mongo/db/fts/stop_words_english.txt, the Snowball list). */
const ENGLISH_STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are aren't as at be because been before being below " +
    "between both but by can't cannot could couldn't did didn't do does doesn't doing don't down during each few " +
    "for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself " +
    "him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most " +
    "mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't " +
    "she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then " +
    "there there's these they they'd they'll they're they've this those through to too under until up very was " +
    "wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's " +
    "whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves"
  ).split(' '),
);

/** Case folding and diacritic removal (unicode::String::caseFoldAndStripDiacritics, approximated). */
export function fold(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, (m) => (/\p{Diacritic}/u.test(m) ? '' : m))
    .normalize('NFC');
}

/**
 * The terms of a string (UnicodeFTSTokenizer::moveNext with kFilterStopWords): split on delimiters, lower-case,
 * drop stop words, stem, then fold case and strip diacritics. Language "none": no stop words, no stemming.
 */
export function tokenize(text: string, language: string): string[] {
  const lang = implemented(language);
  const terms: string[] = [];
  let word = '';
  const flush = () => {
    if (!word) return;
    const lower = word.toLowerCase();
    word = '';
    if (lang === 'english' && ENGLISH_STOP_WORDS.has(lower)) return;
    terms.push(fold(lang === 'english' ? stemEnglish(lower) : lower));
  };
  for (const ch of text) {
    if (DELIMITER.test(ch) && !(ch === "'" && lang === 'english')) flush();
    else word += ch;
  }
  flush();
  return terms;
}

// ---- Snowball English (Porter2) stemmer --------------------------------------------------------------

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const VOWELS_WXY = new Set(['a', 'e', 'i', 'o', 'u', 'y', 'w', 'x', 'Y']);
const VALID_LI = new Set(['c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't']);
const isV = (c: string | undefined) => c !== undefined && VOWELS.has(c);
const isNonV = (c: string | undefined) => c !== undefined && !VOWELS.has(c);

const EXCEPTION1: Record<string, string> = {
  skis: 'ski',
  skies: 'sky',
  dying: 'die',
  lying: 'lie',
  tying: 'tie',
  idly: 'idl',
  gently: 'gentl',
  ugly: 'ugli',
  early: 'earli',
  only: 'onli',
  singly: 'singl',
  sky: 'sky',
  news: 'news',
  howe: 'howe',
  atlas: 'atlas',
  cosmos: 'cosmos',
  bias: 'bias',
  andes: 'andes',
};
const EXCEPTION2 = new Set(['inning', 'outing', 'canning', 'herring', 'earring', 'proceed', 'exceed', 'succeed']);
const STEP2: Record<string, string> = {
  tional: 'tion',
  enci: 'ence',
  anci: 'ance',
  abli: 'able',
  entli: 'ent',
  izer: 'ize',
  ization: 'ize',
  ational: 'ate',
  ation: 'ate',
  ator: 'ate',
  alism: 'al',
  aliti: 'al',
  alli: 'al',
  fulness: 'ful',
  ousli: 'ous',
  ousness: 'ous',
  iveness: 'ive',
  iviti: 'ive',
  biliti: 'ble',
  bli: 'ble',
  ogi: 'og',
  fulli: 'ful',
  lessli: 'less',
  li: '',
};
const STEP3: Record<string, string> = {
  tional: 'tion',
  ational: 'ate',
  alize: 'al',
  icate: 'ic',
  iciti: 'ic',
  ical: 'ic',
  ful: '',
  ness: '',
  ative: '',
};
const STEP4 = [
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
  'ion',
];

/**
 * The Snowball English stemmer ("Porter2"), a transcription of the libstemmer_c version MongoDB vendors
 * (src/third_party/libstemmer_c/src_c/stem_UTF_8_english.c): exceptions, prelude, R1/R2, steps 1a-5, postlude.
 * Operates on code points of a lower-cased word; non-ASCII letters count as consonants, as there.
 */
export function stemEnglish(word: string): string {
  if (Object.hasOwn(EXCEPTION1, word)) return EXCEPTION1[word]!;
  const w = Array.from(word);
  if (w.length < 3) return word;

  // prelude: drop a leading apostrophe; y at the start or after a vowel becomes Y (a consonant)
  let yFound = false;
  if (w[0] === "'") w.shift();
  if (w[0] === 'y') {
    w[0] = 'Y';
    yFound = true;
  }
  for (let i = 1; i < w.length; i++)
    if (w[i] === 'y' && isV(w[i - 1])) {
      w[i] = 'Y';
      yFound = true;
    }

  // mark_regions: R1 starts after the first non-vowel following a vowel (or after gener/commun/arsen), R2 the same
  // within R1
  const afterVNonV = (from: number) => {
    let i = from;
    while (i < w.length && !isV(w[i])) i++;
    i++;
    while (i < w.length && isV(w[i])) i++;
    return i < w.length ? i + 1 : -1;
  };
  let p1 = w.length;
  let p2 = w.length;
  const joined = w.join('');
  const special = ['gener', 'commun', 'arsen'].find((p) => joined.startsWith(p));
  const r1 = special ? special.length : afterVNonV(0);
  if (r1 >= 0) {
    p1 = r1;
    const r2 = afterVNonV(p1);
    if (r2 >= 0) p2 = r2;
  }

  const endsWith = (s: string) => w.length >= s.length && w.slice(w.length - s.length).join('') === s;
  const longest = (suffixes: Iterable<string>) => {
    let best: string | undefined;
    for (const s of suffixes) if (endsWith(s) && (!best || s.length > best.length)) best = s;
    return best;
  };
  const replace = (suffix: string, by: string) => w.splice(w.length - suffix.length, suffix.length, ...by);
  /** A short syllable ends at `c`: non-vowel (not w, x, Y), vowel, non-vowel; or vowel, non-vowel at the start. */
  const shortv = (c: number) =>
    (c >= 3 && w[c - 1] !== undefined && !VOWELS_WXY.has(w[c - 1]!) && isV(w[c - 2]) && isNonV(w[c - 3])) ||
    (c === 2 && isNonV(w[1]) && isV(w[0]));

  // Step 1a
  const apostrophe = longest(["'", "'s'", "'s"]);
  if (apostrophe) w.splice(w.length - apostrophe.length);
  const s1a = longest(['sses', 'ied', 'ies', 's', 'ss', 'us']);
  if (s1a === 'sses') replace(s1a, 'ss');
  else if (s1a === 'ied' || s1a === 'ies') replace(s1a, w.length - 3 >= 2 ? 'i' : 'ie');
  else if (s1a === 's') {
    const start = w.length - 1;
    if (start >= 1 && w.slice(0, start - 1).some(isV)) w.pop();
  }

  if (!EXCEPTION2.has(w.join(''))) {
    // Step 1b
    const s1b = longest(['eed', 'eedly', 'ed', 'edly', 'ing', 'ingly']);
    if (s1b === 'eed' || s1b === 'eedly') {
      if (w.length - s1b.length >= p1) replace(s1b, 'ee');
    } else if (s1b && w.slice(0, w.length - s1b.length).some(isV)) {
      w.splice(w.length - s1b.length);
      if (longest(['at', 'bl', 'iz'])) w.push('e');
      else if (longest(['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt'])) w.pop();
      else if (w.length === p1 && shortv(w.length)) w.push('e');
    }

    // Step 1c: y or Y after a consonant that is not the first letter becomes i
    const last = w.length - 1;
    if ((w[last] === 'y' || w[last] === 'Y') && isNonV(w[last - 1]) && last - 1 > 0) w[last] = 'i';

    // Step 2
    const s2 = longest(Object.keys(STEP2));
    if (s2 && w.length - s2.length >= p1) {
      const before = w[w.length - s2.length - 1];
      if (s2 === 'ogi') {
        if (before === 'l') replace(s2, 'og');
      } else if (s2 === 'li') {
        if (before !== undefined && VALID_LI.has(before)) replace(s2, '');
      } else replace(s2, STEP2[s2]!);
    }

    // Step 3
    const s3 = longest(Object.keys(STEP3));
    if (s3 && w.length - s3.length >= p1 && (s3 !== 'ative' || w.length - s3.length >= p2)) replace(s3, STEP3[s3]!);

    // Step 4
    const s4 = longest(STEP4);
    if (s4 && w.length - s4.length >= p2) {
      const before = w[w.length - s4.length - 1];
      if (s4 !== 'ion' || before === 's' || before === 't') replace(s4, '');
    }

    // Step 5
    const end = w.length - 1;
    if (w[end] === 'e' && (end >= p2 || (end >= p1 && !shortv(end)))) w.pop();
    else if (w[end] === 'l' && end >= p2 && w[end - 1] === 'l') w.pop();
  }

  const out = w.join('');
  return yFound ? out.replaceAll('Y', 'y') : out;
}

// ---- index spec --------------------------------------------------------------------------------------

/** True when an index key has a text component (`field: 'text'`, or the stored form's `_fts: 'text'`). */
export const isTextKey = (key: Document) => Object.values(key).includes('text');

/**
 * Normalises a text index spec as FTSSpec::fixSpec does (errors are its CannotCreateIndex messages): text
 * fields (adjacent, weight 1 unless `weights` says otherwise; weights are truncated to integers and may add
 * fields), `default_language` (default english), `language_override` (default "language"), textIndexVersion 3.
 */
export function parseTextIndexSpec(spec: Document): TextIndexSpec {
  const entries = Object.entries(spec.key as Document);
  const weights: Record<string, number> = {};
  const prefix: string[] = [];
  const key: Document = {};
  let state = 'prefix' as 'prefix' | 'text' | 'suffix'; // (asserted: enterText() changes it)
  const enterText = () => {
    if (state === 'suffix') throw cannotCreate("'text' fields in index must all be adjacent");
    if (state === 'prefix') Object.assign(key, { _fts: 'text', _ftsx: 1 });
    state = 'text';
  };
  for (const [field, value] of entries) {
    if (field === '$**') throw unsupported('wildcard text index ($**)');
    if (field === '_fts') {
      // the stored form { _fts: 'text', _ftsx: 1 }, whose text fields are all in `weights`
      if (value !== 'text') throw cannotCreate('expecting _fts:"text"');
      enterText();
    } else if (field === '_ftsx') {
      if (value !== 1 || state !== 'text') throw cannotCreate('expecting _ftsx:1');
    } else if (value === 'text') {
      enterText();
      weights[field] = 1;
    } else if (typeof value === 'string') {
      throw unsupported(`index type { ${field}: "${value}" } combined with a text index`);
    } else if (value !== 1 && value !== -1) {
      throw cannotCreate('expected value 1 or -1 for non-text key in compound index');
    } else {
      if (state === 'text') state = 'suffix';
      if (state === 'prefix') prefix.push(field);
      key[field] = value;
    }
  }

  if (spec.weights === '$**') throw unsupported('wildcard text index (weights: "$**")');
  if (spec.weights !== undefined) {
    if (!spec.weights || typeof spec.weights !== 'object' || Array.isArray(spec.weights))
      throw cannotCreate("text index option 'weights' must be an object");
    for (const [field, weight] of Object.entries(spec.weights as Document)) {
      if (typeof weight !== 'number') throw cannotCreate('weight for text index needs numeric type');
      weights[field] = Math.trunc(weight); // the server keeps weights as int (map<string, int>)
    }
  }
  const fields = Object.keys(weights).sort();
  if (fields.length === 0) throw cannotCreate("text index option 'weights' must specify fields or the wildcard");
  for (const field of fields) {
    const weight = weights[field]!;
    if (weight <= 0 || weight >= 100_000)
      throw cannotCreate(`text index weight must be in the exclusive interval (0,100000) but found: ${weight}`);
    if (field.split('.').some((part) => part === '')) throw cannotCreate('weight cannot have empty path component');
    if (field.split('.').some((part) => part.startsWith('$')))
      throw cannotCreate('weight cannot have path component with $ prefix');
  }

  const defaultLanguage = spec.default_language ?? 'english';
  if (typeof defaultLanguage !== 'string') throw cannotCreate('default_language needs a string type');
  const language = languageOf(defaultLanguage);
  if (!language) throw cannotCreate('default_language is not valid');
  implemented(language);
  const override = spec.language_override ?? 'language';
  if (typeof override !== 'string') throw cannotCreate('language_override must be a string');
  if (!override || override.startsWith('$') || override.includes('.'))
    throw cannotCreate('language_override is not valid');
  const version = spec.textIndexVersion ?? 3;
  if (typeof version !== 'number') throw cannotCreate("text index option 'textIndexVersion' must be a number");
  if (version === 2) throw unsupported('textIndexVersion 2 (only version 3 is implemented)');
  if (version !== 3) throw cannotCreate(`bad textIndexVersion: ${version}`);

  return {
    key,
    weights: Object.fromEntries(fields.map((f) => [f, weights[f]!])),
    default_language: defaultLanguage,
    language_override: override,
    textIndexVersion: 3,
    prefix,
  };
}

/**
 * The language a document is indexed in: its language-override field if present (top level), else the
 * index's default. A non-string is error 17261, an unknown language 17262 (FTSSpec::_getLanguageToUseV2), so
 * with the default override a document with e.g. `language: "python"` cannot be written at all.
 */
export function documentLanguage(spec: TextIndexSpec, doc: Document): string {
  const value = doc[spec.language_override];
  if (value === undefined) return languageOf(spec.default_language)!;
  if (typeof value !== 'string')
    throw new CommandError(17261, 'Location17261', 'found language override field in document with non-string type');
  const language = languageOf(value);
  if (!language) throw new CommandError(17262, 'Location17262', `language override unsupported: ${value}`);
  return language;
}

// ---- queries -----------------------------------------------------------------------------------------

/**
 * Parses a `$text` operand (`$search`, `$language`, `$caseSensitive`, `$diacriticSensitive`) and its search
 * string exactly as FTSQueryImpl::parse does:
 * - the string is split on whitespace (space, \n, \v, \f, \r) and on the delimiters `-` and `"`;
 * - words are OR'ed: their terms (tokenized, stop words dropped, stemmed) are looked up in the index;
 * - `"…"` is a phrase: its words also count as positive terms, and the document must contain the phrase itself
 *   (case- and diacritic-insensitive substring of one text field); several phrases must ALL be present
 *   (FTSMatcher::positivePhrasesMatch returns false at the first phrase not found);
 * - `-word` / `-"phrase"` (a `-` right after whitespace or at the start, outside a phrase) negates: documents
 *   containing the term / phrase are excluded; a `-` inside a word (`pre-market`) is a delimiter; a negation
 *   lasts until the next whitespace (`-foo-bar` negates both);
 * - an unterminated phrase contributes its words only.
 */
export function parseTextQuery(operand: unknown, spec: TextIndexSpec): TextQuery {
  if (!operand || typeof operand !== 'object' || Array.isArray(operand))
    throw new CommandError(2, 'BadValue', '$text expects an object');
  const op = operand as Document;
  for (const k of Object.keys(op))
    if (!['$search', '$language', '$caseSensitive', '$diacriticSensitive'].includes(k))
      throw new CommandError(2, 'BadValue', 'extra fields in $text');
  if (typeof op.$search !== 'string') throw new CommandError(14, 'TypeMismatch', '$search requires a string value');
  if (op.$language !== undefined && typeof op.$language !== 'string')
    throw new CommandError(14, 'TypeMismatch', '$language requires a string value');
  for (const flag of ['$caseSensitive', '$diacriticSensitive']) {
    if (op[flag] !== undefined && typeof op[flag] !== 'boolean')
      throw new CommandError(14, 'TypeMismatch', `${flag} requires a boolean value`);
    if (op[flag] === true) throw unsupported(`${flag}: true in $text`);
  }
  const requested: string = op.$language ?? spec.default_language;
  const language = languageOf(requested);
  if (!language) throw new CommandError(2, 'BadValue', `unsupported language: "${requested}" for text index version 3`);

  const raw = op.$search;
  const type = (c: string) => ('\n\v\f\r '.includes(c) ? 'space' : c === '-' || c === '"' ? 'delimiter' : 'text');
  let pos = 0;
  const skipSpace = () => {
    const start = pos;
    while (pos < raw.length && type(raw[pos]!) === 'space') pos++;
    return pos > start;
  };
  skipSpace();
  let previousWhiteSpace = true;
  let positive = '';
  let negative = '';
  const phrases: string[] = [];
  const negatedPhrases: string[] = [];
  let inNegation = false;
  let inPhrase = false;
  let quoteOffset = 0;
  while (pos < raw.length) {
    const start = pos++;
    const t = type(raw[start]!);
    if (t === 'text') while (pos < raw.length && type(raw[pos]!) === 'text') pos++;
    const data = raw.slice(start, pos);
    const afterSpace = previousWhiteSpace;
    previousWhiteSpace = skipSpace();
    if (t === 'text') {
      if (inPhrase && inNegation) continue;
      if (inNegation && afterSpace) inNegation = false;
      if (inNegation) negative += `${data} `;
      else positive += `${data} `;
    } else if (data === '-') {
      if (!inPhrase && afterSpace) inNegation = true;
    } else if (inPhrase) {
      (inNegation ? negatedPhrases : phrases).push(raw.slice(quoteOffset + 1, start));
      inPhrase = false;
    } else {
      inPhrase = true;
      if (inNegation && afterSpace) inNegation = false;
      quoteOffset = start;
    }
  }
  return {
    language,
    terms: new Set(tokenize(positive, language)),
    negatedTerms: new Set(tokenize(negative, language)),
    phrases,
    negatedPhrases,
  };
}

/** The strings of a text field: a string, or the strings of an array, following dotted paths through arrays. */
function strings(value: unknown, path: string[]): string[] {
  if (path.length === 0) {
    if (typeof value === 'string') return [value];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, path));
  if (value && typeof value === 'object') return strings((value as Document)[path[0]!], path.slice(1));
  return [];
}

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * A document's score for a `$text` query, or null when it does not match.
 *
 * Scoring is FTSSpec::_scoreStringV2, per string of each text field (each array element on its own): for each
 * distinct term of the string (count = its occurrences, numTokens = the terms in the string, stop words
 * excluded), `weight * freq * coeff * adjustment` where freq = 1 + 1/2 + 1/4 + … (one summand per occurrence),
 * coeff = 0.5 * count / numTokens + 0.5, and adjustment = 1.1 when the whole field value equals the term
 * (ASCII case-insensitively), else 1. These are summed per term over the fields (the index keys); the
 * document's score is the sum over the query's positive terms (TEXT_OR adds up the index keys it scans). So it
 * depends only on the document and the query. Matching is TEXT_OR + TEXT_MATCH: at least one positive term in
 * the index, no negated term, every phrase present, no negated phrase present.
 */
export function textScore(query: TextQuery, spec: TextIndexSpec, doc: Document): number | null {
  const language = documentLanguage(spec, doc);
  const termScores = new Map<string, number>();
  const values: string[] = [];
  for (const [field, weight] of Object.entries(spec.weights)) {
    for (const raw of strings(doc, field.split('.'))) {
      values.push(raw);
      const terms = tokenize(raw, language);
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, count] of counts) {
        let freq = 0;
        for (let exp = 1, i = 0; i < count; i++, exp *= 2) freq += 1 / exp;
        const coeff = (0.5 * count) / terms.length + 0.5;
        const exact = utf8Length(raw) === utf8Length(term) && raw.replace(/[A-Z]/g, (c) => c.toLowerCase()) === term;
        termScores.set(term, (termScores.get(term) ?? 0) + weight * freq * coeff * (exact ? 1.1 : 1));
      }
    }
  }
  let score = 0;
  let found = false;
  for (const term of query.terms) {
    const s = termScores.get(term);
    if (s === undefined) continue;
    score += s;
    found = true;
  }
  if (!found) return null;
  for (const term of query.negatedTerms) if (termScores.has(term)) return null;
  const contains = (phrase: string) => values.some((v) => fold(v).includes(fold(phrase)));
  if (!query.phrases.every(contains)) return null;
  if (query.negatedPhrases.some(contains)) return null;
  return score;
}

/**
 * The equality predicates at the top level of a filter (and of top-level `$and`s): `field: value` (not a
 * regex, not an operator object) or `field: { $eq: value }`. A `$text` query on a compound text index needs
 * one for each prefix field (the planner builds the index bounds from them).
 */
export function equalityFields(filter: Document, out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) for (const part of v) equalityFields(part, out);
    else if (k.startsWith('$')) continue;
    else if (v instanceof RegExp || v?._bsontype === 'BSONRegExp') continue;
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((o) => o.startsWith('$'))) {
      if ('$eq' in v) out.add(k);
    } else out.add(k);
  }
  return out;
}
