/**
 * A shared chat in a real browser (headless Chromium): the owner makes a link with the Share dialog (frozen: the
 * chat as it is now), copies it; a fresh browser context (no account, nothing stored) opens it at /app/s/{token}
 * and reads the chat, older pages on demand; the owner revokes it in the dialog, and the same page then says the
 * link leads nowhere. No request leaves the origin, and no Content-Security-Policy violation. The shared page
 * passes axe-core in light and dark at both viewports, without horizontal overflow.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cleanup } from '../faults/harness.js';
import { browserUnavailable, chatAction, type Demo, newPage, startDemo } from './app.js';
import { expectAccessibleLightAndDark, expectNoErrorText, expectNoHorizontalOverflow } from './ui.js';

const why = await browserUnavailable('browser/share');
let demo: Demo;

beforeAll(async () => {
  if (why) return;
  demo = await startDemo();
});

afterAll(async () => {
  await demo?.browser.close();
  await cleanup();
});

async function api(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${demo.server.base}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${await r.text()}`);
  return r.json() as Promise<any>;
}

describe.skipIf(Boolean(why))('a shared chat in Chromium', () => {
  test('the owner shares with the Share dialog; anyone opens /app/s/{token} and reads it; revoked, it is gone', async () => {
    const server = demo.server;
    const browser = demo.browser;
    // The owner's chat: 35 pairs (more than one page of the shared view), made over REST.
    const email = `share${Date.now()}@example.com`;
    const { token } = await api('POST', '/auth/register', null, { email, password: 'correct horse battery' });
    const chat = await api('POST', '/chats/create-chat', token, { name: 'Lisbon notes' });
    for (let i = 1; i <= 35; i++) {
      await api('POST', '/messages/add-message', token, {
        chat_id: chat.chat_id,
        question: `q${i}`,
        response: `a${i}`,
      });
    }

    // The owner, signed in (the app's stored token), opens the chat and its Share dialog.
    const { context: owner, page: ownerPage } = await newPage(browser, 'desktop');
    await owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    await owner.addInitScript((t) => localStorage.setItem('branchat.token', t), token);
    await ownerPage.goto(`${server.base}/app/`);
    await ownerPage
      .getByTestId('chat-list')
      .getByRole('button', { name: /Lisbon notes/ })
      .click();
    await ownerPage.getByTestId('open-title').filter({ hasText: 'Lisbon notes' }).waitFor();
    await chatAction(ownerPage, 'Share');
    const dialog = ownerPage.getByRole('dialog', { name: 'Share this chat' });
    await dialog.waitFor();
    await dialog.getByText('No link yet.').waitFor();
    expect(await dialog.getByRole('radio', { name: /as it is now/ }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const link = dialog.getByLabel('Share link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${server.base}/app/s/[A-Za-z0-9_-]{43}$`));
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied to the clipboard.').waitFor();
    expect(await ownerPage.evaluate('navigator.clipboard.readText()')).toBe(url);
    // Listed without its URL (tokens are shown once), frozen.
    const listed = dialog.getByTestId('share-links').locator('li');
    await listed.first().waitFor();
    expect(await listed.count()).toBe(1);
    expect(await listed.first().textContent()).toContain('As it was');
    expect(await listed.first().textContent()).not.toContain('/app/s/');
    await expectNoErrorText(ownerPage, 'creating a link');
    // A later write does not show in the link (frozen when made).
    await api('POST', '/messages/add-message', token, { chat_id: chat.chat_id, question: 'later', response: 'x' });

    // Anyone: a fresh context, nothing stored, no account, the page's own CSP.
    const reader = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await reader.newPage();
    const offOrigin: string[] = [];
    const cspViolations: string[] = [];
    await page.route('**/*', (route) => {
      if (!route.request().url().startsWith(server.base)) {
        offOrigin.push(route.request().url());
        return route.abort();
      }
      return route.continue();
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const publicReads: (string | null)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/public/shares/')) publicReads.push(r.headers().authorization ?? null);
    });
    await page.goto(url);
    await page.locator('[data-testid="shared-title"]', { hasText: 'Lisbon notes' }).waitFor();
    const shown = page.locator('[data-testid="shared-pairs"] .pair');
    await shown.nth(29).waitFor();
    expect(await shown.count()).toBe(30);
    expect(await shown.first().locator('.bubble.q').textContent()).toBe('q6');
    expect(await shown.last().locator('.bubble.q').textContent()).toBe('q35');
    await page.getByRole('button', { name: 'Load older messages' }).click();
    await shown.nth(34).waitFor();
    expect(await shown.count()).toBe(35);
    expect(await shown.first().locator('.bubble.q').textContent()).toBe('q1');
    await expect(page.getByRole('button', { name: 'Load older messages' }).count()).resolves.toBe(0);
    expect(await page.locator('.bubble.q', { hasText: 'later' }).count()).toBe(0);
    // Read-only: nothing to write with, and no sign-in asked for.
    expect(await page.getByLabel('message').count()).toBe(0);
    expect(await page.getByLabel('password').count()).toBe(0);
    expect(publicReads.length).toBeGreaterThanOrEqual(2);
    expect(publicReads.every((h) => h === null)).toBe(true);
    await expectNoErrorText(page, 'reading a shared chat');

    // The shared page at both viewports, light and dark (axe needs the CSP bypassed: its own contexts).
    for (const viewport of ['desktop', 'mobile'] as const) {
      const { context, page: look } = await newPage(browser, viewport);
      await look.goto(url);
      await look.locator('[data-testid="shared-pairs"] .pair').nth(29).waitFor();
      await expectAccessibleLightAndDark(look, `${viewport} shared page`);
      await expectNoHorizontalOverflow(look, `${viewport} shared page`);
      await context.close();
    }

    // Revoked in the owner's dialog: the same page now says the link leads nowhere.
    await listed
      .first()
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await dialog.getByText('No link yet.').waitFor();
    expect(await link.count()).toBe(0);
    await expectNoErrorText(ownerPage, 'revoking a link');
    await owner.close();
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'revoked' }).waitFor();
    expect(await page.locator('[data-testid="shared-title"]').count()).toBe(0);
    expect(offOrigin).toEqual([]);
    expect(cspViolations).toEqual([]);
    await reader.close();
  }, 90_000);
});
