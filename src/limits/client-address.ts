/**
 * Who the client is, for the per-client limits (login, registration): the socket's peer, unless that peer
 * is a trusted proxy (TRUSTED_PROXIES), in which case X-Forwarded-For is read from the right: the first
 * address that is not itself a trusted proxy is the client. Left of it everything is the client's own
 * say-so (anyone can send the header), so it is never read; with no trusted proxies the header is ignored.
 * Pure: no HTTP types, so config validation and unit tests use it directly.
 */
import { isIP } from 'node:net';

interface Ip {
  v: 4 | 6;
  bytes: Uint8Array;
}

interface Cidr extends Ip {
  prefix: number;
}

/** An address as written (IPv4, IPv6 with optional zone), or null. IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): Ip | null {
  const s = text.trim();
  const kind = isIP(s);
  if (kind === 4) return { v: 4, bytes: Uint8Array.from(s.split('.').map(Number)) };
  if (kind !== 6) return null;
  const bytes = ipv6Bytes(s.replace(/%.*$/, '').toLowerCase());
  if (!bytes) return null;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { v: 4, bytes: bytes.slice(12) } : { v: 6, bytes };
}

/** Called only on what isIP accepted as IPv6 (zone removed). */
function ipv6Bytes(s: string): Uint8Array | null {
  let tail: number[] = [];
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4, 64:ff9b::1.2.3.4).
    tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return null;
  const all = [...left, ...new Array<number>(fill).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/** One canonical spelling (IPv4 dotted; IPv6 lowercase, RFC 5952 zero compression). */
export function formatIp(ip: Ip): string {
  if (ip.v === 4) return Array.from(ip.bytes).join('.');
  const g = Array.from({ length: 8 }, (_, i) => ((ip.bytes[2 * i] as number) << 8) | (ip.bytes[2 * i + 1] as number));
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). Host bits are ignored. */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined) return null;
  const ip = parseIp(addr);
  // A mapped address (::ffff:a.b.c.d/104) would need its prefix shifted; written as IPv4 it is clearer.
  if (!ip || (ip.v === 4 && isIP(addr.trim()) === 6)) return null;
  const max = ip.v === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return null;
  return { ...ip, prefix };
}

function contains(net: Cidr, ip: Ip): boolean {
  if (net.v !== ip.v) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((net.bytes[i] as number) & mask) !== ((ip.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** For config validation: one TRUSTED_PROXIES entry. */
export const isProxyEntry = (entry: string) => parseCidr(entry) !== null;

export class TrustedProxies {
  private readonly nets: Cidr[];

  /** Throws on an entry that is not an address or CIDR (config validation reports it first). */
  constructor(entries: readonly string[]) {
    this.nets = entries.map((e) => {
      const net = parseCidr(e);
      if (!net) throw new Error(`TRUSTED_PROXIES: "${e}" is not an IP address or CIDR`);
      return net;
    });
  }

  get none(): boolean {
    return this.nets.length === 0;
  }

  trusts(ip: Ip): boolean {
    return this.nets.some((n) => contains(n, ip));
  }

  /**
   * The client of a request from `peer` (the socket's address, or 'unknown' in process) carrying these
   * X-Forwarded-For values (several headers count as one list, in order). A hop that is malformed ends
   * the walk at the trusted proxy that wrote it: nothing it vouches for can be believed.
   */
  client(peer: string, forwardedFor: string | null | undefined): string {
    const direct = parseIp(peer);
    if (!direct) return peer;
    if (this.none || !this.trusts(direct) || !forwardedFor) return formatIp(direct);
    const hops = forwardedFor.split(',');
    let last = direct;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseHop(hops[i] as string);
      if (!hop) return formatIp(last);
      if (!this.trusts(hop)) return formatIp(hop);
      last = hop;
    }
    // Every hop is a trusted proxy: the left-most one is as far as the chain goes.
    return formatIp(last);
  }
}

/** One X-Forwarded-For element: an address, optionally `1.2.3.4:port` or `[v6]:port` (some proxies add it). */
function parseHop(text: string): Ip | null {
  const s = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) return isIP(bracketed[1] as string) === 6 ? parseIp(bracketed[1] as string) : null;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(s);
  return parseIp(v4port ? (v4port[1] as string) : s);
}

/**
 * The key a per-client limit counts under: an IPv4 address as is, an IPv6 address by its /64 (one
 * subscriber usually holds a whole /64, so counting single addresses would let it rotate without limit).
 * Anything else (no socket, in-process requests) as given.
 */
export function clientKey(client: string): string {
  const ip = parseIp(client);
  if (!ip) return client;
  if (ip.v === 4) return formatIp(ip);
  const net = new Uint8Array(16);
  net.set(ip.bytes.subarray(0, 8));
  return `${formatIp({ v: 6, bytes: net })}/64`;
}
