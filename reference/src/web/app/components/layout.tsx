// The signed-in frame: skip link, header (organization, live status, user, sign out),
// navigation (only the sections the role may use), and focus moved to each page's
// heading after navigation so keyboard and screen-reader users land on the new content.
import { useEffect, useRef, type ReactNode } from 'react';
import { Link, takeFocus, useRouter } from '../router';
import { atLeast, useSession, useSessionApi, type Role } from '../session';
import { useLiveStatus } from '../realtime';
import { ApiStatus } from './api-status';

const NAV: { to: string; label: string; min: Role }[] = [
  { to: '/', label: 'Overview', min: 'viewer' },
  { to: '/assets', label: 'Assets', min: 'viewer' },
  { to: '/policies', label: 'Policies', min: 'viewer' },
  { to: '/reports', label: 'Reports', min: 'viewer' },
  { to: '/certificates', label: 'Certificates', min: 'viewer' },
  { to: '/audit', label: 'Audit log', min: 'admin' },
  { to: '/admin', label: 'Administration', min: 'admin' },
];

function isCurrent(to: string, path: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const { signOut } = useSessionApi();
  const { path } = useRouter();
  const liveStatus = useLiveStatus();

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          AIGOS Control Plane
          <span className="org">{session.organization.name ?? session.organization.slug}</span>
        </div>
        <div className="topbar-right">
          <span
            className={`live live-${liveStatus}`}
            role="status"
            aria-live="polite"
            data-testid="live-status"
          >
            {liveStatus === 'live' ? 'Live' : liveStatus === 'connecting' ? 'Connecting…' : 'Offline'}
          </span>
          <span className="user" data-testid="current-user">
            {session.user.email} <span className="badge badge-neutral">{session.role}</span>
          </span>
          {session.method === 'password' && (
            <Link to="/change-password" className="btn btn-link">
              Change password
            </Link>
          )}
          <button type="button" className="btn btn-secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="frame">
        <nav className="sidenav" aria-label="Main">
          <ul>
            {NAV.filter((n) => atLeast(session.role, n.min)).map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={isCurrent(n.to, path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
      <footer className="footer">
        <ApiStatus />
      </footer>
    </div>
  );
}

/** Page heading (focus target after navigation) and actions on the right. */
export function PageHeader({
  title,
  children,
  sub,
}: {
  title: string;
  children?: ReactNode;
  sub?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · AIGOS Control Plane`;
  }, [title]);
  useEffect(() => {
    if (takeFocus()) heading.current?.focus();
  }, []);
  return (
    <div className="page-header">
      <div>
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {sub && <p className="muted">{sub}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}
