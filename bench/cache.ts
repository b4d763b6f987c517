/**
 * Cached vs uncached get-chat throughput on one dataset (npm run bench:cache).
 * The server runs as a separate process on local PostgreSQL (BENCH_DATABASE_URL, default the local
 * `postgres` database) and Redis (REDIS_URL, default 127.0.0.1:6379); load comes from autocannon here.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { api, type LoadResult, load, startServer, table } from './lib.js';

const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const db = `branchat_bench_cache_${Date.now()}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`create database ${db}`);
const url = new URL(admin);
url.pathname = `/${db}`;
const common = { DATABASE_URL: url.toString(), JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123' };

const PAIRS = 1000; // ~500 characters of text per pair
const results: LoadResult[] = [];
let seeded: { token: string; chatId: string } | undefined;
try {
  for (const mode of ['cached', 'uncached'] as const) {
    const env =
      mode === 'cached'
        ? { ...common, REDIS_URL: redisUrl, CACHE_KEY_PREFIX: `bench-${Date.now()}:` }
        : { ...common, CACHE_MODE: 'off' };
    const server = await startServer(env, 40000 + Math.floor(Math.random() * 10000));
    try {
      if (!seeded) {
        const { token } = await api(server.base, 'POST', '/api/v1/auth/register', {
          email: 'bench@example.com',
          password: 'bench-password',
        });
        const chat = await api(server.base, 'POST', '/api/v1/chats/create-chat', { name: 'bench' }, token);
        for (let i = 0; i < PAIRS; i++) {
          await api(
            server.base,
            'POST',
            '/api/v1/messages/add-message',
            {
              chat_id: chat.chat_id,
              question: `question ${i} ${'q'.repeat(200)}`,
              response: `answer ${i} ${'a'.repeat(800)}`,
            },
            token,
          );
        }
        seeded = { token, chatId: chat.chat_id };
      }
      const r = await load(
        `get-chat, ${mode} (first 200 of ${PAIRS} pairs, ~${Math.round(PAIRS && 200 * 0.75)} KB)`,
        `${server.base}/api/v1/chats/get-chat?chat_id=${seeded.chatId}&limit=200`,
        { Authorization: `Bearer ${seeded.token}` },
      );
      results.push(r);
      console.log(`${r.name}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, peak RSS ${server.peakRssMb()} MB`);
    } finally {
      await server.stop();
    }
  }
} finally {
  await client.query(`drop database if exists ${db} with (force)`);
  await client.end();
}

const [cached, uncached] = results as [LoadResult, LoadResult];
const md = `${table(results)}\n\ncached / uncached throughput: ${(cached.rps / uncached.rps).toFixed(2)}×\n`;
console.log(`\n${md}`);
writeFileSync(
  `${import.meta.dir}/results/cache.md`,
  `<!-- written by bench/cache.ts on ${new Date().toISOString()} -->\n${md}`,
);
