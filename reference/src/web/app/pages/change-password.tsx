// The (forced) password change: POST /auth/change-password with the session's CSRF
// token. Every other session of the user ends; this browser gets a fresh one.
import { useState, type FormEvent } from 'react';
import { ApiError, request, setCsrfToken } from '../api';
import { TextField } from '../components/fields';
import { InlineError } from '../components/states';
import { useRouter } from '../router';
import { useSession, useSessionApi } from '../session';

export function ChangePasswordPage({ forced }: { forced: boolean }) {
  const session = useSession();
  const { refresh, signOut } = useSessionApi();
  const { navigate } = useRouter();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [problems, setProblems] = useState<string[]>([]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setProblems([]);
    try {
      const r = await request<{ csrfToken: string }>('/auth/change-password', {
        json: { currentPassword: current, newPassword: next, confirmPassword: confirm },
        sessionBound: false,
      });
      setCsrfToken(r.csrfToken);
      await refresh();
      navigate('/', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setProblems(err.details.map((d) => d.message));
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <main id="main" className="login-card" aria-labelledby="cp-title">
        <h1 id="cp-title">{forced ? 'Choose a new password' : 'Change your password'}</h1>
        <p className="muted">
          {forced
            ? `Signed in as ${session.user.email}. Your password must be changed before you continue.`
            : `Signed in as ${session.user.email}. Your other sessions end when the password changes.`}
        </p>
        <form onSubmit={submit}>
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            hint="At least 12 characters; not your current password and not containing your e-mail's name."
            error={problems.length ? `The new password ${problems.join('; ')}` : undefined}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
          <TextField
            label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
          {!problems.length && <InlineError error={error} />}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Saving…' : 'Change password'}
          </button>
        </form>
        {forced ? (
          <button type="button" className="btn btn-link" onClick={() => void signOut()}>
            Sign out instead
          </button>
        ) : (
          <button type="button" className="btn btn-link" onClick={() => navigate('/')}>
            Cancel
          </button>
        )}
      </main>
    </div>
  );
}
