/** Malformed input: every problem is listed, with its path (structure, tree, messages, limits, bounds). */
import { describe, expect, test } from 'bun:test';
import { QUESTION_MAX, RESPONSE_MAX, SYSTEM_PROMPT_MAX } from '../../../src/domain/limits.js';
import { fromChatGpt, MAX_ISSUES, MAX_MESSAGES } from '../../../src/domain/transfer/chatgpt/index.js';
import { a, conversation, errorsOf, message, only, pathsOf, type RawNode, ROOT, type Spec, u } from './helpers.js';

describe('fromChatGpt: malformed input → every problem, with its path', () => {
  const good = () =>
    conversation([
      ROOT,
      u('u1', 'root', 'q1', 1),
      a('a1', 'u1', 'r1', 2),
      u('u2', 'a1', 'q2', 3),
      a('a2', 'u2', 'r2', 4),
    ]);

  test('not a conversation: a string, a number, null, an empty array, an array element', () => {
    for (const input of ['x', 42, null, undefined, true]) expect(pathsOf(input)).toEqual(['(input)']);
    expect(errorsOf([])).toEqual([
      { path: '(input)', message: 'is an empty array; expected at least one conversation' },
    ]);
    expect(pathsOf([good(), 'nope'])).toEqual(['[1]']);
  });

  test('mapping missing or not an object', () => {
    const { mapping: _m, ...rest } = good();
    expect(pathsOf(rest)).toEqual(['mapping']);
    expect(pathsOf({ ...good(), mapping: [] })).toEqual(['mapping']);
    expect(pathsOf({ ...good(), mapping: {} })).toEqual(['mapping', 'current_node']); // no root; a2 is gone
  });

  test('node key ≠ node.id; parent naming an unknown node; a child list inconsistent with the parents', () => {
    const c = good();
    (c.mapping.u2 as RawNode).id = 'other';
    expect(pathsOf(c)).toEqual(['mapping.u2.id']);

    const d = good();
    (d.mapping.a2 as RawNode).parent = 'ghost';
    expect(pathsOf(d)).toEqual(['mapping.a2.parent']);

    const e = good();
    (e.mapping.root as RawNode).children = ['u1', 'a2']; // a2's parent is u2
    (e.mapping.u1 as RawNode).children = []; // … and u1 no longer lists a1
    expect(pathsOf(e).sort()).toEqual(['mapping.a1.parent', 'mapping.root.children[1]']);

    const f = good();
    (f.mapping.root as RawNode).children = ['u1', 'nowhere', 'u1', 7];
    expect(pathsOf(f)).toEqual(['mapping.root.children[1]', 'mapping.root.children[2]', 'mapping.root.children[3]']);
  });

  test('no root, several roots, a cycle', () => {
    const none = good();
    (none.mapping.root as RawNode).parent = 'a2';
    (none.mapping.a2 as RawNode).children = ['root'];
    const errors = errorsOf(none);
    expect(errors.map((e) => e.path)).toEqual(['mapping', 'mapping.root.parent']);
    expect(errors[1]?.message).toBe('is part of a cycle: root → a2 → u2 → a1 → u1 → root');

    const two = good();
    (two.mapping.u2 as RawNode).parent = null;
    (two.mapping.a1 as RawNode).children = [];
    expect(errorsOf(two)).toEqual([
      { path: 'mapping.u2.parent', message: 'is null, but "root" is already the root; there must be only one' },
    ]);

    const cycle = good();
    cycle.mapping.x = { id: 'x', parent: 'y', children: ['y'], message: null };
    cycle.mapping.y = { id: 'y', parent: 'x', children: ['x'], message: null };
    const cycleErrors = errorsOf(cycle);
    expect(cycleErrors.map((e) => e.path)).toEqual(['mapping.x.parent']);
    expect(cycleErrors[0]?.message).toContain('cycle');
  });

  test('current_node naming no node; create_time not a number', () => {
    expect(pathsOf({ ...good(), current_node: 'ghost' })).toEqual(['current_node']);
    expect(pathsOf({ ...good(), current_node: 5 })).toEqual(['current_node']);
    expect(pathsOf({ ...good(), create_time: 'yesterday' })).toEqual(['create_time']);
    const c = good();
    message(c, 'a1').create_time = '2024-01-01';
    message(c, 'u2').create_time = 1e300;
    expect(pathsOf(c)).toEqual(['mapping.a1.message.create_time', 'mapping.u2.message.create_time']);
  });

  test('author.role missing; parts not an array; content missing; code without text', () => {
    const c = good();
    message(c, 'u1').author = { name: null };
    message(c, 'a1').content = { content_type: 'text', parts: 'r1' };
    message(c, 'u2').content = { content_type: 'code' };
    (c.mapping.a2 as RawNode).message = { ...message(c, 'a2'), content: 'r2' as never };
    expect(pathsOf(c)).toEqual([
      'mapping.u1.message.author.role',
      'mapping.a1.message.content.parts',
      'mapping.u2.message.content.text',
      'mapping.a2.message.content',
    ]);
  });

  test('text limits in UTF-16 units: at the limit passes, one unit more fails; unstorable text fails', () => {
    const emoji = '🙂'; // 2 units
    const atLimit = good();
    message(atLimit, 'u1').content = { content_type: 'text', parts: [emoji.repeat(QUESTION_MAX / 2)] };
    message(atLimit, 'a1').content = { content_type: 'text', parts: ['r'.repeat(RESPONSE_MAX)] };
    expect(only(fromChatGpt(atLimit)).chats[0]?.pairs[0]?.question).toHaveLength(QUESTION_MAX);

    const over = good();
    message(over, 'u1').content = { content_type: 'text', parts: [`${emoji.repeat(QUESTION_MAX / 2)}x`] };
    message(over, 'a1').content = { content_type: 'text', parts: ['r'.repeat(RESPONSE_MAX + 1)] };
    message(over, 'u2').content = { content_type: 'text', parts: ['nul \u0000 inside'] };
    message(over, 'a2').content = { content_type: 'text', parts: ['lone \uD800 surrogate'] };
    expect(pathsOf(over)).toEqual([
      'mapping.u1.message.content',
      'mapping.a1.message.content',
      'mapping.u2.message.content',
      'mapping.a2.message.content',
    ]);
  });

  test('merged answers over the limit; an over-long system prompt', () => {
    const half = 'r'.repeat(RESPONSE_MAX / 2);
    const merged = conversation([ROOT, u('u1', 'root', 'q'), a('a1', 'u1', half), a('a1b', 'a1', half)]);
    expect(pathsOf(merged)).toEqual(['mapping.a1b.message.content']);
    const sys = conversation([
      ROOT,
      { id: 's', parent: 'root', role: 'system', text: 's'.repeat(SYSTEM_PROMPT_MAX + 1) },
      u('u1', 's', 'q'),
    ]);
    expect(pathsOf(sys)).toEqual(['mapping.s.message.content']);
  });

  test('an answer with no question before it on its path', () => {
    const c = conversation([ROOT, a('a0', 'root', 'hello'), u('u1', 'a0', 'q'), a('a1', 'u1', 'r')]);
    expect(errorsOf(c)).toEqual([{ path: 'mapping.a0.message', message: 'is an answer with no question before it' }]);
  });

  test('more than 20,000 messages; exactly 20,000 pass (a 20,000-deep chain, no recursion)', () => {
    const chain = (n: number) => {
      const specs: Spec[] = [ROOT];
      for (let i = 0; i < n; i++)
        specs.push(i % 2 ? a(`n${i}`, `n${i - 1}`, 'r') : u(`n${i}`, i ? `n${i - 1}` : 'root', 'q'));
      return conversation(specs);
    };
    expect(only(fromChatGpt(chain(MAX_MESSAGES))).chats[0]?.pairs).toHaveLength(MAX_MESSAGES / 2);
    expect(errorsOf(chain(MAX_MESSAGES + 1))).toEqual([
      { path: 'mapping', message: `holds ${MAX_MESSAGES + 1} messages; at most ${MAX_MESSAGES} are allowed` },
    ]);
  });

  test('several problems at once are all listed; the list is bounded', () => {
    const c = good();
    (c.mapping.a2 as RawNode).parent = 'ghost';
    message(c, 'u1').author = {};
    message(c, 'a1').content = { content_type: 'text' };
    c.current_node = 'nope';
    c.title = 7;
    expect(pathsOf(c).sort()).toEqual(
      [
        'title',
        'mapping.a2.parent',
        'mapping.u1.message.author.role',
        'mapping.a1.message.content.parts',
        'current_node',
      ].sort(),
    );

    const many = good();
    for (let i = 0; i < 200; i++)
      many.mapping[`bad${i}`] = { id: `bad${i}`, parent: 'ghost', children: [], message: null };
    const errors = errorsOf(many);
    expect(errors).toHaveLength(MAX_ISSUES + 1);
    expect(errors.at(-1)).toEqual({
      path: '(input)',
      message: `more problems were found; only the first ${MAX_ISSUES} are listed`,
    });
  });

  test('an array with a good and a bad conversation: only the bad one’s problems, prefixed with its index', () => {
    const bad = good();
    (bad.mapping.u2 as RawNode).parent = 'ghost';
    message(bad, 'a1').author = {};
    expect(pathsOf([good(), bad])).toEqual(['[1].mapping.a1.message.author.role', '[1].mapping.u2.parent']);
    expect(pathsOf([good(), { ...good(), mapping: 'not an object' }])).toEqual(['[1].mapping']);
  });
});
