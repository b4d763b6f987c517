/** Automatic titles without a database: the local title, the cleaning of a model's title, the background tasks. */
import { describe, expect, test } from 'bun:test';
import { cleanTitle, LOCAL_TITLE_MAX, localTitle } from '../../src/domain/chats/titles.js';
import { storableText } from '../../src/domain/limits.js';
import { BackgroundJobs } from '../../src/jobs/background.job.js';
import { createLogger } from '../../src/logger.js';

describe('localTitle', () => {
  test('the question on one line, without trailing punctuation', () => {
    expect(localTitle('Where should we go in March?')).toBe('Where should we go in March');
    expect(localTitle('  Packing\n\tlist   for Porto!!! ')).toBe('Packing list for Porto');
    expect(localTitle('What does f(x) mean?')).toBe('What does f(x) mean');
    expect(localTitle('C++ or C#?')).toBe('C++ or C#');
    expect(localTitle('¿Qué tal?')).toBe('¿Qué tal');
    expect(localTitle('???')).toBe('');
    expect(localTitle(' \n ')).toBe('');
  });

  test('at most 60 code points, whole words when a boundary leaves enough, never half a character', () => {
    const long = 'How do I configure the reverse proxy so that websockets keep working behind it?';
    const t = localTitle(long);
    expect([...t].length).toBeLessThanOrEqual(LOCAL_TITLE_MAX);
    expect(long.startsWith(t)).toBe(true);
    expect(long[t.length]).toBe(' '); // cut between words
    const oneWord = 'x'.repeat(100);
    expect(localTitle(oneWord)).toBe('x'.repeat(60));
    const emoji = '👍🏽'.repeat(70);
    const cut = localTitle(emoji);
    expect([...cut].length).toBeLessThanOrEqual(60);
    expect(storableText(cut)).toBe(true);
    expect(cut.length % '👍🏽'.length).toBe(0); // whole graphemes
  });
});

describe('cleanTitle', () => {
  test('first line, no label, quotes, emphasis or final punctuation; one line, storable, ≤ 200', () => {
    expect(cleanTitle('"Spring trip to Lisbon."')).toBe('Spring trip to Lisbon');
    expect(cleanTitle('\n\nTitle: **Porto in May**\nMore text')).toBe('Porto in May');
    expect(cleanTitle('# “Trains   to\tPorto”')).toBe('Trains to Porto');
    expect(cleanTitle("'Hello'!")).toBe('Hello');
    expect(cleanTitle('a\u0000b\u0007c')).toBe('a b c');
    expect(cleanTitle('x\uD800y')).toBe('xy');
    expect(cleanTitle('""')).toBe('');
    expect(cleanTitle('')).toBe('');
    const long = cleanTitle('word '.repeat(100));
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long.endsWith(' ')).toBe(false);
  });
});

describe('BackgroundJobs', () => {
  const log = createLogger('silent');

  test('one task per key at a time; a failure goes no further; idle waits for all', async () => {
    const jobs = new BackgroundJobs(log);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const ran: string[] = [];
    jobs.run('a', async () => {
      ran.push('a1');
      await gate;
    });
    jobs.run('a', async () => {
      ran.push('a2'); // dropped: 'a' is running
    });
    jobs.run('b', async () => {
      ran.push('b');
      throw new Error('boom');
    });
    expect(jobs.size).toBe(2);
    release();
    await jobs.idle();
    expect(ran).toEqual(['a1', 'b']);
    expect(jobs.size).toBe(0);
    jobs.run('a', async () => {
      ran.push('a3'); // 'a' is free again
    });
    await jobs.idle();
    expect(ran).toEqual(['a1', 'b', 'a3']);
  });

  test('a task past its time is aborted; close waits briefly, then aborts, then refuses new tasks', async () => {
    const timed = new BackgroundJobs(log, { timeoutMs: 20 });
    let aborted = false;
    timed.run(
      'slow',
      (signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    );
    await timed.idle();
    expect(aborted).toBe(true);

    const jobs = new BackgroundJobs(log);
    let finished = false;
    jobs.run('quick', async () => {
      await Bun.sleep(10);
      finished = true;
    });
    let stopped = false;
    jobs.run(
      'hung',
      (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            stopped = true;
            resolve();
          }),
        ),
    );
    const started = Date.now();
    await jobs.close(100, 1000);
    expect(finished).toBe(true);
    expect(stopped).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    jobs.run('late', async () => {
      throw new Error('must not run');
    });
    expect(jobs.size).toBe(0);
  });
});
