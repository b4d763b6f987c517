/**
 * An answer as Markdown (./render.ts: marked then DOMPurify). Each code block gets a Copy button and is highlighted
 * by highlight.js, loaded the first time a code block is shown (./highlight.ts, its own chunk). Until the renderer
 * has arrived (only on a very first, slow load) the answer shows as plain text.
 */
import { memo, useEffect, useRef, useState } from 'react';
import { copyText } from './clipboard';
import './chat.css';

type Renderer = typeof import('./render');
let renderer: Renderer | null = null;
/** marked + DOMPurify (./render.ts), fetched when this module loads: by the time an answer shows, it is there. */
const loading: Promise<Renderer> = import('./render').then((m) => {
  renderer = m;
  return m;
});
let highlighter: Promise<typeof import('./highlight')> | null = null;

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
  const [ready, setReady] = useState(renderer !== null);
  useEffect(() => {
    if (!ready) void loading.then(() => setReady(true));
  }, [ready]);
  const html = ready && renderer ? renderer.renderMarkdown(text) : null;
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current && html !== null) enhance(ref.current);
  }, [html]);
  if (html === null) return <div className="md plain">{text}</div>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify (./render.ts)
  return <div className="md" ref={ref} dangerouslySetInnerHTML={{ __html: html }} />;
});
