/**
 * The branches pane and the comparison in Chromium, at 1280×800 and 390×844 (where the pane is a drawer): the
 * tree drawn as a graph (every chat with its name and length, the path to the active chat highlighted), opening a
 * chat from it by pointer and by keyboard, making a chat active, comparing two branches (shared part, both tails
 * with their totals, Load more, Open, Close), and the 1,000-branch tree of the bench (imported in one call) drawn
 * and answering quickly, with its timings printed. After each action: no error text; on each screen: axe-core in
 * light and dark, and nothing wider than the viewport.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { cleanup } from '../faults/harness.js';
import {
  browserUnavailable,
  type Demo,
  eventually,
  isNarrow,
  newPage,
  rest,
  showConversations,
  showTree,
  signUp,
  startDemo,
} from './app.js';
import {
  expectAccessibleLightAndDark,
  expectNoErrorText,
  expectNoHorizontalOverflow,
  type ViewportName,
} from './ui.js';

const why = await browserUnavailable('browser/tree');
let demo: Demo;

beforeAll(async () => {
  if (why) return;
  demo = await startDemo();
});

afterAll(async () => {
  await demo?.browser.close();
  await cleanup();
});

const node = (page: Page, id: string) => page.getByTestId(`node-${id}`);
const title = (page: Page) => page.getByTestId('chat-title');

/** Reloads the app and opens a conversation from the conversations pane by its name. */
async function openConversation(page: Page, name: string): Promise<void> {
  await page.reload();
  await page.getByTestId('signed-in').waitFor({ state: 'attached' });
  await showConversations(page);
  await page.getByTestId('chat-list').getByText(name, { exact: true }).click();
}

/** axe on this area's parts only (the tree pane and the comparison), light and dark: the rest of the page (top bar,
 * chat view) is checked by its own tests. */
const accessibleBothSchemes = (page: Page, screen: string) =>
  expectAccessibleLightAndDark(page, screen, { include: '[data-testid="tree"], [data-testid="compare"]' });

/** The element with the keyboard focus: its data-id (a tree node) or null. */
const focusedNode = (page: Page) =>
  page.evaluate('document.activeElement?.dataset?.id ?? null') as Promise<string | null>;

for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
  describe.skipIf(Boolean(why))(`the branches pane at ${viewport}`, () => {
    test('the graph: every chat named, the active path highlighted, open by click and by keyboard, make active', async () => {
      const { context, page } = await newPage(demo.browser, viewport);
      try {
        await signUp(page, demo.server.base);
        // Trip plan: q1 q2 q3; "Porto" forks after q1 and "Porto hotels" after Porto's own pair; "Trains" after q2.
        const root = await rest(page, 'POST', '/chats/create-chat', { name: 'Trip plan' });
        const p: string[] = [];
        for (const i of [1, 2, 3]) {
          const pair = await rest(page, 'POST', '/messages/add-message', {
            chat_id: root.chat_id,
            question: `Question ${i}`,
            response: `Answer ${i}`,
          });
          p.push(pair.response_id);
        }
        const fork = (chatId: string, responseId: string, question: string) =>
          rest(page, 'POST', '/branches/create-branch', {
            chat_id: chatId,
            response_id: responseId,
            question,
            response: `On ${question}`,
          });
        const porto = await fork(root.chat_id, p[0]!, 'Try Porto instead');
        const hotels = await fork(porto.chat.chat_id, porto.qa_pair.response_id, 'Porto hotels');
        const trains = await fork(root.chat_id, p[1]!, 'What about trains?');
        await rest(page, 'PUT', '/branches/set-active-branch', { chat_id: hotels.chat.chat_id });
        const ids = {
          root: root.chat_id as string,
          porto: porto.chat.chat_id as string,
          hotels: hotels.chat.chat_id as string,
          trains: trains.chat.chat_id as string,
        };

        await openConversation(page, 'Trip plan');
        await title(page).filter({ hasText: 'Porto hotels' }).waitFor();
        await showTree(page);
        const tree = page.getByTestId('tree');
        await tree.waitFor({ state: 'visible' });
        await expectNoErrorText(page, 'opening the tree');

        // Every chat, named, with its length in exchanges (pairs: inherited + own).
        const expected: [string, string, string][] = [
          [ids.root, 'Trip plan', '3 exchanges'],
          [ids.porto, 'Try Porto instead', '2 exchanges'],
          [ids.hotels, 'Porto hotels', '3 exchanges'],
          [ids.trains, 'What about trains?', '3 exchanges'],
        ];
        for (const [id, name, count] of expected) {
          const n = node(page, id);
          expect(await n.isVisible()).toBe(true);
          expect(await n.locator('.tree-node-name').textContent()).toBe(name);
          expect(await n.getAttribute('title')).toBe(name);
          expect(await n.locator('.tree-node-meta').textContent()).toContain(count);
        }
        expect(await tree.locator('.tree-node').count()).toBe(4);
        // Depth-first, root at the top: each child below and to the right of its parent.
        // (Offsets in the graph, not screen boxes: the drawer may still be sliding in.)
        const box = (id: string) =>
          node(page, id).evaluate((e: any) => ({ x: e.offsetLeft as number, y: e.offsetTop as number }));
        const [rb, pb, hb, tb] = [
          await box(ids.root),
          await box(ids.porto),
          await box(ids.hotels),
          await box(ids.trains),
        ];
        expect(pb.y).toBeGreaterThan(rb.y);
        expect(pb.x).toBeGreaterThan(rb.x);
        expect(hb.x).toBeGreaterThan(pb.x);
        expect(tb.y).toBeGreaterThan(hb.y);
        expect(tb.x).toBe(pb.x);

        // The active path root → Porto → Porto hotels; the active and open chat marked.
        const onPath = async (id: string) => (await node(page, id).getAttribute('data-path')) === 'true';
        expect([
          await onPath(ids.root),
          await onPath(ids.porto),
          await onPath(ids.hotels),
          await onPath(ids.trains),
        ]).toEqual([true, true, true, false]);
        expect(await node(page, ids.hotels).locator('.tree-badge').textContent()).toContain('active');
        expect(await tree.locator('.tree-badge').count()).toBe(1);
        expect(await node(page, ids.hotels).getAttribute('aria-current')).toBe('true');
        expect(await page.getByTestId('active-path').getAttribute('d')).toMatch(/^M.*M/); // two edges highlighted
        // The open chat is the active one: nothing to make active.
        expect(await tree.getByRole('button', { name: 'Make active' }).count()).toBe(0);
        await accessibleBothSchemes(page, `the tree pane at ${viewport}`);
        await expectNoHorizontalOverflow(page, `the tree pane at ${viewport}`);

        // A click opens a chat (the drawer closes on a narrow screen).
        await node(page, ids.trains).click();
        await title(page).filter({ hasText: 'What about trains?' }).waitFor();
        await expectNoErrorText(page, 'opening a chat from the tree');
        await showTree(page);
        await eventually(
          'the open node',
          async () => (await node(page, ids.trains).getAttribute('aria-current')) === 'true',
        );
        expect(await node(page, ids.hotels).getAttribute('aria-current')).toBeNull();

        // Make active: the badge and the path move, and the API agrees.
        await tree.getByRole('button', { name: 'Make active' }).click();
        await eventually(
          'the active badge on Trains',
          async () => (await node(page, ids.trains).locator('.tree-badge').count()) === 1,
        );
        expect(await tree.locator('.tree-badge').count()).toBe(1);
        expect([await onPath(ids.root), await onPath(ids.porto), await onPath(ids.trains)]).toEqual([
          true,
          false,
          true,
        ]);
        expect((await rest(page, 'GET', `/branches/get-branches?chat_id=${ids.root}`)).active_chat_id).toBe(ids.trains);
        await expectNoErrorText(page, 'make active');
        expect(await tree.getByRole('button', { name: 'Make active' }).count()).toBe(0);

        // Keyboard: Tab reaches the tree at the open node (one tab stop), arrows move, Enter opens.
        await tree.getByRole('button', { name: 'Compare', exact: true }).focus();
        for (let i = 0; i < 6 && (await focusedNode(page)) === null; i++) await page.keyboard.press('Tab');
        expect(await focusedNode(page)).toBe(ids.trains);
        const outline = (await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')) as string;
        expect(outline).not.toBe('none'); // a visible focus
        expect(await tree.locator('.tree-node[tabindex="0"]').count()).toBe(1);
        await page.keyboard.press('ArrowUp');
        expect(await focusedNode(page)).toBe(ids.hotels);
        await page.keyboard.press('ArrowLeft');
        expect(await focusedNode(page)).toBe(ids.porto);
        await page.keyboard.press('Home');
        expect(await focusedNode(page)).toBe(ids.root);
        await page.keyboard.press('ArrowRight');
        expect(await focusedNode(page)).toBe(ids.porto);
        await page.keyboard.press('Enter');
        await title(page).filter({ hasText: 'Try Porto instead' }).waitFor();
        await expectNoErrorText(page, 'opening a chat with Enter');
        await showTree(page);
        await eventually(
          'Porto open',
          async () => (await node(page, ids.porto).getAttribute('aria-current')) === 'true',
        );
        await expectNoHorizontalOverflow(page, `the tree pane after the keyboard at ${viewport}`);
      } finally {
        await context.close();
      }
    }, 120_000);

    test('compare two branches: shared part, both tails with totals, Load more, Open, Close', async () => {
      const { context, page } = await newPage(demo.browser, viewport);
      try {
        await signUp(page, demo.server.base);
        const root = await rest(page, 'POST', '/chats/create-chat', { name: 'Long compare' });
        const p1 = await rest(page, 'POST', '/messages/add-message', {
          chat_id: root.chat_id,
          question: 'Where do we start?',
          response: 'At the beginning.',
        });
        const p2 = await rest(page, 'POST', '/messages/add-message', {
          chat_id: root.chat_id,
          question: 'And then?',
          response: 'Then the middle.',
        });
        // "Long way": 55 exchanges after the shared one (more than a page of 50).
        const long = await rest(page, 'POST', '/branches/create-branch', {
          chat_id: root.chat_id,
          response_id: p1.response_id,
          question: 'The long way',
          response: `long answer 1 ${'with a long word '.repeat(3)}${'x'.repeat(300)}`,
        });
        for (let i = 2; i <= 55; i++) {
          await rest(page, 'POST', '/messages/add-message', {
            chat_id: long.chat.chat_id,
            question: `long question ${i}`,
            response: `long answer ${i}`,
          });
        }
        await rest(page, 'PUT', '/messages/set-feedback', { response_id: long.qa_pair.response_id, rating: 'up' });
        // "Short way": forks after p2, one exchange of its own; made active.
        const short = await rest(page, 'POST', '/branches/create-branch', {
          chat_id: root.chat_id,
          response_id: p2.response_id,
          question: 'The short way',
          response: 'short answer',
        });
        const longId = long.chat.chat_id as string;
        const shortId = short.chat.chat_id as string;

        await openConversation(page, 'Long compare');
        await title(page).filter({ hasText: 'The short way' }).waitFor();
        await showTree(page);
        const tree = page.getByTestId('tree');

        // Compare mode: pick two nodes (pressed), then Compare selected.
        const toggle = tree.getByRole('button', { name: 'Compare', exact: true });
        await toggle.click();
        expect(await toggle.getAttribute('aria-pressed')).toBe('true');
        const selected = tree.getByRole('button', { name: 'Compare selected' });
        expect(await selected.isDisabled()).toBe(true);
        await node(page, longId).click();
        expect(await node(page, longId).getAttribute('aria-pressed')).toBe('true');
        expect(await node(page, shortId).getAttribute('aria-pressed')).toBe('false');
        expect(await title(page).textContent()).toContain('The short way'); // picking does not open
        await node(page, shortId).click();
        expect(await node(page, shortId).getAttribute('aria-pressed')).toBe('true');
        await accessibleBothSchemes(page, `compare mode at ${viewport}`);
        await selected.click();

        const compare = page.getByTestId('compare');
        await compare.getByTestId('compare-chat').waitFor();
        await expectNoErrorText(page, 'compare');
        const left = compare.getByTestId('compare-chat');
        const right = compare.getByTestId('compare-other');
        expect(await compare.getByTestId('compare-shared').locator('summary').textContent()).toBe('1 exchange shared');
        await compare.getByTestId('compare-shared').locator('summary').click();
        expect(await compare.getByTestId('compare-shared').textContent()).toContain('At the beginning.');
        expect(await left.locator('h3').textContent()).toBe('The long way');
        expect(await right.locator('h3').textContent()).toBe('The short way');
        const leftTotals = (await left.getByTestId('compare-chat-totals').textContent()) ?? '';
        expect(leftTotals).toContain('55 exchanges');
        expect(leftTotals).toContain('0 tokens');
        expect(leftTotals).toContain('1 liked · 0 disliked');
        expect(await right.getByTestId('compare-other-totals').textContent()).toContain('2 exchanges'); // q2 + its own
        expect(await left.locator('.compare-pair').count()).toBe(50);
        expect(await right.locator('.compare-pair').count()).toBe(2);
        expect(await right.getByRole('button', { name: /^Load more/ }).count()).toBe(0);
        await accessibleBothSchemes(page, `the comparison at ${viewport}`);
        await expectNoHorizontalOverflow(page, `the comparison at ${viewport}`);

        // Side by side on a wide screen, stacked within the width on a narrow one.
        const lb = (await left.boundingBox())!;
        const rb = (await right.boundingBox())!;
        if (await isNarrow(page)) {
          expect(rb.y).toBeGreaterThanOrEqual(lb.y + lb.height);
          expect(lb.x + lb.width).toBeLessThanOrEqual(390);
        } else {
          expect(rb.x).toBeGreaterThanOrEqual(lb.x + lb.width);
          expect(Math.abs(rb.y - lb.y)).toBeLessThan(2);
        }

        // Load more: the rest of the long tail, then no more.
        await left.getByRole('button', { name: /^Load more/ }).click();
        await eventually('the second page', async () => (await left.locator('.compare-pair').count()) === 55);
        expect(await left.locator('.compare-pair').last().textContent()).toContain('long answer 55');
        expect(await left.getByRole('button', { name: /^Load more/ }).count()).toBe(0);
        expect(await right.locator('.compare-pair').count()).toBe(2);
        await expectNoErrorText(page, 'load more');
        await expectNoHorizontalOverflow(page, `the comparison with a long word at ${viewport}`);

        // Open from the comparison opens that chat.
        await left.getByRole('button', { name: /^Open/ }).click();
        await title(page).filter({ hasText: 'The long way' }).waitFor();
        expect(await compare.count()).toBe(0);
        await expectNoErrorText(page, 'open from compare');

        // "Compare with active" on the open chat (not the active one), then Close goes back to the chat.
        await showTree(page);
        await tree.getByRole('button', { name: 'Compare with active' }).click();
        await compare.getByTestId('compare-other').waitFor();
        expect(await compare.getByTestId('compare-chat').locator('h3').textContent()).toBe('The long way');
        expect(await compare.getByTestId('compare-other').locator('h3').textContent()).toBe('The short way');
        await compare.getByRole('button', { name: 'Close' }).click();
        await title(page).filter({ hasText: 'The long way' }).waitFor();
        expect(await compare.count()).toBe(0);
        await expectNoErrorText(page, 'close compare');
      } finally {
        await context.close();
      }
    }, 120_000);

    test('the 1,000-branch tree: drawn, the open node in view, opening another one, quickly', async () => {
      const { context, page } = await newPage(demo.browser, viewport);
      try {
        await signUp(page, demo.server.base);
        const conv = thousandBranches(`A thousand branches ${viewport}`);
        const imported = await rest(page, 'POST', '/chats/import-chat', JSON.stringify(conv));
        const rootId = imported.conversations[0].root_chat_id as string;
        expect(imported.conversations[0].chat_count).toBe(1001);
        // The deepest branch becomes the active chat: opening the conversation opens it, far down the graph.
        const tree = await rest(page, 'GET', `/branches/get-branches?chat_id=${rootId}`);
        let deepest = { id: '', depth: -1 };
        const walk = (n: any, depth: number) => {
          if (depth > deepest.depth) deepest = { id: n.chat_id, depth };
          for (const c of n.children) walk(c, depth + 1);
        };
        walk(tree.tree, 0);
        expect(deepest.depth).toBe(50);
        await rest(page, 'PUT', '/branches/set-active-branch', { chat_id: deepest.id });

        await page.reload();
        await page.getByTestId('signed-in').waitFor({ state: 'attached' });
        await showConversations(page);
        const started = performance.now();
        await page.getByTestId('chat-list').getByText(conv.title, { exact: true }).click();
        const nodes = page.locator('[data-testid="tree"] .tree-node');
        await eventually('1,001 nodes', async () => (await nodes.count()) === 1001, 20_000);
        await eventually(
          'the deepest open',
          async () => (await node(page, deepest.id).getAttribute('aria-current')) === 'true',
        );
        const firstRender = performance.now() - started;

        await showTree(page);
        // The open node is scrolled into view inside the pane.
        const pane = (await page.locator('[data-testid="tree"] .tree-scroll').boundingBox())!;
        const open = (await node(page, deepest.id).boundingBox())!;
        expect(open.y).toBeGreaterThanOrEqual(pane.y - 1);
        expect(open.y + open.height).toBeLessThanOrEqual(pane.y + pane.height + 1);
        expect(open.x).toBeGreaterThanOrEqual(pane.x - 1);
        expect(open.x).toBeLessThan(pane.x + pane.width);
        await expectNoHorizontalOverflow(page, `the 1,000-branch tree at ${viewport}`);
        await expectNoErrorText(page, 'the 1,000-branch tree');

        // The keyboard stays responsive: an arrow moves the focus at once.
        await node(page, deepest.id).focus();
        const arrowStart = performance.now();
        await page.keyboard.press('ArrowUp');
        const afterArrow = await focusedNode(page);
        const arrow = performance.now() - arrowStart;
        expect(afterArrow).not.toBe(deepest.id);
        expect(afterArrow).not.toBeNull();

        // Open the root (at the top: scrolled to by the click).
        // In the page: from the click event to the root marked open (React's render and commit of the tree).
        await page.evaluate(`(() => {
          const el = document.querySelector('[data-testid="node-${rootId}"]');
          window.__openTiming = {};
          document.addEventListener('click', () => { window.__openTiming.click = performance.now(); }, { capture: true, once: true });
          new MutationObserver((_, obs) => {
            if (el.getAttribute('aria-current') === 'true') { window.__openTiming.marked = performance.now(); obs.disconnect(); }
          }).observe(el, { attributes: true });
        })()`);
        const clickStart = performance.now();
        await node(page, rootId).click();
        await title(page).filter({ hasText: conv.title }).waitFor();
        await showTree(page);
        await eventually(
          'the root open',
          async () => (await node(page, rootId).getAttribute('aria-current')) === 'true',
        );
        const openClick = performance.now() - clickStart;
        const inPage = (await page.evaluate('window.__openTiming.marked - window.__openTiming.click')) as number;
        expect(await node(page, deepest.id).getAttribute('aria-current')).toBeNull();
        await expectNoErrorText(page, 'opening the root of the 1,000-branch tree');
        await accessibleBothSchemes(page, `the 1,000-branch tree at ${viewport}`);

        console.log(
          `[tree ${viewport}] 1,000-branch tree: first render ${firstRender.toFixed(0)} ms (click → 1,001 nodes ` +
            `and the open one marked), arrow key ${arrow.toFixed(0)} ms, open click ${openClick.toFixed(0)} ms (in the page, click → node marked open: ${inPage.toFixed(0)} ms)`,
        );
        expect(firstRender).toBeLessThan(5000);
        expect(openClick).toBeLessThan(2000);
      } finally {
        await context.close();
      }
    }, 120_000);
  });
}

/**
 * A ChatGPT-shaped conversation whose import makes 1,000 branches, shaped as the bench's (bench/dataset.ts): a
 * root of 100 exchanges, a chain of branches down to depth 50 (each forking after the first exchange of its
 * parent), then branches off random chats at random exchanges (depth ≤ 50). A branch is an edited question: one
 * more user child of an answer that already has a continuation (so the import makes it a branch), with 3 exchanges.
 */
function thousandBranches(title: string) {
  const mapping: Record<string, any> = { root: { id: 'root', message: null, parent: null, children: [] } };
  let n = 0;
  const prefix = crypto.randomUUID().slice(0, 8);
  const message = (id: string, role: string, text: string) => ({
    id,
    author: { role },
    create_time: 1_764_000_000 + n,
    content: { content_type: 'text', parts: [text] },
  });
  /** `count` exchanges after node `parent`; returns their answer nodes. */
  const chain = (parent: string, count: number, label: string): string[] => {
    const answers: string[] = [];
    for (let i = 0; i < count; i++) {
      n++;
      const u = `${prefix}-u${n}`;
      const a = `${prefix}-a${n}`;
      mapping[parent].children.push(u);
      mapping[u] = { id: u, message: message(u, 'user', `${label} question ${i + 1}`), parent, children: [] };
      mapping[u].children.push(a);
      mapping[a] = { id: a, message: message(a, 'assistant', `${label} answer ${i + 1}`), parent: u, children: [] };
      answers.push(a);
      parent = a;
    }
    return answers;
  };
  const rootAnswers = chain('root', 100, 'main');
  const chats: { answers: string[]; depth: number }[] = [{ answers: rootAnswers, depth: 0 }];
  let seed = 424242;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  // Fork after one of the chat's answers except its last (that one has no continuation yet).
  const branch = (parent: { answers: string[]; depth: number }, after: number) => {
    const answers = chain(parent.answers[after]!, 3, `branch ${chats.length}`);
    chats.push({ answers, depth: parent.depth + 1 });
  };
  branch(chats[0]!, 9);
  for (let d = 2; d <= 50; d++) branch(chats.at(-1)!, 0);
  while (chats.length < 1001) {
    const parent = chats[rnd(chats.length)]!;
    if (parent.depth >= 50) continue;
    branch(parent, rnd(parent.answers.length - 1));
  }
  return { title, create_time: 1_764_000_000, current_node: rootAnswers.at(-1), mapping };
}
