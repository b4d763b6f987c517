/** Import: one message of the mapping, read with the schema's parts and checked against the text limits. */
import { LANGUAGE_MAX, QUESTION_MAX, RESPONSE_MAX, URL_MAX } from '../../limits.js';
import type { Generation, PairType, Rating } from '../../model.js';
import {
  absent,
  checkText,
  msOf,
  objectFor,
  readFields,
  readValue,
  type Scope,
  type Times,
  within,
} from './problems.js';
import {
  BranchatFeedbackSchema,
  BranchatQuestionMetaSchema,
  BranchatResponseMetaSchema,
  type ChatGptContent,
  ChatGptContentSchema,
  ChatGptMessageMetadataSchema,
  ChatGptMessageSchema,
} from './schema.js';

/** What a user message's `metadata.branchat` says about its pair. */
export interface QuestionExt {
  chatId: string | null;
  type: PairType;
  language: string | null;
  url: string | null;
}

/** An answer's feedback as `metadata.branchat.feedback` gives it; `updatedAt` null: the pair's time. */
export interface FeedbackExt {
  rating: Rating;
  comment: string | null;
  updatedAt: Date | null;
}

/** A message as the import sees it. */
export interface Message {
  /**
   * `question` and `answer` are kept; `system` may give the system prompt; `skip` is transparent (tool
   * output, reasoning, hidden messages, …): its children attach to the nearest kept ancestor.
   */
  kind: 'question' | 'answer' | 'system' | 'skip';
  /** The question, the answer's text, or the system message's text ('' when it has none). */
  text: string;
  /** Milliseconds since 1970, inside the window. */
  createTime: number | null;
  questionExt: QuestionExt | null;
  /** The answer's generation, when it names a model. */
  generation: Generation | null;
  /** The answer's feedback, when its metadata carries some. */
  feedback: FeedbackExt | null;
}

/**
 * The text of a content object, or null when it has none that a reader would see as text. Text and
 * multimodal parts that are not strings (images, files, audio) become "[<content_type> omitted]"; empty
 * string parts of a multimodal message are left out.
 */
function textOf(content: ChatGptContent): string | null {
  const type = content.content_type;
  if (type === 'text' || type === 'multimodal_text') {
    return (content.parts ?? [])
      .filter((p) => !(type === 'multimodal_text' && p === ''))
      .map((p) => {
        if (typeof p === 'string') return p;
        const kind = typeof p === 'object' && p !== null && 'content_type' in p ? p.content_type : null;
        return `[${typeof kind === 'string' ? kind : 'attachment'} omitted]`;
      })
      .join('\n');
  }
  if (type === 'code') return content.text as string;
  return null;
}

/** A question's pair kind: `type`, and `language` (code only) or `url` (link only), each where it belongs. */
function readQuestionExt(value: unknown, path: string, sc: Scope): QuestionExt | null {
  if (absent(value)) return null;
  const raw = objectFor(BranchatQuestionMetaSchema, value, path, sc);
  if (raw === null) return null;
  const f = readFields(BranchatQuestionMetaSchema, raw, ['chat_id', 'type'], path, sc);
  const type = f.type ?? 'text';
  let language: string | null = null;
  if (type === 'code') {
    language = readFields(BranchatQuestionMetaSchema, raw, ['language'], path, sc).language ?? null;
    if (absent(raw.language))
      sc.issue(`${path}.language`, `a code pair needs a language: 1 to ${LANGUAGE_MAX} letters, digits, _ + # . -`);
  } else if (!absent(raw.language)) sc.issue(`${path}.language`, 'only a code pair has a language');
  let url: string | null = null;
  if (type === 'link') {
    url = readFields(BranchatQuestionMetaSchema, raw, ['url'], path, sc).url ?? null;
    if (absent(raw.url))
      sc.issue(`${path}.url`, `a link pair needs an absolute http(s) URL of at most ${URL_MAX} characters`);
  } else if (!absent(raw.url)) sc.issue(`${path}.url`, 'only a link pair has a url');
  return { chatId: f.chat_id ?? null, type, language, url };
}

/** `metadata.branchat.feedback` of an answer, each field checked on its own; null when absent or wrong (reported). */
function readFeedback(value: unknown, path: string, sc: Scope, times: Times): FeedbackExt | null {
  if (absent(value)) return null;
  const raw = objectFor(BranchatFeedbackSchema, value, path, sc);
  if (raw === null) return null;
  const f = readFields(BranchatFeedbackSchema, raw, ['rating', 'comment', 'updated_at'], path, sc);
  if (f.rating === undefined) return null;
  const updatedAt = f.updated_at === undefined ? null : new Date(within(new Date(f.updated_at).getTime(), times));
  return { rating: f.rating, comment: f.comment || null, updatedAt };
}

/**
 * An answer's generation (its model, `model_slug`, and the counts of `metadata.branchat`) and its feedback
 * (`metadata.branchat.feedback`).
 */
function readAnswerMeta(
  meta: Record<string, unknown>,
  path: string,
  sc: Scope,
  times: Times,
): Pick<Message, 'generation' | 'feedback'> {
  const model = readFields(ChatGptMessageMetadataSchema, meta, ['model_slug'], path, sc).model_slug ?? null;
  let counts: Omit<Generation, 'model'> = { promptTokens: null, completionTokens: null, latencyMs: null };
  let feedback: FeedbackExt | null = null;
  const ext = absent(meta.branchat)
    ? null
    : objectFor(BranchatResponseMetaSchema, meta.branchat, `${path}.branchat`, sc);
  if (ext !== null) {
    const keys = ['chat_id', 'prompt_tokens', 'completion_tokens', 'latency_ms'] as const;
    const f = readFields(BranchatResponseMetaSchema, ext, keys, `${path}.branchat`, sc);
    counts = {
      promptTokens: f.prompt_tokens ?? null,
      completionTokens: f.completion_tokens ?? null,
      latencyMs: f.latency_ms ?? null,
    };
    feedback = readFeedback(ext.feedback, `${path}.branchat.feedback`, sc, times);
  }
  return { generation: model ? { model, ...counts } : null, feedback };
}

/**
 * A message, checked. Questions and answers are checked against the limits here (they do not depend on the
 * tree); a merged answer is checked again once merged. Null when the message cannot be used (reported).
 */
export function readMessage(value: unknown, path: string, sc: Scope, times: Times): Message | null {
  const raw = objectFor(ChatGptMessageSchema, value, path, sc);
  if (raw === null) return null;
  const f = readFields(ChatGptMessageSchema, raw, ['id', 'author', 'create_time'], path, sc);
  const content = readValue(ChatGptContentSchema, raw.content, `${path}.content`, sc);
  const role = f.author?.role;
  // The metadata's fields are read by role below (a question's kind, an answer's generation).
  const metaPath = `${path}.metadata`;
  const meta = absent(raw.metadata) ? {} : (objectFor(ChatGptMessageMetadataSchema, raw.metadata, metaPath, sc) ?? {});
  const hidden = readFields(ChatGptMessageMetadataSchema, meta, ['is_visually_hidden_from_conversation'], metaPath, sc);
  if (role === undefined || content === undefined) return null;

  const text = textOf(content);
  const base = { createTime: msOf(f.create_time, times), questionExt: null, generation: null, feedback: null };
  if (role === 'system') return { ...base, kind: 'system', text: text ?? '' };
  if (hidden.is_visually_hidden_from_conversation === true) return { ...base, kind: 'skip', text: '' };
  if (role === 'user') {
    let question = text ?? `[${content.content_type} omitted]`;
    if (question === '') question = '[empty message]';
    checkText(question, QUESTION_MAX, `${path}.content`, 'the question', sc);
    const questionExt = readQuestionExt(meta.branchat, `${metaPath}.branchat`, sc);
    return { ...base, kind: 'question', text: question, questionExt };
  }
  if (role === 'assistant' && text !== null) {
    checkText(text, RESPONSE_MAX, `${path}.content`, 'the answer', sc);
    return { ...base, kind: 'answer', text, ...readAnswerMeta(meta, metaPath, sc, times) };
  }
  return { ...base, kind: 'skip', text: '' };
}
