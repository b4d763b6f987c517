import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveJwtSecret } from '../../src/auth/secret.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { redisTarget } from '../../src/stores/redis.js';

const log = createLogger('silent');

describe('config', () => {
  test('embedded defaults with no environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, DATA_DIR: './.data', NODE_ENV: 'development', CORS_ORIGINS: [] });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.MONGO_URL).toBeUndefined();
  });

  test('invalid values are refused with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });

  test('production without JWT_SECRET refuses to start', () => {
    expect(() => resolveJwtSecret(loadConfig({ NODE_ENV: 'production' }), log)).toThrow(/JWT_SECRET/);
  });

  test('development without JWT_SECRET generates one secret, kept private in DATA_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'branchat-secret-'));
    const config = loadConfig({ DATA_DIR: dir });
    const first = resolveJwtSecret(config, log);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(resolveJwtSecret(config, log)).toBe(first);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(first);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o077).toBe(0);
  });

  test('Redis: none, one server (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES, host:port list)', () => {
    expect(redisTarget(loadConfig({}))).toBeNull();
    expect(redisTarget(loadConfig({ REDIS_URL: 'redis://r:6379' }))).toEqual({ kind: 'server', url: 'redis://r:6379' });
    expect(
      redisTarget(
        loadConfig({ REDIS_CLUSTER_NODES: ' r1:7000, 10.0.0.2:7001,[::1]:7002,', REDIS_CLUSTER_PASSWORD: 'pw' }),
      ),
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 'pw',
    });
  });

  test('Redis: both REDIS_URL and REDIS_CLUSTER_NODES, a node that is not host:port, a braced key prefix → refused', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r1:7000' })).toThrow(
      /REDIS_URL, REDIS_CLUSTER_NODES: both are set/,
    );
    for (const bad of ['r1', 'r1:', 'redis://r1:7000', 'r1:70000', 'r1:0', 'a b:1'])
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES.*not host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000', CACHE_KEY_PREFIX: 'app{1}:' })).toThrow(
      /CACHE_KEY_PREFIX: must not contain \{ or \}/,
    );
    // A braced prefix is only a problem on a cluster.
    expect(loadConfig({ REDIS_URL: 'redis://r:6379', CACHE_KEY_PREFIX: 'app{1}:' }).CACHE_KEY_PREFIX).toBe('app{1}:');
  });

  test('PgBouncer: DATABASE_POOLER=transaction without DATABASE_DIRECT_URL is refused; with it, or with none, accepted', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@pooler:6432/db', DATABASE_POOLER: 'transaction' })).toThrow(
      /DATABASE_DIRECT_URL: required with DATABASE_POOLER=transaction/,
    );
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://u@pooler:6432/db',
        DATABASE_DIRECT_URL: 'postgres://u@primary:5432/db',
        DATABASE_POOLER: 'transaction',
      }).DATABASE_POOLER,
    ).toBe('transaction');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@primary:5432/db' }).DATABASE_POOLER).toBe('none');
  });
});
