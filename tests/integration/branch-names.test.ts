/**
 * Default branch names (create-branch without `name`): the source chat's name cut to leave room for
 * " (branch)". The cut falls between graphemes, so the name is one the API itself accepts: storable (no lone
 * surrogate), within NAME_MAX, returned as stored by get-chat and get-branches, and accepted back by update-chat.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { NAME_MAX, storableText } from '../../src/domain/limits.js';
import { testApp } from '../support/app.js';
import { newAccount } from '../support/client.js';

let app: Awaited<ReturnType<typeof testApp>>['app'];
beforeAll(async () => {
  ({ app } = await testApp());
});

const SUFFIX = ' (branch)';
/** Units of the source name that fit before the suffix. */
const ROOM = NAME_MAX - SUFFIX.length; // 191

describe('default branch names', () => {
  const cases: [string, string, string][] = [
    // 190 units + an emoji (2 units) across the cut at 191: a plain slice would keep a lone high surrogate.
    ['an emoji across the cut', `${'x'.repeat(190)}🙂`, 'x'.repeat(190)],
    // An emoji with a skin tone (4 units, 189..192): a slice would keep the emoji and drop half the modifier.
    ['an emoji and its modifier across the cut', `${'x'.repeat(189)}👍🏽tail`, 'x'.repeat(189)],
    // A letter and its combining accent (190, 191): a slice would keep the bare letter.
    ['a combining accent across the cut', `${'x'.repeat(190)}e\u0301`, 'x'.repeat(190)],
    // Nothing to cut at the boundary: the whole room is used.
    ['ASCII only', 'y'.repeat(NAME_MAX), 'y'.repeat(ROOM)],
  ];

  for (const [label, source, kept] of cases) {
    test(`${label}: a valid name, returned as stored and accepted back`, async () => {
      expect(storableText(source) && source.length <= NAME_MAX).toBe(true); // a name the API accepts
      const a = await newAccount(app);
      const { chatId, ids } = await a.chatWith(1, source);
      const created = await a.createBranch({ chat_id: chatId, response_id: ids[0] as string });
      expect(created.status).toBe(201);
      const name = created.body.chat.name as string;
      expect(/\p{Cs}/u.test(name)).toBe(false); // no lone surrogate
      expect(storableText(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(NAME_MAX);
      expect(name).toBe(`${kept}${SUFFIX}`); // whole graphemes only

      const branchId = created.body.chat.chat_id as string;
      const read = await a.getChat(branchId);
      expect(read.status).toBe(200);
      expect(read.body.chat.name).toBe(name);
      const tree = await a.getBranches(chatId);
      expect(JSON.stringify(tree.body)).toContain(JSON.stringify(name));
      // The edge's own rule (ChatName) accepts the name the service chose.
      const renamed = await a.updateChat(branchId, name);
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe(name);
    });
  }
});
