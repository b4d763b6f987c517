import { useState } from 'react';
import type { Api, Conversation, SearchHit } from '../api';

interface Props {
  api: Api;
  /** null while the first page loads. */
  chats: Conversation[] | null;
  openRoot: string | null;
  onOpen: (chatId: string, responseId?: string | null) => void;
  onCreate: () => void;
  /** After an import: the conversations were created (open the first). */
  onImported: (chatId: string) => void;
  /** Something in the list changed (archive, pin): reload what is shown. */
  onChanged: () => void;
  guard: (fn: () => Promise<void>) => Promise<void>;
}

export function Sidebar({ api, chats, openRoot, onOpen, onCreate, onImported, guard }: Props) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  return (
    <div className="sidebar">
      <button type="button" className="primary" onClick={onCreate}>
        New chat
      </button>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!q.trim()) return setHits(null);
          void guard(async () => setHits(await api.search(q.trim())));
        }}
      >
        <input aria-label="search" placeholder="Search messages" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit">⌕</button>
      </form>
      {hits && (
        <ul className="hits" data-testid="search-results">
          {hits.length === 0 && <li className="muted">No match.</li>}
          {hits.map((h) => (
            <li key={h.response_id}>
              <button type="button" className="hit" onClick={() => onOpen(h.open_chat_id, h.response_id)}>
                {/* The API escapes the snippet; <mark> is its only markup. */}
                {/* biome-ignore lint/security/noDangerouslySetInnerHtml: snippet is HTML-escaped by the server */}
                <span dangerouslySetInnerHTML={{ __html: h.snippet }} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <ul className="chats" data-testid="chat-list">
        {(chats ?? []).map((c) => (
          <li key={c.chat_id}>
            <button
              type="button"
              className={c.chat_id === openRoot ? 'chat open' : 'chat'}
              onClick={() => onOpen(c.active_chat_id)}
            >
              <span>{c.name}</span>
              <small className="muted">
                {c.message_count} msg
                {c.branch_count > 0 ? ` · ${c.branch_count} branch${c.branch_count > 1 ? 'es' : ''}` : ''}
              </small>
            </button>
          </li>
        ))}
      </ul>
      <label className="link import">
        Import ChatGPT conversations…
        <input
          type="file"
          accept="application/json,.json"
          aria-label="import"
          hidden
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (!file) return;
            void guard(async () => {
              const result = await api.importChats(await file.text());
              const first = result.conversations[0];
              if (first) onImported(first.active_chat_id);
            });
          }}
        />
      </label>
    </div>
  );
}
