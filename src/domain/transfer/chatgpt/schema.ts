/**
 * The ChatGPT conversation shape, written once: this zod schema checks the fields of an import (the importer
 * applies it part by part, with readFields of problems.ts, so that one bad field never hides another's
 * problems), gives the TypeScript types (z.infer) of both directions, and documents the shape in openapi.json
 * (export-chat's answer and import-chat's body, as `ChatGptConversation`).
 *
 * It says what a field may hold. What depends on other fields or on the tree (a node's key equals its id,
 * parents and children agree, one root, no cycle, an answer's length once merged, a code pair has a language,
 * the extension agrees with the messages) is checked by the importer, which reports both kinds alike. Every
 * object is loose: real exports carry many more keys (status, weight, recipient, …), which are ignored.
 */
import { z } from 'zod';
import {
  CountInt,
  FeedbackCommentText,
  HttpUrlText,
  LanguageText,
  MAX_TIME_MS,
  MIN_TIME_MS,
  ModelText,
  NameText,
  storableText,
} from '../../limits.js';
import { PAIR_TYPES, RATINGS } from '../../model.js';

/** The id ChatGPT gives the message-less root node of every conversation. */
export const ROOT_NODE_ID = 'client-created-root';

const SECONDS = 'must be a time in seconds since 1970 (years 1 to 9999) or null';
/** Seconds since 1970 with milliseconds as decimals; years 1 to 9999 (what ISO 8601 with four-digit years says). */
const Seconds = z
  .number({ error: SECONDS })
  .min(MIN_TIME_MS / 1000, SECONDS)
  .max(MAX_TIME_MS / 1000, SECONDS)
  .nullish()
  .meta({ description: 'Seconds since the epoch (milliseconds as decimals); null: unknown.' });

const ISO = 'must be an ISO 8601 timestamp (years 1 to 9999)';
const ISO_TIME = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const isIsoTime = (s: string) => {
  const ms = ISO_TIME.test(s) ? new Date(s).getTime() : Number.NaN;
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
};
const IsoTime = z
  .string({ error: ISO })
  .refine(isIsoTime, ISO)
  .meta({ description: 'ISO 8601, years 1 to 9999.', example: '2026-11-25T17:03:04.123Z' });

const ChatId = z
  .string({ error: 'must be a non-empty string' })
  .min(1, 'must be a non-empty string')
  .nullish()
  .meta({ description: 'The branchat chat storing the pair.' });

// ---- the `branchat` extension keys: what the ChatGPT shape cannot say ----------------------------------------

/** `metadata.branchat` of a user message: the chat storing the pair, and the pair's kind. */
export const BranchatQuestionMetaSchema = z.looseObject(
  {
    chat_id: ChatId,
    type: z
      .enum(PAIR_TYPES, { error: `must be one of ${PAIR_TYPES.join(', ')}` })
      .optional()
      .meta({ description: 'What the pair holds; absent: text.' }),
    language: LanguageText.nullish().meta({ description: 'A code pair’s language (code pairs only).' }),
    url: HttpUrlText.nullish().meta({ description: 'A link pair’s URL (link pairs only).' }),
  },
  { error: 'must be an object' },
);

/**
 * The account's feedback on an answer (set-feedback), in the answer's `metadata.branchat`: a ChatGPT conversation
 * has no place for it (ChatGPT's own exports keep ratings in a separate file).
 */
export const BranchatFeedbackSchema = z.looseObject(
  {
    rating: z.enum(RATINGS, { error: `must be one of ${RATINGS.join(', ')}` }),
    comment: FeedbackCommentText.nullish().meta({ description: 'null, absent or "": no comment.' }),
    updated_at: IsoTime.optional().meta({ description: 'When it was last set; absent: the answer’s time.' }),
  },
  { error: 'must be an object' },
);

/** `metadata.branchat` of an assistant message; the counts are absent when the pair has no generation. */
export const BranchatResponseMetaSchema = z.looseObject(
  {
    chat_id: ChatId,
    prompt_tokens: CountInt.nullish(),
    completion_tokens: CountInt.nullish(),
    latency_ms: CountInt.nullish(),
    feedback: BranchatFeedbackSchema.nullish().meta({ description: 'Thumbs up or down, with an optional comment.' }),
  },
  { error: 'must be an object' },
);

/** One chat of the tree, as the top-level extension lists it (this is where names and empty chats live). */
export const BranchatChatMetaSchema = z.looseObject(
  {
    chat_id: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
    name: NameText,
    parent_chat_id: z
      .string({ error: 'must be a chat id or null' })
      .min(1, 'must be a chat id or null')
      .nullable()
      .meta({ description: 'null for the root chat only.' }),
    fork_response_id: z
      .string({ error: 'must be a node id or null' })
      .min(1, 'must be a node id or null')
      .nullable()
      .meta({
        description:
          'The assistant node of the parent’s pair after which this branch forks; null for the root, and for a start ' +
          'fork (a branch of the root that forks before its first pair).',
      }),
    created_at: IsoTime,
    updated_at: IsoTime,
  },
  { error: 'must be an object' },
);

export const BranchatConversationMetaSchema = z.looseObject(
  {
    version: z.literal(1, { error: 'must be 1' }),
    active_chat_id: z.string({ error: 'must be a chat id' }),
    chats: z
      .array(BranchatChatMetaSchema, { error: 'must be a non-empty array' })
      .min(1, 'must be a non-empty array')
      .meta({ description: 'Root first, every chat after its parent.' }),
  },
  { error: 'must be an object' },
);

// ---- messages and nodes ------------------------------------------------------------------------------------

const ROLE = 'must be a string such as "user" or "assistant"';

/**
 * A message's content. `text` and `multimodal_text` hold `parts` (strings; images, files and audio are objects,
 * imported as "[<content_type> omitted]"), `code` holds `text`; other kinds (tool output, browsing, reasoning)
 * are not imported.
 */
export const ChatGptContentSchema = z
  .looseObject(
    {
      content_type: z.string({ error: 'must be a string' }).meta({ example: 'text' }),
      parts: z.array(z.unknown(), { error: 'must be an array' }).optional(),
      text: z.unknown().optional().meta({ description: 'The code, when content_type is `code`.' }),
    },
    { error: 'must be an object' },
  )
  .superRefine((c, ctx) => {
    const textual = c.content_type === 'text' || c.content_type === 'multimodal_text';
    if (textual && c.parts === undefined)
      ctx.addIssue({ code: 'custom', path: ['parts'], message: 'must be an array' });
    if (c.content_type === 'code' && typeof c.text !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'must be a string' });
    }
  });

export const ChatGptMessageMetadataSchema = z.looseObject(
  {
    model_slug: ModelText.nullish().meta({ description: 'The model of an answer.' }),
    is_visually_hidden_from_conversation: z
      .boolean()
      .nullish()
      .meta({ description: 'true: not imported (a hidden system or context message).' }),
    branchat: z.union([BranchatQuestionMetaSchema, BranchatResponseMetaSchema]).nullish().meta({
      description: 'From branchat: the chat of the pair, its kind (questions), token counts and feedback (answers).',
    }),
  },
  { error: 'must be an object' },
);

export const ChatGptMessageSchema = z
  .looseObject(
    {
      id: z.string({ error: 'must be a string' }).optional(),
      author: z.looseObject(
        { role: z.string({ error: ROLE }).meta({ example: 'user' }) },
        { error: `must be an object whose role is a string such as "user" or "assistant"` },
      ),
      create_time: Seconds,
      content: ChatGptContentSchema,
      metadata: ChatGptMessageMetadataSchema.nullish(),
    },
    { error: 'must be an object or null' },
  )
  .meta({
    id: 'ChatGptMessage',
    description:
      'A message. `user` and `assistant` messages become pairs; `system` may give the system prompt; tool ' +
      'messages, hidden messages and answers without text are skipped.',
  });

export const ChatGptNodeSchema = z.looseObject(
  {
    id: z.string({ error: 'must be a string: the node’s key' }),
    message: ChatGptMessageSchema.nullish(),
    parent: z
      .string({ error: 'must be a node id or null' })
      .nullable()
      .meta({ description: 'null for the root node only.' }),
    children: z.array(z.string({ error: 'must be a node id' }), { error: 'must be an array of node ids' }),
  },
  { error: 'must be an object' },
);

export const ChatGptConversationSchema = z
  .looseObject(
    {
      title: z
        .string({ error: 'must be a string or null' })
        .refine(storableText, 'contains U+0000 or an unpaired surrogate')
        .nullish(),
      create_time: Seconds,
      update_time: Seconds,
      mapping: z
        .record(z.string(), ChatGptNodeSchema, { error: 'must be an object of nodes keyed by their id' })
        .meta({ description: 'Every node by its id: a tree of messages.' }),
      current_node: z
        .string({ error: 'must be a node id or null' })
        .nullish()
        .meta({ description: 'The last message of the current path (the active chat).' }),
      conversation_id: z.string({ error: 'must be a string' }).nullish(),
      id: z.string({ error: 'must be a string' }).nullish(),
      default_model_slug: z
        .string({ error: 'must be a string' })
        .nullish()
        .meta({ description: 'The model of the most recent answer.' }),
      branchat: BranchatConversationMetaSchema.nullish().meta({
        description: 'From branchat: every chat with its name and times, and the active chat.',
      }),
    },
    { error: 'must be a conversation object' },
  )
  .meta({
    id: 'ChatGptConversation',
    description:
      'The shape of a conversation in a ChatGPT data export (conversations.json holds an array of them). ' +
      'Exports from branchat add `branchat` keys (top level and in message metadata) so that branch names, ' +
      'empty branches, message types, generation details and feedback on answers survive a round trip; other ' +
      'importers ignore them.',
    example: {
      title: 'Trip ideas',
      create_time: 1764090184.123,
      current_node: 'a1',
      mapping: {
        [ROOT_NODE_ID]: { id: ROOT_NODE_ID, message: null, parent: null, children: ['q1'] },
        q1: {
          id: 'q1',
          message: {
            id: 'q1',
            author: { role: 'user' },
            create_time: 1764090184.123,
            content: { content_type: 'text', parts: ['Where should we go in March?'] },
          },
          parent: ROOT_NODE_ID,
          children: ['a1'],
        },
        a1: {
          id: 'a1',
          message: {
            id: 'a1',
            author: { role: 'assistant' },
            create_time: 1764090186.5,
            content: { content_type: 'text', parts: ['Lisbon: mild and sunny.'] },
            metadata: { model_slug: 'gpt-4o' },
          },
          parent: 'q1',
          children: [],
        },
      },
    },
  });

// ---- types -------------------------------------------------------------------------------------------------

export type BranchatQuestionMeta = z.infer<typeof BranchatQuestionMetaSchema>;
export type BranchatResponseMeta = z.infer<typeof BranchatResponseMetaSchema>;
export type BranchatFeedback = z.infer<typeof BranchatFeedbackSchema>;
export type BranchatChatMeta = z.infer<typeof BranchatChatMetaSchema>;
export type BranchatConversationMeta = z.infer<typeof BranchatConversationMetaSchema>;
export type ChatGptContent = z.infer<typeof ChatGptContentSchema>;
export type ChatGptMessageMetadata = z.infer<typeof ChatGptMessageMetadataSchema>;
export type ChatGptMessage = z.infer<typeof ChatGptMessageSchema>;
export type ChatGptNode = z.infer<typeof ChatGptNodeSchema>;
export type ChatGptConversation = z.infer<typeof ChatGptConversationSchema>;
/** What toChatGpt writes: a conversation that always carries the extension. */
export type ExportedConversation = ChatGptConversation & { branchat: BranchatConversationMeta };
