/**
 * What every browser test of the demo shares: the server process on a fresh database, Debian's Chromium driven by
 * playwright-core, a page per viewport and colour scheme, and the steps a person takes on any screen (sign up,
 * open the conversations or the branches drawer on a narrow screen, start a chat, send a message).
 *
 * The app is rebuilt (npm run build:web) when web/dist is missing or older than any file of web/src, so a test
 * never runs against a stale build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import {
  freePort,
  freshDatabase,
  randomSecret,
  reasonToSkip,
  root,
  type ServerProcess,
  startServer,
  unavailable,
} from '../faults/harness.js';
import { failedAnswers, VIEWPORTS, type ViewportName } from './ui.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why a browser test cannot run here (no Chromium, no PostgreSQL), or null; printed by reasonToSkip. */
export function browserUnavailable(name: string): Promise<string | null> {
  return reasonToSkip(
    name,
    existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    unavailable,
  );
}

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds web/dist when it is missing or older than web/src (or web/index.html). */
export function ensureWebBuild(): void {
  const built = join(root, 'web', 'dist', 'index.html');
  const sources = Math.max(newestIn(join(root, 'web', 'src')), statSync(join(root, 'web', 'index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const build = Bun.spawnSync(['npm', 'run', 'build:web'], { cwd: root });
  if (build.exitCode !== 0) throw new Error(`build:web failed: ${build.stderr.toString()}`);
}

export interface Demo {
  server: ServerProcess;
  browser: Browser;
}

/** The built app, a server on a fresh database (extra environment as given) and a browser. */
export async function startDemo(extraEnv: Record<string, string> = {}): Promise<Demo> {
  ensureWebBuild();
  const server = await startServer({
    databaseUrl: await freshDatabase(),
    port: await freePort(),
    jwtSecret: randomSecret(),
    extraEnv,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return { server, browser };
}

/**
 * A fresh context (nothing stored) at a viewport and colour scheme. `bypassCSP` lets axe-core be injected into a
 * page served with the app's strict Content-Security-Policy; the policy itself is tested by share.test.ts.
 */
export async function newPage(
  browser: Browser,
  viewport: ViewportName,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[viewport],
    colorScheme,
    bypassCSP: true,
    hasTouch: viewport === 'mobile',
    isMobile: viewport === 'mobile',
  });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept()); // delete asks for confirmation
  const failed: string[] = [];
  failedAnswers.set(page, failed);
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return { context, page };
}

let accounts = 0;

/** Signs up a new account from the sign-in screen; returns its email. */
export async function signUp(page: Page, base: string): Promise<string> {
  const email = `demo${Date.now()}-${++accounts}@example.com`;
  await page.goto(`${base}/app/`);
  await page.getByLabel('email').fill(email);
  await page.getByLabel('password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByTestId('signed-in').filter({ hasText: email }).waitFor({ state: 'attached' });
  return email;
}

/** True when the viewport is narrow enough for the side panes to be drawers (the toggles are shown). */
export async function isNarrow(page: Page): Promise<boolean> {
  return ((await page.evaluate('window.innerWidth')) as number) < 768;
}

/** The conversations pane, opened as a drawer on a narrow screen (a no-op where it is always shown). */
export async function showConversations(page: Page): Promise<void> {
  if (!(await isNarrow(page))) return;
  if ((await page.locator('.app[data-drawer="tree"]').count()) > 0) await page.keyboard.press('Escape');
  const toggle = page.getByRole('button', { name: 'Conversations', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('nav.side').waitFor({ state: 'visible' });
  await settled(page.locator('nav.side'));
}

/**
 * Waits until a drawer has stopped sliding in (its CSS transition): the same box twice, 50 ms apart. Positions read
 * while it moves (a node "in view inside the pane") would compare boxes from different frames.
 */
async function settled(drawer: Locator): Promise<void> {
  let last = '';
  await eventually('the drawer to stop moving', async () => {
    const box = JSON.stringify(await drawer.boundingBox());
    const still = box === last;
    last = box;
    return still;
  });
}

/** The branches (tree) pane, opened as a drawer on a narrow screen (a no-op where it is always shown). */
export async function showTree(page: Page): Promise<void> {
  if (!(await isNarrow(page))) return;
  if ((await page.locator('.app[data-drawer="side"]').count()) > 0) await page.keyboard.press('Escape');
  const toggle = page.getByRole('button', { name: /^Branches/ });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('aside.treepane').waitFor({ state: 'visible' });
  await settled(page.locator('aside.treepane'));
}

/** Closes an open drawer (Escape), if any. */
export async function closeDrawers(page: Page): Promise<void> {
  if ((await page.locator('.app[data-drawer]').count()) > 0) await page.keyboard.press('Escape');
}

/** Starts an untitled chat from the conversations pane; the composer has the focus afterwards. */
export async function newChat(page: Page): Promise<void> {
  // The chat shown before (its composer stays on screen until the new chat replaces it).
  const shown = page.locator('.chatview[data-chat]');
  const before = (await shown.count()) > 0 ? await shown.getAttribute('data-chat') : null;
  await showConversations(page);
  await page.locator('nav.side').getByRole('button', { name: 'New chat', exact: true }).click();
  await page.locator(`.chatview[data-chat]${before ? `:not([data-chat="${before}"])` : ''}`).waitFor();
  await page.getByLabel('message').waitFor();
}

/** Sends a question from the composer and waits for its answer to be stored (the echo responder's reply). */
export async function send(page: Page, question: string): Promise<void> {
  const stored = page.locator('[data-testid="pairs"] .pair:not(.pending)');
  const before = await stored.count();
  await page.getByLabel('message').fill(question);
  await page.getByRole('button', { name: 'Send' }).click();
  const deadline = Date.now() + 10_000;
  while ((await stored.count()) <= before && Date.now() < deadline) await Bun.sleep(50);
  if ((await stored.count()) <= before) {
    const shown = await page.locator('.chatview').textContent();
    throw new Error(`no stored answer to ${JSON.stringify(question)} after 10 s; the chat shows:\n${shown}`);
  }
}

/**
 * Clicks one of the open chat's actions by its accessible name ("Rename", "Export", "Share", "Delete"): directly
 * when it is shown, or through the header's "Chat actions" menu where the header folds them (narrow screens).
 */
export async function chatAction(page: Page, name: string): Promise<void> {
  const header = page.locator('[data-testid="chat-header"]');
  const direct = header.getByRole('button', { name, exact: true });
  const folded = header.getByRole('button', { name: 'Chat actions' });
  await direct.or(folded).first().waitFor(); // the header may still be loading
  if (await direct.isVisible()) return direct.click();
  await folded.click();
  await page.getByRole('menuitem', { name, exact: true }).click();
}

/**
 * A REST call as another device of the signed-in person: the API of the page's origin, with the token the app
 * stored. A string body is sent as it is (a file's JSON), anything else as JSON; a failed answer throws.
 */
export async function rest(page: Page, method: string, path: string, body?: unknown): Promise<any> {
  const token = (await page.evaluate("localStorage.getItem('branchat.token')")) as string;
  const r = await fetch(`${new URL(page.url()).origin}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${await r.text()}`);
  return r.json();
}

/** Waits until `check` holds (rendering and live updates are asynchronous), failing with `what` after `ms`. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
