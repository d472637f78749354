// The signed-in user: GET /auth/session (role, organization, CSRF token, forced password
// change). The app asks for it only when the CSRF cookie says a session may exist, so a
// first visit shows the sign-in page without a failed request.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { csrfCookie, PASSWORD_CHANGE_EVENT, request, setCsrfToken, UNAUTHENTICATED_EVENT } from './api';

export type Role = 'viewer' | 'editor' | 'admin';
const ROLES: Role[] = ['viewer', 'editor', 'admin'];

export interface Session {
  user: { id: string; email: string; name: string };
  organization: { id: string; slug: string | null; name: string | null };
  role: Role;
  method: string;
  provider: string | null;
  mustChangePassword: boolean;
  csrfToken: string;
  expiresAt: string;
}

type State = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; session: Session };

interface SessionApi {
  state: State;
  refresh: () => Promise<Session | undefined>;
  signOut: () => Promise<void>;
  markPasswordChangeRequired: () => void;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>(() =>
    csrfCookie() ? { status: 'loading' } : { status: 'signed-out' },
  );

  const refresh = useCallback(async () => {
    try {
      const session = await request<Session>('/auth/session', { sessionBound: false });
      setCsrfToken(session.csrfToken);
      setState({ status: 'signed-in', session });
      return session;
    } catch {
      setCsrfToken(undefined);
      setState({ status: 'signed-out' });
      return undefined;
    }
  }, []);

  useEffect(() => {
    if (state.status === 'loading') void refresh();
  }, []);

  useEffect(() => {
    const out = () => {
      setCsrfToken(undefined);
      setState({ status: 'signed-out' });
    };
    const mustChange = () =>
      setState((s) =>
        s.status === 'signed-in'
          ? { status: 'signed-in', session: { ...s.session, mustChangePassword: true } }
          : s,
      );
    window.addEventListener(UNAUTHENTICATED_EVENT, out);
    window.addEventListener(PASSWORD_CHANGE_EVENT, mustChange);
    return () => {
      window.removeEventListener(UNAUTHENTICATED_EVENT, out);
      window.removeEventListener(PASSWORD_CHANGE_EVENT, mustChange);
    };
  }, []);

  const signOut = useCallback(async () => {
    try {
      const r = await request<{ redirect?: string } | undefined>('/auth/logout', {
        method: 'POST',
        json: {},
        sessionBound: false,
      });
      if (r?.redirect) {
        window.location.assign(r.redirect);
        return;
      }
    } finally {
      setCsrfToken(undefined);
      setState({ status: 'signed-out' });
    }
  }, []);

  const markPasswordChangeRequired = useCallback(
    () => window.dispatchEvent(new CustomEvent(PASSWORD_CHANGE_EVENT)),
    [],
  );

  const value = useMemo(
    () => ({ state, refresh, signOut, markPasswordChangeRequired }),
    [state, refresh, signOut, markPasswordChangeRequired],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionApi(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSessionApi outside SessionProvider');
  return s;
}

/** The session of a signed-in page (the app renders pages only when signed in). */
export function useSession(): Session {
  const { state } = useSessionApi();
  if (state.status !== 'signed-in') throw new Error('useSession: not signed in');
  return state.session;
}

export function atLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

/** Whether the signed-in user may take actions that need `min`. Viewers see no actions they cannot take. */
export function useCan(min: Role): boolean {
  return atLeast(useSession().role, min);
}
