/**
 * The conversations pane: New chat, search over every message (hits open the chat at that pair), the
 * conversations (pinned first, under their heading), a small actions menu per conversation (pin, archive), the
 * archived conversations on demand, and the import of a ChatGPT export.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { Api, Conversation, SearchHit } from '../api';
import { ago } from './time';

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

function branches(n: number): string | null {
  return n === 0 ? null : n === 1 ? '1 branch' : `${n} branches`;
}

export function Sidebar({ api, chats, openRoot, onOpen, onCreate, onImported, onChanged, guard }: Props) {
  const [q, setQ] = useState('');
  const [searched, setSearched] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [showArchived, setShowArchived] = useState(false);
  const [archived, setArchived] = useState<Conversation[] | null>(null);
  const file = useRef<HTMLInputElement>(null);
  const searchId = useId();

  // The archived conversations, read when shown and again whenever the list changes (archive, unarchive).
  useEffect(() => {
    if (!showArchived || !chats) return;
    void guard(async () => setArchived(await api.listChats('only')));
  }, [showArchived, chats, api, guard]);

  const clear = () => {
    setHits(null);
    setQ('');
    setSearched('');
  };
  const names = new Map((chats ?? []).map((c) => [c.chat_id, c.name]));
  const update = (c: Conversation, changes: { pinned?: boolean; archived?: boolean }) =>
    guard(async () => {
      await api.updateChat(c.chat_id, changes);
      onChanged();
    });
  const pinned = (chats ?? []).filter((c) => c.pinned);
  const recent = (chats ?? []).filter((c) => !c.pinned);

  const item = (c: Conversation, archivedList = false) => (
    <li key={c.chat_id} className="conv" data-chat={c.chat_id}>
      <button
        type="button"
        className="conv-open"
        aria-current={c.chat_id === openRoot ? 'page' : undefined}
        onClick={() => onOpen(c.active_chat_id)}
      >
        <span className="conv-name">{c.name}</span>
        <span className="conv-meta">
          {[ago(c.last_activity_at), branches(c.branch_count)].filter(Boolean).join(' · ')}
        </span>
      </button>
      {archivedList ? (
        <button type="button" className="ghost conv-unarchive" onClick={() => void update(c, { archived: false })}>
          Unarchive
        </button>
      ) : (
        <ConversationMenu
          pinned={c.pinned}
          onPin={() => void update(c, { pinned: !c.pinned })}
          onArchive={() => void update(c, { archived: true })}
        />
      )}
    </li>
  );

  return (
    <div className="sidebar">
      <button type="button" className="primary new-chat" onClick={onCreate}>
        <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
          <path d="M10 4v12M4 10h12" />
        </svg>
        New chat
      </button>
      {/* biome-ignore lint/a11y/useSemanticElements: a search landmark around the form (<search> is not typed yet) */}
      <form
        role="search"
        className="search"
        onSubmit={(e) => {
          e.preventDefault();
          const text = q.trim();
          if (!text) return clear();
          void guard(async () => {
            setHits(await api.search(text));
            setSearched(text);
          });
        }}
      >
        <label htmlFor={searchId} className="sr-only">
          Search chats
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search chats"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && (q || hits)) {
              e.stopPropagation();
              clear();
            }
          }}
        />
        <button type="submit" className="search-go" aria-label="Search">
          <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
            <circle cx="8.5" cy="8.5" r="5.5" />
            <path d="M13 13l4.5 4.5" />
          </svg>
        </button>
      </form>
      {hits && (
        <section className="hits" aria-label="Search results" data-testid="search-results">
          <div className="section-head">
            <h2>
              {hits.length === 0
                ? `No message matches “${searched}”`
                : `${hits.length === 1 ? '1 result' : `${hits.length} results`} for “${searched}”`}
            </h2>
            <button type="button" className="ghost small" onClick={clear}>
              Clear
            </button>
          </div>
          <ul>
            {hits.map((h) => (
              <li key={h.response_id}>
                <button type="button" className="hit" onClick={() => onOpen(h.open_chat_id, h.response_id)}>
                  <span className="hit-chat">{names.get(h.root_chat_id) ?? 'Conversation'}</span>
                  {/* The API HTML-escapes the snippet; <mark> is its only markup. */}
                  {/* biome-ignore lint/security/noDangerouslySetInnerHtml: snippet is HTML-escaped by the server */}
                  <span className="hit-snippet" dangerouslySetInnerHTML={{ __html: h.snippet }} />
                  <span className="conv-meta">{ago(h.timestamp)}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <div className="convs" data-testid="chat-list">
        {chats === null && <p className="muted small-note">Loading conversations…</p>}
        {chats?.length === 0 && <p className="muted small-note">No conversations yet.</p>}
        {pinned.length > 0 && (
          <section aria-labelledby={`${searchId}-pinned`} data-testid="pinned">
            <h2 className="section-title" id={`${searchId}-pinned`}>
              Pinned
            </h2>
            <ul>{pinned.map((c) => item(c))}</ul>
          </section>
        )}
        {recent.length > 0 && (
          <section aria-labelledby={`${searchId}-recent`} data-testid="recent">
            <h2 className="section-title" id={`${searchId}-recent`}>
              {pinned.length > 0 ? 'Recent' : 'Conversations'}
            </h2>
            <ul>{recent.map((c) => item(c))}</ul>
          </section>
        )}
      </div>
      <div className="side-foot">
        <button
          type="button"
          className="ghost side-link"
          aria-expanded={showArchived}
          onClick={() => {
            setShowArchived(!showArchived);
            if (showArchived) setArchived(null);
          }}
        >
          <span aria-hidden="true">{showArchived ? '▾' : '▸'}</span> Archived
        </button>
        {showArchived && (
          <section aria-label="Archived conversations" data-testid="archived-list">
            {archived === null && <p className="muted small-note">Loading…</p>}
            {archived?.length === 0 && <p className="muted small-note">Nothing archived.</p>}
            {archived && archived.length > 0 && <ul>{archived.map((c) => item(c, true))}</ul>}
          </section>
        )}
        <button type="button" className="ghost side-link" onClick={() => file.current?.click()}>
          <span aria-hidden="true">⤓</span> Import ChatGPT conversations
        </button>
        <input
          ref={file}
          type="file"
          accept="application/json,.json"
          aria-label="ChatGPT export file"
          data-testid="import-file"
          hidden
          onChange={(e) => {
            const chosen = e.target.files?.[0];
            e.target.value = '';
            if (!chosen) return;
            void guard(async () => {
              const result = await api.importChats(await chosen.text());
              const first = result.conversations[0];
              if (first) onImported(first.active_chat_id);
            });
          }}
        />
      </div>
    </div>
  );
}

/** The ⋯ menu of one conversation: Pin or Unpin, Archive. Escape or a click elsewhere closes it. */
function ConversationMenu({ pinned, onPin, onArchive }: { pinned: boolean; onPin: () => void; onArchive: () => void }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const away = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };
  const choose = (fn: () => void) => () => {
    setOpen(false);
    fn();
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: keys of the menu it holds (Escape, arrows), bubbling up
    <div
      className="conv-menu"
      ref={root}
      data-open={open || undefined}
      onKeyDown={(e) => {
        if (!open) return;
        const items = [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
        const at = items.indexOf(document.activeElement as HTMLElement);
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
          items[next]?.focus();
        } else if (e.key === 'Tab') setOpen(false);
      }}
    >
      <button
        ref={toggle}
        type="button"
        className="ghost icon conv-actions"
        aria-label="Conversation actions"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
          <circle cx="4" cy="10" r="1.6" />
          <circle cx="10" cy="10" r="1.6" />
          <circle cx="16" cy="10" r="1.6" />
        </svg>
      </button>
      {open && (
        <div className="conv-menu-list" role="menu" id={menuId} aria-label="Conversation actions">
          <button type="button" role="menuitem" onClick={choose(onPin)}>
            {pinned ? 'Unpin' : 'Pin'}
          </button>
          <button type="button" role="menuitem" onClick={choose(onArchive)}>
            Archive
          </button>
        </div>
      )}
    </div>
  );
}
