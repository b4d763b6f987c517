/**
 * Events across two server processes while the Redis they use goes down and comes back (a server killed and
 * restarted in tests/events/feed.test.ts; a cluster master killed and replaced by its replica in
 * tests/cluster/redis-cluster.test.ts): 40 paced writes through B, all succeed, and a socket on A gets each
 * event once, in order, without gap or `resync`. Events travel through PostgreSQL; Redis only holds the cache and
 * the limits of both processes, so its outage must not touch them.
 */
import { expect } from 'bun:test';
import { call, freePort, freshDatabase, randomSecret, register, startServer } from '../faults/harness.js';
import { type Frame, FrameSocket } from '../support/frame-socket.js';

const WAIT_MS = 10_000;

/** The promise, or a clear failure after WAIT_MS (a write must not hang on Redis). */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const triples = (frames: Frame[]) => frames.map((f) => [f.type === 'event' ? f.seq : f.type, f.event, f.data]);

export interface RedisOutage {
  /** How the processes reach Redis (REDIS_URL or REDIS_CLUSTER_NODES). */
  extraEnv: Record<string, string>;
  /** Keys the processes wrote to that Redis so far (their limits and cache use it). */
  keysInRedis: () => Promise<number>;
  /** Before write 13. */
  down: () => Promise<void>;
  /** Before write 27. */
  up: () => Promise<void>;
}

export async function eventsThroughRedisOutage(outage: RedisOutage) {
  const databaseUrl = await freshDatabase();
  const options = { databaseUrl, jwtSecret: randomSecret(), extraEnv: outage.extraEnv };
  const A = await startServer({ ...options, port: await freePort() });
  const B = await startServer({ ...options, port: await freePort() });
  const token = await register(B.base);
  const created = await call(B.base, 'POST', '/api/v1/chats/create-chat', { token, body: { name: 'feed' } });
  expect(created.status).toBe(201);
  const root = created.body.chat_id as string;
  const sa = await FrameSocket.open(A.base, token);
  expect((await sa.subscribe(root)).seq).toBe(0);

  // The processes do use this Redis (limits, cache): the outage below is one they would notice.
  expect(await outage.keysInRedis()).toBeGreaterThan(0);

  const statuses: number[] = [];
  const answers: any[] = [];
  for (let n = 1; n <= 40; n++) {
    if (n === 13) await outage.down();
    if (n === 27) await outage.up();
    const r = await within(
      call(B.base, 'POST', '/api/v1/messages/add-message', {
        token,
        body: { chat_id: root, question: `q${n}`, response: `a${n}` },
      }),
      `write ${n} (Redis ${n >= 13 && n < 27 ? 'down' : 'up'})`,
    );
    statuses.push(r.status);
    if (r.status === 201) answers.push(r.body);
    await Bun.sleep(20); // pacing, so that the outage falls between writes
  }
  expect(statuses).toEqual(statuses.map(() => 201));

  const events = await sa.next(answers.length);
  expect(triples(events)).toEqual(answers.map((m, i) => [i + 1, 'message.added', m]));
  expect(await sa.drain()).toEqual([]); // no duplicate, no resync
}
