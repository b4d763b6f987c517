/**
 * The JWT secret: JWT_SECRET, or in development a generated one kept in DATA_DIR (with a warning).
 * In production a missing secret is fatal: tokens signed with a throwaway key would die with the process.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export function resolveJwtSecret(config: Config, log: Logger): string {
  if (config.JWT_SECRET) {
    if (config.JWT_SECRET.length < 32) log.warn('JWT_SECRET is shorter than 32 characters; use a long random value');
    return config.JWT_SECRET;
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('JWT_SECRET must be set when NODE_ENV=production');
  }
  const dir = resolve(config.DATA_DIR);
  const file = join(dir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  log.warn({ file }, 'JWT_SECRET is not set; using a development secret kept in the data directory');
  return readFileSync(file, 'utf8').trim();
}
