/**
 * TRUSTED_PROXIES and X-Forwarded-For (src/limits/client-address.ts): when the header is believed, which
 * hop is the client, and what a malformed header or entry does. The limit key (IPv6 per /64).
 */
import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../../src/config.js';
import { clientKey, formatIp, parseCidr, parseIp, TrustedProxies } from '../../src/limits/client-address.js';

const canon = (s: string) => {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : null;
};

describe('addresses', () => {
  test('IPv4 and IPv6 in their usual spellings, one canonical form each', () => {
    expect(canon('203.0.113.7')).toBe('203.0.113.7');
    expect(canon(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(canon('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canon('2001:0db8::0001')).toBe('2001:db8::1');
    expect(canon('::1')).toBe('::1');
    expect(canon('::')).toBe('::');
    expect(canon('1::')).toBe('1::');
    expect(canon('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1'); // the longest run of zeros is compressed
    expect(canon('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group is not
    expect(canon('fe80::1%eth0')).toBe('fe80::1'); // zone dropped
    // IPv4-mapped IPv6 (a dual-stack socket's view of an IPv4 peer) is the IPv4 address.
    expect(canon('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(canon('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(canon('64:ff9b::203.0.113.7')).toBe('64:ff9b::cb00:7107');
  });

  test('not addresses', () => {
    for (const s of [
      '',
      'unknown',
      '203.0.113',
      '203.0.113.256',
      '0203.0.113.7',
      '203.0.113.7:8080',
      '2001:db8::1::2',
      '2001:db8:0:0:0:0:0:0:1',
      '[2001:db8::1]',
      'example.com',
      '1.2.3.4/24',
    ]) {
      expect(parseIp(s)).toBeNull();
    }
  });

  test('CIDRs: prefixes within range, single addresses, nothing else', () => {
    expect(parseCidr('10.0.0.0/8')?.prefix).toBe(8);
    expect(parseCidr('10.1.2.3/8')?.prefix).toBe(8); // host bits ignored
    expect(parseCidr('192.0.2.1')?.prefix).toBe(32);
    expect(parseCidr('2001:db8::/32')?.prefix).toBe(32);
    expect(parseCidr('::1')?.prefix).toBe(128);
    expect(parseCidr('0.0.0.0/0')?.prefix).toBe(0);
    for (const s of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/x']) {
      expect(parseCidr(s)).toBeNull();
    }
    expect(parseCidr('::ffff:10.0.0.0/104')).toBeNull(); // written as IPv4 instead
    expect(parseCidr('localhost')).toBeNull();
  });

  test('TRUSTED_PROXIES in the configuration: a list, validated at start', () => {
    expect(loadConfig({}).TRUSTED_PROXIES).toEqual([]);
    expect(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8 , ::1,,172.16.0.0/12 ' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '::1',
      '172.16.0.0/12',
    ]);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => new TrustedProxies(['nonsense'])).toThrow(/nonsense/);
  });
});

describe('the client of a request', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '2001:db8:1::/48', '127.0.0.1']);

  test('no trusted proxies: the peer, whatever X-Forwarded-For says', () => {
    const none = new TrustedProxies([]);
    expect(none.client('203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
    expect(none.client('10.0.0.1', '198.51.100.1')).toBe('10.0.0.1');
    expect(none.client('::ffff:10.0.0.1', '198.51.100.1')).toBe('10.0.0.1');
  });

  test('a peer that is not trusted: its own address, the header ignored', () => {
    expect(proxies.client('203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
    expect(proxies.client('2001:db8:2::5', '198.51.100.1')).toBe('2001:db8:2::5'); // outside the /48
  });

  test('a trusted peer: the right-most forwarded address that is not a trusted proxy', () => {
    expect(proxies.client('10.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    // What the client wrote itself (left of the first untrusted hop) is never believed.
    expect(proxies.client('10.0.0.1', '1.1.1.1, 198.51.100.1')).toBe('198.51.100.1');
    expect(proxies.client('10.0.0.1', '1.1.1.1, 198.51.100.1, 10.0.0.7')).toBe('198.51.100.1');
    expect(proxies.client('10.0.0.1', '1.1.1.1,198.51.100.1,10.0.0.7,127.0.0.1')).toBe('198.51.100.1');
    // IPv4-mapped peers, IPv6 hops, canonical output.
    expect(proxies.client('::ffff:10.0.0.1', '2001:DB8:ABCD::0001')).toBe('2001:db8:abcd::1');
    expect(proxies.client('2001:db8:1::9', '2001:db8:1::8, 198.51.100.1')).toBe('198.51.100.1');
    // Ports some proxies append; IPv6 in brackets.
    expect(proxies.client('10.0.0.1', '198.51.100.1:4711')).toBe('198.51.100.1');
    expect(proxies.client('10.0.0.1', '[2001:db8::7]:4711')).toBe('2001:db8::7');
    expect(proxies.client('10.0.0.1', '[2001:db8::7]')).toBe('2001:db8::7');
  });

  test('no header, or every hop a trusted proxy: the furthest trusted address', () => {
    expect(proxies.client('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(proxies.client('10.0.0.1', '')).toBe('10.0.0.1');
    expect(proxies.client('10.0.0.1', '10.0.0.3, 10.0.0.2')).toBe('10.0.0.3');
  });

  test('a malformed hop ends the walk at the trusted proxy that passed it on', () => {
    for (const bad of ['unknown', 'garbage', '999.1.1.1', '_hidden', '1.2.3.4.5', '[1.2.3.4]:80', '2001:db8::1::1']) {
      expect(proxies.client('10.0.0.1', bad)).toBe('10.0.0.1');
      expect(proxies.client('10.0.0.1', `198.51.100.1, ${bad}, 10.0.0.2`)).toBe('10.0.0.2');
    }
    expect(proxies.client('10.0.0.1', ',')).toBe('10.0.0.1');
    expect(proxies.client('10.0.0.1', ' , 198.51.100.1')).toBe('198.51.100.1'); // the client's own garbage
  });

  test('the compose setup (private ranges trusted, nginx sets the header to the address it sees): never forgeable', () => {
    const compose = new TrustedProxies(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    const nginx = '172.18.0.5';
    // A public client: the address nginx saw.
    expect(compose.client(nginx, '203.0.113.9')).toBe('203.0.113.9');
    // Docker Desktop / docker-proxy: every outside client arrives as the bridge gateway; that is the client.
    expect(compose.client(nginx, '172.18.0.1')).toBe('172.18.0.1');
    // Why nginx must set, not append: an appended header would let a client behind a private hop name itself.
    expect(compose.client(nginx, '6.6.6.6, 172.18.0.1')).toBe('6.6.6.6');
  });

  test('no socket (in-process requests): as given', () => {
    expect(proxies.client('unknown', '198.51.100.1')).toBe('unknown');
  });
});

describe('limit keys', () => {
  test('IPv4 as is; IPv6 by its /64, so one subscriber cannot rotate through its addresses', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2::1')).toBe(clientKey('2001:db8:1:2:ffff::9'));
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('unknown')).toBe('unknown');
  });
});
