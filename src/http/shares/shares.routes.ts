/**
 * Share links: create, list and revoke (the owner's, bearer), and the public read of a shared history (no token).
 * Semantics: docs/api.md, "Shares".
 */
import { createRoute, z } from '@hono/zod-openapi';
import { EXPIRES_MAX_SECONDS, EXPIRES_MIN_SECONDS, SHARE_NOT_FOUND } from '../../domain/shares/shares.service.js';
import { errors } from '../errors.js';
import { bearerSecurity, DecimalInt, Uuid } from '../schemas.js';

const tags = ['Shares'];

const EXAMPLE_SHARE = '0193a7e2-3c4d-7a1b-8e2f-4a5b6c7d8e9f';
const EXAMPLE_CHAT = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const EXAMPLE_TOKEN = 'q3V8xk2Jd0Zc1mWf5bT7yHn4sPa9uLe6rGiO2vXw8kE';

const Timestamp = z.iso.datetime().openapi({ example: '2026-12-04T10:00:00.000Z' });

const ShareFields = {
  share_id: z.uuid(),
  chat_id: z.uuid().openapi({ description: 'The shared chat.' }),
  live: z.boolean().openapi({ description: 'true: follows the chat; false: frozen when it was made.' }),
  include_system_prompt: z
    .boolean()
    .openapi({ description: 'Whether the public read shows the conversation’s system prompt.' }),
  pair_count: z.number().int().nullable().openapi({
    description: 'Frozen: how many pairs of the visible history it shows (its length when made). Live: null.',
  }),
  expires_at: Timestamp.nullable().openapi({ description: 'When the link stops working; null: never.' }),
  created_at: Timestamp,
};

export const ShareSchema = z
  .object({
    ...ShareFields,
    expired: z.boolean().openapi({ description: 'The link has expired (it answers 404; revoke it to drop it).' }),
  })
  .openapi('Share', {
    description: 'A share link as its owner sees it (the token itself is never shown again).',
    example: {
      share_id: EXAMPLE_SHARE,
      chat_id: EXAMPLE_CHAT,
      live: false,
      include_system_prompt: false,
      pair_count: 3,
      expires_at: null,
      created_at: '2026-12-04T10:00:00.000Z',
      expired: false,
    },
  });

export const CreatedShareSchema = z
  .object({
    ...ShareFields,
    token: z.string().openapi({
      description:
        'The secret of the link: 32 random bytes (256 bits), base64url. Shown only here, once; only its SHA-256 is ' +
        'stored. Anyone holding it reads the shared history.',
    }),
    url: z.url().openapi({
      description: 'The demo app’s read-only page of the share: `<PUBLIC_URL or this request’s origin>/app/s/<token>`.',
    }),
  })
  .openapi('CreatedShare', {
    example: {
      share_id: EXAMPLE_SHARE,
      token: EXAMPLE_TOKEN,
      url: `https://branchat.example.org/app/s/${EXAMPLE_TOKEN}`,
      chat_id: EXAMPLE_CHAT,
      live: false,
      include_system_prompt: false,
      pair_count: 3,
      expires_at: '2026-12-11T10:00:00.000Z',
      created_at: '2026-12-04T10:00:00.000Z',
    },
  });

export const createShare = createRoute({
  operationId: 'createShare',
  method: 'post',
  path: '/api/v1/shares/create-share',
  tags,
  summary: 'A read-only link to a chat’s visible history',
  description:
    'Makes a link that lets anyone holding its token read the visible history of `chat_id` (inherited pairs ' +
    'included) through `GET /api/v1/public/shares/{token}`, or in the demo at `url`, without an account. ' +
    '`live: false` (the default) freezes it now: the link shows the first `pair_count` pairs (the history’s length ' +
    'at this moment) and the chat’s current name, whatever is written later; `live: true` follows the chat (new ' +
    'pairs, renames). `expires_in_seconds` (60..31,536,000) ends it after that long; absent, it lasts until revoked ' +
    '(delete-share) or until the chat is deleted (with its subtree or tree), which ends its shares. The system ' +
    'prompt is shown only with `include_system_prompt: true` (frozen: the prompt as it is now). The `token` is ' +
    'returned only here; the server keeps its SHA-256 only. A chat that is missing, deleted or another account’s ' +
    '→ 404. A share is no write to the tree: no tree version changes and no event is published. ' +
    'Rate limited as any write (1 point of the account’s budget; past it → 429 with Retry-After). The one POST ' +
    'that takes no `Idempotency-Key` (sent → 422, nothing made): a replay would need the answer, token included, ' +
    'kept for 24 hours, and the server keeps no token. A retry makes another share; revoke the one you do not use.',
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              chat_id: Uuid.openapi({ description: 'The chat whose visible history is shared.' }),
              live: z.boolean().optional().default(false).openapi({
                description: 'false: frozen now; true: follows the chat.',
                default: false,
              }),
              expires_in_seconds: z
                .number()
                .int()
                .min(EXPIRES_MIN_SECONDS)
                .max(EXPIRES_MAX_SECONDS)
                .optional()
                .openapi({
                  description: 'The link ends this many seconds from now (a minute to a year); absent: never.',
                }),
              include_system_prompt: z.boolean().optional().default(false).openapi({
                description: 'Show the conversation’s system prompt to the link’s readers.',
                default: false,
              }),
            })
            .openapi('CreateShareBody', {
              example: { chat_id: EXAMPLE_CHAT, live: false, expires_in_seconds: 604800 },
            }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The share, with its token (shown only this once)',
      content: { 'application/json': { schema: CreatedShareSchema } },
    },
    ...errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 503),
  },
});

export const listShares = createRoute({
  operationId: 'listShares',
  method: 'get',
  path: '/api/v1/shares/list-shares',
  tags,
  summary: 'The account’s share links, newest first',
  description:
    'Every unrevoked share of the account whose chat is live (of `chat_id` only, when given: a chat that is ' +
    'missing, deleted or another account’s → 404), newest first, expired ones included (`expired: true`). ' +
    'Paged by `limit` (1..100, default 50) and the opaque `next_cursor` (null on the last page; a cursor that is ' +
    'not one of ours → 422). Tokens are never listed.',
  security: bearerSecurity,
  request: {
    query: z.strictObject({
      chat_id: Uuid.optional().openapi({ description: 'Only the shares of this chat.' }),
      limit: DecimalInt(1, 100, 50, 'Page size, 1..100.'),
      cursor: z.string().min(1).max(200).optional().openapi({ description: 'Opaque; from `next_cursor`.' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of the account’s shares',
      content: {
        'application/json': {
          schema: z.object({ shares: z.array(ShareSchema), next_cursor: z.string().nullable() }).openapi('ShareList'),
        },
      },
    },
    ...errors(401, 404, 422, 500, 503),
  },
});

export const deleteShare = createRoute({
  operationId: 'deleteShare',
  method: 'delete',
  path: '/api/v1/shares/delete-share',
  tags,
  summary: 'Revoke a share link',
  description:
    'From the moment this answers, the link’s token is a 404 on every server instance (each public read asks the ' +
    'database, and its answers are sent with `Cache-Control: no-store`, so no HTTP cache keeps them). A share that ' +
    'is unknown, already revoked, of a deleted chat or of another account → 404. No write to the tree, no event. ' +
    'Rate limit: 1 point of the account’s write budget.',
  security: bearerSecurity,
  request: { query: z.strictObject({ share_id: Uuid }) },
  responses: {
    200: {
      description: 'The share, revoked',
      content: {
        'application/json': {
          schema: z.object({ share_id: z.uuid(), revoked_at: Timestamp }).openapi('DeleteShareResult', {
            example: { share_id: EXAMPLE_SHARE, revoked_at: '2026-12-05T08:30:00.000Z' },
          }),
        },
      },
    },
    ...errors(401, 404, 413, 422, 429, 500, 503),
  },
});

const SharedPairFields = {
  response_id: z.uuid().openapi({ description: 'The cursor of `after` / `before`.' }),
  question: z.string(),
  response: z.string(),
  timestamp: Timestamp,
};

export const SharedPairSchema = z
  .discriminatedUnion('type', [
    z.object({ ...SharedPairFields, type: z.literal('text') }),
    z.object({ ...SharedPairFields, type: z.literal('code'), language: z.string() }),
    z.object({ ...SharedPairFields, type: z.literal('link'), url: z.string() }),
  ])
  .openapi('SharedPair', {
    description:
      'A pair as a share shows it: its question and response, time and type (`language` for code, `url` for a ' +
      'link). No chat id, branches or generation details.',
  });

export const SharedPageSchema = z
  .object({
    share: z
      .object({
        name: z.string().openapi({ description: 'The chat’s name (frozen: its name when the share was made).' }),
        live: z.boolean(),
        created_at: Timestamp,
        expires_at: Timestamp.nullable(),
        system_prompt: z
          .string()
          .nullable()
          .openapi({ description: 'Only when the owner included it (frozen: as it was then); else null.' }),
      })
      .openapi('SharedChat'),
    qa_pairs: z.array(SharedPairSchema),
    has_more_before: z.boolean(),
    has_more_after: z.boolean(),
  })
  .openapi('SharedPage', {
    example: {
      share: {
        name: 'Trip ideas',
        live: false,
        created_at: '2026-12-04T10:00:00.000Z',
        expires_at: null,
        system_prompt: null,
      },
      qa_pairs: [
        {
          response_id: '0193a5c4-7d1e-7c3a-9f10-2b4c6d8e0a01',
          question: 'Where should we go in March?',
          response: 'Lisbon: mild and sunny.',
          timestamp: '2026-12-04T09:58:00.000Z',
          type: 'text',
        },
      ],
      has_more_before: false,
      has_more_after: false,
    },
  });

export const getPublicShare = createRoute({
  operationId: 'getPublicShare',
  method: 'get',
  path: '/api/v1/public/shares/{token}',
  tags,
  summary: 'A shared history, without an account (public)',
  description:
    'The visible history a share link shows, one page at a time, paged exactly like get-chat: no cursor, the first ' +
    '`limit` pairs (1..200, default 50: smaller than get-chat’s, as anyone may ask); `after=R`, the pairs after R; ' +
    '`before=R`, those just before R; ' +
    '`before=end`, the last page; `after` with `before` → 422; R outside the shared history → 404. A frozen share ' +
    'shows only the pairs it was made with (and the name it had then); a live one the chat as it is now. Nothing ' +
    'of the account is in it: no account id, email, chat ids, branches, start forks, generation details or usage, ' +
    'and the system prompt only when the owner included it. Needs no token; one sent is ignored. A token that was ' +
    'never issued, was revoked, has expired, or whose chat was deleted is the same 404, with the same detail ' +
    `(“${SHARE_NOT_FOUND}”). Answers carry \`Cache-Control: no-store\` and \`Referrer-Policy: no-referrer\`. ` +
    'Rate limit: PUBLIC_SHARE_RATE (default 120) reads per client address per minute (every read counts, a 404 too; ' +
    'counted across instances when REDIS_URL is set); past it → 429 with Retry-After.',
  security: [],
  request: {
    params: z.object({
      token: z.string().openapi({
        param: { name: 'token', in: 'path' },
        description: 'The token create-share returned.',
        example: EXAMPLE_TOKEN,
      }),
    }),
    query: z
      .strictObject({
        limit: DecimalInt(1, 200, 50, 'Page size, 1..200 (out of range → 422).'),
        after: Uuid.optional().openapi({ description: 'A response_id of the shared history.' }),
        before: z
          .union([z.literal('end'), Uuid])
          .optional()
          .openapi({ description: 'A response_id of the shared history, or `end`.' }),
      })
      .refine((q) => !(q.after !== undefined && q.before !== undefined), {
        message: 'use either after or before, not both',
        path: ['before'],
      }),
  },
  responses: {
    200: {
      description: 'The shared chat and a page of its pairs',
      headers: z.object({
        'Cache-Control': z.string().openapi({ example: 'no-store' }),
        'Referrer-Policy': z.string().openapi({ example: 'no-referrer' }),
      }),
      content: { 'application/json': { schema: SharedPageSchema } },
    },
    ...errors(404, 422, 429, 500, 503),
  },
});

export type CreateShareRoute = typeof createShare;
export type ListSharesRoute = typeof listShares;
export type DeleteShareRoute = typeof deleteShare;
export type GetPublicShareRoute = typeof getPublicShare;
