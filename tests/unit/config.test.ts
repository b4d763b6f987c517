import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveJwtSecret } from '../../src/auth/secret.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

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
});
