/**
 * The chat pane in a real browser (headless Chromium, tests/browser/app.ts), at 1280×800 and 390×844 (one browser
 * context each): the composer (Enter, Shift+Enter, focus after New chat, Stop), answers as sanitised Markdown with
 * highlighted code, editing a question and regenerating an answer (branches, ‹ i/n › placed as ChatGPT does),
 * feedback thumbs, copy, long words, the header's menus, keyboard reachability, and a 10,000-pair history (windowed).
 * After each action: no error text; axe-core on the chat screen, the edit state and the Export menu, light and dark.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { cleanup, freePort, freshDatabase, randomSecret, type ServerProcess, startServer } from '../faults/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import {
  browserUnavailable,
  chatAction,
  type Demo,
  eventually,
  newChat,
  newPage,
  rest,
  send,
  showConversations,
  signUp,
  startDemo,
} from './app.js';
import {
  expectAccessibleLightAndDark,
  expectNoErrorText,
  expectNoHorizontalOverflow,
  VIEWPORTS,
  type ViewportName,
} from './ui.js';

const why = await browserUnavailable('browser/chat');

let demo: Demo;

beforeAll(async () => {
  if (why) return;
  demo = await startDemo();
}, 180_000);

afterAll(async () => {
  await demo?.browser.close();
  demo?.server.kill('SIGTERM');
  await cleanup();
});

/** Stored pairs on the page (not an answer streaming in). */
const stored = (page: Page) => page.locator('[data-testid="pairs"] .pair:not(.pending)');
/** The stored pair whose question is exactly `q`. */
const pairOf = (page: Page, q: string) =>
  stored(page).filter({ has: page.locator('.bubble.q .text').getByText(q, { exact: true }) });

/** The questions shown, in order. */
async function questions(page: Page): Promise<string[]> {
  return stored(page).locator('.bubble.q .text').allTextContents();
}

/** The accessible name of the focused element (aria-label, else its text). */
async function focusedName(page: Page): Promise<string> {
  return (await page.evaluate(
    "(() => { const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : ''; })()",
  )) as string;
}

/** A ChatGPT-shaped conversations.json of one linear conversation of `n` pairs (q1/a1 … qn/an). */
function longConversation(title: string, n: number): string {
  const mapping: Record<string, unknown> = {};
  const t0 = 1_764_000_000;
  mapping.root = { id: 'root', message: null, parent: null, children: ['u1'] };
  let parent = 'root';
  for (let i = 1; i <= n; i++) {
    const u = `u${i}`;
    const a = `a${i}`;
    mapping[u] = {
      id: u,
      message: {
        id: u,
        author: { role: 'user' },
        create_time: t0 + i * 2,
        content: { content_type: 'text', parts: [`q${i}`] },
      },
      parent,
      children: [a],
    };
    mapping[a] = {
      id: a,
      message: {
        id: a,
        author: { role: 'assistant' },
        create_time: t0 + i * 2 + 1,
        content: { content_type: 'text', parts: [i % 7 === 0 ? `answer ${i}\n\n- a list\n- of two` : `answer ${i}`] },
      },
      parent: u,
      children: i < n ? [`u${i + 1}`] : [],
    };
    parent = a;
  }
  return JSON.stringify([{ title, create_time: t0, current_node: `a${n}`, mapping }]);
}

/** Opens a conversation of the sidebar by (part of) its name. */
async function openConversation(page: Page, name: string): Promise<void> {
  await showConversations(page);
  await page.locator('nav.side').getByText(name, { exact: false }).first().click();
  await page.locator('[data-testid="chat-title"]', { hasText: name }).waitFor();
}

for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
  describe.skipIf(Boolean(why))(`the chat pane at ${viewport}`, () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      if (why) return;
      ({ context, page } = await newPage(demo.browser, viewport));
      await signUp(page, demo.server.base);
    }, 60_000);

    afterAll(async () => {
      await context?.close();
    });

    test('New chat focuses the composer; Enter sends, Shift+Enter is a new line; the screen is accessible', async () => {
      await newChat(page);
      await eventually('the composer focused', async () => (await focusedName(page)) === 'message');
      await page.keyboard.type('line one');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('line two');
      expect(await stored(page).count()).toBe(0); // Shift+Enter did not send
      await page.keyboard.press('Enter');
      await pairOf(page, 'line one\nline two').waitFor();
      expect(await page.getByLabel('message').inputValue()).toBe('');
      expect(await focusedName(page)).toBe('message');
      await expectNoErrorText(page, 'sending with Enter');
      await expectNoHorizontalOverflow(page, 'the chat');
      await expectAccessibleLightAndDark(page, 'the chat screen');
      // A second New chat moves the focus to its composer again.
      await page.locator('[data-testid="pairs"]').focus();
      await newChat(page);
      await eventually('the composer focused after New chat', async () => (await focusedName(page)) === 'message');
      expect(await stored(page).count()).toBe(0);
    }, 60_000);

    test('answers render sanitised Markdown with highlighted code and a Copy button; questions stay plain text', async () => {
      await newChat(page);
      const q = [
        '**bold** words',
        '',
        '- first item',
        '- second item',
        '',
        '| city | month |',
        '| --- | --- |',
        '| Lisbon | March |',
        '',
        '```ts',
        'const answer: number = 42;',
        '```',
        '',
        'See [link](https://example.com/x).',
      ].join('\n');
      await send(page, q);
      const answer = pairOf(page, q).locator('.bubble.a');
      expect(await answer.locator('strong').first().textContent()).toBe('bold');
      expect(await answer.locator('li').count()).toBeGreaterThanOrEqual(2);
      expect(await answer.locator('table td').allTextContents()).toEqual(['Lisbon', 'March']);
      // highlight.js arrives lazily: the block gets hljs classes.
      const code = answer.locator('pre code');
      await answer.locator('pre code.hljs span[class^="hljs-"]').first().waitFor();
      expect(await code.textContent()).toContain('const answer: number = 42;');
      const link = answer.locator('a[href="https://example.com/x"]');
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
      // Sanitised: HTML in an answer is rendered without scripts or handlers (the answer went through Markdown:
      // its **safe** is bold).
      const xss = '<img src="x" onerror="window.__xss = 1"><script>window.__xss = 2</script> **safe**';
      await send(page, xss);
      const dangerous = pairOf(page, xss).locator('.bubble.a');
      expect(await dangerous.locator('strong').textContent()).toBe('safe');
      expect(await dangerous.locator('img').count()).toBe(1);
      expect(await dangerous.locator('script, [onerror]').count()).toBe(0);
      await Bun.sleep(200);
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      // The question is plain text: the asterisks are shown as typed.
      expect(await pairOf(page, q).locator('.bubble.q strong').count()).toBe(0);
      expect(await pairOf(page, q).locator('.bubble.q .text').textContent()).toContain('**bold**');
      // Copy on the code block.
      await answer.getByRole('button', { name: 'Copy code' }).click();
      await answer.getByRole('button', { name: 'Copy code' }).filter({ hasText: 'Copied' }).waitFor();
      await pairOf(page, q).getByRole('button', { name: 'Copy answer' }).click();
      await pairOf(page, q).locator('.copied').waitFor();
      await expectNoErrorText(page, 'a Markdown answer');
      await expectNoHorizontalOverflow(page, 'a Markdown answer');
    }, 60_000);

    test('under the app’s strict Content-Security-Policy (not bypassed), code is still highlighted', async () => {
      const strict = await demo.browser.newContext({ viewport: VIEWPORTS[viewport] });
      try {
        const p = await strict.newPage();
        const violations: string[] = [];
        p.on('console', (m) => {
          if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
        });
        await signUp(p, demo.server.base);
        await newChat(p);
        await send(p, 'Code:\n\n```python\ndef f(x):\n    return x + 1\n```\n\nend');
        await p.locator('.bubble.a pre code.hljs span[class^="hljs-"]').first().waitFor();
        expect(violations).toEqual([]);
        await expectNoErrorText(p, 'highlighting under the CSP');
      } finally {
        await strict.close();
      }
    }, 60_000);

    test('editing the 2nd question makes a branch with ‹ 2/2 › on the question; switching back shows 1/2', async () => {
      await newChat(page);
      await send(page, 'alpha');
      await send(page, 'beta');
      const beta = pairOf(page, 'beta');
      await beta.getByRole('button', { name: 'Edit question' }).click();
      const editor = page.getByLabel('edited question');
      await editor.waitFor();
      expect(await editor.inputValue()).toBe('beta');
      await expectAccessibleLightAndDark(page, 'a question being edited');
      // Escape cancels; the edit again, Enter saves.
      await editor.press('Escape');
      await editor.waitFor({ state: 'detached' });
      await beta.getByRole('button', { name: 'Edit question' }).click();
      await editor.fill('gamma');
      await editor.press('Enter');
      await pairOf(page, 'gamma').waitFor();
      await page.locator('[data-testid="chat-header"] .badge', { hasText: 'branch' }).waitFor();
      expect(await questions(page)).toEqual(['alpha', 'gamma']);
      const gammaId = (await pairOf(page, 'gamma').getAttribute('data-response')) as string;
      const onQuestion = page.locator(`[data-testid="variants-${gammaId}"][data-kind="question"]`);
      await onQuestion.filter({ hasText: '2/2' }).waitFor();
      expect(await page.locator(`[data-testid="variants-${gammaId}"][data-kind="answer"]`).count()).toBe(0);
      await expectNoErrorText(page, 'editing a question');
      // Back to the original: the main line, 1/2 on its question.
      await onQuestion.getByRole('button', { name: 'previous version' }).click();
      await pairOf(page, 'beta').waitFor();
      expect(await questions(page)).toEqual(['alpha', 'beta']);
      const betaId = (await pairOf(page, 'beta').getAttribute('data-response')) as string;
      await page
        .locator(`[data-testid="variants-${betaId}"][data-kind="question"]`)
        .filter({ hasText: '1/2' })
        .waitFor();
      await page.locator('[data-testid="chat-header"] .badge', { hasText: 'main' }).waitFor();
      await expectNoErrorText(page, 'switching versions');
    }, 60_000);

    test('the first question can be edited too (a start fork)', async () => {
      await newChat(page);
      await send(page, 'first try');
      await send(page, 'follow-up');
      await pairOf(page, 'first try').getByRole('button', { name: 'Edit question' }).click();
      await page.getByLabel('edited question').fill('second try');
      await page.getByRole('button', { name: 'Save' }).click();
      await pairOf(page, 'second try').waitFor();
      expect(await questions(page)).toEqual(['second try']);
      const id = (await pairOf(page, 'second try').getAttribute('data-response')) as string;
      await page.locator(`[data-testid="variants-${id}"][data-kind="question"]`).filter({ hasText: '2/2' }).waitFor();
      await page.locator(`[data-testid="variants-${id}"]`).getByRole('button', { name: 'next version' }).click();
      await pairOf(page, 'follow-up').waitFor();
      expect(await questions(page)).toEqual(['first try', 'follow-up']);
      await expectNoErrorText(page, 'a start fork');
    }, 60_000);

    test('Regenerate makes a branch beside the answer, with ‹ 2/2 › over the answer', async () => {
      await newChat(page);
      await send(page, 'one');
      await send(page, 'two');
      await pairOf(page, 'two').getByRole('button', { name: 'Regenerate' }).click();
      await page.locator('[data-testid="chat-header"] .badge', { hasText: 'branch' }).waitFor();
      await pairOf(page, 'two').waitFor();
      expect(await questions(page)).toEqual(['one', 'two']);
      const id = (await pairOf(page, 'two').getAttribute('data-response')) as string;
      const overAnswer = page.locator(`[data-testid="variants-${id}"][data-kind="answer"]`);
      await overAnswer.filter({ hasText: '2/2' }).waitFor();
      expect(await page.locator(`[data-testid="variants-${id}"][data-kind="question"]`).count()).toBe(0);
      await overAnswer.getByRole('button', { name: 'next version' }).click(); // wraps round to the first
      await page.locator('[data-testid="chat-header"] .badge', { hasText: 'main' }).waitFor();
      const mainId = (await pairOf(page, 'two').getAttribute('data-response')) as string;
      expect(mainId).not.toBe(id);
      await page.locator(`[data-testid="variants-${mainId}"][data-kind="answer"]`).filter({ hasText: '1/2' }).waitFor();
      await expectNoErrorText(page, 'regenerating');
    }, 60_000);

    test('thumbs up and down persist after a reload, and toggle off again; Rename is inline', async () => {
      await newChat(page);
      await send(page, 'rate me');
      const name = `Rated ${viewport} ${Date.now()}`;
      await chatAction(page, 'Rename');
      await page.getByLabel('chat name').fill(name);
      await page.getByLabel('chat name').press('Enter');
      await page.locator('[data-testid="chat-title"]', { hasText: name }).waitFor();
      const good = () => pairOf(page, 'rate me').getByRole('button', { name: 'Good answer' });
      const bad = () => pairOf(page, 'rate me').getByRole('button', { name: 'Bad answer' });
      await good().click();
      await eventually('thumbs up pressed', async () => (await good().getAttribute('aria-pressed')) === 'true');
      await page.reload();
      await openConversation(page, name);
      await eventually('thumbs up still pressed', async () => (await good().getAttribute('aria-pressed')) === 'true');
      expect(await bad().getAttribute('aria-pressed')).toBe('false');
      await bad().click();
      await eventually('thumbs down pressed', async () => (await bad().getAttribute('aria-pressed')) === 'true');
      expect(await good().getAttribute('aria-pressed')).toBe('false');
      await bad().click(); // toggled off: no rating
      await eventually('no thumb pressed', async () => (await bad().getAttribute('aria-pressed')) === 'false');
      await page.reload();
      await openConversation(page, name);
      await pairOf(page, 'rate me').waitFor();
      expect(await good().getAttribute('aria-pressed')).toBe('false');
      expect(await bad().getAttribute('aria-pressed')).toBe('false');
      await expectNoErrorText(page, 'feedback');
    }, 60_000);

    test('a 300-character word and a long URL wrap inside their bubbles', async () => {
      await newChat(page);
      const word = 'w'.repeat(300);
      await send(page, word);
      await send(page, `https://example.com/${'long-path/'.repeat(30)}end`);
      await expectNoHorizontalOverflow(page, 'a 300-character word');
      const widths = (await page.evaluate(`(() => {
        const list = document.querySelector('[data-testid="pairs"]');
        return { list: list.clientWidth, scroll: list.scrollWidth,
          bubbles: [...list.querySelectorAll('.bubble')].map((b) => b.getBoundingClientRect().right) };
      })()`)) as { list: number; scroll: number; bubbles: number[] };
      expect(widths.scroll).toBeLessThanOrEqual(widths.list);
      const right = (await page.locator('[data-testid="pairs"]').boundingBox())?.width ?? 0;
      for (const r of widths.bubbles) expect(r).toBeLessThanOrEqual(right + 400); // within the pane, not 2000 px out
      await expectNoErrorText(page, 'a long word');
    }, 60_000);

    test('a reload that started before a send and answers after it does not hide the sent pair', async () => {
      await newChat(page);
      await send(page, 'first question');
      const chatId = (await page.locator('.chatview').getAttribute('data-chat')) as string;
      // The next read of this chat is held for 2 s: it starts before the send below and answers after it (and
      // after the reads that the send's own event triggers), with the history as it was before the send.
      let held = false;
      await page.route('**/api/v1/chats/get-chat?*', async (route) => {
        if (held) return route.continue();
        held = true;
        const response = await route.fetch();
        await Bun.sleep(2000);
        await route.fulfill({ response });
      });
      await rest(page, 'PUT', '/chats/update-chat', JSON.stringify({ chat_id: chatId, name: 'Renamed elsewhere' }));
      await eventually('the held read', async () => held);
      await send(page, 'second question');
      await Bun.sleep(2500); // the held read has answered by now
      expect(await questions(page)).toEqual(['first question', 'second question']);
      await page.unroute('**/api/v1/chats/get-chat?*');
      await expectNoErrorText(page, 'a late reload');
    }, 60_000);

    test('a question the API refuses (too long) is explained beside the composer, and kept', async () => {
      await newChat(page);
      const long = 'x'.repeat(32_001);
      await page.getByLabel('message').fill(long);
      await page.getByLabel('message').press('Enter');
      const problem = page.locator('.composer .field-problem');
      await problem.waitFor();
      expect(await problem.textContent()).toMatch(/at most 32,?000 characters/);
      expect(await page.getByLabel('message').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('message').inputValue()).toBe(long);
      expect(await stored(page).count()).toBe(0);
      await expectNoErrorText(page, 'a refused question');
      await expectNoHorizontalOverflow(page, 'a refused question');
      // Editing the question clears the problem.
      await page.getByLabel('message').fill('short');
      await problem.waitFor({ state: 'detached' });
    }, 60_000);

    test('the Export menu is a keyboard menu; it closes on Escape and on an outside click', async () => {
      await newChat(page);
      await send(page, 'export me');
      await chatAction(page, 'Export');
      const items = page.getByRole('menuitem', {
        name: /^(This chat as Markdown|The tree as ChatGPT JSON|The tree as branchat JSON)$/,
      });
      await items.first().waitFor();
      expect(await items.count()).toBe(3);
      await eventually('the first format focused', async () => (await focusedName(page)) === 'This chat as Markdown');
      await page.keyboard.press('ArrowDown');
      expect(await focusedName(page)).toBe('The tree as ChatGPT JSON');
      await expectAccessibleLightAndDark(page, 'the Export menu');
      await page.keyboard.press('Escape');
      await items.first().waitFor({ state: 'detached' });
      // Open again, then a click elsewhere closes it.
      await chatAction(page, 'Export');
      await items.first().waitFor();
      await page.locator('[data-testid="pairs"]').click({ position: { x: 5, y: 5 } });
      await items.first().waitFor({ state: 'detached' });
      // A format downloads the file.
      await chatAction(page, 'Export');
      const download = page.waitForEvent('download');
      await page.getByRole('menuitem', { name: 'This chat as Markdown' }).click();
      expect((await download).suggestedFilename()).toMatch(/\.md$/);
      await expectNoErrorText(page, 'exporting');
    }, 60_000);

    test('Tab reaches Edit, Copy, thumbs and Regenerate, and shows them while focused', async () => {
      await newChat(page);
      await send(page, 'keyboard');
      await page.locator('[data-testid="pairs"]').focus();
      const reached = new Set<string>();
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        const name = await focusedName(page);
        reached.add(name);
        if (name === 'Edit question') {
          await Bun.sleep(200); // the actions fade in
          const opacity = await page.evaluate("getComputedStyle(document.activeElement.closest('.actions')).opacity");
          expect(opacity).toBe('1');
        }
        if (name === 'message') break;
      }
      for (const name of ['Copy question', 'Edit question', 'Copy answer', 'Good answer', 'Bad answer', 'Regenerate']) {
        expect(reached.has(name)).toBe(true);
      }
    }, 60_000);

    test('a 10,000-pair history opens at its latest pair, windowed; scrolling up loads older pages in place', async () => {
      const title = `Ten thousand ${viewport}`;
      await rest(page, 'POST', '/chats/import-chat', longConversation(title, 10_000));
      await page.reload();
      const started = performance.now();
      await openConversation(page, title);
      await pairOf(page, 'q10000').waitFor();
      const opened = performance.now() - started;
      const list = page.locator('[data-testid="pairs"]');
      await eventually('the latest pair in view', async () => {
        const box = await pairOf(page, 'q10000').boundingBox();
        const pane = await list.boundingBox();
        return Boolean(box && pane && box.y < pane.y + pane.height && box.y + box.height > pane.y);
      });
      expect(Number(await list.getAttribute('data-loaded'))).toBe(30);
      expect(await page.locator('.pair').count()).toBeLessThan(200);
      // Older pages, one after another, while the first pair loaded stays where it was on screen.
      let loaded = 30;
      const times: number[] = [];
      for (let round = 0; round < 4; round++) {
        const first = `q${10_000 - loaded + 1}`;
        // Near the top (not near enough to load), then the top: where the first pair loaded is on screen the
        // moment the reader reaches it.
        await list.evaluate((el) => {
          el.scrollTop = 600;
        });
        await pairOf(page, first).waitFor();
        const before = (await page.evaluate(`(() => {
          const list = document.querySelector('[data-testid="pairs"]');
          list.scrollTop = 0;
          const node = [...list.querySelectorAll('.pair')].find((p) => p.querySelector('.bubble.q .text').textContent === '${first}');
          return node ? node.getBoundingClientRect().top : null;
        })()`)) as number | null;
        expect(before).not.toBeNull();
        const t = performance.now();
        await eventually('an older page', async () => Number(await list.getAttribute('data-loaded')) > loaded);
        times.push(performance.now() - t);
        loaded = Number(await list.getAttribute('data-loaded'));
        await Bun.sleep(400);
        const after = await pairOf(page, first).boundingBox();
        expect(after).not.toBeNull();
        expect(Math.abs((after?.y ?? 0) - (before ?? 0))).toBeLessThan(40); // no jump
      }
      expect(loaded).toBe(150);
      expect(await page.locator('.pair').count()).toBeLessThan(200);
      await expectNoErrorText(page, 'a long history');
      await expectNoHorizontalOverflow(page, 'a long history');
      console.log(
        `[chat.test ${viewport}] 10,000 pairs: opened in ${opened.toFixed(0)} ms; older pages in ${times
          .map((x) => x.toFixed(0))
          .join(', ')} ms`,
      );
    }, 120_000);
  });
}

describe.skipIf(Boolean(why))('Stop while a model streams', () => {
  let llm: ServerProcess;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    if (why) return;
    fake = await startFakeOpenAI({ kind: 'stream', chunks: ['Fine ', 'thanks.'] });
    llm = await startServer({
      databaseUrl: await freshDatabase(),
      port: await freePort(),
      jwtSecret: randomSecret(),
      extraEnv: { OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'fake-model' },
    });
  }, 60_000);

  afterAll(async () => {
    llm?.kill('SIGTERM');
    await llm?.exited;
    await fake?.stop();
  });

  for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
    test(`at ${viewport}: Stop cancels the answer, stores nothing, shows no error; the composer works after`, async () => {
      const { context, page } = await newPage(demo.browser, viewport);
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      try {
        await signUp(page, llm.base);
        await newChat(page);
        fake.next({ kind: 'stream', chunks: ['Partial ', 'answer ', 'never finished.'], gate, gateAt: 2 });
        const seen = fake.requests.length;
        await page.getByLabel('message').fill('slow question');
        await page.getByRole('button', { name: 'Send' }).click();
        const streaming = page.locator('[data-testid="streaming"]');
        await streaming.getByText('Partial answer', { exact: false }).waitFor();
        await page.getByRole('button', { name: 'Stop' }).click();
        await streaming.waitFor({ state: 'detached' });
        expect(await fake.requests[seen]?.outcome).toBe('cancelled');
        await Bun.sleep(300);
        expect(fake.requests.length).toBe(seen + 1); // not asked again
        expect(await stored(page).count()).toBe(0);
        expect(await page.getByLabel('message').inputValue()).toBe('slow question');
        await expectNoErrorText(page, 'Stop');
        // The composer works: the next answer is stored.
        await page.getByRole('button', { name: 'Send' }).click();
        await pairOf(page, 'slow question').locator('.bubble.a').getByText('Fine thanks.').waitFor();
        await expectNoErrorText(page, 'sending after Stop');
        await expectNoHorizontalOverflow(page, 'after Stop');
      } finally {
        release();
        await context.close();
      }
    }, 60_000);
  }
});
