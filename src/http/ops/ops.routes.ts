/** Liveness and readiness (the docs page is in docs.ts). */
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../app-types.js';
import { errors } from '../errors.js';

const Health = z.object({ status: z.literal('ok') }).openapi('Health');
const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(z.string(), z.enum(['ok', 'degraded', 'failed'])),
  })
  .openapi('Readiness');

const healthz = createRoute({
  operationId: 'healthz',
  method: 'get',
  path: '/healthz',
  tags: ['Operations'],
  security: [],
  summary: 'Liveness: 200 while the process runs',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: Health } } },
    ...errors(500),
  },
});

const readyz = createRoute({
  operationId: 'readyz',
  method: 'get',
  path: '/readyz',
  tags: ['Operations'],
  security: [],
  summary: 'Readiness: 200 when PostgreSQL and the content store answer, else 503',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'A backing store does not answer', content: { 'application/json': { schema: Readiness } } },
    ...errors(500),
  },
});

async function check(probe: () => Promise<void>, timeoutMs = 2000): Promise<'ok' | 'failed'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch {
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export const opsRouter = createRouter()
  .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(readyz, async (c) => {
    const { meta, content } = c.get('deps');
    const [postgres, contentStore] = await Promise.all([check(() => meta.ping()), check(() => content.ping())]);
    const cache = c.get('cacheHealth')?.() ?? 'ok';
    // A cache outage degrades (requests are served from the databases); it never fails readiness.
    const checks = { postgres, [`content_${content.name}`]: contentStore, cache };
    const ready = postgres === 'ok' && contentStore === 'ok';
    if (!ready) c.header('Retry-After', '5');
    return ready
      ? c.json({ status: 'ready' as const, checks }, 200)
      : c.json({ status: 'unavailable' as const, checks }, 503);
  });
