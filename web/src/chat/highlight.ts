/**
 * highlight.js with a few languages, loaded only when an answer shows a code block (a separate chunk, so the
 * first screen stays small). It only adds class names (hljs-*), which chat.css colours: nothing inline, as the
 * page's Content-Security-Policy (style-src 'self') requires.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';

hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('python', python);
hljs.registerLanguage('bash', bash);
hljs.registerLanguage('json', json);
hljs.registerLanguage('css', css);
hljs.registerLanguage('xml', xml);
hljs.registerLanguage('sql', sql);
hljs.configure({ ignoreUnescapedHTML: true });

/** Highlights one `<code>` block in place (its language from a `language-*` class, else guessed). */
export function highlight(code: HTMLElement): void {
  const lang = /\blanguage-([\w-]+)/.exec(code.className)?.[1];
  if (lang && !hljs.getLanguage(lang)) {
    code.classList.add('hljs');
    return;
  }
  hljs.highlightElement(code);
}
