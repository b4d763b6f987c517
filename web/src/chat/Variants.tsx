/**
 * ‹ i/n › between the alternatives of a question, ChatGPT's way. The alternatives of question k are the line of the
 * chat that stores pair k-1 and every branch forked right after pair k-1 (`pairs[k-1].branches`); for the first
 * question, the root and the tree's start forks (`start_branches`). An alternative whose question k differs is an
 * *edit* (‹ i/n › on the question, one entry per distinct question); those with the same question as the one shown
 * are *regenerations* (‹ i/n › over the answer).
 *
 * Knowing an alternative's question: one get-chat of that chat with `after` = the fork point (`limit` 1; no cursor
 * and `limit` 1 for a start fork), asked only when the pair is rendered (the history is windowed) and cached per
 * (chat, fork point) for the page's lifetime: a stored pair never changes, and a deleted branch simply leaves
 * `branches`. The client's ETags make a repeated read a 304 anyway.
 */
import { useEffect, useState } from 'react';
import type { Api } from '../api';

const questions = new Map<string, Promise<string | null>>();

function questionOf(api: Api, chatId: string, forkPoint: string | null): Promise<string | null> {
  const key = `${chatId}|${forkPoint ?? 'start'}`;
  let known = questions.get(key);
  if (!known) {
    known = api
      .getChat(chatId, forkPoint ? { after: forkPoint } : {}, 1)
      .then((page) => page.qa_pairs[0]?.question ?? null)
      .catch(() => null); // gone meanwhile: not an alternative
    questions.set(key, known);
  }
  return known;
}

export interface Alternatives {
  /** One chat per distinct question (the shown one's own chat for its question), in the order of the list. */
  edits: string[];
  editIndex: number;
  /** The chats whose question is the shown one. */
  regens: string[];
  regenIndex: number;
}

/**
 * The alternatives of a shown question: `all` (the line first), `current` the chat of the shown pair's line among
 * them, `forkPoint` the pair before (null for the first question). Null until known, or when there is no choice.
 */
export function useAlternatives(
  api: Api,
  all: string[],
  current: string,
  question: string,
  forkPoint: string | null,
): Alternatives | null {
  const [found, setFound] = useState<(string | null)[] | null>(null);
  const key = all.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `all`
  useEffect(() => {
    if (all.length < 2) return setFound(null);
    let live = true;
    void Promise.all(all.map((id) => (id === current ? question : questionOf(api, id, forkPoint)))).then(
      (qs) => live && setFound(qs),
    );
    return () => {
      live = false;
    };
  }, [api, key, current, question, forkPoint]);
  if (!found || all.length < 2 || found.length !== all.length) return null;
  const edits: string[] = [];
  const seen = new Map<string, number>();
  all.forEach((id, i) => {
    const q = found[i];
    if (q === null || q === undefined) return;
    if (id === current) {
      // The shown question is represented by the shown chat itself.
      const at = seen.get(q);
      if (at === undefined) {
        seen.set(q, edits.length);
        edits.push(id);
      } else edits[at] = id;
    } else if (!seen.has(q)) {
      seen.set(q, edits.length);
      edits.push(id);
    }
  });
  const regens = all.filter((_, i) => found[i] === question);
  return {
    edits,
    editIndex: Math.max(0, edits.indexOf(current)),
    regens,
    regenIndex: Math.max(0, regens.indexOf(current)),
  };
}

/** ‹ i/n ›: previous and next open the neighbouring alternative (wrapping round). */
export function Switcher({
  ids,
  index,
  responseId,
  kind,
  onOpen,
}: {
  ids: string[];
  index: number;
  responseId: string;
  kind: 'question' | 'answer';
  onOpen: (chatId: string) => void;
}) {
  if (ids.length < 2) return null;
  const go = (i: number) => onOpen(ids[(i + ids.length) % ids.length] as string);
  return (
    <div className={`variants ${kind}`} data-testid={`variants-${responseId}`} data-kind={kind}>
      <button type="button" className="ghost icon small" aria-label="previous version" onClick={() => go(index - 1)}>
        ‹
      </button>
      <span className="count" aria-live="polite">
        {index + 1}/{ids.length}
      </span>
      <button type="button" className="ghost icon small" aria-label="next version" onClick={() => go(index + 1)}>
        ›
      </button>
    </div>
  );
}
