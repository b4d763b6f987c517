/**
 * The event bus across processes, on Redis. Per tree (keys share a {hash tag}, so Redis Cluster keeps them
 * in one slot):
 *   <prefix>ev:{<root>}:seq   the sequence counter (INCR)
 *   <prefix>ev:{<root>}:log   a Stream of the last `retention` events, entry id `<seq>-0` (resume)
 *   <prefix>ev:<root>         the pub/sub channel live events go out on
 * One Lua script numbers, stores and publishes an event atomically, so the log and the channel always agree
 * on the order. Both keys expire `ttlSeconds` after the tree's last event.
 *
 * Like the cache, Redis is never a single point of failure for writes: publishing fails fast (the write it
 * follows has committed and stands; the failure is logged), and the subscriber connection reconnects in
 * the background, after which sockets check their trees for missed events (onReconnect).
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { EventBus, EventName, ReplayLimit, TreeEvent } from './events.js';

const PUBLISH_LUA = `
local seq = redis.call('INCR', KEYS[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if last[1] then
  local top = tonumber(string.match(last[1][1], '^(%d+)'))
  if seq <= top then
    seq = top + 1
    redis.call('SET', KEYS[1], seq)
  end
end
local event = '{"seq":' .. seq .. ',' .. ARGV[1]
local stored = event
if string.len(ARGV[1]) > tonumber(ARGV[3]) then stored = '{"seq":' .. seq .. ',"stub":true}' end
redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[2], seq .. '-0', 'e', stored)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], event)
return seq
`;

/**
 * The events after ARGV[1], read in pages inside Redis so that no more than about ARGV[3] bytes (and ARGV[2]
 * events) are ever returned or held: -1 when `after` is past the sequence (another era) or nothing after it
 * is kept, -2 when the range is over either limit, else the stored JSON texts (possibly none: `after` is the
 * current seq); the caller checks for stubs and for a gap at the start. Needs Redis 6.2+ (exclusive range).
 */
const SINCE_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = tonumber(ARGV[1])
if after > current then return -1 end
if after == current then return {} end
if current - after > tonumber(ARGV[2]) then return -2 end
local maxBytes = tonumber(ARGV[3])
local out = {}
local bytes = 0
local from = '(' .. ARGV[1] .. '-0'
while true do
  local page = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', 32)
  if #page == 0 then
    if #out == 0 then return -1 end
    return out
  end
  for _, entry in ipairs(page) do
    local text = entry[2][2]
    bytes = bytes + string.len(text)
    if bytes > maxBytes then return -2 end
    out[#out + 1] = text
  end
  from = '(' .. page[#page][1]
end
`;

export interface RedisEventBusOptions {
  url: string;
  log: Logger;
  prefix?: string;
  /** Events kept per tree for resume. */
  retention?: number;
  /** Events larger than this are announced live but kept only as a stub (resuming over one → resync). */
  maxRetainedBytes?: number;
  ttlSeconds?: number;
}

type Publisher = Redis & {
  branchatPublish(seqKey: string, logKey: string, ...args: (string | number)[]): Promise<number>;
  branchatSince(seqKey: string, logKey: string, ...args: (string | number)[]): Promise<number | string[]>;
};

export class RedisEventBus implements EventBus {
  readonly kind = 'redis';
  private readonly pub: Publisher;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly listeners = new Map<string, Set<(e: TreeEvent) => void>>();
  /** The SUBSCRIBE of each tree's channel, confirmed or on its way. */
  private readonly subscribed = new Map<string, Promise<unknown>>();
  private readonly reconnectFns: (() => void)[] = [];
  private lastWarn = 0;

  constructor(private readonly options: RedisEventBusOptions) {
    this.prefix = options.prefix ?? 'branchat:';
    const common = {
      connectTimeout: 1000,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    };
    this.pub = new Redis(options.url, {
      ...common,
      commandTimeout: 500,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    }) as Publisher;
    this.pub.defineCommand('branchatPublish', { numberOfKeys: 2, lua: PUBLISH_LUA });
    this.pub.defineCommand('branchatSince', { numberOfKeys: 2, lua: SINCE_LUA });
    // The subscriber queues its SUBSCRIBEs while disconnected and re-subscribes after a reconnect.
    this.sub = new Redis(options.url, { ...common, autoResubscribe: true });
    this.pub.on('error', (e) => this.warn(e));
    this.sub.on('error', (e) => this.warn(e));
    let connectedBefore = false;
    this.sub.on('ready', () => {
      if (connectedBefore) for (const fn of this.reconnectFns) fn();
      connectedBefore = true;
    });
    this.sub.on('message', (channel: string, message: string) => this.deliver(channel, message));
  }

  private warn(e: unknown) {
    const now = Date.now();
    if (now - this.lastWarn > 10_000) {
      this.lastWarn = now;
      this.options.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'redis events unavailable');
    }
  }

  private seqKey = (root: string) => `${this.prefix}ev:{${root}}:seq`;
  private logKey = (root: string) => `${this.prefix}ev:{${root}}:log`;
  private channel = (root: string) => `${this.prefix}ev:${root}`;

  private deliver(channel: string, message: string) {
    const root = channel.slice(`${this.prefix}ev:`.length);
    const set = this.listeners.get(root);
    if (!set) return;
    let e: TreeEvent;
    try {
      e = JSON.parse(message) as TreeEvent;
    } catch {
      return;
    }
    for (const fn of set) fn(e);
  }

  async publish(rootChatId: string, event: EventName, data: unknown): Promise<number> {
    const body = JSON.stringify({ root_chat_id: rootChatId, event, at: new Date().toISOString(), data }).slice(1);
    return Number(
      await this.pub.branchatPublish(
        this.seqKey(rootChatId),
        this.logKey(rootChatId),
        body,
        this.options.retention ?? 1000,
        this.options.maxRetainedBytes ?? 64 * 1024,
        this.options.ttlSeconds ?? 86_400,
        this.channel(rootChatId),
      ),
    );
  }

  /**
   * Resolves once Redis has confirmed the channel's SUBSCRIBE, so that a seq read afterwards cannot miss an
   * event published in between. (If Redis is down it resolves anyway after the failure is logged: the
   * subscriber re-subscribes on reconnect and the subscriptions then check for missed events.)
   */
  async listen(rootChatId: string, onEvent: (e: TreeEvent) => void): Promise<() => void> {
    let set = this.listeners.get(rootChatId);
    if (!set) {
      set = new Set();
      this.listeners.set(rootChatId, set);
      this.subscribed.set(
        rootChatId,
        this.sub.subscribe(this.channel(rootChatId)).catch((e) => {
          // Not subscribed: forget it, so that the next listener tries again.
          this.warn(e);
          this.subscribed.delete(rootChatId);
          this.listeners.delete(rootChatId);
          throw e;
        }),
      );
    }
    set.add(onEvent);
    await this.subscribed.get(rootChatId);
    const listeners = set;
    return () => {
      listeners.delete(onEvent);
      if (listeners.size === 0 && this.listeners.get(rootChatId) === listeners) {
        this.listeners.delete(rootChatId);
        this.subscribed.delete(rootChatId);
        this.sub.unsubscribe(this.channel(rootChatId)).catch(() => {});
      }
    };
  }

  async since(rootChatId: string, after: number, limit?: ReplayLimit): Promise<TreeEvent[] | 'gone' | 'over-limit'> {
    const texts = await this.pub.branchatSince(
      this.seqKey(rootChatId),
      this.logKey(rootChatId),
      after,
      limit?.maxEvents ?? Number.MAX_SAFE_INTEGER,
      limit?.maxBytes ?? Number.MAX_SAFE_INTEGER,
    );
    if (texts === -1) return 'gone';
    if (texts === -2) return 'over-limit';
    if (typeof texts === 'number') return 'gone';
    if (texts.length === 0) return []; // `after` is the current seq
    const events: TreeEvent[] = [];
    for (const text of texts) {
      const e = JSON.parse(text) as TreeEvent & { stub?: boolean };
      if (e.stub) return 'gone';
      events.push(e);
    }
    if (events[0]?.seq !== after + 1) return 'gone';
    return events;
  }

  async currentSeq(rootChatId: string): Promise<number> {
    return Number((await this.pub.get(this.seqKey(rootChatId))) ?? 0);
  }

  onReconnect(fn: () => void): void {
    this.reconnectFns.push(fn);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscribed.clear();
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
