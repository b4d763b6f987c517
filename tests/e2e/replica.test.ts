/**
 * DATABASE_READ_URL: search, export and list-chats may be served by a streaming replica, and stay linearizable
 * (src/stores/replica.ts). A primary of the test's own (initdb) and its streaming replica (pg_basebackup -R -X
 * stream), PostgreSQL 15 on free ports in the test's folder (tests/support/pg-cluster.ts); the server process on
 * the primary with DATABASE_READ_URL at the replica.
 *
 * - a read right after each write sees it, on every route that may go to the replica (list-chats, search, export
 *   json and markdown) and on those that stay on the primary (get-chat, get-branches), and the replica served
 *   some of them (`branchat_replica_reads_total{outcome="replica"}`);
 * - reads racing writes: each read that starts after a write was answered shows it;
 * - replay paused on the replica (`pg_wal_replay_pause()`): the replica really is behind (read directly), yet the
 *   service's reads are fresh (they wait, then read the primary: outcome `lagging`); replay resumed, the replica
 *   serves again;
 * - the replica stopped: the reads are served by the primary (outcome `failed`), still fresh.
 *
 * Skipped, with the reason, without the PostgreSQL 15 server binaries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import pg from 'pg';
import {
  call,
  cleanup,
  freePort,
  logsOnFailure,
  randomSecret,
  reasonToSkip,
  register,
  type ServerProcess,
  startServer,
  tempDir,
} from '../faults/harness.js';
import { type ReplicatedPair, replicaUnavailable, startPrimaryWithReplica, waitForSql } from '../support/pg-cluster.js';
import { stopServers } from '../support/server-process.js';

const skipReason = await reasonToSkip('e2e/replica', replicaUnavailable);

describe.skipIf(skipReason !== null)('reads on a streaming replica (DATABASE_READ_URL)', () => {
  let pair: ReplicatedPair;
  let server: ServerProcess;
  let token = '';
  let replica: pg.Client;

  beforeAll(async () => {
    pair = await startPrimaryWithReplica(tempDir('branchat-replica-'));
    const admin = new pg.Client({ connectionString: pair.primaryUrl('postgres') });
    await admin.connect();
    await admin.query('create database branchat');
    await admin.end();
    await waitForSql(pair.replicaUrl('branchat')); // the new database has reached the replica
    server = await startServer({
      databaseUrl: pair.primaryUrl('branchat'),
      port: await freePort(),
      jwtSecret: randomSecret(),
      extraEnv: { DATABASE_READ_URL: pair.replicaUrl('branchat') },
    });
    token = await register(server.base);
    replica = new pg.Client({ connectionString: pair.replicaUrl('branchat') });
    await replica.connect();
  }, 120_000);

  afterAll(async () => {
    await replica?.end().catch(() => {});
    await stopServers(); // the server first: it holds connections to both
    await pair?.stop(); // before cleanup() removes their folder
    await cleanup();
  });

  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(server.base, method, path, { body, token });
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const listed = async (chatId: string) =>
    (await ok('GET', '/api/v1/chats/list-chats?limit=100')).chats.find(
      (c: { chat_id: string }) => c.chat_id === chatId,
    );
  const found = async (word: string) =>
    (await ok('GET', `/api/v1/messages/search-messages?q=${word}`)).hits.map(
      (h: { response_id: string }) => h.response_id,
    );
  const exported = async (chatId: string) => {
    const r = await call(server.base, 'GET', `/api/v1/chats/export-chat?chat_id=${chatId}&format=json`, { token });
    expect(r.status).toBe(200);
    return r.body.chats.flatMap((c: { qa_pairs: { response_id: string }[] }) => c.qa_pairs.map((p) => p.response_id));
  };
  const markdown = async (chatId: string) => {
    const r = await call(server.base, 'GET', `/api/v1/chats/export-chat?chat_id=${chatId}&format=markdown`, { token });
    expect(r.status).toBe(200);
    return String(r.body);
  };
  const outcomes = async () => {
    const r = await call(server.base, 'GET', '/metrics');
    const count = (o: string) =>
      Number(String(r.body).match(new RegExp(`branchat_replica_reads_total\\{outcome="${o}"\\} (\\d+)`))?.[1] ?? 0);
    return { replica: count('replica'), lagging: count('lagging'), failed: count('failed') };
  };
  const word = () => `w${Math.random().toString(36).slice(2, 10)}`;

  test('a read right after a write sees it, on every route; the replica serves the lag-tolerant ones', async () => {
    await logsOnFailure('replica', async () => {
      const before = await outcomes();
      const root = (await ok('POST', '/api/v1/chats/create-chat', { name: 'r0' })).chat_id;
      expect((await listed(root))?.name).toBe('r0');
      for (let i = 0; i < 12; i++) {
        const w = word();
        const added = await ok('POST', '/api/v1/messages/add-message', { chat_id: root, question: w, response: 'a' });
        expect(await found(w)).toEqual([added.response_id]);
        expect(await exported(root)).toContain(added.response_id);
        expect(await markdown(root)).toContain(w);
        expect((await ok('GET', `/api/v1/chats/get-chat?chat_id=${root}`)).qa_pairs).toHaveLength(i + 1);
        await ok('PUT', '/api/v1/chats/update-chat', { chat_id: root, name: `r${i + 1}` });
        expect((await listed(root))?.name).toBe(`r${i + 1}`);
        const branch = await ok('POST', '/api/v1/branches/create-branch', {
          chat_id: root,
          response_id: added.response_id,
        });
        expect((await ok('GET', `/api/v1/branches/get-branches?chat_id=${root}`)).active_chat_id).toBe(
          branch.chat.chat_id,
        );
        expect(await exported(root)).toHaveLength(i + 1); // a branch without a question: no pair of its own
      }
      const after = await outcomes();
      console.info(
        `[e2e/replica] after each write: ${JSON.stringify(after)} (replica, lagging: primary after the wait)`,
      );
      // 12 × (search, export ×2, list) + the first list: most on the replica (it replays within milliseconds here).
      expect(after.replica - before.replica).toBeGreaterThan(20);
      expect(after.failed).toBe(before.failed);
    });
  }, 120_000);

  test('reads racing writes: every read that starts after a write was answered shows it', async () => {
    await logsOnFailure('replica', async () => {
      const root = (await ok('POST', '/api/v1/chats/create-chat', { name: 'race' })).chat_id;
      let answered = 0;
      let stop = false;
      const violations: string[] = [];
      const readers = [0, 1].map(async (k) => {
        while (!stop) {
          const atStart = answered;
          if (k === 0) {
            const n = (await exported(root)).length;
            if (n < atStart) violations.push(`export: ${n} pairs < ${atStart} answered`);
          } else {
            const name = (await listed(root))?.name as string;
            const n = name === 'race' ? 0 : Number(name.slice(1));
            if (n < atStart) violations.push(`list-chats: ${name} after ${atStart} renames`);
          }
        }
      });
      for (let i = 1; i <= 25; i++) {
        await ok('POST', '/api/v1/messages/add-message', { chat_id: root, question: `q${i}`, response: 'x' });
        await ok('PUT', '/api/v1/chats/update-chat', { chat_id: root, name: `n${i}` });
        answered = i;
      }
      stop = true;
      await Promise.all(readers);
      expect(violations).toEqual([]);
    });
  }, 120_000);

  test('replay paused: the replica is behind, the reads are still fresh (the primary answers)', async () => {
    await logsOnFailure('replica', async () => {
      const root = (await ok('POST', '/api/v1/chats/create-chat', { name: 'before-pause' })).chat_id;
      expect((await listed(root))?.name).toBe('before-pause');
      await replica.query('select pg_wal_replay_pause()');
      try {
        const before = await outcomes();
        const w = word();
        await ok('PUT', '/api/v1/chats/update-chat', { chat_id: root, name: 'during-pause' });
        const added = await ok('POST', '/api/v1/messages/add-message', { chat_id: root, question: w, response: 'a' });
        // The replica itself has not seen the writes…
        const onReplica = await replica.query('select name from chats where chat_id = $1', [root]);
        expect(onReplica.rows[0]?.name).toBe('before-pause');
        // …the service's reads have.
        expect((await listed(root))?.name).toBe('during-pause');
        expect(await found(w)).toEqual([added.response_id]);
        expect(await exported(root)).toEqual([added.response_id]);
        const after = await outcomes();
        expect(after.lagging - before.lagging).toBe(3);
        expect(after.replica).toBe(before.replica);
      } finally {
        await replica.query('select pg_wal_replay_resume()');
      }
      const resumed = await outcomes();
      expect((await listed(root))?.name).toBe('during-pause');
      expect((await outcomes()).replica).toBe(resumed.replica + 1);
    });
  }, 120_000);

  test('the replica stopped: the primary serves the reads', async () => {
    await logsOnFailure('replica', async () => {
      await replica.end();
      await pair.stopReplica();
      const before = await outcomes();
      const root = (await ok('POST', '/api/v1/chats/create-chat', { name: 'no-replica' })).chat_id;
      const w = word();
      const added = await ok('POST', '/api/v1/messages/add-message', { chat_id: root, question: w, response: 'a' });
      expect((await listed(root))?.name).toBe('no-replica');
      expect(await found(w)).toEqual([added.response_id]);
      const after = await outcomes();
      expect(after.failed - before.failed).toBe(2);
    });
  }, 60_000);
});
