/**
 * The API reference at /docs (Scalar) in headless Chromium, with every request that leaves the server
 * aborted and recorded: the page is served by the service itself (the pinned @scalar/api-reference bundle),
 * renders with no network, under its Content-Security-Policy without a single violation, and import-chat and
 * export-chat work from the page itself ("Test Request": the prefilled example body, a bearer token, Send).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { locateBundle } from '../../src/http/ops/docs.js';
import {
  call,
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
// What the server process serves: the bundle `npm run build:web` copied into web/dist, else the devDependency's.
const BUNDLE = locateBundle(join(root, 'web', 'dist'));
const why = await reasonToSkip(
  'browser/docs',
  existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  BUNDLE ? null : 'no Scalar bundle in web/dist or node_modules (npm ci installs and builds it)',
  unavailable,
);

let server: ServerProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
/** Requests the page tried to send anywhere but the server (all aborted). */
const outside: string[] = [];
/** CSP violations, from the console and from `securitypolicyviolation` events. */
const violations: string[] = [];

beforeAll(async () => {
  if (why) return;
  server = await startServer({ databaseUrl: await freshDatabase(), port: await freePort(), jwtSecret: randomSecret() });
  const r = await call(server.base, 'POST', '/api/v1/auth/register', {
    body: { email: `docs${Date.now()}@example.com`, password: 'correct horse battery' },
  });
  token = r.body.token;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // No network but the server: anything else (a CDN, fonts, telemetry, a proxy) is recorded and aborted.
  const origin = new URL(server.base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    outside.push(url);
    return route.abort('internetdisconnected');
  });
  // Run in the page before its own scripts (a string: this file is not compiled with the DOM library).
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI +
      ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber);
  });`);
  page = await context.newPage();
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await cleanup();
});

/**
 * Opens an operation from the sidebar and its "Test Request" client: the button of that operation's section
 * (the first one below its heading, once the page has scrolled there); checked by the client's Send button.
 */
async function tryIt(operation: string, method: 'get' | 'post') {
  const send = page.getByRole('button', { name: new RegExp(`^Send ${method} request`) }).first();
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.getByText(operation, { exact: false }).first().click();
    const heading = page.getByRole('heading', { name: new RegExp(operation) }).first();
    let top = -1;
    for (let i = 0; i < 20; i++) {
      const box = await heading.boundingBox();
      if (box && box.y >= 0 && box.y < 400) {
        top = box.y;
        break;
      }
      await page.waitForTimeout(150);
    }
    const below: { y: number; button: ReturnType<typeof page.getByRole> }[] = [];
    for (const button of await page.getByRole('button', { name: /Test Request/ }).all()) {
      const box = await button.boundingBox();
      if (box && box.y > top && box.y < 1000) below.push({ y: box.y, button });
    }
    below.sort((a, b) => a.y - b.y);
    await below[0]?.button.click();
    try {
      await send.waitFor({ timeout: 5_000 });
      return send;
    } catch {
      await page.keyboard.press('Escape'); // another operation's client: close it and try again
    }
  }
  throw new Error(`could not open the Test Request client of ${operation}`);
}

describe.skipIf(Boolean(why))('the API reference in Chromium', () => {
  test('renders from the service alone: its own pinned bundle, a strict CSP, nothing fetched elsewhere', async () => {
    const response = await page.goto(`${server.base}/docs`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/https?:|\*/);
    // The operations list, from /openapi.json, with every group of the API.
    await page.getByText('Import and export').first().waitFor();
    for (const group of ['Auth', 'Chats', 'Messages', 'Branches', 'Operations']) {
      expect(await page.getByText(group, { exact: true }).first().isVisible()).toBe(true);
    }
    const scripts = await page
      .locator('script')
      .evaluateAll((all) => all.map((s) => (s as unknown as { src: string }).src));
    expect(scripts).toEqual([
      expect.stringMatching(new RegExp(`^${server.base}/docs/assets/init-[0-9a-f]+\\.js$`)),
      expect.stringMatching(new RegExp(`^${server.base}/docs/assets/scalar-\\d+\\.\\d+\\.\\d+\\.js$`)),
    ]);
    // No link to another origin carries this server's address (Scalar's "Open API Client" opened
    // client.scalar.com with the document's URL; it is hidden). A plain "Powered by Scalar" link may stay: it
    // says nothing about the server (and Referrer-Policy: no-referrer holds back the page's address).
    const host = new URL(server.base).host;
    const links = await page
      .locator('a[href]')
      .evaluateAll((all) => all.map((a) => (a as unknown as { href: string }).href));
    const outgoing = links.filter((href) => /^https?:/.test(href) && !href.startsWith(server.base));
    expect(outgoing.filter((href) => decodeURIComponent(href).includes(host))).toEqual([]);
    expect(await page.getByText('Open API Client').count()).toBe(0);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    expect(outside).toEqual([]);
    expect(violations).toEqual([]);
  }, 60_000);

  test('import-chat and export-chat work from /docs: the example body imports, the tree exports', async () => {
    await page.goto(`${server.base}/docs`);
    await page.getByText('Import and export').first().click();
    const sendImport = await tryIt('Import ChatGPT conversations', 'post');
    // Requests go to the server the page came from (servers: "/"), with the token typed in once.
    await expect(page.getByText(`${server.base}`).first().isVisible()).resolves.toBe(true);
    await page.getByPlaceholder('Token').first().fill(token);
    await sendImport.click();
    await page.getByText('201 Created').first().waitFor();
    // Stored: the account now has exactly that conversation, and the page shows its new id.
    const mine = await call(server.base, 'GET', '/api/v1/chats/list-chats', { token });
    expect(mine.body.chats.map((c: { name: string }) => c.name)).toEqual(['Trip ideas']);
    const rootId = mine.body.chats[0].chat_id as string;
    expect((await page.locator('body').textContent()) ?? '').toContain(`"root_chat_id": "${rootId}"`);

    await page.keyboard.press('Escape');
    const sendExport = await tryIt('Export a conversation', 'get');
    await page.getByText('0193a4c2-7b1e-7cc0-9d3f-5a1e2b3c4d5e').last().click(); // the example chat_id
    await page.keyboard.press('Control+A');
    await page.keyboard.type(rootId);
    await sendExport.click();
    await page.getByText('200 OK').first().waitFor();
    const exported = (await page.locator('body').textContent()) ?? '';
    expect(exported).toContain('branchat.tree.v1');
    expect(exported).toContain('Where should we go in March?');
    expect(exported).toContain(`"root_chat_id": "${rootId}"`);
    expect(outside).toEqual([]);
    expect(violations).toEqual([]);
  }, 60_000);
});
