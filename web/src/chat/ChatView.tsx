/**
 * One chat: a header (ChatHeader), its history windowed with @tanstack/react-virtual (only the pairs near the
 * viewport are in the DOM; rows measured as they render), latest page first and older pages loaded when the reader
 * nears the top, keeping their place; and the composer. A search hit (`focus`) opens on the pages around that pair.
 *
 * Editing question k forks before it (create-branch after pair k-1, or a start fork for the first question);
 * Regenerate forks beside pair k with the same question. Either answer streams in where the question was, then the
 * new branch opens. Stop aborts the request: the server stores nothing, and the question goes back where it was.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { type Api, ApiError, type Chat, type QAPair } from '../api';
import { describe } from '../errors';
import { ChatHeader } from './ChatHeader';
import { Composer } from './Composer';
import { Pair, Pending, type Rating } from './Message';
import './chat.css';

interface Props {
  api: Api;
  chatId: string;
  focus: string | null;
  version: number;
  onOpen: (chatId: string, responseId?: string | null) => void;
  guard: (fn: () => Promise<void>) => Promise<void>;
  onChanged: () => void;
  /** After a delete: the chat to show next (the deleted branch's parent), or null for a deleted conversation. */
  onDeleted: (parentId: string | null) => void;
  /** Changes (a counter) when the app wants the composer focused, e.g. right after creating a chat. */
  composerFocus?: number;
  /** The chat is gone (a 404 while loading it: deleted here or elsewhere): the app goes somewhere else, no error. */
  onMissing: () => void;
  /** Open the share dialog for this chat (shell/ShareDialog.tsx). */
  onShare: (chatId: string) => void;
}

const PAGE = 30;
/** Load an older page when the reader is this close to the top (px). */
const NEAR_TOP = 400;

/** An answer streaming in: after the first `cut` pairs (an edit or a regeneration hides the rest), or at the end. */
interface Streaming {
  question: string;
  answer: string;
  cut: number | null;
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

export function ChatView({
  api,
  chatId,
  focus,
  version,
  onOpen,
  guard,
  onChanged,
  onDeleted,
  onMissing,
  onShare,
  composerFocus = 0,
}: Props) {
  const [chat, setChat] = useState<Chat | null>(null);
  const [startBranches, setStartBranches] = useState<string[]>([]);
  const [pairs, setPairs] = useState<QAPair[]>([]);
  const [moreBefore, setMoreBefore] = useState(false);
  const [question, setQuestion] = useState('');
  const [questionError, setQuestionError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const [ratings, setRatings] = useState<Record<string, Rating>>({});
  const list = useRef<HTMLDivElement>(null);
  const abort = useRef<AbortController | null>(null);
  const loadingOlder = useRef(false);
  /** The latest loadOlder, for the end of a page's settling (a frame callback of an earlier render). */
  const loadOlderNow = useRef<() => Promise<void>>(async () => {});
  /** Older pages load only once the list has been put at its latest pair (or the search hit). */
  const positioned = useRef(false);
  /** The reader is at the bottom: new pairs and a streaming answer keep it there. */
  const atBottom = useRef(true);
  /** The pairs loaded end at the latest pair (false on a search hit's window in a longer history). */
  const atEnd = useRef(true);
  // A search hit is shown once: later reloads (live events) keep the pairs loaded.
  const focusOnce = useRef(focus);
  const scrollTo = useRef<string | 'end' | null>(focus ?? 'end');
  /** Keep the reader's place while older pages are prepended: a pair's key and its offset from the top. */
  const anchor = useRef<{ key: string; top: number } | null>(null);

  /** The app's handler for a chat that is gone, kept current without making every render of the app a reload. */
  const missing = useRef(onMissing);
  missing.current = onMissing;
  /** Loads in flight race (live events, writes): only the one started last may apply its answer. */
  const loadSeq = useRef(0);

  // The latest page (merged with what is loaded when they overlap), or the pages around a search hit.
  const load = useCallback(async () => {
    const seq = ++loadSeq.current;
    const target = focusOnce.current;
    focusOnce.current = null;
    if (target) {
      const before = await api.getChat(chatId, { before: target }, PAGE);
      const last = before.qa_pairs[before.qa_pairs.length - 1];
      const from = last
        ? await api.getChat(chatId, { after: last.response_id }, PAGE)
        : await api.getChat(chatId, {}, PAGE);
      if (seq !== loadSeq.current) return;
      setChat(from.chat);
      setStartBranches(from.start_branches);
      setPairs([...before.qa_pairs, ...from.qa_pairs]);
      setMoreBefore(before.has_more_before);
      atEnd.current = !from.has_more_after;
      return;
    }
    const page = await api.getChat(chatId, { before: 'end' }, PAGE);
    if (seq !== loadSeq.current) return;
    setChat(page.chat);
    setStartBranches(page.start_branches);
    setPairs((loaded) => {
      const first = page.qa_pairs[0];
      const at = first ? loaded.findIndex((p) => p.response_id === first.response_id) : -1;
      if (at >= 0) {
        // Older pages stay loaded. A chat's history only grows (an edit or a regeneration is another chat), so a
        // pair shown here that the page does not have yet (stored by this page's own send while the read was on
        // its way) stays too, after the page's.
        const inPage = new Set(page.qa_pairs.map((p) => p.response_id));
        const lastOfPage = page.qa_pairs[page.qa_pairs.length - 1]?.response_id;
        const after = loaded.findIndex((p) => p.response_id === lastOfPage);
        const newer = after >= 0 ? loaded.slice(after + 1).filter((p) => !inPage.has(p.response_id)) : [];
        return [...loaded.slice(0, at), ...page.qa_pairs, ...newer];
      }
      if (!atEnd.current && loaded.length > 0) return loaded; // reading a search hit's window: stay there
      setMoreBefore(page.has_more_before);
      return page.qa_pairs;
    });
    if (atBottom.current) scrollTo.current = 'end';
  }, [api, chatId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    void guard(async () => {
      try {
        await load();
      } catch (e) {
        if (e instanceof ApiError && e.problem.status === 404) return missing.current();
        throw e;
      }
    });
  }, [load, guard, version]);

  useEffect(() => () => abort.current?.abort(), []);

  const shown = streaming?.cut != null ? pairs.slice(0, streaming.cut) : pairs;
  const older = moreBefore && streaming?.cut == null;
  const offset = older ? 1 : 0;
  const count = shown.length + offset;

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => list.current,
    estimateSize: () => 200,
    overscan: 6,
    getItemKey: (i) => (older && i === 0 ? 'older' : (shown[i - offset]?.response_id ?? i)),
  });

  const toBottom = useCallback(() => {
    const el = list.current;
    if (!el) return;
    let frames = 0;
    // Positioned once the end is reached for good, or once something else moved the list (the reader, or rows
    // measured taller): either way, from then on reaching the top loads older pages.
    const step = () => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      if (atBottom.current && ++frames < 8) requestAnimationFrame(step);
      else positioned.current = true;
    };
    step();
  }, []);

  // Position after loading: the end, the search hit, or the anchor kept while older pages were prepended.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the rows change
  useLayoutEffect(() => {
    const el = list.current;
    if (!el || count === 0) return;
    const a = anchor.current;
    if (a) {
      anchor.current = null;
      // First where the rows are estimated to be, then corrected on the next frames from where the anchor pair
      // really is once the rows above it are measured: it stays where the reader saw it.
      const i = shown.findIndex((p) => p.response_id === a.key);
      const at = virtualizer.getOffsetForIndex(i + offset, 'start');
      if (at) el.scrollTop = at[0] - a.top;
      let frames = 0;
      const settle = () => {
        const node = el.querySelector(`[data-response="${a.key}"]`);
        if (node) {
          const drift = node.getBoundingClientRect().top - el.getBoundingClientRect().top - a.top;
          if (Math.abs(drift) >= 1) el.scrollTop += drift;
        }
        if (++frames < 12) requestAnimationFrame(settle);
        else {
          loadingOlder.current = false;
          // A reader who reached the top while this page settled (their scroll was ignored then) gets the next.
          if (positioned.current && el.scrollTop < NEAR_TOP) void loadOlderNow.current();
        }
      };
      requestAnimationFrame(settle);
      return;
    }
    const target = scrollTo.current;
    if (target === 'end') {
      scrollTo.current = null;
      atBottom.current = true;
      toBottom();
    } else if (target) {
      const i = shown.findIndex((p) => p.response_id === target);
      if (i >= 0) {
        scrollTo.current = null;
        atBottom.current = false;
        virtualizer.scrollToIndex(i + offset, { align: 'center' });
        setTimeout(() => {
          virtualizer.scrollToIndex(i + offset, { align: 'center' });
          positioned.current = true;
        }, 120);
      }
    } else if (atBottom.current) toBottom();
  }, [shown, count]);

  // The streamed answer grows: keep the bottom in view if the reader is there.
  useEffect(() => {
    if (streaming && atBottom.current && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [streaming]);

  const loadOlder = useCallback(async () => {
    const first = pairs[0];
    const el = list.current;
    if (!moreBefore || !first || loadingOlder.current || !el) return;
    loadingOlder.current = true;
    // The first pair on screen (or just below the top), and where it is in the list's viewport.
    const paneTop = el.getBoundingClientRect().top;
    const visible = [...el.querySelectorAll<HTMLElement>('.pair[data-response]')].find(
      (node) => node.getBoundingClientRect().bottom > paneTop,
    );
    anchor.current = visible
      ? { key: visible.dataset.response as string, top: visible.getBoundingClientRect().top - paneTop }
      : null;
    await guard(async () => {
      try {
        const page = await api.getChat(chatId, { before: first.response_id }, PAGE);
        setPairs((p) => [...page.qa_pairs.filter((x) => !p.some((y) => y.response_id === x.response_id)), ...p]);
        setMoreBefore(page.has_more_before);
      } catch (e) {
        anchor.current = null;
        loadingOlder.current = false;
        throw e;
      }
    });
  }, [api, chatId, guard, moreBefore, pairs]);

  loadOlderNow.current = loadOlder;

  const onScroll = (el: HTMLDivElement) => {
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (positioned.current && el.scrollTop < NEAR_TOP) void loadOlder();
  };

  /** Runs a streamed request with Stop; a stop is no error, a 422 on the question goes beside the composer. */
  const stream = useCallback(
    async (
      s: Streaming,
      run: (onDelta: (t: string) => void, signal: AbortSignal) => Promise<void>,
      giveBack: () => void,
    ) => {
      const controller = new AbortController();
      abort.current = controller;
      setQuestionError(null);
      setStreaming(s);
      atBottom.current = true;
      await guard(async () => {
        try {
          await run((text) => setStreaming((x) => (x ? { ...x, answer: x.answer + text } : x)), controller.signal);
        } catch (err) {
          giveBack(); // nothing was stored
          if (isAbort(err) || controller.signal.aborted) return;
          const d = describe(err);
          if (err instanceof ApiError && err.problem.status === 422 && d.fields.question) {
            setQuestionError(d.fields.question);
            return;
          }
          throw err;
        } finally {
          if (abort.current === controller) abort.current = null;
          setStreaming(null);
          scrollTo.current = 'end';
        }
      });
    },
    [guard],
  );

  const send = () => {
    const asked = question.trim();
    if (!asked || streaming) return;
    setQuestion('');
    void stream(
      { question: asked, answer: '', cut: null },
      async (onDelta, signal) => {
        const pair = await api.addMessageStreamed(chatId, asked, onDelta, signal);
        if (atEnd.current) setPairs((ps) => (ps.some((x) => x.response_id === pair.response_id) ? ps : [...ps, pair]));
        else {
          focusOnce.current = null;
          atEnd.current = true;
          setPairs([]);
          await load();
        }
      },
      () => setQuestion((q) => q || asked),
    );
  };

  const pairsRef = useRef(pairs);
  pairsRef.current = pairs;
  const streamingRef = useRef(streaming);
  streamingRef.current = streaming;

  const onEdit = useCallback(
    (pair: QAPair, index: number, text: string) => {
      if (streamingRef.current) return;
      const before = pairsRef.current[index - 1];
      const first = index === 0;
      void stream(
        { question: text, answer: '', cut: index },
        async (onDelta, signal) => {
          // Fork before the question: after the pair before it (asked for when it is not loaded), or a start fork.
          const forkPoint = !first
            ? (before?.response_id ?? null)
            : moreBefore
              ? ((await api.getChat(chatId, { before: pair.response_id }, 1)).qa_pairs[0]?.response_id ?? null)
              : null;
          const r = await api.forkStreamed(chatId, forkPoint, text, onDelta, signal);
          onChanged();
          onOpen(r.chat.chat_id);
        },
        () => undefined,
      );
    },
    [api, chatId, moreBefore, onChanged, onOpen, stream],
  );

  const onRegenerate = useCallback(
    (pair: QAPair, index: number) => {
      if (streamingRef.current) return;
      void stream(
        { question: pair.question, answer: '', cut: index },
        async (onDelta, signal) => {
          const r = await api.regenerateStreamed(pair.response_id, onDelta, signal);
          onChanged();
          onOpen(r.chat.chat_id);
        },
        () => undefined,
      );
    },
    [api, onChanged, onOpen, stream],
  );

  const onRate = useCallback(
    (pair: QAPair, rating: Rating) => {
      void guard(async () => {
        await api.setFeedback(pair.response_id, rating);
        setRatings((r) => ({ ...r, [pair.response_id]: rating }));
      });
    },
    [api, guard],
  );

  const openChat = useCallback((id: string) => onOpen(id), [onOpen]);

  const rootId = chat?.root_chat_id;
  const items = virtualizer.getVirtualItems();
  const rows = items.map((item) => {
    if (older && item.index === 0) {
      return (
        <div key="older" className="older-row" data-index={0} ref={virtualizer.measureElement}>
          <button type="button" className="ghost small" onClick={() => void loadOlder()}>
            Load older messages
          </button>
        </div>
      );
    }
    const i = item.index - offset;
    const pair = shown[i] as QAPair;
    const prev = shown[i - 1];
    // The alternatives of this question (see Variants.tsx): after the previous pair, or at the start.
    const first = i === 0 && !moreBefore;
    const alternatives = first
      ? [rootId ?? pair.chat_id, ...startBranches]
      : prev
        ? [prev.chat_id, ...prev.branches]
        : [];
    const current = alternatives.slice(1).includes(pair.chat_id) ? pair.chat_id : (alternatives[0] ?? '');
    return (
      <Pair
        key={pair.response_id}
        api={api}
        pair={pair}
        index={i}
        alternatives={alternatives}
        current={current}
        forkPoint={first ? null : (prev?.response_id ?? null)}
        focused={pair.response_id === focus}
        rating={pair.response_id in ratings ? (ratings[pair.response_id] ?? null) : (pair.feedback?.rating ?? null)}
        busy={streaming !== null}
        measure={virtualizer.measureElement}
        onOpen={openChat}
        onEdit={onEdit}
        onRegenerate={onRegenerate}
        onRate={onRate}
      />
    );
  });

  if (!chat) return <p className="chat-loading muted">Loading…</p>;
  return (
    <div className="chatview" data-chat={chat.chat_id}>
      <ChatHeader
        api={api}
        chat={chat}
        guard={guard}
        onRenamed={(c) => {
          setChat((old) => (old ? { ...old, ...c } : old));
          onChanged();
        }}
        onShare={onShare}
        onDeleted={onDeleted}
      />
      <div
        className="pairs"
        ref={list}
        onScroll={(e) => onScroll(e.currentTarget)}
        data-testid="pairs"
        data-loaded={pairs.length}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the history scrolls: reachable with the keyboard
        tabIndex={0}
        role="log"
        aria-label="Chat history"
      >
        {count === 0 && !streaming && (
          <div className="chat-empty">
            <h3>Ask anything</h3>
            <p className="muted">Every question can be edited and every answer regenerated: each makes a branch.</p>
          </div>
        )}
        <div className="vlist" style={{ height: virtualizer.getTotalSize() }}>
          <div className="vwindow" style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}>
            {rows}
          </div>
        </div>
        {streaming && <Pending question={streaming.question} answer={streaming.answer} />}
      </div>
      <Composer
        value={question}
        onChange={(t) => {
          setQuestion(t);
          if (questionError) setQuestionError(null);
        }}
        onSend={send}
        onStop={() => abort.current?.abort()}
        streaming={streaming !== null}
        error={questionError}
        focusKey={composerFocus}
      />
    </div>
  );
}
