/** CORS when origins are configured: the allow-list only, never a reflected arbitrary origin. */
import { beforeAll, describe, expect, test } from 'bun:test';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { testServices } from '../support/app.js';

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const s = await testServices();
  app = createApp({
    deps: s.deps,
    tokens: s.tokens,
    log: createLogger('silent'),
    corsOrigins: ['https://app.example.com'],
  });
});

const preflight = (origin: string) =>
  app.request('/api/v1/chats/create-chat', {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });

describe('CORS allow-list', () => {
  test('an allowed origin gets exactly itself back, on preflight and on the actual response', async () => {
    const p = await preflight('https://app.example.com');
    expect(p.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(p.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const r = await app.request('/healthz', { headers: { Origin: 'https://app.example.com' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(r.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });

  test('any other origin gets no allow-origin header (not reflected, not *)', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const p = await preflight(origin);
      expect(p.headers.get('access-control-allow-origin')).toBeNull();
      const r = await app.request('/healthz', { headers: { Origin: origin } });
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
