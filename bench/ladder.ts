/**
 * Where a cached read's time goes (npm run bench:ladder, after bench:quick or bench:dataset --quick):
 * the same server answering /healthz, an authenticated route that stops after auth, list-chats, and
 * get-chat with a cached one-pair page. Each step adds one layer of work.
 */
import { readFileSync } from 'node:fs';
import { TokenService } from '../src/auth/tokens.js';
import { freePort, load, startServer } from './lib.js';

const m = JSON.parse(readFileSync(`${import.meta.dir}/results/dataset-quick.json`, 'utf8'));
const secret = 'bench-secret-bench-secret-bench-secret-0123';
const token = await new TokenService(secret, 3600).issue(m.small.accountId);
const s = await startServer({ DATABASE_URL: m.databaseUrl, JWT_SECRET: secret }, await freePort());
const h = { Authorization: `Bearer ${token}` };
const steps: [string, string, Record<string, string>][] = [
  ['GET /healthz (framework, middleware)', '/healthz', {}],
  ['authenticated, then 404 (JWT + account check)', '/api/v1/chats/nope', h],
  ['list-chats limit 1 (one keyset query)', '/api/v1/chats/list-chats?limit=1', h],
  ['get-chat limit 1, cached (chat row + cache hit)', `/api/v1/chats/get-chat?chat_id=${m.small.chatId}&limit=1`, h],
];
try {
  for (const [name, path, headers] of steps) {
    const r = await load(name, `${s.base}${path}`, headers, { seconds: 3, warmupSeconds: 1 });
    console.log(`${name.padEnd(52)} ${r.rps} req/s`);
  }
} finally {
  await s.stop();
}
