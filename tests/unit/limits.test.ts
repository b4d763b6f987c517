/**
 * domain/limits.ts: truncate (every cut of a name, title or snippet) never splits a surrogate pair nor a
 * grapheme; the default branch name and the snippet of a text without words, cut with it, stay valid text.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { defaultBranchName } from '../../src/domain/branches/branches.service.js';
import { NAME_MAX, NameText, storableText, truncate } from '../../src/domain/limits.js';
import { buildSnippet } from '../../src/stores/content/snippet.js';

const graphemes = (s: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)];

describe('truncate', () => {
  test('text within the limit is returned as is; ASCII is cut at the limit exactly', () => {
    expect(truncate('', 5)).toBe('');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 3)).toBe('abc');
    expect(truncate('abc', 0)).toBe('');
  });

  test('never inside a surrogate pair: an emoji across the limit is left out whole', () => {
    const s = `${'x'.repeat(190)}🙂`; // the emoji is units 190 and 191
    expect(truncate(s, 191)).toBe('x'.repeat(190));
    expect(truncate(s, 192)).toBe(s);
    expect(truncate('🙂🙂🙂', 5)).toBe('🙂🙂');
  });

  test('never inside a grapheme: emoji modifiers, ZWJ sequences, flags, combining marks, CRLF', () => {
    const base = 'x'.repeat(10);
    for (const g of ['👍🏽', '👩‍👩‍👧', '🇫🇷', 'e\u0301', '\r\n']) {
      const s = `${base}${g}tail`;
      for (let max = base.length + 1; max < base.length + g.length; max++) expect(truncate(s, max)).toBe(base);
      expect(truncate(s, base.length + g.length)).toBe(`${base}${g}`);
    }
    expect(truncate('🇫🇷🇩🇪', 6)).toBe('🇫🇷'); // regional indicators pair up from the start
  });

  test('a single grapheme longer than the limit is cut between code points, never to nothing', () => {
    const marks = `a${'\u0301'.repeat(300)}`;
    expect(truncate(marks, 100)).toBe(marks.slice(0, 100));
    const astral = `a${'\u{E0100}'.repeat(100)}`; // variation selectors: 2 units each, one grapheme with the a
    const cut = truncate(astral, 50);
    expect(cut).toBe(astral.slice(0, 49));
    expect(storableText(cut)).toBe(true);
  });

  test('property: a prefix, within the limit, storable when the input is, and whole graphemes unless one alone is too long', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', ' ', 'é', 'e\u0301', '中', '🙂', '👍🏽', '👩‍💻', '🇫🇷', '\r\n', '\u200d', '\u0301'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.nat({ max: 60 }), (s, max) => {
        const t = truncate(s, max);
        expect(s.startsWith(t)).toBe(true);
        expect(t.length).toBeLessThanOrEqual(max);
        if (storableText(s)) expect(storableText(t)).toBe(true);
        if (s.length <= max) expect(t).toBe(s);
        const first = graphemes(s)[0]?.segment ?? '';
        if (first.length <= max) {
          // t ends at a grapheme boundary of s, and the next grapheme would not have fitted.
          const ends = graphemes(s).map((g) => g.index + g.segment.length);
          expect(t === '' || ends.includes(t.length)).toBe(true);
          const next = graphemes(s).find((g) => g.index === t.length);
          if (next) expect(t.length + next.segment.length).toBeGreaterThan(max);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('defaultBranchName', () => {
  test('the source name cut to leave room for " (branch)": at most NAME_MAX units, never a lone surrogate', () => {
    expect(defaultBranchName('Trip')).toBe('Trip (branch)');
    const emoji = `${'x'.repeat(190)}🙂`; // a plain slice to 191 units would end in a lone high surrogate
    expect(defaultBranchName(emoji)).toBe(`${'x'.repeat(190)} (branch)`);
    expect(defaultBranchName(`${'x'.repeat(189)}👍🏽`)).toBe(`${'x'.repeat(189)} (branch)`);
    expect(defaultBranchName('x'.repeat(NAME_MAX))).toHaveLength(NAME_MAX);
  });

  test('property: any valid name gives a valid name (what the API accepts as a chat name)', () => {
    const unit = fc.oneof(
      fc.constantFrom('x', '🙂', '👍🏽', 'e\u0301', '🇫🇷'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    );
    const name = fc.string({ unit, minLength: 1, maxLength: NAME_MAX }).filter((s) => NameText.safeParse(s).success);
    fc.assert(
      fc.property(name, (s) => {
        expect(NameText.safeParse(defaultBranchName(s)).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('snippets (stores without highlighting)', () => {
  test('a text without any word is cut to 200 units, whole graphemes only', () => {
    const snippet = buildSnippet(`!${'🙂'.repeat(150)}`, ['x']); // a plain slice would end in a lone surrogate
    expect(snippet).toBe(`!${'🙂'.repeat(99)}`);
    expect(storableText(snippet)).toBe(true);
  });
});
