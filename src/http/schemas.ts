/** Shared schemas of the wire format (snake_case JSON), and the mapping from domain records to it. */
import { z } from '@hono/zod-openapi';
import type { PairView } from '../domain/chats/chats.service.js';
import { type ChatRecord, messageCount, PAIR_TYPES } from '../domain/model.js';
import { MARK_END, MARK_START } from '../domain/ports.js';

export const Uuid = z
  .uuid()
  .transform((v) => v.toLowerCase())
  .openapi({ format: 'uuid', example: '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e' });

const Timestamp = z.iso.datetime().openapi({ example: '2026-11-25T17:03:04.123Z' });

export const NAME_MAX = 200;
export const QUESTION_MAX = 32_000;
export const RESPONSE_MAX = 100_000;

/**
 * Text that can be stored and returned verbatim: no U+0000 (PostgreSQL text cannot hold it) and no lone
 * UTF-16 surrogate (it cannot be encoded as UTF-8, so it would come back altered). Otherwise → 422, not 500.
 */
export const storableText = (s: string) => !s.includes('\u0000') && !/\p{Cs}/u.test(s);
const STORABLE = { message: 'must not contain U+0000 or unpaired surrogates' };

/**
 * API.md counts text limits in UTF-16 code units (String.length); zod's .max() counts code points, which
 * lets up to twice as many units through. This check enforces the unit count (.max() stays for the docs).
 */
export const maxUnits = (max: number) =>
  [
    (s: string) => s.length <= max,
    { message: `Too big: expected at most ${max} characters (UTF-16 code units)` },
  ] as const;

export const ChatName = z
  .string()
  .min(1)
  .max(NAME_MAX)
  .refine(...maxUnits(NAME_MAX))
  .refine(storableText, STORABLE)
  .openapi({ example: 'Trip ideas' });
export const Question = z
  .string()
  .min(1)
  .max(QUESTION_MAX)
  .refine(...maxUnits(QUESTION_MAX))
  .refine(storableText, STORABLE)
  .openapi({ example: 'Where should we go in March?' });
export const Response = z
  .string()
  .max(RESPONSE_MAX)
  .refine(...maxUnits(RESPONSE_MAX))
  .refine(storableText, STORABLE)
  .openapi({ description: 'Absent: the responder answers. Empty string: stored as an empty answer.' });

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
  })
  .openapi('Chat');

/** A code pair's language: a short identifier such as `typescript`, `c++`, `c#`, `objective-c`. */
export const Language = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_+#.-]*$/, 'letters, digits and _ + # . - only')
  .openapi({ example: 'typescript' });

/** A link pair's URL: absolute http or https only (never fetched by the server). */
export const HttpUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
  .max(2048)
  .refine(...maxUnits(2048))
  .refine(storableText, STORABLE)
  .openapi({ example: 'https://example.org/guide' });

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

const QAPairFields = {
  response_id: z.uuid(),
  chat_id: z.uuid().openapi({ description: 'The chat that stores the pair (an ancestor for an inherited pair).' }),
  question: z.string(),
  response: z.string(),
  timestamp: Timestamp,
  branches: z.array(z.uuid()).openapi({ description: 'Live branches forking right after this pair, oldest first.' }),
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
  };
}

export function pairJson(p: PairView): QAPairJson {
  const base = {
    response_id: p.responseId,
    chat_id: p.chatId,
    question: p.question,
    response: p.response,
    timestamp: p.timestamp.toISOString(),
  };
  if (p.type === 'code') return { ...base, type: 'code', language: p.language ?? '', branches: p.branches };
  if (p.type === 'link') return { ...base, type: 'link', url: p.url ?? '', branches: p.branches };
  return { ...base, type: 'text', branches: p.branches };
}

export const bearerSecurity = [{ Bearer: [] as string[] }];

/** Request headers of every POST under /api/v1/ but auth (enforced by http/middleware/idempotency.ts). */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      description:
        'Makes the POST safe to retry (kept 24 h, per account): the same key and body replay the first answer ' +
        '(with `Idempotent-Replayed: true`) and store nothing new; another body → 422; while the first call runs → 409.',
    }),
});
