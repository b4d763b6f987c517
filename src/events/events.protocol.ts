/**
 * The socket protocol of the event hub (events.hub.ts): what it needs of a socket, its options (WS_*), the
 * frames a client may send, and the close codes.
 */
import { z } from 'zod';
import type { Config } from '../config.js';

/** What the hub needs of a socket (Bun's ServerWebSocket, through hono's WSContext). */
export interface SocketPort {
  send(text: string): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export interface HubOptions {
  maxBufferedBytes: number;
  maxSubscriptions: number;
  /** Frames a socket has sent that are not handled yet (and their bytes); beyond → close 4429. */
  maxPendingFrames: number;
  maxPendingBytes: number;
  /** Frames a socket may send: a burst, refilled at a sustained rate; beyond → close 4429. */
  frameBurst: number;
  framesPerSecond: number;
  /** One catch-up (a resume, a gap) sends at most this many events and bytes; beyond → `resync`. */
  replayMaxEvents: number;
  replayMaxBytes: number;
  /** Bytes of replay per socket and per account (in this process): a burst, refilled per second. */
  replaySocketBurstBytes: number;
  replaySocketBytesPerSecond: number;
  replayAccountBurstBytes: number;
  replayAccountBytesPerSecond: number;
  /** Sockets one account may have open in this process; beyond → 429 before the upgrade (absent: no bound). */
  maxSocketsPerAccount?: number;
  /** The buckets' clock (tests). */
  now?: () => number;
}

/** The hub's options from the configuration (WS_*). */
export function hubOptions(config: Config): HubOptions {
  return {
    maxBufferedBytes: config.WS_MAX_BUFFER_KB * 1024,
    maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS,
    maxSocketsPerAccount: config.WS_MAX_SOCKETS_PER_ACCOUNT,
    maxPendingFrames: config.WS_MAX_PENDING_FRAMES,
    maxPendingBytes: config.WS_MAX_PENDING_KB * 1024,
    frameBurst: config.WS_FRAME_BURST,
    framesPerSecond: config.WS_FRAMES_PER_SECOND,
    replayMaxEvents: config.WS_REPLAY_MAX_EVENTS,
    replayMaxBytes: config.WS_REPLAY_MAX_KB * 1024,
    replaySocketBurstBytes: config.WS_REPLAY_SOCKET_BURST_KB * 1024,
    replaySocketBytesPerSecond: config.WS_REPLAY_SOCKET_KB_PER_SECOND * 1024,
    replayAccountBurstBytes: config.WS_REPLAY_ACCOUNT_BURST_KB * 1024,
    replayAccountBytesPerSecond: config.WS_REPLAY_ACCOUNT_KB_PER_SECOND * 1024,
  };
}

/**
 * The largest frame a client may send. A valid one is under 1 KiB (a subscribe with a 100-character id,
 * even all \u-escaped); the transport refuses larger ones before they are buffered (maxPayloadLength).
 */
export const MAX_CLIENT_FRAME_BYTES = 4096;

const ChatRef = z.uuid().transform((v) => v.toLowerCase());
export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    chat_id: ChatRef,
    last_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    id: z.string().max(100).optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), chat_id: ChatRef, id: z.string().max(100).optional() }),
  z.strictObject({ type: z.literal('ping'), id: z.string().max(100).optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const CLOSE_SLOW_CONSUMER = 1008;
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_GOING_AWAY = 1001;
/** The client sent frames faster than the frame rate allows, or more than may wait to be handled. */
export const CLOSE_TOO_MANY_FRAMES = 4429;
/** A frame over MAX_CLIENT_FRAME_BYTES (the transport closes with the same code). */
export const CLOSE_FRAME_TOO_LARGE = 1009;
