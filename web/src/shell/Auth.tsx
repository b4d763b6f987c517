/**
 * Sign in or sign up, on a centred card: problems in plain sentences, each beside the field it concerns
 * (errors.ts), the others (wrong password, an existing account, the server out of reach) under the buttons.
 */
import { useId, useState } from 'react';
import { Api } from '../api';
import { type Described, describe } from '../errors';
import { Logo } from './Logo';
import './shell.css';

/** What is wrong before anything is sent: empty fields (the API's own checks say the rest). */
function precheck(email: string, password: string): Described | null {
  const fields: Record<string, string> = {};
  if (!email) fields.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fields.email = 'Enter an email address such as ada@example.com.';
  if (!password) fields.password = 'Enter your password.';
  return Object.keys(fields).length ? { message: '', fields, offline: false } : null;
}

export function Auth({ onSignedIn }: { onSignedIn: (token: string, email: string) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Described | null>(null);
  const [busy, setBusy] = useState<'login' | 'register' | null>(null);
  const [api] = useState(() => new Api(null));
  const id = useId();
  const run = async (kind: 'login' | 'register') => {
    const who = email.trim();
    const early = precheck(who, password);
    setProblem(early);
    if (early) return;
    setBusy(kind);
    try {
      const token = kind === 'login' ? await api.login(who, password) : await api.register(who, password);
      onSignedIn(token, who);
    } catch (err) {
      const d = describe(err);
      setProblem(d.offline ? { ...d, message: 'Can’t reach branchat. Check your connection and try again.' } : d);
    } finally {
      setBusy(null);
    }
  };
  const fieldError = (field: string) =>
    problem?.fields[field] ? (
      <span className="field-error" id={`${id}-${field}-error`}>
        {problem.fields[field]}
      </span>
    ) : null;
  const general = problem && Object.keys(problem.fields).length === 0 ? problem.message : null;
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo />
          <h1 className="brand">branchat</h1>
        </div>
        <p className="muted auth-lede">Conversations that branch from any message.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run('login');
          }}
          noValidate
        >
          <div className="field">
            <label htmlFor={`${id}-email`}>Email</label>
            <input
              id={`${id}-email`}
              type="email"
              autoComplete="email"
              inputMode="email"
              value={email}
              aria-invalid={Boolean(problem?.fields.email)}
              aria-describedby={problem?.fields.email ? `${id}-email-error` : undefined}
              onChange={(e) => setEmail(e.target.value)}
            />
            {fieldError('email')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-password`}>Password</label>
            <input
              id={`${id}-password`}
              type="password"
              autoComplete="current-password"
              value={password}
              aria-invalid={Boolean(problem?.fields.password)}
              aria-describedby={problem?.fields.password ? `${id}-password-error` : `${id}-password-hint`}
              onChange={(e) => setPassword(e.target.value)}
            />
            {fieldError('password') ?? (
              <span className="field-hint muted" id={`${id}-password-hint`}>
                8 characters or more for a new account.
              </span>
            )}
          </div>
          <div className="auth-actions">
            <button type="submit" className="primary" disabled={busy !== null}>
              {busy === 'login' ? 'Logging in…' : 'Log in'}
            </button>
            <button type="button" disabled={busy !== null} onClick={() => void run('register')}>
              {busy === 'register' ? 'Signing up…' : 'Sign up'}
            </button>
          </div>
          {general && (
            <p className="problem" role="alert">
              {general}
            </p>
          )}
        </form>
      </div>
    </main>
  );
}
