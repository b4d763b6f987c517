/** Sign in or sign up: problems in plain sentences, each beside the field it concerns (errors.ts). */
import { useState } from 'react';
import { Api } from '../api';
import { type Described, describe } from '../errors';
import './shell.css';

export function Auth({ onSignedIn }: { onSignedIn: (token: string, email: string) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Described | null>(null);
  const [busy, setBusy] = useState(false);
  const api = new Api(null);
  const run = (fn: () => Promise<string>) => async (e?: React.FormEvent) => {
    e?.preventDefault();
    setProblem(null);
    setBusy(true);
    try {
      onSignedIn(await fn(), email.trim());
    } catch (err) {
      setProblem(describe(err));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (field: string) =>
    problem?.fields[field] ? (
      <span className="field-error" id={`${field}-error`}>
        {problem.fields[field]}
      </span>
    ) : null;
  const general = problem && Object.keys(problem.fields).length === 0 ? problem.message : null;
  return (
    <main className="auth">
      <h1 className="brand">branchat</h1>
      <p className="muted">Conversations that branch from any message.</p>
      <form onSubmit={run(() => api.login(email.trim(), password))} noValidate>
        <label className="field">
          <span>Email</span>
          <input
            aria-label="email"
            type="email"
            autoComplete="email"
            value={email}
            aria-invalid={Boolean(problem?.fields.email)}
            aria-describedby={problem?.fields.email ? 'email-error' : undefined}
            onChange={(e) => setEmail(e.target.value)}
          />
          {fieldError('email')}
        </label>
        <label className="field">
          <span>Password</span>
          <input
            aria-label="password"
            type="password"
            autoComplete="current-password"
            placeholder="8 characters or more"
            value={password}
            aria-invalid={Boolean(problem?.fields.password)}
            aria-describedby={problem?.fields.password ? 'password-error' : undefined}
            onChange={(e) => setPassword(e.target.value)}
          />
          {fieldError('password')}
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Log in
          </button>
          <button type="button" disabled={busy} onClick={() => void run(() => api.register(email.trim(), password))()}>
            Sign up
          </button>
        </div>
        {general && (
          <p className="problem" role="alert">
            {general}
          </p>
        )}
      </form>
    </main>
  );
}
