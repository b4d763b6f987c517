/**
 * One chat: its visible history, latest page first, older pages on scroll (the `before` cursor). Under a pair
 * that branches, ‹ i/n › steps between the variants that follow it: the line of the chat that stores it, then
 * each branch forked there. Hovering a pair offers "fork from here" (edit-and-fork with a new question).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Api, ApiError, type Chat, type QAPair } from '../api';

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
}: Props) {
  const [chat, setChat] = useState<Chat | null>(null);
  const [pairs, setPairs] = useState<QAPair[]>([]);
  const [moreBefore, setMoreBefore] = useState(false);
  const [question, setQuestion] = useState('');
  const [forking, setForking] = useState<string | null>(null);
  const [forkText, setForkText] = useState('');
  const [renaming, setRenaming] = useState(false);
  /** The question being answered and the answer so far (streamed), until the stored pair arrives. */
  const [streaming, setStreaming] = useState<{ question: string; answer: string; after?: string } | null>(null);
  const [name, setName] = useState('');
  const list = useRef<HTMLDivElement>(null);
  const loadingOlder = useRef(false);
  /** Scrolling near the top loads older pages only once the list has been put at its latest pair: a scroll
   * event of the first layout (scrollTop 0 before the effect below runs) is not the reader scrolling up. */
  const positioned = useRef(false);
  // A search hit is shown once: later reloads (live events) show the latest page again.
  const focusOnce = useRef(focus);
  const scrollTo = useRef(focus);

  // The latest page, or the pages around the pair to focus on (a search hit).
  const load = useCallback(async () => {
    const target = focusOnce.current;
    focusOnce.current = null;
    if (target) {
      const before = await api.getChat(chatId, { before: target }, PAGE);
      const last = before.qa_pairs[before.qa_pairs.length - 1];
      const from = last
        ? await api.getChat(chatId, { after: last.response_id }, PAGE)
        : await api.getChat(chatId, {}, PAGE);
      setChat(from.chat);
      setPairs([...before.qa_pairs, ...from.qa_pairs]);
      setMoreBefore(before.has_more_before);
    } else {
      const page = await api.getChat(chatId, { before: 'end' }, PAGE);
      setChat(page.chat);
      setPairs(page.qa_pairs);
      setMoreBefore(page.has_more_before);
    }
  }, [api, chatId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    void guard(async () => {
      try {
        await load();
      } catch (e) {
        if (e instanceof ApiError && e.problem.status === 404) return onMissing();
        throw e;
      }
    });
  }, [load, guard, version, onMissing]);

  useEffect(() => {
    const el = list.current;
    if (!el) return;
    const target = scrollTo.current ? el.querySelector(`[data-response="${scrollTo.current}"]`) : null;
    if (target) {
      target.scrollIntoView({ block: 'center' });
      scrollTo.current = null;
    } else if (!loadingOlder.current) el.scrollTop = el.scrollHeight;
    if (pairs.length > 0) positioned.current = true;
  }, [pairs]);

  const older = async () => {
    const first = pairs[0];
    if (!moreBefore || !first || loadingOlder.current) return;
    loadingOlder.current = true;
    await guard(async () => {
      const el = list.current;
      const height = el?.scrollHeight ?? 0;
      const page = await api.getChat(chatId, { before: first.response_id }, PAGE);
      setPairs((p) => [...page.qa_pairs, ...p]);
      setMoreBefore(page.has_more_before);
      requestAnimationFrame(() => {
        if (el) el.scrollTop = el.scrollHeight - height; // keep the reader's place
        loadingOlder.current = false;
      });
    });
  };

  if (!chat) return <p className="muted">Loading…</p>;
  return (
    <div className="chatview">
      <header className="row" data-testid="chat-header">
        {renaming ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void guard(async () => {
                setChat(await api.renameChat(chat.chat_id, name));
                setRenaming(false);
                onChanged();
              });
            }}
          >
            <input aria-label="chat name" value={name} onChange={(e) => setName(e.target.value)} />
            <button type="submit">Save</button>
          </form>
        ) : (
          <h2 data-testid="chat-title">
            {chat.name}{' '}
            <small className="muted">
              {chat.chat_type === 'branch' ? 'branch' : 'main'}
              {chat.active ? ' · active' : ''}
            </small>
          </h2>
        )}
        <span className="spacer" />
        <select
          aria-label="export"
          value=""
          onChange={(e) => {
            const format = e.target.value as 'markdown' | 'chatgpt' | 'json';
            if (format) void guard(() => api.download(chat.chat_id, format));
          }}
        >
          <option value="">Export…</option>
          <option value="markdown">This chat as Markdown</option>
          <option value="chatgpt">The tree as ChatGPT JSON</option>
          <option value="json">The tree as branchat JSON</option>
        </select>
        <button type="button" title="A read-only link to this chat" onClick={() => onShare(chat.chat_id)}>
          Share
        </button>
        <button
          type="button"
          onClick={() => {
            setName(chat.name);
            setRenaming(true);
          }}
        >
          Rename
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            const what =
              chat.chat_type === 'main' ? 'this whole conversation' : 'this branch and the branches below it';
            if (!window.confirm(`Delete ${what}?`)) return;
            void guard(async () => {
              await api.deleteChat(chat.chat_id);
              onDeleted(chat.parent_chat_id);
            });
          }}
        >
          Delete
        </button>
      </header>
      <div
        className="pairs"
        ref={list}
        onScroll={(e) => positioned.current && e.currentTarget.scrollTop < 40 && void older()}
        data-testid="pairs"
      >
        {moreBefore && (
          <button type="button" className="link older" onClick={() => void older()}>
            Load older messages
          </button>
        )}
        {pairs.map((p, i) => (
          <div
            key={p.response_id}
            className={p.response_id === focus ? 'pair focus' : 'pair'}
            data-response={p.response_id}
          >
            <div className="bubble q">
              <span className="text">{p.question}</span>
              <button
                type="button"
                className="fork small"
                onClick={() => setForking(forking === p.response_id ? null : p.response_id)}
              >
                fork from here
              </button>
            </div>
            <div className={`bubble a ${p.type}`}>
              {p.type === 'link' && p.url ? (
                <a href={p.url} rel="noreferrer noopener" target="_blank">
                  {p.url}
                </a>
              ) : p.type === 'code' ? (
                <pre>
                  <code>{p.response}</code>
                </pre>
              ) : (
                p.response
              )}
            </div>
            {forking === p.response_id && (
              <form
                className="row forkform"
                onSubmit={(e) => {
                  e.preventDefault();
                  const asked = forkText.trim();
                  if (!asked || streaming) return;
                  setForkText('');
                  setStreaming({ question: asked, answer: '', after: p.response_id });
                  // The branch's first answer streams in under the pair it forks from; then the branch opens.
                  void guard(async () => {
                    try {
                      const r = await api.forkStreamed(chatId, p.response_id, asked, (text) =>
                        setStreaming((s) => (s ? { ...s, answer: s.answer + text } : s)),
                      );
                      setForking(null);
                      onChanged();
                      onOpen(r.chat.chat_id);
                    } catch (err) {
                      setForkText(asked); // nothing was created: give the question back
                      throw err;
                    } finally {
                      setStreaming(null);
                    }
                  });
                }}
              >
                <input
                  aria-label="fork question"
                  placeholder="Ask differently from here…"
                  value={forkText}
                  onChange={(e) => setForkText(e.target.value)}
                />
                <button type="submit">Fork</button>
              </form>
            )}
            {streaming?.after === p.response_id && <Pending question={streaming.question} answer={streaming.answer} />}
            <Variants pair={p} next={pairs[i + 1]} chat={chat} onOpen={onOpen} />
          </div>
        ))}
        {streaming && streaming.after === undefined && (
          <Pending question={streaming.question} answer={streaming.answer} />
        )}
      </div>
      <form
        className="row composer"
        onSubmit={(e) => {
          e.preventDefault();
          const asked = question.trim();
          if (!asked || streaming) return;
          setQuestion('');
          setStreaming({ question: asked, answer: '' });
          // The answer streams in (server-sent events); the stored pair replaces it when it is complete.
          void guard(async () => {
            try {
              const pair = await api.addMessageStreamed(chatId, asked, (text) =>
                setStreaming((s) => (s ? { ...s, answer: s.answer + text } : s)),
              );
              setPairs((ps) => (ps.some((x) => x.response_id === pair.response_id) ? ps : [...ps, pair]));
            } catch (err) {
              setQuestion(asked); // nothing was stored: give the question back
              throw err;
            } finally {
              setStreaming(null);
            }
          });
        }}
      >
        <input
          aria-label="message"
          placeholder="Ask something"
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
        />
        <button type="submit" disabled={streaming !== null}>
          Send
        </button>
      </form>
    </div>
  );
}

/** A question being answered, with the answer so far (streamed). */
function Pending({ question, answer }: { question: string; answer: string }) {
  return (
    <div className="pair pending" data-testid="streaming">
      <div className="bubble q">
        <span className="text">{question}</span>
      </div>
      <div className="bubble a text">{answer || '…'}</div>
    </div>
  );
}

/**
 * ‹ i/n › under a pair that has branches: variant 1 is the line of the chat that stores the pair, then each
 * branch forked after it. The current one is the branch this history continues into (the next pair's chat,
 * or the open chat itself when it forked here), else the storing chat's line.
 */
function Variants({
  pair,
  next,
  chat,
  onOpen,
}: {
  pair: QAPair;
  next: QAPair | undefined;
  chat: Chat;
  onOpen: (id: string) => void;
}) {
  if (pair.branches.length === 0) return null;
  const variants = [pair.chat_id, ...pair.branches];
  const here = chat.fork_response_id === pair.response_id ? chat.chat_id : next?.chat_id;
  const index = Math.max(0, here ? variants.indexOf(here) : 0);
  const go = (i: number) => onOpen(variants[(i + variants.length) % variants.length] as string);
  return (
    <div className="variants" data-testid={`variants-${pair.response_id}`}>
      <button type="button" className="small" aria-label="previous variant" onClick={() => go(index - 1)}>
        ‹
      </button>
      <span>
        {index + 1}/{variants.length}
      </span>
      <button type="button" className="small" aria-label="next variant" onClick={() => go(index + 1)}>
        ›
      </button>
    </div>
  );
}
