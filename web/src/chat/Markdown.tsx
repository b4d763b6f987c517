/**
 * An answer as Markdown: marked (GitHub flavour) then DOMPurify, so no script, handler or style from an answer ever
 * reaches the page. Links open in a new tab (rel="noopener noreferrer"). Each code block gets a Copy button and is
 * highlighted by highlight.js, loaded the first time a code block is shown (./highlight.ts, its own chunk).
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { memo, useEffect, useMemo, useRef } from 'react';
import { copyText } from './clipboard';

let hooked = false;
function purify(html: string): string {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
  }
  return DOMPurify.sanitize(html, { ADD_ATTR: ['target'], FORBID_ATTR: ['style'], FORBID_TAGS: ['style'] });
}

let highlighter: Promise<typeof import('./highlight')> | null = null;

export function renderMarkdown(text: string): string {
  return purify(marked.parse(text, { async: false, gfm: true, breaks: false }));
}

/** Adds the Copy button to each code block and highlights them (lazily loaded). */
function enhance(root: HTMLElement) {
  const blocks = [...root.querySelectorAll<HTMLElement>('pre > code')];
  if (blocks.length === 0) return;
  for (const code of blocks) {
    const pre = code.parentElement as HTMLElement;
    if (pre.parentElement?.classList.contains('codeblock')) continue;
    const wrap = document.createElement('div');
    wrap.className = 'codeblock';
    const bar = document.createElement('div');
    bar.className = 'codebar';
    const lang = document.createElement('span');
    lang.textContent = /\blanguage-([\w-]+)/.exec(code.className)?.[1] ?? 'code';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'ghost small code-copy';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', 'Copy code');
    copy.addEventListener('click', () => {
      void copyText(code.textContent ?? '').then(() => {
        copy.textContent = 'Copied';
        setTimeout(() => {
          copy.textContent = 'Copy';
        }, 1500);
      });
    });
    bar.append(lang, copy);
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
    pre.tabIndex = 0; // a long line scrolls: reachable with the keyboard
  }
  highlighter ??= import('./highlight');
  void highlighter.then(({ highlight }) => {
    for (const code of blocks) if (code.isConnected && !code.classList.contains('hljs')) highlight(code);
  });
}

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  const ref = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the blocks change with the html
  useEffect(() => {
    if (ref.current) enhance(ref.current);
  }, [html]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify above
  return <div className="md" ref={ref} dangerouslySetInnerHTML={{ __html: html }} />;
});
