// Top level: session, routing, and the live feed while signed in. Pages other than the
// overview are separate chunks, so the first load pulls only what the overview needs.
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Layout } from './components/layout';
import { ErrorState, Loading } from './components/states';
import { LoginPage } from './pages/login';
import { ChangePasswordPage } from './pages/change-password';
import { OverviewPage } from './pages/overview';
import { live, type Channel } from './realtime';
import { match, RouterProvider, useRouter } from './router';
import { atLeast, SessionProvider, useSessionApi, type Role } from './session';
import { Component, type ErrorInfo } from 'react';

const AssetsPage = lazy(() => import('./pages/assets').then((m) => ({ default: m.AssetsPage })));
const AssetNewPage = lazy(() => import('./pages/asset-new').then((m) => ({ default: m.AssetNewPage })));
const AssetDetailPage = lazy(() =>
  import('./pages/asset-detail').then((m) => ({ default: m.AssetDetailPage })),
);
const PoliciesPage = lazy(() => import('./pages/policies').then((m) => ({ default: m.PoliciesPage })));
const PolicyDetailPage = lazy(() =>
  import('./pages/policies').then((m) => ({ default: m.PolicyDetailPage })),
);
const AuditPage = lazy(() => import('./pages/audit').then((m) => ({ default: m.AuditPage })));
const ReportsPage = lazy(() => import('./pages/reports').then((m) => ({ default: m.ReportsPage })));
const CertificatesPage = lazy(() =>
  import('./pages/certificates').then((m) => ({ default: m.CertificatesPage })),
);
const AdminPage = lazy(() => import('./pages/admin').then((m) => ({ default: m.AdminPage })));

interface RouteDef {
  pattern: string;
  min: Role;
  render: (params: Record<string, string>) => ReactNode;
}

const ROUTES: RouteDef[] = [
  { pattern: '/', min: 'viewer', render: () => <OverviewPage /> },
  { pattern: '/assets', min: 'viewer', render: () => <AssetsPage /> },
  { pattern: '/assets/new', min: 'editor', render: () => <AssetNewPage /> },
  { pattern: '/assets/:id', min: 'viewer', render: (p) => <AssetDetailPage id={p.id!} /> },
  { pattern: '/policies', min: 'viewer', render: () => <PoliciesPage /> },
  { pattern: '/policies/:id', min: 'viewer', render: (p) => <PolicyDetailPage id={p.id!} /> },
  { pattern: '/audit', min: 'admin', render: () => <AuditPage /> },
  { pattern: '/reports', min: 'viewer', render: () => <ReportsPage /> },
  { pattern: '/certificates', min: 'viewer', render: () => <CertificatesPage /> },
  { pattern: '/admin', min: 'admin', render: () => <AdminPage section="users" /> },
  { pattern: '/admin/:section', min: 'admin', render: (p) => <AdminPage section={p.section!} /> },
];

class Boundary extends Component<{ children: ReactNode; resetKey: string }, { error?: unknown }> {
  state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined });
  }
  componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('view failed', error, info.componentStack);
  }
  render() {
    if (this.state.error)
      return (
        <ErrorState
          error={this.state.error}
          title="This page failed to load"
          onRetry={() => window.location.reload()}
        />
      );
    return this.props.children;
  }
}

function SignedIn({ role }: { role: Role }) {
  const { path } = useRouter();
  useEffect(() => {
    const channels: Channel[] = [
      'events',
      'compliance',
      ...(role === 'admin' ? (['audit'] as Channel[]) : []),
    ];
    live.start(channels);
    return () => live.stop();
  }, [role]);
  let content: ReactNode = undefined;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (!params) continue;
    content = atLeast(role, r.min) ? (
      r.render(params)
    ) : (
      <ErrorState
        error={new Error(`This page needs the ${r.min} role; you are ${role}.`)}
        title="You do not have access to this page"
      />
    );
    break;
  }
  return (
    <Layout>
      <Boundary resetKey={path}>
        <Suspense fallback={<Loading />}>
          {content ?? (
            <div>
              <h1 tabIndex={-1}>Page not found</h1>
              <p>There is no page at {path}.</p>
            </div>
          )}
        </Suspense>
      </Boundary>
    </Layout>
  );
}

function Shell() {
  const { state } = useSessionApi();
  const { path, navigate, query } = useRouter();

  // keep the address bar honest: /login when signed out, back to where the user was after
  useEffect(() => {
    if (state.status === 'signed-out' && path !== '/login') {
      const back = path + window.location.search;
      navigate(back === '/' ? '/login' : `/login?returnTo=${encodeURIComponent(back)}`, { replace: true });
    } else if (state.status === 'signed-in' && path === '/login') {
      const to = query.get('returnTo');
      navigate(to && to.startsWith('/') && !to.startsWith('//') ? to : '/', { replace: true });
    }
  }, [state.status, path, navigate, query]);

  if (state.status === 'loading') return <Loading label="Checking your session…" />;
  if (state.status === 'signed-out') return <LoginPage />;
  if (state.session.mustChangePassword) return <ChangePasswordPage forced />;
  if (path === '/change-password') return <ChangePasswordPage forced={false} />;
  return <SignedIn role={state.session.role} />;
}

export function App() {
  return (
    <RouterProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </RouterProvider>
  );
}
