/**
 * Markdown to safe HTML: marked (GitHub flavour) then DOMPurify, so no script, handler or style from an answer ever
 * reaches the page; links open in a new tab (rel="noopener noreferrer"). Its own chunk (about 22 KB gzip), fetched
 * as soon as the chat pane's code loads (Markdown.tsx), so the first screen (sign-in) does not carry it.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, { ADD_ATTR: ['target'], FORBID_ATTR: ['style'], FORBID_TAGS: ['style'] });
}
