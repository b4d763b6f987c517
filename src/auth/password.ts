import type { PasswordHasher } from '../domain/ports.js';
import { isBun } from '../runtime.js';

/**
 * argon2id, PHC-encoded ($argon2id$v=19$m=65536,t=2,p=1$…): Bun.password under Bun, @node-rs/argon2 under
 * Node with the same parameters. Either runtime verifies the other's hashes.
 */
export class BunPasswordHasher implements PasswordHasher {
  hash(password: string): Promise<string> {
    return Bun.password.hash(password, { algorithm: 'argon2id' });
  }

  async verify(password: string, hash: string): Promise<boolean> {
    try {
      return await Bun.password.verify(password, hash);
    } catch {
      return false;
    }
  }
}

export class NodeArgon2Hasher implements PasswordHasher {
  private readonly lib = import('@node-rs/argon2');

  async hash(password: string): Promise<string> {
    const { hash } = await this.lib;
    // algorithm 2 = Argon2id (a const enum in the typings, not importable under isolatedModules).
    return hash(password, { algorithm: 2, memoryCost: 65536, timeCost: 2, parallelism: 1 });
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    try {
      return await (await this.lib).verify(encoded, password);
    } catch {
      return false;
    }
  }
}

export function createPasswordHasher(): PasswordHasher {
  return isBun ? new BunPasswordHasher() : new NodeArgon2Hasher();
}
