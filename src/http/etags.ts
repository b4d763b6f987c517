/** Entity tags of the conditional reads (get-chat, get-branches) and update-chat. */

export const quoteEtag = (tag: string) => `"${tag}"`;

/**
 * If-None-Match (RFC 9110 §13.1.2): true when `tag` (unquoted) is listed, compared weakly (`W/` ignored), or the
 * header is `*` (the chat exists). A malformed header matches nothing (the full answer is sent).
 */
export function noneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === '*') return true;
  for (const part of value.split(',')) {
    const t = part.trim().replace(/^W\//, '');
    if (t.length >= 2 && t.startsWith('"') && t.endsWith('"') && t.slice(1, -1) === tag) return true;
  }
  return false;
}
