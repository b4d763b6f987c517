import { describe, expect, test } from 'bun:test';
import { BunPasswordHasher, NodeArgon2Hasher } from '../../src/auth/password.js';

describe('argon2id hashes are interchangeable between runtimes', () => {
  const bun = new BunPasswordHasher();
  const node = new NodeArgon2Hasher();

  test('a hash made under Bun verifies with the Node hasher, and the reverse; wrong passwords fail', async () => {
    const fromBun = await bun.hash('correct horse battery');
    const fromNode = await node.hash('correct horse battery');
    expect(fromBun.startsWith('$argon2id$')).toBe(true);
    expect(fromNode).toMatch(/^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
    expect(await node.verify('correct horse battery', fromBun)).toBe(true);
    expect(await bun.verify('correct horse battery', fromNode)).toBe(true);
    expect(await node.verify('wrong', fromBun)).toBe(false);
    expect(await bun.verify('wrong', fromNode)).toBe(false);
  });

  test('a malformed hash is a failed verification, not an exception', async () => {
    expect(await node.verify('x', 'not-a-hash')).toBe(false);
    expect(await bun.verify('x', 'not-a-hash')).toBe(false);
  });
});
