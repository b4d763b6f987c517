/** Server-sent events as the tests read them (the streamed answers of add-message and create-branch). */

export interface SseEvent {
  event: string;
  /** The `data` lines, joined and parsed as JSON. */
  data: any;
}

/** One event block (the text between blank lines); null for a block of comments only. */
export function parseEventBlock(block: string, comments?: string[]): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  let fields = 0;
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      comments?.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields++;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return fields === 0 ? null : { event, data: JSON.parse(data.join('\n')) };
}

/** Every event of a whole stream's text, in order; comment lines skipped. */
export function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => parseEventBlock(block))
    .filter((e): e is SseEvent => e !== null);
}
