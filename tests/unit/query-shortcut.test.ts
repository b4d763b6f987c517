/**
 * Query shortcuts (src/http/query-shortcut.ts) stand for their route's schema: for every query a shortcut
 * recognises, it must give exactly what the schema gives; every other query is left to the schema. Checked here on
 * a corpus of spellings, valid and not, against the schema itself.
 */
import { describe, expect, test } from 'bun:test';
import { getChat, getChatQueryShortcut } from '../../src/http/chats/chats.routes.js';
import { plainParams, rawQuery } from '../../src/http/query-shortcut.js';

const schema = getChat.request.query;

/** The query object Hono's validator gives the schema: each name once, repeated names as arrays. */
function honoQuery(query: string): Record<string, string | string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(query)) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return Object.fromEntries(
    [...grouped].map(([name, values]) => [name, values.length === 1 ? (values[0] as string) : values]),
  );
}

const ID = '0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e';
const OTHER = '01a24262-0871-715b-840c-c4527eed7162';
const ids = [
  ID,
  OTHER,
  ID.toUpperCase(),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '0193a4c2-7b1e-0cc0-9d3f-5a1e2b3c4d5e', // version 0
  '0193a4c2-7b1e-7cc0-cd3f-5a1e2b3c4d5e', // variant 110x
  '0193a4c27b1e7cc09d3f5a1e2b3c4d5e',
  `${ID}0`,
  'not-a-uuid',
  '',
];
const limits = [
  undefined,
  '1',
  '30',
  '200',
  '1000',
  '0',
  '1001',
  '0030',
  '-1',
  '1e3',
  '0x10',
  ' 5',
  '5.0',
  '',
  '99999',
];
const cursors: [string, string][][] = [
  [],
  [['before', 'end']],
  [['before', ID]],
  [['after', OTHER]],
  [['before', 'END']],
  [['after', 'end']],
  [
    ['after', ID],
    ['before', 'end'],
  ],
  [['before', ID.toUpperCase()]],
];

function corpus(): string[] {
  const out: string[] = [];
  for (const id of ids) {
    for (const limit of limits) {
      for (const cursor of cursors) {
        const params: [string, string][] = [
          ['chat_id', id],
          ...(limit === undefined ? [] : [['limit', limit] as [string, string]]),
          ...cursor,
        ];
        out.push(params.map(([k, v]) => `${k}=${v}`).join('&'));
        out.push(
          [...params]
            .reverse()
            .map(([k, v]) => `${k}=${v}`)
            .join('&'),
        );
      }
    }
  }
  out.push(
    '',
    `chat_id=${ID}&`,
    `&chat_id=${ID}`,
    `chat_id=${ID}&chat_id=${ID}`,
    `chat_id=${ID}&limit=30&limit=40`,
    `chat_id=${ID}&extra=1`,
    `chat_id=${ID}&limit`,
    `chat_id`,
    `chat_id=${ID}=x`,
    `chat_id=${ID.replaceAll('-', '%2D')}`,
    `chat_id=${ID}&limit=%33%30`,
    `chat_id=${ID}&before=end+`,
    `limit=30`,
    `chat_id=${ID}&after=&before=end`,
  );
  return out;
}

describe('the get-chat query shortcut', () => {
  test('gives exactly what the schema gives wherever it answers, and leaves every other query to it', () => {
    let recognised = 0;
    let refusedBySchema = 0;
    for (const query of corpus()) {
      const short = getChatQueryShortcut(query);
      const full = schema.safeParse(honoQuery(query));
      if (!full.success) refusedBySchema++;
      if (short === null) continue;
      recognised++;
      expect({ query, ok: full.success }).toEqual({ query, ok: true });
      expect({ query, value: short }).toEqual({ query, value: full.data as typeof short });
    }
    // The corpus exercises both sides: many spellings recognised, many the schema refuses (a 422 either way).
    expect(recognised).toBeGreaterThan(50);
    expect(refusedBySchema).toBeGreaterThan(1000);
  });

  test('recognises the spellings clients send (the demo, the typed client, curl)', () => {
    expect(getChatQueryShortcut(`chat_id=${ID}`)).toEqual({ chat_id: ID, limit: 200 });
    expect(getChatQueryShortcut(`chat_id=${ID}&limit=30`)).toEqual({ chat_id: ID, limit: 30 });
    expect(getChatQueryShortcut(`chat_id=${ID}&limit=30&before=end`)).toEqual({
      chat_id: ID,
      limit: 30,
      before: 'end',
    });
    expect(getChatQueryShortcut(`limit=30&after=${OTHER}&chat_id=${ID}`)).toEqual({
      chat_id: ID,
      limit: 30,
      after: OTHER,
    });
  });

  test('plainParams and rawQuery: unescaped name=value pairs, each name once and known', () => {
    const names = new Set(['a', 'b']);
    expect(rawQuery('http://x/p?a=1&b=2')).toBe('a=1&b=2');
    expect(rawQuery('http://x/p')).toBe('');
    expect(plainParams('a=1&b=', names)).toEqual(
      new Map([
        ['a', '1'],
        ['b', ''],
      ]),
    );
    for (const q of ['', 'a=1&a=2', 'c=1', 'a', 'a=1&', 'a=%31', 'a=1+2', '&a=1'])
      expect(plainParams(q, names)).toBeNull();
  });
});
