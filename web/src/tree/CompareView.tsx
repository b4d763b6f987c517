/**
 * Two branches of a tree side by side from where they part (compare-branches): the shared part collapsed (how many
 * exchanges, and the last shared one), then each branch's tail with its totals (exchanges, tokens, feedback), a
 * page at a time ("Load more" follows that tail's cursor), and "Open" for either branch. Two columns on a wide
 * screen, stacked on a narrow one. Text is shown as it is (no Markdown here).
 */
import { useCallback, useEffect, useState } from 'react';
import { type Api, ApiError, type QAPair } from '../api';
import { Markdown } from '../chat/Markdown';
import { describe } from '../errors';
import { exchanges } from './layout';
import './tree.css';

export interface CompareViewProps {
  api: Api;
  chatId: string;
  otherChatId: string;
  /** Open a chat (and scroll to a pair) in the chat view. */
  onOpen: (chatId: string, responseId?: string | null) => void;
  onClose: () => void;
}

type Comparison = Awaited<ReturnType<Api['compare']>>;
type Tail = Comparison['tails']['chat'];
type Side = 'chat' | 'other';

/** A comparison's problem as a sentence: a 422 means the chats are in different conversations. */
function problemOf(e: unknown): string {
  if (e instanceof ApiError && e.problem.status === 422) {
    return 'These two chats belong to different conversations, so they cannot be compared.';
  }
  return describe(e, { notFound: 'One of these branches no longer exists. It may have been deleted.' }).message;
}

export function CompareView({ api, chatId, otherChatId, onOpen, onClose }: CompareViewProps) {
  const [data, setData] = useState<Comparison | null>(null);
  const [names, setNames] = useState<Record<Side, string>>({ chat: '', other: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState<Side | null>(null);

  useEffect(() => {
    let live = true;
    setData(null);
    setProblem(null);
    (async () => {
      try {
        const [cmp, a, b] = await Promise.all([
          api.compare(chatId, otherChatId),
          api.getChat(chatId, {}, 1),
          api.getChat(otherChatId, {}, 1),
        ]);
        if (!live) return;
        setData(cmp);
        setNames({ chat: a.chat.name, other: b.chat.name });
      } catch (e) {
        if (live) setProblem(problemOf(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [api, chatId, otherChatId]);

  const loadMore = useCallback(
    async (side: Side) => {
      if (!data) return;
      const cursor = data.tails[side].next_after;
      if (!cursor) return;
      setLoading(side);
      setProblem(null);
      try {
        const page = await api.compare(
          chatId,
          otherChatId,
          side === 'chat' ? { after: cursor } : { other_after: cursor },
        );
        const next = page.tails[side];
        setData((d) =>
          d
            ? {
                ...d,
                tails: {
                  ...d.tails,
                  [side]: { ...next, qa_pairs: [...d.tails[side].qa_pairs, ...next.qa_pairs] },
                },
              }
            : d,
        );
      } catch (e) {
        setProblem(problemOf(e));
      } finally {
        setLoading(null);
      }
    },
    [api, chatId, otherChatId, data],
  );

  const shared = data?.last_shared;
  return (
    <section className="compare" data-testid="compare" aria-labelledby="compare-heading">
      <header className="compare-head">
        <h2 id="compare-heading">Compare branches</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      {problem && (
        <p className="compare-problem" role="alert">
          {problem}
        </p>
      )}
      {!data && !problem && <p className="muted">Loading…</p>}
      {data && (
        <>
          <details className="compare-shared" data-testid="compare-shared">
            <summary>
              {data.common_count === 0
                ? 'Nothing shared: they differ from the first question'
                : `${exchanges(data.common_count)} shared`}
            </summary>
            {shared ? (
              <div>
                <p className="muted">The last shared exchange, where they part:</p>
                <p className="compare-q">{shared.question}</p>
                <div className="compare-a">
                  <Markdown text={shared.response} />
                </div>
              </div>
            ) : (
              <p className="muted">The two branches start differently.</p>
            )}
          </details>
          <div className="compare-cols">
            <TailColumn
              side="chat"
              id={chatId}
              name={names.chat}
              tail={data.tails.chat}
              loading={loading === 'chat'}
              onMore={() => void loadMore('chat')}
              onOpen={onOpen}
            />
            <TailColumn
              side="other"
              id={otherChatId}
              name={names.other}
              tail={data.tails.other}
              loading={loading === 'other'}
              onMore={() => void loadMore('other')}
              onOpen={onOpen}
            />
          </div>
        </>
      )}
    </section>
  );
}

function TailColumn({
  side,
  id,
  name,
  tail,
  loading,
  onMore,
  onOpen,
}: {
  side: Side;
  id: string;
  name: string;
  tail: Tail;
  loading: boolean;
  onMore: () => void;
  onOpen: (chatId: string, responseId?: string | null) => void;
}) {
  const t = tail.totals;
  const tokens = t.prompt_tokens + t.completion_tokens;
  const headingId = `compare-${side}-name`;
  return (
    <section className="compare-col" data-testid={`compare-${side}`} aria-labelledby={headingId}>
      <header className="compare-col-head">
        <h3 id={headingId} title={name}>
          {name || 'Branch'}
        </h3>
        <p className="compare-totals" data-testid={`compare-${side}-totals`}>
          <span>{exchanges(t.pairs)} after the shared part</span>
          <span>{tokens.toLocaleString('en')} tokens</span>
          <span>
            {t.feedback.up} liked · {t.feedback.down} disliked
          </span>
        </p>
        <div className="row">
          <button type="button" onClick={() => onOpen(id)} aria-label={`Open ${name || 'this branch'}`}>
            Open
          </button>
        </div>
      </header>
      {tail.qa_pairs.length === 0 ? (
        <p className="compare-empty">Nothing after the shared part.</p>
      ) : (
        <ol className="compare-pairs">
          {tail.qa_pairs.map((p: QAPair) => (
            <li key={p.response_id} className="compare-pair">
              <p className="compare-q">{p.question}</p>
              <div className="compare-a">
                <Markdown text={p.response} />
              </div>
            </li>
          ))}
        </ol>
      )}
      {tail.has_more_after && (
        <div className="compare-foot">
          <button type="button" onClick={onMore} disabled={loading}>
            {loading ? 'Loading…' : `Load more (${(t.pairs - tail.qa_pairs.length).toLocaleString('en')} left)`}
          </button>
        </div>
      )}
    </section>
  );
}
