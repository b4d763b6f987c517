/** Share the open chat: create a link (frozen or live), copy it, list and revoke the chat's links. */
import { useState } from 'react';
import type { Api } from '../api';
import { describe } from '../errors';

export function ShareDialog({ api, chatId, onClose }: { api: Api; chatId: string; onClose: () => void }) {
  const [url, setUrl] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Share">
        <h2>Share this chat</h2>
        {url ? (
          <input aria-label="share link" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        ) : (
          <button
            type="button"
            className="primary"
            onClick={async () => {
              try {
                setUrl((await api.createShare(chatId)).url);
              } catch (e) {
                setProblem(describe(e).message);
              }
            }}
          >
            Create link
          </button>
        )}
        {problem && <p role="alert">{problem}</p>}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
