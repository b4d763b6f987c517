/**
 * GET /api/v1/ws: the event socket (README, "Real-time events"). Authenticated before the upgrade by the
 * same JWT as REST, from (in this order) the `Authorization: Bearer` header, a `bearer.<token>` entry of
 * Sec-WebSocket-Protocol (browsers cannot set headers; offer `branchat.v1` too, which is the protocol
 * selected, so the token is never echoed), or a `token` query parameter (kept out of logs: only the path
 * is logged). No valid token → 401 problem, no upgrade.
 *
 * Bun upgrades natively (its server object is the fetch handler's second argument, c.env). Under Node the
 * route answers 501.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { WSContext, WSEvents } from 'hono/ws';
import {
  CLOSE_FRAME_TOO_LARGE,
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOKEN_EXPIRED,
  CLOSE_TOO_MANY_FRAMES,
  type EventHub,
  MAX_CLIENT_FRAME_BYTES,
  type Session,
  type SocketPort,
} from '../../events/events.hub.js';
import { EVENT_NAMES } from '../../events/events.js';
import type { AppBindings } from '../app-types.js';
import { errorResponses, errors, HttpProblem } from '../errors.js';
import { bearerToken, JWT_RE } from '../middleware/auth.js';

export const WS_PROTOCOL = 'branchat.v1';
const challenge = { 'WWW-Authenticate': 'Bearer' };

/**
 * Bun.serve's `websocket` option: hono's dispatcher plus limits on what a client may send (a larger frame is
 * refused while it arrives, close 1009). Loaded lazily: `hono/bun` touches the `Bun` global when imported,
 * which would break the Node build.
 */
export async function bunWebSocketHandler() {
  const { websocket } = await import('hono/bun');
  return { ...websocket, maxPayloadLength: MAX_CLIENT_FRAME_BYTES, idleTimeout: 120, sendPings: true };
}

function offeredProtocols(c: Context): string[] {
  return (c.req.header('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function tokenOf(c: Context, protocols: string[]): string | undefined {
  const fromHeader = bearerToken(c.req.header('authorization'));
  if (fromHeader) return fromHeader;
  const fromProtocol = protocols.find((p) => p.startsWith('bearer.'));
  if (fromProtocol) return fromProtocol.slice('bearer.'.length);
  return c.req.query('token');
}

interface BunServerLike {
  upgrade(req: Request, options: { data: unknown; headers?: Record<string, string> }): boolean;
}

function portOf(ws: WSContext): SocketPort {
  const raw = ws.raw as { getBufferedAmount?: () => number; bufferedAmount?: number };
  return {
    send: (text) => ws.send(text),
    bufferedAmount: () => raw.getBufferedAmount?.() ?? raw.bufferedAmount ?? 0,
    close: (code, reason) => ws.close(code, reason),
  };
}

export function eventSocket(hub: EventHub) {
  return async (c: Context<AppBindings>) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new HttpProblem(426, 'This is a WebSocket endpoint: connect with Upgrade: websocket', {
        Upgrade: 'websocket',
      });
    }
    const protocols = offeredProtocols(c);
    const token = tokenOf(c, protocols);
    if (!token)
      throw new HttpProblem(401, 'Missing token (Authorization, Sec-WebSocket-Protocol or ?token=)', challenge);
    const claims = JWT_RE.test(token) ? await c.get('tokens').claims(token) : null;
    if (!claims || !(await c.get('deps').meta.accountExists(claims.sub))) {
      throw new HttpProblem(401, 'The token is invalid or expired', challenge);
    }
    if (!hub.canOpen(claims.sub)) {
      throw new HttpProblem(429, 'Too many event sockets open for this account; close one first', {
        'Retry-After': '5',
      });
    }
    const server = (c.env as { server?: BunServerLike } | BunServerLike | undefined) ?? undefined;
    const bun = server && 'server' in server ? server.server : (server as BunServerLike | undefined);
    if (!bun || typeof bun.upgrade !== 'function') {
      throw new HttpProblem(501, 'WebSocket events need the Bun runtime (npm start)');
    }

    const log = c.get('log').child({ ws: true });
    let session: Session | undefined;
    const events: WSEvents = {
      onOpen: (_e, ws) => {
        session = hub.open(portOf(ws), claims.sub, claims.exp * 1000);
      },
      onMessage: (e, _ws) => {
        if (typeof e.data !== 'string') {
          session?.close(1003, 'text frames only');
          return;
        }
        void session?.receive(e.data);
      },
      onClose: () => session?.dispose(),
      onError: (e) => log.warn({ err: String((e as ErrorEvent).error ?? e) }, 'websocket error'),
    };
    const selected = protocols.includes(WS_PROTOCOL) ? WS_PROTOCOL : undefined;
    if (!selected && protocols.some((p) => p.startsWith('bearer.'))) {
      // Without a protocol to select, the server could echo the offered list, token included.
      throw new HttpProblem(400, `Offer the ${WS_PROTOCOL} subprotocol with the bearer token`);
    }
    const ok = bun.upgrade(c.req.raw, {
      data: { events, url: new URL(c.req.url), protocol: selected ?? '' },
      ...(selected ? { headers: { 'Sec-WebSocket-Protocol': selected } } : {}),
    });
    if (!ok) throw new HttpProblem(400, 'The WebSocket handshake is invalid');
    return new Response(null);
  };
}

// ---- the protocol in openapi.json (OpenAPI cannot describe frames; these schemas and the README do) ----

const EventFrame = z
  .object({
    type: z.literal('event'),
    event: z.enum(EVENT_NAMES),
    root_chat_id: z.uuid(),
    seq: z.number().int().openapi({ description: 'Per tree: 1, 2, 3, … without gaps.' }),
    at: z.iso.datetime(),
    data: z.unknown().openapi({
      description:
        'The REST object of the write: message.added → QAPair; branch.created → {chat, qa_pair} (create-branch); ' +
        'branch.activated → {root_chat_id, active_chat_id}; chat.updated → Chat; chat.deleted → {deleted_chat_ids}; ' +
        'pair.feedback → {response_id, chat_id, feedback} (set-feedback; chat_id: the chat that stores the pair).',
    }),
  })
  .openapi('EventFrame');

const ServerFrame = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('subscribed'),
      root_chat_id: z.uuid(),
      chat_id: z.uuid(),
      seq: z.number().int().openapi({ description: 'The tree’s latest seq when the subscription started.' }),
      id: z.string().optional(),
    }),
    EventFrame,
    z.object({
      type: z.literal('resync'),
      root_chat_id: z.uuid(),
      seq: z
        .number()
        .int()
        .openapi({
          description:
            'Reload the tree through REST (the events after `last_seq` are not kept, or are more than a resume may ' +
            'replay); live events continue after it.',
        }),
    }),
    z.object({ type: z.literal('unsubscribed'), root_chat_id: z.uuid(), id: z.string().optional() }),
    z.object({ type: z.literal('pong'), id: z.string().optional() }),
    z.object({
      type: z.literal('error'),
      id: z.string().optional(),
      problem: z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() }),
    }),
  ])
  .openapi('ServerFrame');

const ClientFrameDoc = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('subscribe'),
      chat_id: z.uuid().openapi({ description: 'Any chat of the tree (the account’s own).' }),
      last_seq: z.number().int().min(0).optional().openapi({ description: 'Resume after this seq.' }),
      id: z.string().max(100).optional().openapi({ description: 'Echoed in the answer.' }),
    }),
    z.object({ type: z.literal('unsubscribe'), chat_id: z.uuid(), id: z.string().max(100).optional() }),
    z.object({ type: z.literal('ping'), id: z.string().max(100).optional() }),
  ])
  .openapi('ClientFrame');

export function registerEventSocketDoc(app: OpenAPIHono<AppBindings>): void {
  app.openAPIRegistry.register('ClientFrame', ClientFrameDoc);
  app.openAPIRegistry.register('ServerFrame', ServerFrame);
  app.openAPIRegistry.registerPath({
    operationId: 'eventSocket',
    method: 'get',
    path: '/api/v1/ws',
    tags: ['Events'],
    summary: 'WebSocket of real-time tree events (upgrade)',
    description:
      'Upgrades to a WebSocket (subprotocol `branchat.v1`). Authenticate with `Authorization: Bearer`, a ' +
      '`bearer.<token>` entry of Sec-WebSocket-Protocol (browsers: `new WebSocket(url, ["branchat.v1", "bearer." + token])`) ' +
      'or `?token=`. Then send ClientFrame JSON texts and receive ServerFrame JSON texts: `subscribe` to a tree by ' +
      'any of its chat ids (another account’s → an `error` frame with a 404 problem), with `last_seq` to resume ' +
      '(the last 1,000 events per tree are kept; beyond, `resync`). Events of a tree arrive in `seq` order, once. ' +
      'A resume replays at most 500 events / 512 KiB (WS_REPLAY_MAX_EVENTS, WS_REPLAY_MAX_KB), within replay byte ' +
      'budgets per socket (2 MiB, then 128 KiB/s) and per account (8 MiB, then 512 KiB/s; per server process); ' +
      'beyond, `resync` instead of the events: read the tree over REST. ' +
      `Close codes: ${CLOSE_SLOW_CONSUMER} a client that does not read its events (send buffer full); ` +
      `${CLOSE_TOKEN_EXPIRED} the token expired; ${CLOSE_TOO_MANY_FRAMES} too many frames: over the frame rate ` +
      '(a burst of 128, then 10 per second: WS_FRAME_BURST, WS_FRAMES_PER_SECOND) or over the frames waiting ' +
      'to be handled (128 frames / 64 KiB: WS_MAX_PENDING_FRAMES, WS_MAX_PENDING_KB), do not reconnect at once; ' +
      `${CLOSE_FRAME_TOO_LARGE} a frame over ${MAX_CLIENT_FRAME_BYTES} bytes; 1003 a binary frame. ` +
      'An account may have 20 sockets open per server process (WS_MAX_SOCKETS_PER_ACCOUNT); one more → 429 ' +
      `before the upgrade (or, if it raced past that check, close ${CLOSE_TOO_MANY_FRAMES} at once). ` +
      'Defaults are quoted; see README, "Real-time events".',
    security: [{ Bearer: [] }],
    request: {
      query: z.object({
        token: z.string().optional().openapi({ description: 'The JWT, when no header can be set.' }),
      }),
    },
    responses: {
      101: { description: 'Switching Protocols: the socket is open' },
      400: {
        ...errorResponses[400],
        description: 'A `bearer.` subprotocol offered without `branchat.v1`, or an invalid handshake',
      },
      ...errors(401, 422, 426, 429, 500, 501, 503),
    },
  });
}
