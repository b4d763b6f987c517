/**
 * The demo: sign in, then the workspace (shell/Workspace.tsx): conversations, the open chat, the tree. The token
 * and the signed-in email are kept in localStorage; a 401 anywhere signs out.
 */
import { useCallback, useMemo, useState } from 'react';
import { Api } from './api';
import { Auth } from './shell/Auth';
import { Workspace } from './shell/Workspace';

const TOKEN_KEY = 'branchat.token';
const EMAIL_KEY = 'branchat.email';

export function App() {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const [email, setEmail] = useState<string>(() => localStorage.getItem(EMAIL_KEY) ?? '');
  const api = useMemo(() => new Api(token), [token]);
  const logout = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
  }, []);
  if (!token) {
    return (
      <Auth
        onSignedIn={(t, who) => {
          localStorage.setItem(TOKEN_KEY, t);
          localStorage.setItem(EMAIL_KEY, who);
          setEmail(who);
          setToken(t);
        }}
      />
    );
  }
  return <Workspace api={api} token={token} email={email} onLogout={logout} />;
}
