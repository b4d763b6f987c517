/**
 * The open chat's header: its name (a branch shows the name derived for it) with "main"/"branch" and "active"
 * badges, and its actions: Rename (inline), Export (a menu of three formats), Share, Delete. Below 768 px the
 * actions fold into one "Chat actions" menu with the same names (Export there opens the formats in place).
 */
import { useState } from 'react';
import type { Api, Chat } from '../api';
import { MoreIcon } from './Icons';
import { Menu, type MenuItem } from './Menu';

type Format = 'markdown' | 'chatgpt' | 'json';
const FORMATS: { label: string; format: Format }[] = [
  { label: 'This chat as Markdown', format: 'markdown' },
  { label: 'The tree as ChatGPT JSON', format: 'chatgpt' },
  { label: 'The tree as branchat JSON', format: 'json' },
];

export function ChatHeader({
  api,
  chat,
  guard,
  onRenamed,
  onShare,
  onDeleted,
}: {
  api: Api;
  chat: Chat;
  guard: (fn: () => Promise<void>) => Promise<void>;
  onRenamed: (chat: Chat) => void;
  onShare: (chatId: string) => void;
  onDeleted: (parentId: string | null) => void;
}) {
  const [renaming, setRenaming] = useState<string | null>(null);
  const [foldedExport, setFoldedExport] = useState(false);

  const exportItems: MenuItem[] = FORMATS.map(({ label, format }) => ({
    label,
    onSelect: () => void guard(() => api.download(chat.chat_id, format)),
  }));
  const rename = () => setRenaming(chat.name);
  const share = () => onShare(chat.chat_id);
  const remove = () => {
    const what = chat.chat_type === 'main' ? 'this whole conversation' : 'this branch and the branches below it';
    if (!window.confirm(`Delete ${what}? This cannot be undone.`)) return;
    void guard(async () => {
      await api.deleteChat(chat.chat_id);
      onDeleted(chat.parent_chat_id);
    });
  };

  if (renaming !== null) {
    const cancel = () => setRenaming(null);
    return (
      <header className="chat-header" data-testid="chat-header">
        <form
          className="rename"
          onSubmit={(e) => {
            e.preventDefault();
            const name = renaming.trim();
            if (!name) return;
            void guard(async () => {
              onRenamed(await api.renameChat(chat.chat_id, name));
              setRenaming(null);
            });
          }}
        >
          <input
            aria-label="chat name"
            value={renaming}
            maxLength={200}
            // biome-ignore lint/a11y/noAutofocus: the field the person just asked for
            autoFocus
            onChange={(e) => setRenaming(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && cancel()}
          />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" className="ghost" onClick={cancel}>
            Cancel
          </button>
        </form>
      </header>
    );
  }

  return (
    <header className="chat-header" data-testid="chat-header">
      <div className="chat-heading">
        <h2 data-testid="chat-title" title={chat.name}>
          {chat.name}
        </h2>
        <span className={`badge ${chat.chat_type}`}>{chat.chat_type === 'branch' ? 'branch' : 'main'}</span>
        {chat.active && <span className="badge active">active</span>}
      </div>
      <div className="chat-actions">
        <button type="button" className="ghost" onClick={rename}>
          Rename
        </button>
        <Menu label="Export" button="Export ▾" items={exportItems} />
        <button type="button" className="ghost" title="A read-only link to this chat" onClick={share}>
          Share
        </button>
        <button type="button" className="ghost danger" onClick={remove}>
          Delete
        </button>
      </div>
      <Menu
        className="chat-actions-folded"
        label="Chat actions"
        button={<MoreIcon />}
        onClose={() => setFoldedExport(false)}
        items={
          foldedExport
            ? exportItems
            : [
                { label: 'Rename', onSelect: rename },
                { label: 'Export', onSelect: () => setFoldedExport(true), keepOpen: true },
                { label: 'Share', onSelect: share },
                { label: 'Delete', onSelect: remove, danger: true },
              ]
        }
      />
    </header>
  );
}
