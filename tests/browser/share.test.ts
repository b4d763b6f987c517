/**
 * A shared chat in a real browser (headless Chromium, as tests/browser/demo.test.ts): the owner makes a link with
 * the app's Share button; a fresh browser context (no account, nothing stored) opens it at /app/s/{token} and reads
 * the chat, older pages on demand; once revoked, the same page says the link leads nowhere. No request leaves the
 * origin, and no Content-Security-Policy violation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
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

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const why = await reasonToSkip(
  'browser/share',
  existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  unavailable,
);

let server: ServerProcess;
let browser: Browser;

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
});

afterAll(async () => {
  await browser?.close();
  await cleanup();
});

async function api(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${server.base}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${await r.text()}`);
  return r.json() as Promise<any>;
}

describe.skipIf(Boolean(why))('a shared chat in Chromium', () => {
  test('the owner shares with the Share button; anyone opens /app/s/{token} and reads it; revoked, it is gone', async () => {
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

    // The owner, signed in (the app's stored token), opens the chat and clicks Share.
    const owner = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    await owner.addInitScript((t) => localStorage.setItem('branchat.token', t), token);
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`${server.base}/app/`);
    await ownerPage
      .getByTestId('chat-list')
      .getByRole('button', { name: /Lisbon notes/ })
      .click();
    await ownerPage.locator('[data-testid="chat-title"]', { hasText: 'Lisbon notes' }).waitFor();
    await ownerPage.getByRole('button', { name: 'Share' }).click();
    const link = ownerPage.getByLabel('share link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${server.base}/app/s/[A-Za-z0-9_-]{43}$`));
    // A later write does not show in the link (frozen when made).
    await api('POST', '/messages/add-message', token, { chat_id: chat.chat_id, question: 'later', response: 'x' });
    await owner.close();

    // Anyone: a fresh context, nothing stored, no account.
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

    // Revoked: the same page now says the link leads nowhere.
    const listed = await api('GET', `/shares/list-shares?chat_id=${chat.chat_id}`, token);
    expect(listed.shares).toHaveLength(1);
    await api('DELETE', `/shares/delete-share?share_id=${listed.shares[0].share_id}`, token);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'revoked' }).waitFor();
    expect(await page.locator('[data-testid="shared-title"]').count()).toBe(0);
    expect(offOrigin).toEqual([]);
    expect(cspViolations).toEqual([]);
    await reader.close();
  }, 60_000);
});
