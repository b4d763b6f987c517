/**
 * The demo's shell in Chromium at 1280×800 and 390×844: sign-in (errors beside the fields, in sentences), the empty
 * state, New chat, search, pin, archive, import, deletes that never show an error (here or elsewhere), the offline
 * banner, the share dialog, and the drawers of a narrow screen. axe-core in light and dark on every screen, no error
 * text after each action that succeeds, nothing wider than the screen.
 *
 * The chat pane is another area's: only the shared helpers (tests/browser/app.ts) touch it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { cleanup } from '../faults/harness.js';
import {
  browserUnavailable,
  chatAction,
  type Demo,
  eventually,
  isNarrow,
  newChat,
  newPage,
  rest,
  send,
  showConversations,
  startDemo,
} from './app.js';
import { expectAccessibleLightAndDark, expectNoErrorText, expectNoHorizontalOverflow, type VIEWPORTS } from './ui.js';

const why = await browserUnavailable('browser/shell');
let demo: Demo;

beforeAll(async () => {
  if (why) return;
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.browser.close();
  await cleanup();
});

/** The conversation's row in the list (the drawer opened on a narrow screen). */
async function row(page: Page, name: string) {
  await showConversations(page);
  return page.getByTestId('chat-list').locator('li.conv', { hasText: name });
}

async function conversationAction(page: Page, name: string, action: 'Pin' | 'Unpin' | 'Archive') {
  const item = await row(page, name);
  await item.getByRole('button', { name: 'Conversation actions' }).click();
  await page.getByRole('menuitem', { name: action, exact: true }).click();
}

/** The name shown as the open conversation's in the top bar. */
async function openTitle(page: Page): Promise<string | null> {
  const t = page.getByTestId('open-title');
  return (await t.count()) ? await t.textContent() : null;
}

async function pairsText(page: Page): Promise<string> {
  const pairs = page.getByTestId('pairs');
  return (await pairs.count()) ? ((await pairs.textContent()) ?? '') : '';
}

for (const viewport of ['desktop', 'mobile'] as (keyof typeof VIEWPORTS)[]) {
  describe.skipIf(Boolean(why))(`the shell at ${viewport}`, () => {
    let context: BrowserContext;
    let page: Page;
    let email = '';
    beforeAll(async () => {
      ({ context, page } = await newPage(demo.browser, viewport));
    });
    afterAll(async () => {
      await context?.close();
    });

    test('sign-in: problems beside the fields and in sentences; sign up shows who is signed in', async () => {
      const base = demo.server.base;
      await page.goto(`${base}/app/`);
      await page.getByRole('button', { name: 'Sign up' }).waitFor();
      await expectAccessibleLightAndDark(page, `${viewport} sign-in`);
      await expectNoHorizontalOverflow(page, `${viewport} sign-in`);

      const emailField = page.getByLabel('Email');
      const passwordField = page.getByLabel('Password');
      // The texts the field's aria-describedby points at, read in one step (a re-render cannot slip in between).
      const errorOf = (field: typeof emailField): Promise<string> =>
        field.evaluate((el: any) =>
          (el.getAttribute('aria-describedby') ?? '')
            .split(' ')
            .filter(Boolean)
            .map((id: string) => el.ownerDocument.getElementById(id)?.textContent ?? '')
            .join(' ')
            .trim(),
        );
      // Nothing typed: each field says what it needs.
      await page.getByRole('button', { name: 'Log in' }).click();
      expect(await errorOf(emailField)).toBe('Enter your email address.');
      expect(await errorOf(passwordField)).toBe('Enter your password.');
      expect(await emailField.getAttribute('aria-invalid')).toBe('true');
      // A malformed email (checked here) and a password too short (the API's check, put in a sentence).
      await emailField.fill('ada');
      await passwordField.fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      expect(await errorOf(emailField)).toBe('Enter an email address such as ada@example.com.');
      email = `shell-${viewport}-${Date.now()}@example.com`;
      await emailField.fill(email);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await eventually('the password error', async () =>
        (await errorOf(passwordField)).includes('at least 8 characters'),
      );
      expect(await errorOf(passwordField)).toBe('Password needs at least 8 characters.');
      expect(await page.locator('body').textContent()).not.toMatch(/schema|Too small/i);
      await expectAccessibleLightAndDark(page, `${viewport} sign-in with errors`);

      // Signed up: the email is in the top bar (behind the account button on a narrow screen).
      await passwordField.fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByTestId('signed-in').filter({ hasText: email }).waitFor({ state: 'attached' });
      if (await isNarrow(page)) await page.getByRole('button', { name: 'Account' }).click();
      expect(await page.getByTestId('signed-in').isVisible()).toBe(true);
      expect(await page.getByTestId('signed-in').textContent()).toContain(email);
      await expectNoErrorText(page, 'sign up');
      await expectNoHorizontalOverflow(page, `${viewport} top bar`);

      // Log out; a wrong password and an existing email are sentences; so is a server out of reach.
      await page.getByRole('button', { name: 'Log out' }).click();
      await emailField.fill(email);
      await passwordField.fill('wrong horse battery');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'That email and password do not match.' }).waitFor();
      await passwordField.fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('alert').filter({ hasText: 'An account with this email already exists' }).waitFor();
      await page.route('**/api/v1/auth/**', (r) => r.abort('internetdisconnected'));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Can’t reach branchat' }).waitFor();
      expect(await page.locator('body').textContent()).not.toContain('Failed to fetch');
      await page.unroute('**/api/v1/auth/**');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('signed-in').filter({ hasText: email }).waitFor({ state: 'attached' });
      await expectNoErrorText(page, 'log in');
    }, 90_000);

    test('the empty state invites to start; New chat opens an untitled chat', async () => {
      const empty = page.getByTestId('empty-state');
      await empty.getByRole('heading', { name: 'Start your first conversation' }).waitFor();
      await expectAccessibleLightAndDark(page, `${viewport} empty state`);
      await expectNoHorizontalOverflow(page, `${viewport} empty state`);
      await newChat(page);
      await expectNoErrorText(page, 'New chat');
      await send(page, 'Where is Lisbon?');
      await expectNoErrorText(page, 'a first message');
      await showConversations(page);
      const current = page.getByTestId('chat-list').locator('[aria-current="page"]');
      await current.waitFor();
      expect(await page.getByTestId('chat-list').locator('li.conv').count()).toBe(1);
      expect(await current.locator('.conv-meta').textContent()).toBe('just now');
      await expectNoHorizontalOverflow(page, `${viewport} a chat`);
    }, 60_000);

    test('search: results with their snippets; a hit opens the chat at its pair; Clear', async () => {
      await rest(page, 'POST', '/chats/create-chat', { name: 'Porto trip' }).then((c) =>
        rest(page, 'POST', '/messages/add-message', {
          chat_id: c.chat_id,
          question: 'Port wine cellars?',
          response: 'Vila Nova de Gaia.',
        }),
      );
      await page.reload();
      await showConversations(page);
      await page.getByRole('searchbox', { name: 'Search chats' }).fill('cellars');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const results = page.getByTestId('search-results');
      await results
        .locator('mark', { hasText: /cellars/i })
        .first()
        .waitFor();
      expect(await results.getByRole('heading').textContent()).toBe('1 result for “cellars”');
      expect(await results.locator('.hit-chat').textContent()).toBe('Porto trip');
      await expectAccessibleLightAndDark(page, `${viewport} search results`);
      await expectNoHorizontalOverflow(page, `${viewport} search results`);
      await results.getByRole('button', { name: /cellars/i }).click();
      if (await isNarrow(page)) await page.locator('.app:not([data-drawer])').waitFor();
      await eventually('the hit opened', async () => (await pairsText(page)).includes('Vila Nova de Gaia.'));
      await eventually('the title', async () => (await openTitle(page)) === 'Porto trip');
      await expectNoErrorText(page, 'opening a search hit');
      await showConversations(page);
      await results.getByRole('button', { name: 'Clear' }).click();
      expect(await results.count()).toBe(0);
      expect(await page.getByRole('searchbox', { name: 'Search chats' }).inputValue()).toBe('');
      // No match is a sentence, not an error.
      await page.getByRole('searchbox', { name: 'Search chats' }).fill('zanzibar');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await results.getByRole('heading', { name: 'No message matches “zanzibar”' }).waitFor();
      await results.getByRole('button', { name: 'Clear' }).click();
    }, 60_000);

    test('pin moves a conversation under Pinned (after a reload too); archive, the Archived view, unarchive', async () => {
      await conversationAction(page, 'Porto trip', 'Pin');
      const pinned = page.getByTestId('pinned');
      await pinned.locator('li.conv', { hasText: 'Porto trip' }).waitFor();
      expect(await pinned.getByRole('heading', { name: 'Pinned' }).count()).toBe(1);
      await expectNoErrorText(page, 'pin');
      await page.reload();
      await showConversations(page);
      await pinned.locator('li.conv', { hasText: 'Porto trip' }).waitFor();
      expect(await page.getByTestId('recent').locator('li.conv', { hasText: 'Porto trip' }).count()).toBe(0);

      await conversationAction(page, 'Porto trip', 'Unpin');
      await eventually('unpinned', async () => (await pinned.count()) === 0);
      await conversationAction(page, 'Porto trip', 'Archive');
      await eventually('archived', async () => (await (await row(page, 'Porto trip')).count()) === 0);
      await expectNoErrorText(page, 'archive');
      const toggle = page.getByRole('button', { name: 'Archived' });
      await toggle.click();
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      const archived = page.getByTestId('archived-list');
      await archived.locator('li.conv', { hasText: 'Porto trip' }).waitFor();
      await expectAccessibleLightAndDark(page, `${viewport} archived conversations`);
      await archived.locator('li.conv', { hasText: 'Porto trip' }).getByRole('button', { name: 'Unarchive' }).click();
      await (await row(page, 'Porto trip')).waitFor();
      await eventually('gone from Archived', async () => (await archived.locator('li.conv').count()) === 0);
      await toggle.click();
      await expectNoErrorText(page, 'unarchive');
    }, 60_000);

    test('import through the button opens the first imported conversation', async () => {
      const source = await rest(page, 'POST', '/chats/create-chat', { name: 'Exported elsewhere' });
      await rest(page, 'POST', '/messages/add-message', {
        chat_id: source.chat_id,
        question: 'What did we import?',
        response: 'A ChatGPT export.',
      });
      const token = (await page.evaluate("localStorage.getItem('branchat.token')")) as string;
      const file = await fetch(
        `${demo.server.base}/api/v1/chats/export-chat?chat_id=${source.chat_id}&format=chatgpt`,
        { headers: { Authorization: `Bearer ${token}` } },
      ).then((r) => r.text());
      await rest(page, 'DELETE', `/chats/delete-chat?chat_id=${source.chat_id}`);
      await page.reload();
      await showConversations(page);
      const chooser = page.waitForEvent('filechooser');
      const button = page.getByRole('button', { name: 'Import ChatGPT conversations' });
      await button.focus();
      await page.keyboard.press('Enter'); // keyboard reachable, not a bare label
      await (await chooser).setFiles({
        name: 'conversations.json',
        mimeType: 'application/json',
        buffer: Buffer.from(file),
      });
      await eventually('the import opened', async () => (await openTitle(page)) === 'Exported elsewhere');
      await eventually('its history', async () => (await pairsText(page)).includes('A ChatGPT export.'));
      await expectNoErrorText(page, 'import');
    }, 60_000);

    test('delete a branch: its parent opens; delete a conversation: the next one opens; no error', async () => {
      // A conversation with a branch (REST), opened on the branch (the active one).
      const main = await rest(page, 'POST', '/chats/create-chat', { name: 'Branchy' });
      const pair = await rest(page, 'POST', '/messages/add-message', {
        chat_id: main.chat_id,
        question: 'Main question',
        response: 'Main answer',
      });
      const branch = await rest(page, 'POST', '/branches/create-branch', {
        chat_id: main.chat_id,
        response_id: pair.response_id,
        question: 'Branch question',
        response: 'Branch answer',
        activate: true,
      });
      await page.reload();
      await (await row(page, 'Branchy')).locator('.conv-open').click();
      await eventually('the branch opened', async () => (await pairsText(page)).includes('Branch answer'));
      await chatAction(page, 'Delete');
      await eventually('the parent opened', async () => {
        const text = await pairsText(page);
        return text.includes('Main answer') && !text.includes('Branch answer');
      });
      expect(await openTitle(page)).toBe('Branchy');
      await Bun.sleep(300); // anything re-reading the deleted branch would show its error by now
      await expectNoErrorText(page, 'deleting a branch');
      const tree = await rest(page, 'GET', `/branches/get-branches?chat_id=${main.chat_id}`);
      expect(tree.count).toBe(1);
      expect(branch.chat_id ?? branch.chat?.chat_id).toBeTruthy();

      // The whole conversation: the next one in the list opens.
      const list = (await rest(page, 'GET', '/chats/list-chats')).chats as { chat_id: string; name: string }[];
      const at = list.findIndex((c) => c.chat_id === main.chat_id);
      const next = (list[at + 1] ?? list[at - 1]) as { name: string };
      await chatAction(page, 'Delete');
      await eventually('the next conversation', async () => (await openTitle(page)) === next.name);
      await Bun.sleep(300);
      await expectNoErrorText(page, 'deleting a conversation');
      expect(await (await row(page, 'Branchy')).count()).toBe(0);
      await expectNoHorizontalOverflow(page, `${viewport} after deletes`);
    }, 60_000);

    test('a chat deleted elsewhere while open: the tree’s active chat, or the next conversation; no error', async () => {
      const main = await rest(page, 'POST', '/chats/create-chat', { name: 'Doomed elsewhere' });
      const pair = await rest(page, 'POST', '/messages/add-message', {
        chat_id: main.chat_id,
        question: 'Root question',
        response: 'Root answer',
      });
      const branch = await rest(page, 'POST', '/branches/create-branch', {
        chat_id: main.chat_id,
        response_id: pair.response_id,
        question: 'Side question',
        response: 'Side answer',
        activate: true,
      });
      const branchId = branch.chat_id ?? branch.chat?.chat_id;
      await page.reload();
      await (await row(page, 'Doomed elsewhere')).locator('.conv-open').click();
      await eventually('the branch opened', async () => (await pairsText(page)).includes('Side answer'));
      // The branch goes (another tab, another device): the tree's active chat (the root) opens.
      await rest(page, 'DELETE', `/chats/delete-chat?chat_id=${branchId}`);
      await eventually('the root opened', async () => {
        const text = await pairsText(page);
        return text.includes('Root answer') && !text.includes('Side answer');
      });
      await Bun.sleep(300);
      await expectNoErrorText(page, 'a branch deleted elsewhere');
      // The whole conversation goes: another conversation, or the empty state.
      await rest(page, 'DELETE', `/chats/delete-chat?chat_id=${main.chat_id}`);
      await eventually('moved on', async () => {
        const title = await openTitle(page);
        return title !== 'Doomed elsewhere' && (title !== null || (await page.getByTestId('empty-state').count()) > 0);
      });
      await Bun.sleep(300);
      await expectNoErrorText(page, 'a conversation deleted elsewhere');
    }, 60_000);

    test('offline: the banner says so, retries, and goes once the server answers again', async () => {
      await context.setOffline(true);
      const banner = page.getByTestId('offline');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('Can’t reach branchat');
      await context.setOffline(false);
      await banner.waitFor({ state: 'detached', timeout: 10_000 });
      await expectNoErrorText(page, 'back online');
      // A failed request while offline also shows it (not "Failed to fetch").
      await page.route('**/api/v1/chats/list-chats*', (r) => r.abort('internetdisconnected'));
      await page.reload();
      await banner.waitFor();
      expect(await page.locator('body').textContent()).not.toContain('Failed to fetch');
      await page.unroute('**/api/v1/chats/list-chats*');
      await banner.waitFor({ state: 'detached', timeout: 10_000 });
      await showConversations(page);
      await page.getByTestId('chat-list').locator('li.conv').first().waitFor();
      await expectNoErrorText(page, 'reloaded after offline');
    }, 60_000);

    test('the share dialog: a labelled modal that keeps the focus; Escape closes it', async () => {
      await (await row(page, 'Porto trip')).locator('.conv-open').click();
      await eventually('the chat', async () => (await pairsText(page)).includes('Vila Nova de Gaia.'));
      await chatAction(page, 'Share');
      const dialog = page.getByRole('dialog', { name: 'Share this chat' });
      await dialog.waitFor();
      expect(await page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")).toBe(
        true,
      );
      await dialog.getByRole('button', { name: 'Create link' }).click();
      await dialog.getByLabel('Share link').waitFor();
      await dialog.getByTestId('share-links').locator('li').first().waitFor();
      await expectAccessibleLightAndDark(page, `${viewport} share dialog`);
      await expectNoHorizontalOverflow(page, `${viewport} share dialog`);
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        expect(await page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")).toBe(
          true,
        );
      }
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expectNoErrorText(page, 'the share dialog');
    }, 60_000);

    if (viewport === 'mobile') {
      test('drawers: the toggle, Escape and the scrim close them; choosing a conversation closes it', async () => {
        const toggle = page.getByRole('button', { name: 'Conversations', exact: true });
        const side = page.locator('nav.side');
        await toggle.click();
        await side.waitFor({ state: 'visible' });
        expect(await toggle.getAttribute('aria-expanded')).toBe('true');
        await expectAccessibleLightAndDark(page, 'mobile conversations drawer');
        await expectNoHorizontalOverflow(page, 'mobile conversations drawer');
        await page.keyboard.press('Escape');
        await side.waitFor({ state: 'hidden' });
        await toggle.click();
        await side.waitFor({ state: 'visible' });
        await page.mouse.click(380, 600); // the scrim, right of the drawer
        await side.waitFor({ state: 'hidden' });
        await toggle.click();
        await side.waitFor({ state: 'visible' });
        await toggle.click({ force: true }); // where the toggle is: the scrim above it closes the drawer
        await side.waitFor({ state: 'hidden' });
        await toggle.click();
        await side.locator('li.conv .conv-open').first().click();
        await side.waitFor({ state: 'hidden' });
        await page.locator('.app:not([data-drawer])').waitFor();
        const branches = page.getByRole('button', { name: /^Branches/ });
        await branches.click();
        await page.locator('aside.treepane').waitFor({ state: 'visible' });
        await page.keyboard.press('Escape');
        await page.locator('aside.treepane').waitFor({ state: 'hidden' });
        await expectNoErrorText(page, 'the drawers');
      }, 60_000);
    }
  });
}
