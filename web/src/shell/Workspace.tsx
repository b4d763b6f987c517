/**
 * The signed-in app: a top bar, the conversations (shell/Sidebar.tsx), the open chat (chat/ChatView.tsx) or two
 * branches compared (tree/CompareView.tsx), and the tree (tree/TreeView.tsx). Below 768 px the conversations and
 * the tree are drawers opened from the top bar; choosing something in a drawer closes it.
 *
 * The open tree is followed over the event socket: any event reloads what is shown (a `version` counter). A chat
 * that is gone (deleted here or elsewhere) is never an error: the app goes to its parent, the tree's active chat,
 * or the next conversation. A lost connection shows a banner and retries by itself until the server answers.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Api, ApiError, type Conversation, followTree, type Tree } from '../api';
import { ChatView } from '../chat/ChatView';
import { describe } from '../errors';
import { CompareView } from '../tree/CompareView';
import { TreeView } from '../tree/TreeView';
import { ShareDialog } from './ShareDialog';
import { Sidebar } from './Sidebar';
import './shell.css';

type Drawer = 'side' | 'tree' | null;

export function Workspace({
  api,
  token,
  email,
  onLogout,
}: {
  api: Api;
  token: string;
  email: string;
  onLogout: () => void;
}) {
  const [chats, setChats] = useState<Conversation[] | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null); // a response id to scroll to (a search hit)
  const [tree, setTree] = useState<Tree | null>(null);
  const [version, setVersion] = useState(0); // bumped by live events and writes: reload what is shown
  const [problem, setProblem] = useState<string | null>(null);
  const [offline, setOffline] = useState(false);
  const [drawer, setDrawer] = useState<Drawer>(null);
  const [compare, setCompare] = useState<{ chatId: string; otherChatId: string } | null>(null);
  const [sharing, setSharing] = useState<string | null>(null);
  const [composerFocus, setComposerFocus] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  /** Runs an action; a problem becomes one plain sentence (errors.ts), a 401 signs out, offline retries. */
  const guard = useCallback(
    async (fn: () => Promise<void>) => {
      setProblem(null);
      try {
        await fn();
      } catch (e) {
        if (e instanceof ApiError && e.problem.status === 401) return onLogout();
        const d = describe(e);
        if (d.offline) setOffline(true);
        else setProblem(d.message);
      }
    },
    [onLogout],
  );

  // Offline: ask the server every 2 s; once it answers, reload everything and drop the banner.
  useEffect(() => {
    if (!offline) return;
    const timer = setInterval(async () => {
      try {
        const r = await fetch('/healthz', { cache: 'no-store' });
        if (!r.ok) return;
        setOffline(false);
        setProblem(null);
        reload();
      } catch {
        // still offline
      }
    }, 2000);
    return () => clearInterval(timer);
  }, [offline, reload]);

  const refreshChats = useCallback(async () => {
    const list = await api.listChats();
    setChats(list);
    return list;
  }, [api]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    void guard(async () => void (await refreshChats()));
  }, [refreshChats, guard, version]);

  const open = useCallback((chatId: string | null, responseId: string | null = null) => {
    setOpenId(chatId);
    setFocus(responseId);
    setCompare(null);
    setDrawer(null);
  }, []);

  /** The open chat is gone: its tree's active chat if the tree is still there, else the newest conversation. */
  const treeRef = useRef<Tree | null>(null);
  treeRef.current = tree;
  const leaveMissing = useCallback(
    async (gone: string) => {
      const current = treeRef.current;
      if (current && current.tree.chat_id !== gone) {
        try {
          const t = await api.tree(current.root_chat_id);
          return open(t.active_chat_id);
        } catch (e) {
          if (!(e instanceof ApiError && e.problem.status === 404)) throw e;
        }
      }
      const list = await refreshChats();
      open(list[0]?.active_chat_id ?? null);
    },
    [api, open, refreshChats],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    if (!openId) return setTree(null);
    void guard(async () => {
      try {
        setTree(await api.tree(openId));
      } catch (e) {
        if (e instanceof ApiError && e.problem.status === 404) return void (await leaveMissing(openId));
        throw e;
      }
    });
  }, [openId, version, api, guard, leaveMissing]);

  // Live: follow the open tree; any event reloads the tree, the list and the chat shown.
  const rootId = tree?.root_chat_id;
  useEffect(() => {
    if (!rootId) return;
    return followTree(token, rootId, reload);
  }, [rootId, token, reload]);

  // Escape closes an open drawer.
  useEffect(() => {
    if (!drawer) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setDrawer(null);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [drawer]);

  const openName = chats?.find((c) => c.chat_id === rootId)?.name;

  return (
    <div className="app" data-drawer={drawer ?? undefined}>
      <header className="topbar">
        <button
          type="button"
          className="ghost icon drawer-toggle"
          aria-label="Conversations"
          aria-expanded={drawer === 'side'}
          onClick={() => setDrawer(drawer === 'side' ? null : 'side')}
        >
          ☰
        </button>
        <span className="brand">branchat</span>
        <span className="topbar-title muted">{openName ?? ''}</span>
        <span className="spacer" />
        {tree && (
          <button
            type="button"
            className="ghost drawer-toggle"
            aria-label="Branches"
            aria-expanded={drawer === 'tree'}
            onClick={() => setDrawer(drawer === 'tree' ? null : 'tree')}
          >
            Branches <span className="count">{tree.count}</span>
          </button>
        )}
        <span className="who muted" data-testid="signed-in" title="Signed in">
          {email}
        </span>
        <button type="button" className="ghost" onClick={onLogout}>
          Log out
        </button>
      </header>
      <nav className="side" aria-label="Conversations">
        <Sidebar
          api={api}
          chats={chats}
          openRoot={rootId ?? null}
          onOpen={open}
          onCreate={() =>
            guard(async () => {
              const chat = await api.createChat();
              await refreshChats();
              open(chat.chat_id);
              setComposerFocus((n) => n + 1);
            })
          }
          onImported={(chatId) =>
            guard(async () => {
              await refreshChats();
              open(chatId);
            })
          }
          onChanged={reload}
          guard={guard}
        />
      </nav>
      <main className="main">
        {offline && (
          <div className="banner offline" role="status">
            Can’t reach branchat. Check your connection; trying again…
          </div>
        )}
        {problem && (
          <div className="banner problem" role="alert">
            <span>{problem}</span>
            <button type="button" className="ghost icon" aria-label="Dismiss" onClick={() => setProblem(null)}>
              ×
            </button>
          </div>
        )}
        {compare ? (
          <CompareView
            api={api}
            chatId={compare.chatId}
            otherChatId={compare.otherChatId}
            onOpen={(chatId, responseId) => open(chatId, responseId ?? null)}
            onClose={() => setCompare(null)}
          />
        ) : openId ? (
          <ChatView
            key={`${openId}:${focus ?? ''}`}
            api={api}
            chatId={openId}
            focus={focus}
            version={version}
            onOpen={open}
            guard={guard}
            onChanged={reload}
            onDeleted={(parentId) =>
              guard(async () => {
                reload();
                if (parentId) open(parentId);
                else {
                  const list = await refreshChats();
                  open(list[0]?.active_chat_id ?? null);
                }
              })
            }
            onMissing={() => guard(() => leaveMissing(openId))}
            onShare={(chatId) => setSharing(chatId)}
            composerFocus={composerFocus}
          />
        ) : (
          <div className="empty">
            <h2>{chats && chats.length === 0 ? 'Start your first conversation' : 'Open a conversation'}</h2>
            <p className="muted">Any message can become a branch: edit a question or regenerate an answer.</p>
            <button
              type="button"
              className="primary"
              onClick={() =>
                guard(async () => {
                  const chat = await api.createChat();
                  await refreshChats();
                  open(chat.chat_id);
                  setComposerFocus((n) => n + 1);
                })
              }
            >
              New chat
            </button>
          </div>
        )}
      </main>
      <aside className="treepane" aria-label="Branches">
        {tree && openId && (
          <TreeView
            tree={tree}
            openId={openId}
            onOpen={(id) => open(id)}
            onActivate={(id) =>
              guard(async () => {
                await api.setActive(id);
                reload();
              })
            }
            onCompare={(chatId, otherChatId) => {
              setCompare({ chatId, otherChatId });
              setDrawer(null);
            }}
          />
        )}
      </aside>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the scrim is a pointer convenience; Escape and the toggles close drawers too */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: see above */}
      <div className="scrim" onClick={() => setDrawer(null)} />
      {sharing && <ShareDialog api={api} chatId={sharing} onClose={() => setSharing(null)} />}
    </div>
  );
}
