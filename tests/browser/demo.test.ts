/**
 * The demo app end to end in a real browser (Debian's Chromium driven by playwright-core) against the real server
 * process on a fresh PostgreSQL database: the tour of docs/demo.md at 1280×800, an answer streamed from a model
 * (and stopped), import and export; then the main screens at 1280×800 and 390×844 in light and dark, checked by
 * axe-core and for overflow, photographed into a temporary folder, or into docs/screenshots with
 * UPDATE_SCREENSHOTS=1 (how the README's pictures are made). The details of each area are in chat.test.ts,
 * tree.test.ts, shell.test.ts and share.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { cleanup, freePort, freshDatabase, randomSecret, root, startServer } from '../faults/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import {
  browserUnavailable,
  chatAction,
  closeDrawers,
  type Demo,
  eventually,
  newChat,
  newPage,
  rest,
  send,
  showConversations,
  showTree,
  signUp,
  startDemo,
} from './app.js';
import { expectAccessible, expectNoErrorText, expectNoHorizontalOverflow, type ViewportName } from './ui.js';

const why = await browserUnavailable('browser/demo');

const shots = process.env.UPDATE_SCREENSHOTS
  ? join(root, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'shots-'));

let demo: Demo;

beforeAll(async () => {
  if (why) return;
  demo = await startDemo();
});

afterAll(async () => {
  await demo?.browser.close();
  await cleanup();
});

/** Stored pairs on the page (not an answer still streaming in). */
const pairs = (page: Page) => page.locator('[data-testid="pairs"] .pair:not(.pending)');
/** The question bubble whose text is exactly `q`. */
const question = (page: Page, q: string) => page.locator('.bubble.q').getByText(q, { exact: true });
const title = (page: Page) => page.locator('[data-testid="chat-title"]');

describe.skipIf(Boolean(why))('the demo app in Chromium', () => {
  test('the tour: sign up, chat, edit a question, switch versions, the tree, compare, rename, search and jump, live updates, delete', async () => {
    const { context, page } = await newPage(demo.browser, 'desktop');
    try {
      await signUp(page, demo.server.base);
      await newChat(page);
      expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('message');
      for (const q of ['Where should we go in March?', 'What about April?']) await send(page, q);
      await expectNoErrorText(page, 'two messages');
      expect(await pairs(page).count()).toBe(2);

      // Edit the second question (ChatGPT's pencil): a branch forked before it, opened, with the new question.
      const second = pairs(page).nth(1);
      await second.hover();
      await second.getByRole('button', { name: 'Edit question' }).click();
      await page.getByLabel('edited question').fill('Rather Lisbon or Porto?');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await question(page, 'Rather Lisbon or Porto?').waitFor();
      await eventually(
        'the branch to be open',
        async () => (await title(page).textContent())?.includes('Lisbon') ?? false,
      );
      expect(await pairs(page).allTextContents()).toEqual([
        expect.stringContaining('Where should we go in March?'),
        expect.stringContaining('Rather Lisbon or Porto?'),
      ]);
      const versions = page.locator('[data-testid^="variants-"]').first();
      await eventually('‹ 2/2 ›', async () => (await versions.textContent())?.includes('2/2') ?? false);
      await expectNoErrorText(page, 'edit');

      // ‹ goes back to the first version of the question: the main line, 1/2.
      await versions.getByRole('button', { name: 'previous version' }).click();
      await question(page, 'What about April?').waitFor();
      await eventually('‹ 1/2 ›', async () =>
        ((await page.locator('[data-testid^="variants-"]').first().textContent()) ?? '').includes('1/2'),
      );

      // The tree: two chats; the branch is active (editing activates); make the main chat active again.
      await showTree(page);
      const tree = page.locator('[data-testid="tree"]');
      await eventually('two nodes', async () => (await tree.locator('[data-testid^="node-"]').count()) === 2);
      const chats = (await rest(page, 'GET', '/chats/list-chats')).chats;
      const rootId = chats[0].chat_id as string;
      await page.getByTestId(`node-${rootId}`).click();
      await page.getByRole('button', { name: 'Make active' }).click();
      await eventually('the main chat active', async () =>
        ((await page.getByTestId(`node-${rootId}`).textContent()) ?? '').includes('active'),
      );

      // Compare the branch with the active (main) chat: side by side from where they part.
      const branches = await rest(page, 'GET', `/branches/get-branches?chat_id=${rootId}`);
      const branchId = branches.tree.children[0].chat_id as string;
      await page.getByTestId(`node-${branchId}`).click();
      await page.getByRole('button', { name: 'Compare with active' }).click();
      const compare = page.locator('[data-testid="compare"]');
      await compare.getByText('Rather Lisbon or Porto?').first().waitFor();
      await compare.getByText('What about April?').first().waitFor();
      await expectNoErrorText(page, 'compare');
      await compare.getByRole('button', { name: 'Close' }).click();

      // Rename the open chat.
      await chatAction(page, 'Rename');
      await page.getByLabel('chat name', { exact: true }).fill('Lisbon or Porto');
      await page.getByLabel('chat name', { exact: true }).press('Enter');
      await eventually(
        'the new name',
        async () => (await title(page).textContent())?.includes('Lisbon or Porto') ?? false,
      );

      // Search and jump: the hit is in the branch; opening it shows the pair highlighted.
      await showConversations(page);
      await page.getByLabel('Search chats').fill('Porto');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const hit = page.locator('[data-testid="search-results"] .hit').first();
      await hit.waitFor();
      expect(await hit.innerHTML()).toContain('<mark>Porto</mark>');
      await hit.click();
      await page.locator('.pair.focus', { hasText: 'Rather Lisbon or Porto?' }).waitFor();

      // Live: a message added elsewhere (REST, as from another device) appears without a reload.
      await rest(page, 'POST', '/messages/add-message', {
        chat_id: branchId,
        question: 'Added from another device',
        response: 'ok',
      });
      await question(page, 'Added from another device').waitFor({ timeout: 10_000 });

      // Delete the branch (confirmed): its parent opens, no error anywhere, the tree has one chat left.
      await chatAction(page, 'Delete');
      await question(page, 'What about April?').waitFor();
      await expectNoErrorText(page, 'delete');
      await eventually('one node', async () => (await page.locator('[data-testid^="node-"]').count()) === 1);
    } finally {
      await context.close();
    }
  }, 90_000);

  test('a model’s answer streams in and can be stopped; a ChatGPT export is imported; a chat is exported as Markdown', async () => {
    // A second server whose responder is a (fake) OpenAI-compatible model that holds back its last chunk until
    // the test releases it.
    let release = () => {};
    const held = () => {
      const gate = new Promise<void>((r) => {
        release = r;
      });
      return { kind: 'stream' as const, chunks: ['Lisbon ', 'is **mild** ', 'in March.'], gate, gateAt: 2 };
    };
    const fake: FakeOpenAI = await startFakeOpenAI();
    const llm = await startServer({
      databaseUrl: await freshDatabase(),
      port: await freePort(),
      jwtSecret: randomSecret(),
      extraEnv: { OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'fake-model' },
    });
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await newPage(demo.browser, 'desktop', scheme);
      try {
        await signUp(page, llm.base);
        await newChat(page);
        if (scheme === 'dark') {
          // Stop: the request is cancelled, nothing is stored, no error is shown, the composer works again.
          let hold!: () => void;
          const slow = new Promise<void>((r) => {
            hold = r;
          });
          fake.next({ kind: 'stream', chunks: ['Thinking ', 'about it'], gate: slow, gateAt: 1 });
          const seen = fake.requests.length;
          await page.getByLabel('message').fill('Something slow');
          await page.getByRole('button', { name: 'Send' }).click();
          await page.locator('[data-testid="streaming"]').getByText('Thinking', { exact: false }).waitFor();
          await page.getByRole('button', { name: 'Stop' }).click();
          await page.locator('[data-testid="streaming"]').waitFor({ state: 'detached' });
          // The model is let go only once the server has cancelled its request: released earlier, the last chunk
          // can reach a server that has not yet seen the client leave, and the answer is stored (as it would be
          // for anyone who presses Stop as the answer ends).
          expect(await fake.requests[seen]?.outcome).toBe('cancelled');
          hold();
          await expectNoErrorText(page, 'stop');
          expect(await pairs(page).count()).toBe(0);
        }
        fake.next(held());
        await page.getByLabel('message').fill('Where in March?');
        await page.getByRole('button', { name: 'Send' }).click();
        // The first chunks are on the page while the model still holds the last one; nothing is stored yet.
        const streaming = page.locator('[data-testid="streaming"]');
        await streaming.getByText('Lisbon is', { exact: false }).waitFor();
        await page.screenshot({ path: join(shots, `streaming-desktop-${scheme}.png`) });
        expect(await pairs(page).allTextContents()).toEqual([]);
        release();
        // Then the stored pair replaces the streamed one, its Markdown rendered.
        await pairs(page).locator('.bubble.a strong').getByText('mild').waitFor();
        await streaming.waitFor({ state: 'detached' });
      } finally {
        await context.close();
      }
    }

    const { context, page } = await newPage(demo.browser, 'desktop');
    try {
      await signUp(page, llm.base);
      // Import: the hand-written ChatGPT fixture, through the file picker; it opens on its active chat.
      const fixture = join(root, 'tests', 'fixtures', 'chatgpt-conversation.json');
      const conversation = JSON.parse(readFileSync(fixture, 'utf8'));
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: /Import ChatGPT/ }).click();
      await (await chooser).setFiles(fixture);
      await page.locator('[data-testid="chat-list"]').getByText(conversation.title).waitFor();
      await eventually('the imported chat open', async () =>
        ((await title(page).textContent()) ?? '').includes(conversation.title),
      );
      const leaf = conversation.mapping[conversation.current_node].message.content.parts.join('\n');
      await page.locator('[data-testid="pairs"] .bubble.a').getByText(leaf.slice(0, 40), { exact: false }).waitFor();

      // Export: the open chat as Markdown, downloaded.
      const download = page.waitForEvent('download');
      await chatAction(page, 'Export');
      await page.getByRole('menuitem', { name: 'This chat as Markdown' }).click();
      const markdown = readFileSync(await (await download).path(), 'utf8');
      expect(markdown.startsWith(`# ${conversation.title}`)).toBe(true);
      expect(markdown).toContain(leaf.slice(0, 40));
      await expectNoErrorText(page, 'import and export');
    } finally {
      release();
      await context.close();
      llm.kill('SIGTERM');
      await llm.exited;
      await fake.stop();
    }
  }, 90_000);

  // The screens people see, at both sizes and in both schemes: the data comes in over REST (answers given, so
  // they read like a model's), then each screen is checked and photographed.
  const ANSWERS = {
    march:
      'March is a good month for **Portugal**: mild, green and before the crowds.\n\n' +
      '- **Lisbon**: 17–19 °C, light for walks along the river\n- **Porto**: a little cooler, port cellars\n' +
      '- **Algarve**: quiet beaches, almond blossom\n\nShall I sketch a route?',
    plan:
      'A three-day plan:\n\n| day | morning | evening |\n|---|---|---|\n| 1 | Alfama on foot | fado in Mouraria |\n' +
      '| 2 | Belém | sunset at Miradouro da Senhora do Monte |\n| 3 | Sintra | back by train |',
    code:
      'Here is a small helper:\n\n```ts\nexport function toEuro(cents: number): string {\n' +
      "  return new Intl.NumberFormat('pt-PT', { style: 'currency', currency: 'EUR' }).format(cents / 100);\n}\n```\n\n" +
      'Call it with the price in cents.',
    porto:
      '**Porto** if you like wine and bridges, **Lisbon** for light and trams. For a first visit in March, ' +
      'Lisbon has the milder weather.',
  };

  async function seed(page: Page) {
    const trip = await rest(page, 'POST', '/chats/create-chat', { name: 'Trip to Portugal' });
    const add = (question: string, response: string) =>
      rest(page, 'POST', '/messages/add-message', { chat_id: trip.chat_id, question, response });
    const first = await add('Where should we go in March?', ANSWERS.march);
    await add('What would three days in Lisbon look like?', ANSWERS.plan);
    await add('Can you format prices in euros?', ANSWERS.code);
    const branch = await rest(page, 'POST', '/branches/create-branch', {
      chat_id: trip.chat_id,
      response_id: first.response_id,
      question: 'Rather Lisbon or Porto?',
      response: ANSWERS.porto,
      activate: false,
    });
    for (const name of ['Reading list', 'Sourdough starter']) {
      const c = await rest(page, 'POST', '/chats/create-chat', { name });
      await rest(page, 'POST', '/messages/add-message', { chat_id: c.chat_id, question: 'Hello', response: 'Hi!' });
    }
    await rest(page, 'PUT', '/chats/update-chat', { chat_id: trip.chat_id, pinned: true });
    return { trip: trip.chat_id as string, branch: branch.chat.chat_id as string };
  }

  for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
    for (const scheme of ['light', 'dark'] as const) {
      test(`the screens at ${viewport} in ${scheme}: sign-in, empty, chat, tree, search, compare`, async () => {
        const { context, page } = await newPage(demo.browser, viewport, scheme);
        const shot = async (screen: string) => {
          await expectNoErrorText(page, screen);
          await expectNoHorizontalOverflow(page, `${screen} at ${viewport}`);
          await expectAccessible(page, `${screen} at ${viewport} in ${scheme}`);
          await page.screenshot({ path: join(shots, `${screen}-${viewport}-${scheme}.png`) });
        };
        try {
          await page.goto(`${demo.server.base}/app/`);
          await page.getByLabel('email').waitFor();
          await shot('auth');
          await signUp(page, demo.server.base);
          await page.getByTestId('empty-state').waitFor();
          await shot('empty');

          const { trip, branch } = await seed(page);
          await page.reload();
          await showConversations(page);
          await page.locator('[data-testid="chat-list"]').getByText('Trip to Portugal').first().click();
          await closeDrawers(page);
          await page.locator('.bubble.a table').waitFor();
          await page.locator('.bubble.a .hljs, .bubble.a [class*="hljs-"]').first().waitFor();
          await shot('chat');

          await showTree(page);
          await page.getByTestId(`node-${branch}`).waitFor();
          await shot('tree');

          await showConversations(page);
          await page.getByLabel('Search chats').fill('Lisbon');
          await page.getByRole('button', { name: 'Search', exact: true }).click();
          await page.locator('[data-testid="search-results"] mark').first().waitFor();
          await shot('search');

          await closeDrawers(page);
          await showTree(page);
          await page.getByTestId(`node-${branch}`).click();
          await question(page, 'Rather Lisbon or Porto?').waitFor();
          await showTree(page);
          await page.getByRole('button', { name: 'Compare with active' }).click();
          await page.locator('[data-testid="compare"]').getByText('Rather Lisbon or Porto?').first().waitFor();
          await shot('compare');
          expect(trip).toBeTruthy();
        } finally {
          await context.close();
        }
      }, 90_000);
    }
  }
});
