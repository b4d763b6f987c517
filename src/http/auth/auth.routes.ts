import { createRoute, z } from '@hono/zod-openapi';
import { EMAIL_MAX, maxUnits, PASSWORD_MAX, PASSWORD_MIN, STORABLE, storableText } from '../../domain/limits.js';
import { errors } from '../errors.js';

const tags = ['Auth'];

const Credentials = z
  .strictObject({
    email: z
      .email()
      .max(EMAIL_MAX)
      .refine(...maxUnits(EMAIL_MAX))
      .openapi({ example: 'ada@example.com' }),
    password: z
      .string()
      .min(PASSWORD_MIN)
      .max(PASSWORD_MAX)
      .refine(...maxUnits(PASSWORD_MAX))
      .openapi({ example: 'correct horse battery staple' }),
  })
  .openapi('Credentials');

const LoginCredentials = z
  .strictObject({
    email: z
      .string()
      .min(1)
      .max(EMAIL_MAX)
      .refine(...maxUnits(EMAIL_MAX))
      .refine(storableText, STORABLE)
      .openapi({ example: 'ada@example.com' }),
    password: z
      .string()
      .min(1)
      .max(PASSWORD_MAX)
      .refine(...maxUnits(PASSWORD_MAX))
      .openapi({ example: 'correct horse battery staple' }),
  })
  .openapi('LoginCredentials');

export const TokenSchema = z
  .object({
    account_id: z.uuid(),
    token: z.string().openapi({ description: 'HS256 JWT; send as `Authorization: Bearer <token>`.' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the token expires.' }),
  })
  .openapi('Token');

export const register = createRoute({
  operationId: 'register',
  method: 'post',
  path: '/api/v1/auth/register',
  tags,
  security: [],
  summary: 'Create an account and get a token',
  description:
    'Emails are case-insensitive (stored lowercased). Passwords are stored as argon2id hashes. At most ' +
    'REGISTER_MAX_PER_WINDOW (default 30) registration attempts per client address (an IPv6 client: per /64) ' +
    'per REGISTER_WINDOW_SECONDS (default 600); every well-formed attempt counts, a duplicate email too. Past ' +
    'it → 429 with Retry-After, and no account is created. The client address is the connection’s, or with ' +
    'TRUSTED_PROXIES the one they forward (X-Forwarded-For); counted across every instance when REDIS_URL is set.',
  request: { body: { required: true, content: { 'application/json': { schema: Credentials } } } },
  responses: {
    201: { description: 'The new account and a token', content: { 'application/json': { schema: TokenSchema } } },
    ...errors(400, 409, 413, 415, 422, 429, 500, 503),
  },
});

export const login = createRoute({
  operationId: 'login',
  method: 'post',
  path: '/api/v1/auth/login',
  tags,
  security: [],
  summary: 'Exchange email and password for a token',
  description:
    'A wrong email and a wrong password get the same 401. Repeated failures per email and per client address ' +
    'answer 429 with Retry-After until the window passes: LOGIN_MAX_FAILURES (default 10) per ' +
    'LOGIN_WINDOW_SECONDS (default 900); a successful login clears its email’s count. The client address is ' +
    'as for register; counted across every instance when REDIS_URL is set.',
  request: { body: { required: true, content: { 'application/json': { schema: LoginCredentials } } } },
  responses: {
    200: { description: 'A token', content: { 'application/json': { schema: TokenSchema } } },
    ...errors(400, 401, 413, 415, 422, 429, 500, 503),
  },
});

export type RegisterRoute = typeof register;
export type LoginRoute = typeof login;
