/**
 * What every browser test of the demo checks on each screen: the two viewports it must work at, no error text
 * shown after an action, and no serious or critical accessibility violation (axe-core, injected from the pinned
 * package: nothing is fetched from outside).
 */
import { expect } from 'bun:test';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; html: string }[];
}

/**
 * Runs axe-core on the page as it is (or only on the elements `include` selects, for a test of one area): fails
 * listing every serious or critical violation.
 */
export async function expectAccessible(page: Page, screen: string, options: { include?: string } = {}): Promise<void> {
  // Page functions as text: this file is compiled without the DOM's types.
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ path: AXE });
  const target = options.include ? `[...document.querySelectorAll(${JSON.stringify(options.include)})]` : 'document';
  const violations = (await page.evaluate(
    `window.axe.run(${target}, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  )) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious.map(
    (v) =>
      `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.html}`).join('\n  ')}`,
  );
  expect(report, `axe on ${screen}`).toEqual([]);
}

/** The failed answers (status ≥ 400) each page got, listed when an error text shows (tests/browser/app.ts newPage). */
export const failedAnswers = new WeakMap<Page, string[]>();

/** expectAccessible in the light colour scheme, then in the dark one; the page is left in light. */
export async function expectAccessibleLightAndDark(
  page: Page,
  screen: string,
  options: { include?: string } = {},
): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await expectAccessible(page, `${screen} (light)`, options);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, `${screen} (dark)`, options);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** No visible error text: nothing in role=alert, .error or [data-error], and no raw problem wording anywhere. */
export async function expectNoErrorText(page: Page, after: string): Promise<void> {
  const shown = (await page.evaluate(`(() => {
    const visible = (e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    };
    const alerts = [...document.querySelectorAll('[role="alert"], .error, [data-error]')]
      .filter(visible)
      .map((e) => (e.textContent || '').trim())
      .filter((t) => t.length > 0);
    const text = document.body.innerText;
    const raw = [/not found/i, /does not match the schema/i, /Failed to fetch/].filter((re) => re.test(text));
    return [...alerts, ...raw.map(String)];
  })()`)) as string[];
  const failed = failedAnswers.get(page) ?? [];
  expect(shown, `error text after ${after} (failed answers so far: ${failed.join('; ') || 'none'})`).toEqual([]);
}

/** The page lays out within the viewport's width: nothing pushes the document wider than the screen. */
export async function expectNoHorizontalOverflow(page: Page, screen: string): Promise<void> {
  const widths = (await page.evaluate('({ doc: document.documentElement.scrollWidth, view: window.innerWidth })')) as {
    doc: number;
    view: number;
  };
  expect(widths.doc, `document width on ${screen}`).toBeLessThanOrEqual(widths.view);
}
