/**
 * The demo app in a real browser: headless Chromium (Debian's, /usr/bin/chromium) driven by playwright-core,
 * against the real server process on a fresh PostgreSQL database, clicking through the whole flow of the
 * README. Screenshots of the main screens go to a temporary folder, or to docs/screenshots with
 * UPDATE_SCREENSHOTS=1 (how the README's pictures are made).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  cleanup,
  freePort,
  freshDatabase,
  randomSecret,
  reasonToSkip,
  root,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const why = await reasonToSkip(
  'browser',
  existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  unavailable,
);

const shots = process.env.UPDATE_SCREENSHOTS
  ? join(root, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'shots-'));

let server: ServerProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (why) return;
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) {
    const build = Bun.spawnSync(['npm', 'run', 'build:web'], { cwd: root });
    if (build.exitCode !== 0) throw new Error(`build:web failed: ${build.stderr.toString()}`);
  }
  server = await startServer({ databaseUrl: await freshDatabase(), port: await freePort(), jwtSecret: randomSecret() });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.on('dialog', (d) => void d.accept()); // delete asks for confirmation
});

afterAll(async () => {
  await browser?.close();
  await cleanup();
});

/** Stored pairs on the page (not an answer still streaming in). */
const pairs = () => page.locator('[data-testid="pairs"] .pair:not(.pending)');
/** An answer of a stored pair. */
const answer = (text: string) => pairs().locator('.bubble.a').getByText(text);
/** The question bubble whose text is exactly `q`. */
const question = (q: string) => page.locator('.bubble.q .text').getByText(q, { exact: true });
const title = () => page.locator('[data-testid="chat-title"]');
/** The number of stored pairs shown settles at `n` (rendering is asynchronous); a different count fails. */
async function pairsSettleAt(n: number) {
  const deadline = Date.now() + 5_000;
  let count = await pairs().count();
  while (count !== n && Date.now() < deadline) {
    await Bun.sleep(50);
    count = await pairs().count();
  }
  expect(count).toBe(n);
}

/** The account's token, as the app stored it, for REST calls made "elsewhere" (another device). */
async function rest(method: string, path: string, body?: unknown) {
  const token = await page.evaluate(() => localStorage.getItem('branchat.token'));
  const r = await fetch(`${server.base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.json() as Promise<any>;
}

describe.skipIf(Boolean(why))('the demo app in Chromium', () => {
  test('sign up, chat, fork from a pair, switch variants, tree, rename, search and jump, live updates, delete', async () => {
    await page.goto(`${server.base}/app/`);
    await page.getByLabel('email').fill(`demo${Date.now()}@example.com`);
    await page.getByLabel('password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.getByLabel('new chat name').fill('Trip to Portugal');
    await page.getByRole('button', { name: '+' }).click();
    await expect(title().textContent()).resolves.toContain('Trip to Portugal');
    for (const q of ['Where should we go in March?', 'What about April?']) {
      await page.getByLabel('message').fill(q);
      await page.getByRole('button', { name: 'Send' }).click();
      await answer(`You asked: "${q}"`).waitFor();
    }
    expect(await pairs().count()).toBe(2);
    await page.screenshot({ path: join(shots, 'chat.png') });

    // Edit-and-fork from the first pair: a branch with its own question, opened and active.
    await pairs().first().hover();
    await pairs().first().getByRole('button', { name: 'fork from here' }).click();
    await page.getByLabel('fork question').fill('Rather Lisbon or Porto?');
    await page.getByRole('button', { name: 'Fork', exact: true }).click();
    await title().filter({ hasText: 'branch' }).waitFor();
    await answer('You asked: "Rather Lisbon or Porto?"').waitFor();
    await expect(title().textContent()).resolves.toContain('branch');
    expect(await pairs().allTextContents()).toEqual([
      expect.stringContaining('Where should we go in March?'),
      expect.stringContaining('Rather Lisbon or Porto?'),
    ]);
    const variants = page.locator('[data-testid^="variants-"]').first();
    await expect(variants.textContent()).resolves.toContain('2/2');
    await page.screenshot({ path: join(shots, 'fork.png') });

    // ‹ goes back to the main line: its own continuation, 1/2.
    await variants.getByRole('button', { name: 'previous variant' }).click();
    await question('What about April?').waitFor();
    await expect(title().textContent()).resolves.toContain('main');
    await expect(page.locator('[data-testid^="variants-"]').first().textContent()).resolves.toContain('1/2');

    // The tree: two chats, the branch active (★); set the main chat active.
    const tree = page.locator('[data-testid="tree"]');
    await expect(tree.textContent()).resolves.toContain('(2)');
    // The branch is named after its first question (the default name of a branch).
    await expect(tree.locator('.node', { hasText: '★' }).textContent()).resolves.toContain('Rather Lisbon or Porto?');
    await tree
      .locator('.node', { hasText: 'Trip to Portugal' })
      .first()
      .getByRole('button', { name: 'set active' })
      .click();
    await tree.locator('.node', { hasText: '★ Trip to Portugal' }).first().waitFor();
    await page.screenshot({ path: join(shots, 'tree.png') });

    // Rename the main chat.
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('chat name', { exact: true }).fill('Portugal in spring');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(title().textContent()).resolves.toContain('Portugal in spring');

    // Search and jump: the hit is in the branch; opening it shows the pair highlighted.
    await page.getByLabel('search').fill('Lisbon');
    await page.getByLabel('search').press('Enter');
    const hit = page.locator('[data-testid="search-results"] .hit').first();
    await expect(hit.innerHTML()).resolves.toContain('<mark>Lisbon</mark>');
    await page.screenshot({ path: join(shots, 'search.png') });
    await hit.click();
    await page.locator('.pair.focus', { hasText: 'Rather Lisbon or Porto?' }).waitFor();

    // Live: a message added elsewhere (REST, as from another device) appears without a reload.
    const branchId = (await rest('GET', '/chats/list-chats')).chats[0].chat_id as string;
    const tree2 = await rest('GET', `/branches/get-branches?chat_id=${branchId}`);
    const branch = tree2.tree.children[0].chat_id as string;
    await rest('POST', '/messages/add-message', {
      chat_id: branch,
      question: 'Added from another device',
      response: 'ok',
    });
    await question('Added from another device').waitFor({ timeout: 10_000 });

    // Delete the branch (confirmed): the tree is back to one chat.
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.locator('[data-testid="tree"] h3', { hasText: '(1)' }).waitFor();
    await expect(tree.textContent()).resolves.not.toContain('branch');
  }, 60_000);

  test('a long history loads its latest page first and older pages on scroll', async () => {
    const chat = await rest('POST', '/chats/create-chat', { name: 'Long one' });
    for (let i = 1; i <= 70; i++) {
      await rest('POST', '/messages/add-message', {
        chat_id: chat.chat_id,
        question: `question ${i}`,
        response: `answer ${i}`,
      });
    }
    await page.reload();
    await page.getByRole('button', { name: /Long one/ }).click();
    await question('question 70').waitFor();
    await pairsSettleAt(30);
    await expect(pairs().first().textContent()).resolves.toContain('question 41');
    await page.locator('[data-testid="pairs"]').evaluate((el) => {
      el.scrollTop = 0;
    });
    await question('question 11').waitFor();
    await pairsSettleAt(60);
    await page.locator('[data-testid="pairs"]').evaluate((el) => {
      el.scrollTop = 0;
    });
    await question('question 1').waitFor();
    await pairsSettleAt(70);
    await expect(page.getByRole('button', { name: 'Load older messages' }).count()).resolves.toBe(0);

    // Back to a chat already seen: the app asks with If-None-Match and reuses its copy on a 304 (no body sent).
    await rest('POST', '/chats/create-chat', { name: 'Short one' });
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/v1/chats/get-chat')) statuses.push(r.status());
    });
    const listed = (name: RegExp) => page.getByTestId('chat-list').getByRole('button', { name });
    await page.reload();
    await listed(/Long one/).click();
    await question('question 70').waitFor();
    expect(statuses).not.toContain(304); // a new page knows nothing yet
    await listed(/Short one/).click();
    await page.locator('[data-testid="chat-title"]', { hasText: 'Short one' }).waitFor();
    await listed(/Long one/).click();
    await question('question 70').waitFor();
    await pairsSettleAt(30);
    expect(statuses).toContain(304);
  }, 60_000);

  test('a model’s answer streams into the page; a ChatGPT export is imported; a chat is exported as Markdown', async () => {
    // A second server whose responder is a (fake) OpenAI-compatible model that holds back its last chunk.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const fake: FakeOpenAI = await startFakeOpenAI();
    fake.next({ kind: 'stream', chunks: ['Lisbon ', 'is mild ', 'in March.'], gate, gateAt: 2 });
    const llm = await startServer({
      databaseUrl: await freshDatabase(),
      port: await freePort(),
      jwtSecret: randomSecret(),
      extraEnv: { OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'fake-model' },
    });
    const p = await browser.newPage({ viewport: { width: 1280, height: 760 }, acceptDownloads: true });
    try {
      await p.goto(`${llm.base}/app/`);
      await p.getByLabel('email').fill(`stream${Date.now()}@example.com`);
      await p.getByLabel('password').fill('correct horse battery');
      await p.getByRole('button', { name: 'Sign up' }).click();
      await p.getByLabel('new chat name').fill('Spring');
      await p.getByRole('button', { name: '+' }).click();
      await p.getByLabel('message').fill('Where in March?');
      await p.getByRole('button', { name: 'Send' }).click();

      // The first chunks are on the page while the model still holds the last one; nothing is stored yet.
      const streaming = p.locator('[data-testid="streaming"]');
      await streaming.getByText('Lisbon is mild', { exact: false }).waitFor();
      await p.screenshot({ path: join(shots, 'streaming.png') });
      expect(await p.locator('[data-testid="pairs"] .pair:not(.pending)').count()).toBe(0);
      release();
      // Then the stored pair replaces the streamed one.
      await p
        .locator('[data-testid="pairs"] .pair:not(.pending) .bubble.a')
        .getByText('Lisbon is mild in March.')
        .waitFor();
      await streaming.waitFor({ state: 'detached' });

      // Import: the hand-written ChatGPT fixture, through the file picker; it opens on its active chat.
      const fixture = join(root, 'tests', 'fixtures', 'chatgpt-conversation.json');
      const conversation = JSON.parse(readFileSync(fixture, 'utf8'));
      await p.locator('input[aria-label="import"]').setInputFiles(fixture);
      await p.locator('[data-testid="chat-list"]').getByText(conversation.title).waitFor();
      await expect(p.locator('[data-testid="chat-title"]').textContent()).resolves.toContain(conversation.title);
      const leaf = conversation.mapping[conversation.current_node].message.content.parts.join('\n');
      await p.locator('[data-testid="pairs"] .bubble.a').getByText(leaf.slice(0, 40), { exact: false }).waitFor();

      // Export: the open chat as Markdown, downloaded.
      const download = p.waitForEvent('download');
      await p.getByLabel('export').selectOption('markdown');
      const file = await (await download).path();
      const markdown = readFileSync(file, 'utf8');
      expect(markdown.startsWith(`# ${conversation.title}`)).toBe(true);
      expect(markdown).toContain(leaf.slice(0, 40));
    } finally {
      release();
      await p.close();
      llm.kill('SIGTERM');
      await llm.exited;
      await fake.stop();
    }
  }, 60_000);
});
