/** Shared schemas of the wire format (snake_case JSON), and the mapping from domain records to it. */
import { z } from '@hono/zod-openapi';
import type { PairView } from '../domain/chats/chats.service.js';
import {
  HttpUrlText,
  IDEMPOTENCY_KEY_MAX,
  LanguageText,
  NameText,
  QuestionText,
  ResponseText,
  SystemPromptText,
} from '../domain/limits.js';
import { type ChatRecord, type Feedback, messageCount, PAIR_TYPES, RATINGS } from '../domain/model.js';
import { type ArchivedScope, MARK_END, MARK_START } from '../domain/ports.js';

export const Uuid = z
  .uuid()
  .transform((v) => v.toLowerCase())
  .openapi({ format: 'uuid', example: '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e' });

const Timestamp = z.iso.datetime().openapi({ example: '2026-11-25T17:03:04.123Z' });

// The limits and text rules are domain/limits.ts's (one module for the schemas, the services and the importer);
// the text schemas below are its, with examples. docs/api.md counts text limits in UTF-16 code units.

/**
 * A numeric query or header parameter: a plain decimal integer (`-?[0-9]+`) in min..max, else 422. Number()
 * (z.coerce) would also take `0x10`, `1e3`, `0b11`, ` 5`, `5.0` and ``; none of them is a page size. Every
 * numeric parameter uses this one schema.
 */
export function DecimalInt(min: number, max: number, def: number, description: string) {
  return z
    .string()
    .regex(/^-?[0-9]{1,15}$/, 'must be a decimal integer (digits only)')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(def)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: def, description: `${description} Digits only.` });
}

export const ChatName = NameText.openapi({ example: 'Trip ideas' });

/**
 * Which conversations a listing or search covers: `false` (not archived ones), `true` (all) or `only` (archived
 * ones only); each route documents its default.
 */
export function ArchivedQuery(def: 'false' | 'true', description: string) {
  return z
    .enum(['false', 'true', 'only'])
    .default(def)
    .transform((v) => (v === 'false' ? 'exclude' : v === 'true' ? 'include' : 'only') as ArchivedScope)
    .openapi({ description, default: def, example: def === 'false' ? 'true' : 'false' });
}
export const Question = QuestionText.openapi({ example: 'Where should we go in March?' });
export const Response = ResponseText.openapi({
  description: 'Absent: the responder answers. Empty string: stored as an empty answer.',
});

export const ChatSchema = z
  .object({
    chat_id: z.uuid(),
    account_id: z.uuid(),
    chat_type: z.enum(['main', 'branch']),
    name: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    active: z.boolean().openapi({ description: 'Exactly one chat of each tree is active.' }),
    root_chat_id: z.uuid(),
    parent_chat_id: z.uuid().nullable(),
    fork_response_id: z.uuid().nullable(),
    message_count: z.number().int().openapi({ description: 'Length of the whole visible history (inherited + own).' }),
    system_prompt: z
      .string()
      .nullable()
      .openapi({
        description:
          'The conversation’s system prompt (the same for every chat of the tree), sent to the model before the ' +
          'history; null when there is none. Set with create-chat or update-chat.',
      }),
    forked_from: z
      .object({
        chat_id: z.uuid(),
        response_id: z.uuid().nullable().openapi({
          description: 'The last pair copied (null when the copied history was empty).',
        }),
      })
      .nullable()
      .openapi({
        description:
          'On the root of a conversation made by fork-chat: the chat (and the pair of its history) it was copied ' +
          'from; null once that chat is deleted, and null on every other chat.',
      }),
    archived: z.boolean().openapi({
      description:
        'The conversation is archived (the same on every chat of the tree): list-chats hides it unless asked ' +
        '(`archived=true` or `only`). Set with update-chat from any chat of the tree.',
    }),
    pinned: z.boolean().openapi({
      description:
        'The conversation is pinned (the same on every chat of the tree): list-chats lists pinned conversations ' +
        'first. Set with update-chat from any chat of the tree.',
    }),
  })
  .openapi('Chat');

/** A conversation's system prompt: 1..32000 characters; null (on update) removes it. */
export const SystemPrompt = SystemPromptText.openapi({
  example: 'You are a concise travel agent. Answer in at most three sentences.',
});

/** A code pair's language: a short identifier such as `typescript`, `c++`, `c#`, `objective-c`. */
export const Language = LanguageText.openapi({ example: 'typescript' });

/** A link pair's URL: absolute http or https only (never fetched by the server). */
export const HttpUrl = HttpUrlText.openapi({ example: 'https://example.org/guide' });

/**
 * The body of a route that creates a pair, as a discriminated union on `type`: `text` (the default when
 * `type` is absent, so clients that send only text are unchanged), `code` (with `language`) or `link` (with
 * `url`). Every member is strict, so `language` on a text pair or `url` on a code pair is an unknown field.
 */
export function withPairKind<const T extends z.ZodRawShape>(base: T) {
  return z.discriminatedUnion('type', [
    z.strictObject({
      ...base,
      type: z.literal('text').optional().openapi({ description: 'What the pair holds; absent → `text`.' }),
    }),
    z.strictObject({ ...base, type: z.literal('code'), language: Language }),
    z.strictObject({ ...base, type: z.literal('link'), url: HttpUrl }),
  ]);
}

export function kindOf(b: { type?: 'text' } | { type: 'code'; language: string } | { type: 'link'; url: string }) {
  if (b.type === 'code') return { type: 'code' as const, language: b.language };
  if (b.type === 'link') return { type: 'link' as const, url: b.url };
  return { type: 'text' as const };
}

export const PairType = z.enum(PAIR_TYPES);

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A store's snippet as sent: HTML-escaped, each match between <mark> and </mark>. */
export function markedSnippet(raw: string): string {
  return raw
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] as string)
    .replaceAll(MARK_START, '<mark>')
    .replaceAll(MARK_END, '</mark>');
}

export const FeedbackSchema = z
  .object({
    rating: z.enum(RATINGS).openapi({ description: 'Thumbs up or down.' }),
    comment: z.string().nullable().openapi({ description: 'null: no comment.', example: 'Clear and short.' }),
    updated_at: Timestamp.openapi({ description: 'When the feedback was last set.' }),
  })
  .openapi('Feedback', {
    description:
      'The account’s feedback on the answer (set-feedback). It belongs to the pair: every chat whose history shows ' +
      'the pair (inherited or own) shows the same feedback.',
  });

export function feedbackJson(f: Feedback | null): z.infer<typeof FeedbackSchema> | null {
  return f ? { rating: f.rating, comment: f.comment, updated_at: f.updatedAt.toISOString() } : null;
}

const QAPairFields = {
  response_id: z.uuid(),
  chat_id: z.uuid().openapi({ description: 'The chat that stores the pair (an ancestor for an inherited pair).' }),
  question: z.string(),
  response: z.string(),
  timestamp: Timestamp,
  branches: z.array(z.uuid()).openapi({ description: 'Live branches forking right after this pair, oldest first.' }),
  feedback: z.union([FeedbackSchema, z.null()]).openapi({
    description:
      'The account’s thumbs up or down on the answer, with its comment (set-feedback); null when there is none, ' +
      'and on a pair just created (add-message, create-branch, regenerate and their events).',
  }),
  generation: z
    .object({
      model: z.string().openapi({ example: 'gpt-4o-mini-2024-07-18' }),
      prompt_tokens: z.number().int().nullable().openapi({ description: 'Tokens of the context sent.' }),
      completion_tokens: z.number().int().nullable().openapi({ description: 'Tokens of the answer.' }),
      latency_ms: z
        .number()
        .int()
        .nullable()
        .openapi({ description: 'From asking the model to its last chunk, in milliseconds.' }),
    })
    .nullable()
    .openapi('Generation', {
      description:
        'How the response was generated: the model, token counts (as the model reported them, else counted ' +
        'with the o200k_base tokenizer) and the responder’s latency. null when the client gave the response. ' +
        'Counts and latency are null where an imported conversation did not say.',
    }),
};

export const QAPairSchema = z
  .discriminatedUnion('type', [
    z.object({ ...QAPairFields, type: z.literal('text') }),
    z.object({ ...QAPairFields, type: z.literal('code'), language: z.string() }),
    z.object({ ...QAPairFields, type: z.literal('link'), url: z.string() }),
  ])
  .openapi('QAPair', {
    description: 'One question and its response. `type` is `text`, `code` (with `language`) or `link` (with `url`).',
  });

export type ChatJson = z.infer<typeof ChatSchema>;
export type QAPairJson = z.infer<typeof QAPairSchema>;

export function chatJson(c: ChatRecord): ChatJson {
  return {
    chat_id: c.chatId,
    account_id: c.accountId,
    chat_type: c.chatType,
    name: c.name,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    active: c.active,
    root_chat_id: c.rootChatId,
    parent_chat_id: c.parentChatId,
    fork_response_id: c.forkResponseId,
    message_count: messageCount(c),
    system_prompt: c.systemPrompt,
    forked_from: c.forkedFrom ? { chat_id: c.forkedFrom.chatId, response_id: c.forkedFrom.responseId } : null,
    archived: c.archived,
    pinned: c.pinned,
  };
}

export function pairJson(p: PairView): QAPairJson {
  const base = {
    response_id: p.responseId,
    chat_id: p.chatId,
    question: p.question,
    response: p.response,
    timestamp: p.timestamp.toISOString(),
    generation: p.generation
      ? {
          model: p.generation.model,
          prompt_tokens: p.generation.promptTokens,
          completion_tokens: p.generation.completionTokens,
          latency_ms: p.generation.latencyMs,
        }
      : null,
  };
  const feedback = feedbackJson(p.feedback);
  if (p.type === 'code') return { ...base, type: 'code', language: p.language ?? '', branches: p.branches, feedback };
  if (p.type === 'link') return { ...base, type: 'link', url: p.url ?? '', branches: p.branches, feedback };
  return { ...base, type: 'text', branches: p.branches, feedback };
}

export const bearerSecurity = [{ Bearer: [] as string[] }];

/** Request headers of every POST under /api/v1/ but auth (enforced by http/middleware/idempotency.ts). */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX)
    .optional()
    .openapi({
      description:
        'Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer ' +
        '(with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs (however long) → 409.',
    }),
});

/**
 * The `text/event-stream` answer of add-message and create-branch (README, "Streaming"), as documented in
 * openapi.json: a 200 whose body is a sequence of events.
 */
export function eventStreamResponse(done: string) {
  return {
    description:
      'With `Accept: text/event-stream`: server-sent events. `event: delta` with `data: {"text": "…"}` as the ' +
      `answer arrives (their concatenation is the stored response), then exactly one \`event: done\` whose data is ${done}, ` +
      'or one `event: error` whose data is a Problem (502/504/503/500) and then nothing was stored. Lines starting ' +
      'with `:` are keep-alive comments. A client that disconnects before `done` cancels the generation; nothing is stored.',
    content: {
      'text/event-stream': {
        schema: z.string().openapi({
          example:
            'event: delta\ndata: {"text":"Lisbon "}\n\nevent: delta\ndata: {"text":"is mild."}\n\n' +
            'event: done\ndata: {"response_id":"…","response":"Lisbon is mild.",…}\n\n',
        }),
      },
    },
  };
}

/** The Accept header of the routes that can stream their answer. */
export const StreamingHeaders = IdempotencyHeaders.extend({
  accept: z.string().optional().openapi({
    description: '`text/event-stream`: stream the answer as server-sent events (200) instead of JSON (201).',
  }),
});
