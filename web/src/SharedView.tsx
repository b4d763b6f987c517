/**
 * A shared chat at /app/s/{token}: anyone with the link reads it, no sign-in. The latest page first, older pages
 * on demand (the `before` cursor of the public read). Read-only: nothing here writes.
 */
import { useCallback, useEffect, useState } from 'react';
import { Api, ApiError, type SharedPage, type SharedPair } from './api';

const PAGE = 30;

export function SharedView({ token }: { token: string }) {
  const [api] = useState(() => new Api(null));
  const [share, setShare] = useState<SharedPage['share'] | null>(null);
  const [pairs, setPairs] = useState<SharedPair[]>([]);
  const [moreBefore, setMoreBefore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const guard = useCallback(async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 404
          ? 'This link does not lead to a shared chat: it may have been revoked or have expired.'
          : e instanceof Error
            ? e.message
            : String(e),
      );
    }
  }, []);

  useEffect(() => {
    void guard(async () => {
      const page = await api.sharedPage(token, { before: 'end' }, PAGE);
      setShare(page.share);
      setPairs(page.qa_pairs);
      setMoreBefore(page.has_more_before);
    });
  }, [api, token, guard]);

  const older = () =>
    guard(async () => {
      const first = pairs[0];
      if (!first) return;
      const page = await api.sharedPage(token, { before: first.response_id }, PAGE);
      setPairs((p) => [...page.qa_pairs, ...p]);
      setMoreBefore(page.has_more_before);
    });

  return (
    <main className="shared">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {share && (
        <div className="chatview">
          <header>
            <h2 data-testid="shared-title">{share.name}</h2>
            <p className="muted">
              A shared chat, read-only
              {share.live ? '' : `, as it was on ${new Date(share.created_at).toLocaleString()}`}.
            </p>
            {share.system_prompt && <p className="muted">System prompt: {share.system_prompt}</p>}
          </header>
          <div className="pairs" data-testid="shared-pairs">
            {moreBefore && (
              <button type="button" className="link older" onClick={() => void older()}>
                Load older messages
              </button>
            )}
            {pairs.length === 0 && <p className="muted empty">Nothing was shared yet.</p>}
            {pairs.map((p) => (
              <div key={p.response_id} className="pair" data-response={p.response_id}>
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
                    p.response
                  )}
                </div>
              </div>
            ))}
          </div>
        </div>
      )}
    </main>
  );
}
