/**
 * The demo: sign up or log in, then conversations on the left (with search), the open chat in the middle
 * (fork from any pair, ‹ i/n › between the variants after a pair), the tree on the right. Live: the open
 * tree is followed over the event socket.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Api, ApiError, type Conversation, followTree, type Tree } from './api';
import { ChatView } from './ChatView';
import { Sidebar } from './Sidebar';
import { TreeView } from './TreeView';

const TOKEN_KEY = 'branchat.token';

export function App() {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const api = useMemo(() => new Api(token), [token]);
  const logout = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
  }, []);
  if (!token) {
    return (
      <Auth
        onToken={(t) => {
          localStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  }
  return <Workspace api={api} token={token} onLogout={logout} />;
}

function Auth({ onToken }: { onToken: (token: string) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const api = new Api(null);
  const run = (fn: () => Promise<string>) => async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      onToken(await fn());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <main className="auth">
      <h1>branchat</h1>
      <p className="muted">Conversations that branch from any message.</p>
      <form onSubmit={run(() => api.login(email, password))}>
        <input aria-label="email" placeholder="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <input
          aria-label="password"
          type="password"
          placeholder="password (8+ characters)"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="row">
          <button type="submit">Log in</button>
          <button type="button" onClick={run(() => api.register(email, password))}>
            Sign up
          </button>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Workspace({ api, token, onLogout }: { api: Api; token: string; onLogout: () => void }) {
  const [chats, setChats] = useState<Conversation[]>([]);
  const [openId, setOpenId] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null); // a response id to scroll to
  const [tree, setTree] = useState<Tree | null>(null);
  const [version, setVersion] = useState(0); // bumped by live events: reload what is shown
  const [error, setError] = useState<string | null>(null);

  const guard = useCallback(
    async (fn: () => Promise<void>) => {
      setError(null);
      try {
        await fn();
      } catch (e) {
        if (e instanceof ApiError && e.problem.status === 401) onLogout();
        else setError(e instanceof Error ? e.message : String(e));
      }
    },
    [onLogout],
  );

  const refreshChats = useCallback(() => guard(async () => setChats(await api.listChats())), [api, guard]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    void refreshChats();
  }, [refreshChats, version]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger (live events, writes)
  useEffect(() => {
    if (!openId) return setTree(null);
    void guard(async () => setTree(await api.tree(openId)));
  }, [openId, version, api, guard]);

  // Live: follow the open tree; any event reloads the tree, the list and the chat shown.
  const rootId = tree?.root_chat_id;
  useEffect(() => {
    if (!rootId) return;
    return followTree(token, rootId, () => setVersion((v) => v + 1));
  }, [rootId, token]);

  const open = (chatId: string, responseId: string | null = null) => {
    setOpenId(chatId);
    setFocus(responseId);
  };

  return (
    <div className="layout">
      <Sidebar
        api={api}
        chats={chats}
        openRoot={rootId ?? null}
        onOpen={open}
        onCreate={(name) =>
          guard(async () => {
            const chat = await api.createChat(name);
            await refreshChats();
            open(chat.chat_id);
          })
        }
        onImported={(rootChatId) =>
          guard(async () => {
            await refreshChats();
            open(rootChatId);
          })
        }
        onLogout={onLogout}
        guard={guard}
      />
      <section className="main">
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {openId ? (
          <ChatView
            key={`${openId}:${focus ?? ''}`}
            api={api}
            chatId={openId}
            focus={focus}
            version={version}
            onOpen={open}
            guard={guard}
            onChanged={() => setVersion((v) => v + 1)}
            onDeleted={(parentId) => {
              setVersion((v) => v + 1);
              setOpenId(parentId);
            }}
          />
        ) : (
          <p className="muted empty">Open a conversation or start a new one.</p>
        )}
      </section>
      {tree && openId && (
        <TreeView
          tree={tree}
          openId={openId}
          onOpen={open}
          onActivate={(id) =>
            guard(async () => {
              await api.setActive(id);
              setVersion((v) => v + 1);
            })
          }
        />
      )}
    </div>
  );
}
