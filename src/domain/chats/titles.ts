/**
 * Automatic titles (docs/api.md, "Titles"): a conversation created without a name is called DEFAULT_CHAT_NAME until
 * its first pair is stored; then, after the answer has been sent, a background task asks the responder for a title
 * from that question and answer and stores it only while the name is still the default one (the metadata store's
 * setTitle, under the tree lock), so a name the user gives meanwhile always wins. The title is announced as
 * `chat.updated` (the root chat, renamed). A failure leaves the default name (logged, never surfaced); the next pair
 * stored in the conversation while the name is still the default one tries again.
 */
import type { Ctx } from '../context.js';
import { NAME_MAX, storableText, truncate } from '../limits.js';
import type { ChatRecord } from '../model.js';
import type { Responder, TitleRequest } from '../ports.js';

/** How long the local title may be (code points): the question's first words. */
export const LOCAL_TITLE_MAX = 60;

/** Punctuation and white space a title does not end with (closing brackets and quotes stay). */
const TRAILING = /[\s.,;:!?¿¡…‥。、，；：！？·・\-–—]+$/u;
/** Wrapping a model may put around its title: quotes, Markdown emphasis, a heading mark. */
const WRAPPING = /^[\s"'“”‘’„«»`*_#]+|[\s"'“”‘’„«»`*_]+$/gu;

/** One line: runs of white space (line breaks included) as one space, trimmed. */
const oneLine = (text: string) => text.replace(/\s+/gu, ' ').trim();

/**
 * The local, deterministic title: the question's first words on one line, at most LOCAL_TITLE_MAX code points (cut
 * at a word boundary when there is one in the second half, never inside a grapheme), without trailing punctuation.
 * Empty when the question has nothing but punctuation and white space (then no title is set).
 */
export function localTitle(question: string): string {
  const line = oneLine(question);
  const points = [...line];
  let title = line;
  if (points.length > LOCAL_TITLE_MAX) {
    const cut = truncate(line, points.slice(0, LOCAL_TITLE_MAX).join('').length);
    const space = cut.lastIndexOf(' ');
    // Whole words when the cut fell inside one and a word boundary leaves at least half of it.
    const inWord = line[cut.length] !== ' ' && line[cut.length] !== undefined;
    title = inWord && space >= cut.length / 2 ? cut.slice(0, space) : cut;
  }
  return title.replace(TRAILING, '');
}

/**
 * A proposed title as stored: its first non-empty line, without a "Title:" label, wrapping quotes or emphasis,
 * control characters and trailing punctuation, storable, at most NAME_MAX characters (cut at a grapheme boundary).
 * Empty when nothing is left.
 */
export function cleanTitle(raw: string): string {
  const line = raw.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  let title = oneLine(line.replace(/\p{Cc}/gu, ' '))
    .replace(/^title\s*:\s*/iu, '')
    .replace(WRAPPING, '');
  // U+0000 went with the control characters; a lone surrogate cannot be stored either.
  if (!storableText(title)) title = title.replace(/\p{Cs}/gu, '');
  return oneLine(truncate(title, NAME_MAX)).replace(TRAILING, '').replace(WRAPPING, '');
}

/** The responder's title (its own, else the local one), cleaned; empty when there is none. */
export async function proposeTitle(responder: Responder, request: TitleRequest): Promise<string> {
  const raw = responder.proposeTitle ? await responder.proposeTitle(request) : localTitle(request.question);
  return cleanTitle(raw);
}

/**
 * After a pair was stored in `chat` (as the write read it): if its conversation still has the default name, asks
 * for a title in the background (one task per conversation at a time; not awaited, so the answer is not delayed).
 */
export function titleLater(ctx: Ctx, chat: ChatRecord, pair: { question: string; response: string }): void {
  const background = ctx.deps.background;
  if (!background || chat.nameSource !== 'default') return;
  const { deps, accountId } = ctx;
  const rootChatId = chat.rootChatId;
  background.run(`title:${rootChatId}`, async (signal) => {
    const title = await proposeTitle(deps.responder, { question: pair.question, answer: pair.response, signal });
    if (title === '' || signal.aborted) return;
    await deps.meta.setTitle(accountId, rootChatId, title, deps.clock(), (root) => [
      { event: 'chat.updated', chat: root },
    ]);
  });
}
