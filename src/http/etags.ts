/** Entity tags of the conditional reads (get-chat, get-branches) and update-chat. */

export const quoteEtag = (tag: string) => `"${tag}"`;

/** The operations that answer If-None-Match, and what their tag is. */
const CONDITIONAL: Record<string, string> = {
  getChat: 'get-chat',
  getBranches: 'get-branches',
};

/**
 * Adds the If-None-Match parameter to the conditional reads of an OpenAPI document. It is not part of their route
 * schemas: a header schema makes the validator copy and check every request's headers, measurable on get-chat.
 */
export function documentConditionalReads<D extends { paths?: object }>(doc: D): D {
  type Operation = { operationId?: string; parameters?: unknown[] } | undefined;
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const op of Object.values(item ?? {})) {
      const name = op?.operationId ? CONDITIONAL[op.operationId] : undefined;
      if (!op || !name) continue;
      op.parameters = [
        ...(op.parameters ?? []),
        {
          name: 'if-none-match',
          in: 'header',
          required: false,
          description:
            `ETags from earlier ${name} answers for this URL (a comma-separated list), or \`*\`: 304 with no body ` +
            'when one is the current one (weak comparison, RFC 9110 §13.1.2: a `W/` prefix is ignored).',
          schema: { type: 'string' },
        },
      ];
    }
  }
  return doc;
}

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
