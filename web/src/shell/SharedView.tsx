/**
 * A shared chat at /app/s/{token}: anyone with the link reads it, no sign-in. The latest page first, older pages
 * on demand (the `before` cursor of the public read). Read-only: nothing here writes. The text is shown as it is
 * (pre-wrap), in the app's visual language, light and dark.
 */
import { useCallback, useEffect, useState } from 'react';
import { Api, ApiError, type SharedPage, type SharedPair } from '../api';
import { Markdown } from '../chat/Markdown';
import { describe } from '../errors';
import { Logo } from './Logo';
import './shell.css';

const PAGE = 30;

export function SharedView({ token }: { token: string }) {
  const [api] = useState(() => new Api(null));
  const [share, setShare] = useState<SharedPage['share'] | null>(null);
  const [pairs, setPairs] = useState<SharedPair[]>([]);
  const [moreBefore, setMoreBefore] = useState(false);
  const [error, setError] = useState<{ gone: boolean; message: string } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);

  const guard = useCallback(async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 404
          ? {
              gone: true,
              message: 'This link does not lead to a shared chat: it may have been revoked or have expired.',
            }
          : { gone: false, message: describe(e).message },
      );
    }
  }, []);

  useEffect(() => {
    void guard(async () => {
      const page = await api.sharedPage(token, { before: 'end' }, PAGE);
      setShare(page.share);
      setPairs(page.qa_pairs);
      setMoreBefore(page.has_more_before);
      document.title = `${page.share.name} · branchat`;
    });
  }, [api, token, guard]);

  const older = () =>
    guard(async () => {
      const first = pairs[0];
      if (!first) return;
      setLoadingOlder(true);
      try {
        const page = await api.sharedPage(token, { before: first.response_id }, PAGE);
        setPairs((p) => [...page.qa_pairs, ...p]);
        setMoreBefore(page.has_more_before);
      } finally {
        setLoadingOlder(false);
      }
    });

  return (
    <div className="shared">
      <header className="shared-top">
        <Logo size={24} />
        <span className="brand">branchat</span>
        <span className="badge">Read-only</span>
      </header>
      <main className="shared-body">
        {error && (
          <div className="shared-gone">
            <Logo size={40} />
            <h1>{error.gone ? 'Nothing to see here' : 'This chat could not be loaded'}</h1>
            <p className="muted" role="alert">
              {error.message}
            </p>
          </div>
        )}
        {share && !error && (
          <>
            <div className="shared-head">
              <h1 data-testid="shared-title">{share.name}</h1>
              <p className="muted">
                A shared chat, read-only
                {share.live ? ', updated as it grows' : `, as it was on ${new Date(share.created_at).toLocaleString()}`}
                .
              </p>
              {share.system_prompt && (
                <p className="muted">
                  <strong>System prompt:</strong> {share.system_prompt}
                </p>
              )}
            </div>
            <div className="shared-pairs" data-testid="shared-pairs">
              {moreBefore && (
                <button type="button" className="shared-older" disabled={loadingOlder} onClick={() => void older()}>
                  Load older messages
                </button>
              )}
              {pairs.length === 0 && <p className="muted">Nothing was shared yet.</p>}
              {pairs.map((p) => (
                <article key={p.response_id} className="pair" data-response={p.response_id}>
                  <div className="bubble q">{p.question}</div>
                  <div className={`bubble a ${p.type}`}>
                    {p.type === 'link' ? (
                      <a href={p.url} rel="noreferrer noopener" target="_blank">
                        {p.url}
                      </a>
                    ) : p.type === 'code' ? (
                      <pre>
                        <code>{p.response}</code>
                      </pre>
                    ) : (
                      <Markdown text={p.response} />
                    )}
                  </div>
                </article>
              ))}
            </div>
          </>
        )}
      </main>
    </div>
  );
}
