/**
 * Every limit and text rule of the API, written once: the wire schemas (http/schemas.ts, the auth, search and
 * idempotency schemas), the services and the ChatGPT importer (transfer/chatgpt) all take them from here, so a
 * name, a language or a URL is held to the same rule whichever way it enters. Text lengths are counted in
 * UTF-16 code units (String.length), as docs/api.md says.
 *
 * The zod schemas below carry no documentation: http/schemas.ts adds examples where it names them.
 */
import { z } from 'zod';

// ---- lengths and counts ------------------------------------------------------------------------------------

/** A chat's name (a conversation's title is its root chat's name). */
export const NAME_MAX = 200;
export const QUESTION_MAX = 32_000;
export const RESPONSE_MAX = 100_000;
export const SYSTEM_PROMPT_MAX = 32_000;
/** A recorded model name (the column is varchar(200)). */
export const MODEL_MAX = 200;
/** A token count or a latency (an int column). */
export const COUNT_MAX = 2_147_483_647;
/** A code pair's language: 1 to 32 letters, digits and `_ + # . -`, starting with a letter or digit. */
export const LANGUAGE_MAX = 32;
export const LANGUAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_+#.-]*$/;
/** A link pair's URL. */
export const URL_MAX = 2048;
/** An account's email (RFC 5321's path limit) and password. */
export const EMAIL_MAX = 254;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** An Idempotency-Key header. */
export const IDEMPOTENCY_KEY_MAX = 255;
/** The words of a search (`q`). */
export const SEARCH_QUERY_MAX = 200;
/** The comment of a pair's feedback (set-feedback). */
export const FEEDBACK_COMMENT_MAX = 2_000;

/**
 * The deepest a branch may nest (a branch of a branch of …): a chat has at most this many ancestors (the
 * root has none, a branch of the root one). One rule for every way a tree grows (create-branch, import-chat):
 * beyond it → 422, so whatever the service lets you build exports and imports back. Every chat stores its
 * whole ancestor chain, so a deep chain costs its depth in every chat below it; real conversations nest a
 * few levels (an edit of an edit …).
 */
export const MAX_BRANCH_DEPTH = 256;

/**
 * Timestamps the API can write as ISO 8601 with four-digit years: years 1 to 9999. What the service stores
 * lies in a narrower window (domain/time.ts).
 */
export const MIN_TIME_MS = -62_135_596_800_000;
export const MAX_TIME_MS = 253_402_300_799_999;

// ---- text rules --------------------------------------------------------------------------------------------

/**
 * Text that can be stored and returned verbatim: no U+0000 (PostgreSQL text cannot hold it) and no lone
 * UTF-16 surrogate (it cannot be encoded as UTF-8, so it would come back altered).
 */
export const storableText = (s: string) => !s.includes('\u0000') && !/\p{Cs}/u.test(s);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` cut to at most `max` UTF-16 code units, at a grapheme boundary: never inside a surrogate pair, nor
 * between an emoji and its modifiers or a letter and its combining marks. Every cut of a name, title or
 * snippet goes through here, so a cut never makes storable text unstorable. When the first grapheme alone is
 * longer than `max` (a letter with hundreds of combining marks), the cut falls on a code point boundary
 * instead of leaving nothing.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  // A boundary at `max` depends on what precedes it and on the one code point after it: no need to segment more.
  const at = graphemes.segment(text.slice(0, max + 2)).containing(max)?.index ?? max;
  if (at > 0) return text.slice(0, at);
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}

// ---- the same rules as zod schemas -------------------------------------------------------------------------

/**
 * The `.refine` arguments that hold a string to `max` UTF-16 code units: zod's .max() counts code points,
 * which lets up to twice as many units through.
 */
export const maxUnits = (max: number) =>
  [
    (s: string) => s.length <= max,
    { message: `Too big: expected at most ${max} characters (UTF-16 code units)` },
  ] as const;

/** Text that cannot be stored verbatim (see storableText) → 422, not 500. */
export const STORABLE = { message: 'must not contain U+0000 or unpaired surrogates' };

/**
 * Storable text of at most `max` units (and at least `min` when given). The length is checked in units only
 * (zod's .max() would count code points, and add a second complaint for the same text); `maxLength` documents it.
 */
function text(max: number, min?: number) {
  const s = min === undefined ? z.string() : z.string().min(min);
  return s
    .refine(...maxUnits(max))
    .refine(storableText, STORABLE)
    .meta({ maxLength: max });
}

export const NameText = text(NAME_MAX, 1);
export const QuestionText = text(QUESTION_MAX, 1);
export const ResponseText = text(RESPONSE_MAX);
export const SystemPromptText = text(SYSTEM_PROMPT_MAX, 1);
export const ModelText = text(MODEL_MAX);
/** A feedback comment: storable, at most FEEDBACK_COMMENT_MAX units ("" is no comment). */
export const FeedbackCommentText = text(FEEDBACK_COMMENT_MAX);
export const LanguageText = z
  .string()
  .min(1)
  .max(LANGUAGE_MAX)
  .regex(LANGUAGE_PATTERN, 'letters, digits and _ + # . - only');
/** Absolute http or https only, with a host name (never fetched by the server). */
export const HttpUrlText = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname, error: 'must be an absolute http(s) URL' })
  .refine(...maxUnits(URL_MAX))
  .refine(storableText, STORABLE)
  .meta({ maxLength: URL_MAX });
/** A token count or latency. */
export const CountInt = z.number().int().min(0).max(COUNT_MAX);
