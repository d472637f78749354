// Sign in: the local form (POST /auth/login, JSON) and one button per configured single
// sign-on provider (GET /auth/providers). A failed sign-in says why without saying which
// half was wrong; a lock-out says how long.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, describeError, request, setCsrfToken } from '../api';
import { ApiStatus } from '../components/api-status';
import { TextField } from '../components/fields';
import { useRouter } from '../router';
import { useSessionApi } from '../session';

interface Providers {
  local: boolean;
  providers: { name: string; label: string; protocol: string; loginUrl: string }[];
}

export function LoginPage() {
  const { refresh } = useSessionApi();
  const { query } = useRouter();
  const [providers, setProviders] = useState<Providers | undefined>();
  const [providersError, setProvidersError] = useState<unknown>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const errorRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    document.title = 'Sign in · AIGOS Control Plane';
    request<Providers>('/auth/providers', { sessionBound: false }).then(setProviders, setProvidersError);
  }, []);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const returnTo = query.get('returnTo') ?? '/';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await request<{ csrfToken: string }>('/auth/login', {
        json: { email, password },
        sessionBound: false,
      });
      setCsrfToken(r.csrfToken);
      await refresh();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The e-mail or password is incorrect.'
          : describeError(err),
      );
      setBusy(false);
    }
  };

  const local = providers?.local ?? true;
  const sso = providers?.providers ?? [];
  const safeReturn = returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
  return (
    <div className="login-page">
      <main id="main" className="login-card" aria-labelledby="login-title">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          AIGOS Control Plane
        </p>
        <h1 id="login-title">Sign in</h1>
        {error && (
          <p className="inline-error" role="alert" tabIndex={-1} ref={errorRef}>
            {error}
          </p>
        )}
        {local && (
          <form onSubmit={submit}>
            <TextField
              label="E-mail"
              type="email"
              name="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <TextField
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
        {sso.length > 0 && (
          <div className="sso" aria-label="Single sign-on">
            {local && <p className="divider">or</p>}
            {sso.map((p) => (
              <a
                key={p.name}
                className="btn btn-secondary btn-block"
                href={`${p.loginUrl}?returnTo=${encodeURIComponent(safeReturn)}`}
                data-provider={p.name}
              >
                Sign in with {p.label}
              </a>
            ))}
          </div>
        )}
        {providersError !== undefined && (
          <p className="muted">
            Single sign-on providers could not be listed: {describeError(providersError)}
          </p>
        )}
        <ApiStatus />
      </main>
    </div>
  );
}
