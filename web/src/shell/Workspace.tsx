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
import { Logo } from './Logo';
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

  // Offline: ask the server every 2 s (and as soon as the browser says it is back online); once it answers,
  // reload everything and drop the banner. The browser saying it is offline shows the banner at once.
  useEffect(() => {
    const down = () => setOffline(true);
    window.addEventListener('offline', down);
    return () => window.removeEventListener('offline', down);
  }, []);
  useEffect(() => {
    if (!offline) return;
    let stopped = false;
    const check = async () => {
      try {
        const r = await fetch('/healthz', { cache: 'no-store' });
        if (!r.ok || stopped) return;
        setOffline(false);
        setProblem(null);
        reload();
      } catch {
        // still offline
      }
    };
    const timer = setInterval(check, 2000);
    window.addEventListener('online', check);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('online', check);
    };
  }, [offline, reload]);

  // Reads in flight race (live events, writes): only the one started last may show its answer.
  const chatsSeq = useRef(0);
  const treeSeq = useRef(0);
  const refreshChats = useCallback(async () => {
    const seq = ++chatsSeq.current;
    const list = await api.listChats();
    if (seq === chatsSeq.current) setChats(list);
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

  const create = () =>
    guard(async () => {
      const chat = await api.createChat();
      await refreshChats();
      open(chat.chat_id);
      setComposerFocus((n) => n + 1);
    });

  /** The next conversation after `rootId` is gone (the one below it in the list, else above), or null. */
  const chatsRef = useRef<Conversation[] | null>(null);
  chatsRef.current = chats;
  const nextAfter = useCallback((gone: string): string | null => {
    const list = chatsRef.current ?? [];
    const at = list.findIndex((c) => c.chat_id === gone);
    const rest = list.filter((c) => c.chat_id !== gone);
    return (rest[Math.max(0, at)] ?? rest[rest.length - 1])?.active_chat_id ?? null;
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
      const goneRoot = current?.root_chat_id ?? gone;
      const next = nextAfter(goneRoot);
      const list = await refreshChats();
      open(list.some((c) => c.active_chat_id === next) ? next : (list[0]?.active_chat_id ?? null));
    },
    [api, open, refreshChats, nextAfter],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    const seq = ++treeSeq.current;
    if (!openId) return setTree(null);
    void guard(async () => {
      try {
        const t = await api.tree(openId);
        if (seq === treeSeq.current) setTree(t);
      } catch (e) {
        // (A reload refused for the moment, 429 or 503, was already asked again by the client: api.ts.)
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

  const openName = tree?.tree.name ?? chats?.find((c) => c.chat_id === rootId)?.name;

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
          <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false" className="stroke">
            <path d="M3 5h14M3 10h14M3 15h14" />
          </svg>
        </button>
        <span className="brand-lockup" data-titled={openName ? true : undefined}>
          <Logo size={24} />
          <span className="brand">branchat</span>
        </span>
        {openName && (
          <span className="topbar-title" data-testid="open-title" title={openName}>
            {openName}
          </span>
        )}
        <span className="spacer" />
        {tree && (
          <button
            type="button"
            className="ghost drawer-toggle branches-toggle"
            aria-expanded={drawer === 'tree'}
            onClick={() => setDrawer(drawer === 'tree' ? null : 'tree')}
          >
            Branches <span className="topbar-count">{tree.count}</span>
          </button>
        )}
        <Account email={email} onLogout={onLogout} />
      </header>
      <nav className="side" aria-label="Conversations">
        <Sidebar
          api={api}
          chats={chats}
          openRoot={rootId ?? null}
          onOpen={open}
          onCreate={create}
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
          <div className="banner offline" role="status" data-testid="offline">
            <span className="pulse" aria-hidden="true" />
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
                // Straight to the parent branch, or the next conversation: the deleted chat is never re-read.
                const next = parentId ?? nextAfter(rootId ?? openId);
                open(next);
                reload();
              })
            }
            onMissing={() => guard(() => leaveMissing(openId))}
            onShare={(chatId) => setSharing(chatId)}
            composerFocus={composerFocus}
          />
        ) : (
          <div className="empty" data-testid="empty-state">
            <Logo size={48} />
            <h1>{chats && chats.length === 0 ? 'Start your first conversation' : 'Pick up where you left off'}</h1>
            <p className="muted">
              {chats && chats.length === 0
                ? 'Ask anything. Any message can become a branch later: edit a question or regenerate an answer to explore another direction.'
                : 'Open a conversation, or start a new one. Any message can become a branch.'}
            </p>
            <div className="empty-actions">
              <button type="button" className="primary" onClick={() => void create()}>
                New chat
              </button>
              {chats && chats.length > 0 && (
                <button type="button" className="drawer-only" onClick={() => setDrawer('side')}>
                  Your conversations
                </button>
              )}
            </div>
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
      <div className="scrim" data-testid="scrim" onClick={() => setDrawer(null)} />
      {sharing && <ShareDialog api={api} chatId={sharing} onClose={() => setSharing(null)} />}
    </div>
  );
}

/**
 * Who is signed in and Log out: shown in the top bar on a wide screen; on a narrow one behind a round button with
 * the email's initial (a small popover), so that the top bar never wraps.
 */
function Account({ email, onLogout }: { email: string; onLogout: () => void }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape from the popover it holds, bubbling up
    <div
      className="account"
      ref={root}
      data-open={open || undefined}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          root.current?.querySelector<HTMLElement>('.account-toggle')?.focus();
        }
      }}
    >
      <button
        type="button"
        className="ghost icon account-toggle"
        aria-label="Account"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span className="avatar" aria-hidden="true">
          {(email.trim()[0] ?? '?').toUpperCase()}
        </span>
      </button>
      <div className="account-panel">
        <span className="who" data-testid="signed-in" title={email}>
          <span className="sr-only">Signed in as </span>
          {email}
        </span>
        <button type="button" className="ghost logout" onClick={onLogout}>
          Log out
        </button>
      </div>
    </div>
  );
}
