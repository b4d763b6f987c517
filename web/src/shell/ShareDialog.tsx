/**
 * Share the open chat: a modal dialog that makes a read-only link, frozen (the chat as it is now) or live (it
 * follows new messages), shows its URL once with a Copy button, and lists the chat's links with Revoke. Links are
 * stored hashed: a listed link has no URL, only the one just made shows it.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { Api } from '../api';
import { describe } from '../errors';
import { ago } from './time';

type Share = Awaited<ReturnType<Api['listShares']>>[number];

const FOCUSABLE = 'button:not(:disabled), input:not(:disabled), [href], [tabindex]:not([tabindex="-1"])';

/** Copies text: the Clipboard API where the page may use it, else a selection and execCommand. */
async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!input) return false;
    input.focus();
    input.select();
    return document.execCommand('copy');
  }
}

export function ShareDialog({ api, chatId, onClose }: { api: Api; chatId: string; onClose: () => void }) {
  const [live, setLive] = useState(false);
  const [created, setCreated] = useState<{ shareId: string; url: string } | null>(null);
  const [shares, setShares] = useState<Share[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDivElement>(null);
  const urlInput = useRef<HTMLInputElement>(null);
  const id = useId();

  const run = useCallback(async (fn: () => Promise<void>) => {
    setProblem(null);
    try {
      await fn();
    } catch (e) {
      setProblem(describe(e, { notFound: 'This link was already revoked.' }).message);
    }
  }, []);
  const refresh = useCallback(() => run(async () => setShares(await api.listShares(chatId))), [api, chatId, run]);
  useEffect(() => void refresh(), [refresh]);

  // Focus moves into the dialog and back to where it was when it closes.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    dialog.current?.querySelector<HTMLElement>('input[type="radio"]:checked, button')?.focus();
    return () => before?.focus?.();
  }, []);
  useEffect(() => {
    if (created) urlInput.current?.select();
  }, [created]);

  const create = () =>
    run(async () => {
      setBusy(true);
      try {
        const share = await api.createShare(chatId, live);
        setCreated({ shareId: share.share_id, url: share.url });
        setCopied(null);
        await refresh();
      } finally {
        setBusy(false);
      }
    });

  return (
    <div
      className="dialog-backdrop"
      onPointerDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        className="dialog share-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-lede`}
        ref={dialog}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
            return;
          }
          if (e.key !== 'Tab') return;
          // Focus stays inside the dialog.
          const all = [...(dialog.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
          const first = all[0];
          const last = all[all.length - 1];
          if (e.shiftKey && document.activeElement === first) {
            e.preventDefault();
            last?.focus();
          } else if (!e.shiftKey && document.activeElement === last) {
            e.preventDefault();
            first?.focus();
          }
        }}
      >
        <div className="dialog-head">
          <h2 id={`${id}-title`}>Share this chat</h2>
          <button type="button" className="ghost icon" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <p className="muted" id={`${id}-lede`}>
          Anyone with the link can read this chat, without an account. Nobody can write in it through the link.
        </p>
        <fieldset className="share-kind">
          <legend>The link shows</legend>
          <label className="choice">
            <input type="radio" name={`${id}-kind`} checked={!live} onChange={() => setLive(false)} />
            <span>
              <strong>The chat as it is now</strong>
              <span className="muted"> — later messages stay private</span>
            </span>
          </label>
          <label className="choice">
            <input type="radio" name={`${id}-kind`} checked={live} onChange={() => setLive(true)} />
            <span>
              <strong>The chat as it grows</strong>
              <span className="muted"> — follows new messages</span>
            </span>
          </label>
        </fieldset>
        <div className="row">
          <button type="button" className="primary" disabled={busy} onClick={() => void create()}>
            {created ? 'Create another link' : 'Create link'}
          </button>
        </div>
        {created && (
          <div className="share-created">
            <label htmlFor={`${id}-url`}>Share link</label>
            <div className="row">
              <input
                id={`${id}-url`}
                ref={urlInput}
                readOnly
                value={created.url}
                onFocus={(e) => e.currentTarget.select()}
              />
              <button
                type="button"
                onClick={async () => setCopied((await copyText(created.url, urlInput.current)) ? 'yes' : 'no')}
              >
                Copy
              </button>
            </div>
            <p className="muted small-note" role="status">
              {copied === 'yes'
                ? 'Copied to the clipboard.'
                : copied === 'no'
                  ? 'Select the link and copy it yourself.'
                  : 'This link is shown only now: copy it before closing.'}
            </p>
          </div>
        )}
        {problem && (
          <p className="problem" role="alert">
            {problem}
          </p>
        )}
        <section className="share-list" aria-labelledby={`${id}-links`}>
          <h3 id={`${id}-links`}>Links to this chat</h3>
          {shares === null ? (
            <p className="muted small-note">Loading…</p>
          ) : shares.length === 0 ? (
            <p className="muted small-note">No link yet.</p>
          ) : (
            <>
              <p className="muted small-note">For safety a link is shown only when it is made; revoke one to end it.</p>
              <ul data-testid="share-links">
                {shares.map((s) => (
                  <li key={s.share_id}>
                    <span>
                      <strong>{s.live ? 'Follows new messages' : 'As it was'}</strong>
                      <span className="muted">
                        {' '}
                        · created {ago(s.created_at)}
                        {s.expired ? ' · expired' : ''}
                        {s.share_id === created?.shareId ? ' · the link above' : ''}
                      </span>
                    </span>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke the link created ${ago(s.created_at)}`}
                      onClick={() =>
                        void run(async () => {
                          await api.deleteShare(s.share_id);
                          if (created?.shareId === s.share_id) setCreated(null);
                          await refresh();
                          dialog.current?.querySelector<HTMLElement>('button.primary')?.focus();
                        })
                      }
                    >
                      Revoke
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
    </div>
  );
}
