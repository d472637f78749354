// Governance overview: assets by risk level, the organization's compliance score and its
// trend, policy packs loaded, open gaps, and governance events arriving live over /ws.
// `data-ready` on the page root (and the performance mark overview-ready) tells tests and
// the benchmark when the first data has rendered.
import { useCallback, useEffect, useRef, useState } from 'react';
import { get } from '../api';
import { BarChart, LineChart } from '../components/chart';
import { formatDate, formatScore, RiskBadge } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, Loading } from '../components/states';
import { useResource, useThrottled } from '../hooks';
import { useLive, type LiveMessage } from '../realtime';
import { Link } from '../router';
import { useCan } from '../session';
import type { ComplianceSummary, GovernanceEvent, HistoryPoint } from '../types';

const RISK_ORDER = ['unacceptable', 'high', 'limited', 'minimal'];
const RISK_BAR: Record<string, string> = {
  unacceptable: 'bar-bad',
  high: 'bar-warn',
  limited: 'bar-info',
  minimal: 'bar-ok',
};

interface OverviewData {
  summary: ComplianceSummary;
  history: HistoryPoint[];
}

export function OverviewPage() {
  const canEdit = useCan('editor');
  const canAdmin = useCan('admin');
  const data = useResource<OverviewData>(async (signal) => {
    const [summary, history] = await Promise.all([
      get<ComplianceSummary>('/api/v1/compliance/summary', signal),
      get<{ items: HistoryPoint[] }>('/api/v1/compliance/history?limit=100', signal),
    ]);
    return { summary, history: history.items };
  }, []);
  const events = useResource(
    (signal) => get<{ events: GovernanceEvent[]; total: number }>('/api/v1/events?limit=10', signal),
    [],
  );
  const [liveEvents, setLiveEvents] = useState<GovernanceEvent[]>([]);
  const [updatedAt, setUpdatedAt] = useState<string | undefined>();

  const reloadSummary = useThrottled(data.reload, 100);
  useLive(
    'compliance',
    useCallback(() => {
      reloadSummary();
      setUpdatedAt(new Date().toISOString());
    }, [reloadSummary]),
  );
  const reloadEvents = events.reload;
  useLive(
    'events',
    useCallback(
      (m: LiveMessage) => {
        if (m.resync) return reloadEvents();
        const e = m.data as unknown as GovernanceEvent | null;
        if (e && typeof e.id === 'string' && typeof e.type === 'string')
          setLiveEvents((prev) => [e, ...prev.filter((x) => x.id !== e.id)].slice(0, 20));
      },
      [reloadEvents],
    ),
  );

  const ready = data.data !== undefined;
  const marked = useRef(false);
  useEffect(() => {
    if (ready && !marked.current) {
      marked.current = true;
      performance.mark('overview-ready');
    }
  }, [ready]);

  const shownEvents = [
    ...liveEvents,
    ...(events.data?.events ?? []).filter((e) => !liveEvents.some((l) => l.id === e.id)),
  ].slice(0, 15);

  return (
    <div className="page" data-ready={ready ? 'true' : undefined} data-testid="overview">
      <PageHeader
        title="Governance overview"
        sub={updatedAt ? `Updated live ${formatDate(updatedAt)}` : undefined}
      >
        {canEdit && (
          <Link className="btn btn-primary" to="/assets/new">
            Register an asset
          </Link>
        )}
      </PageHeader>
      {data.error !== undefined && data.data === undefined ? (
        <ErrorState error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Loading label="Loading the overview…" />
      ) : (
        <Overview d={data.data} canAdmin={canAdmin} canEdit={canEdit} />
      )}

      <section className="card" aria-labelledby="events-title">
        <h2 id="events-title">Recent governance events</h2>
        <p className="muted">New events appear here as they arrive.</p>
        {events.error !== undefined && !events.data ? (
          <ErrorState error={events.error} onRetry={events.reload} />
        ) : !events.data ? (
          <Loading label="Loading events…" />
        ) : shownEvents.length === 0 ? (
          <Empty title="No governance events received yet.">
            <p>AIGRC clients push events to /v1/events with an API key.</p>
          </Empty>
        ) : (
          <table className="table" data-testid="events-table">
            <caption className="visually-hidden">Most recent governance events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Produced</th>
                <th scope="col">Type</th>
                <th scope="col">Criticality</th>
                <th scope="col">Asset</th>
              </tr>
            </thead>
            <tbody aria-live="polite" aria-relevant="additions">
              {shownEvents.map((e) => (
                <tr key={e.id} data-event-id={e.id}>
                  <td>{formatDate(e.producedAt)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    <span
                      className={`badge badge-${e.criticality === 'critical' ? 'bad' : e.criticality === 'high' ? 'warn' : 'neutral'}`}
                    >
                      {e.criticality}
                    </span>
                  </td>
                  <td>
                    <Link to={`/assets/${encodeURIComponent(e.assetId)}`}>{e.assetId}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function Overview({ d, canAdmin, canEdit }: { d: OverviewData; canAdmin: boolean; canEdit: boolean }) {
  const s = d.summary;
  const byRisk = RISK_ORDER.map((r) => ({
    key: r,
    label: r,
    value: s.byRiskLevel.find((x) => x.riskLevel === r)?.assets ?? 0,
    className: RISK_BAR[r],
  }));
  const active = s.byRiskLevel.reduce((n, r) => n + r.assets, 0);
  const trend = [...d.history].reverse().map((h) => ({ at: h.at, value: h.score }));
  const openGaps = s.controls.gaps + s.controls.failed;
  return (
    <>
      <div className="kpis">
        <div className="kpi card">
          <span className="kpi-label" id="kpi-score">
            Compliance score
          </span>
          <span
            className="kpi-value"
            aria-labelledby="kpi-score"
            data-testid="org-score"
            data-score={s.score ?? ''}
          >
            {formatScore(s.score)}
          </span>
          <span className="muted">mean over {s.assets} scored asset(s)</span>
        </div>
        <div className="kpi card">
          <span className="kpi-label" id="kpi-assets">
            Assets
          </span>
          <span className="kpi-value" aria-labelledby="kpi-assets" data-testid="asset-count">
            {active}
          </span>
          <span className="muted">not retired</span>
        </div>
        <div className="kpi card">
          <span className="kpi-label" id="kpi-gaps">
            Open gaps
          </span>
          <span className="kpi-value" aria-labelledby="kpi-gaps" data-testid="open-gaps">
            {openGaps}
          </span>
          <span className="muted">
            {s.controls.gaps} gap(s), {s.controls.failed} failed control(s)
          </span>
        </div>
        <div className="kpi card">
          <span className="kpi-label" id="kpi-packs">
            Policy packs
          </span>
          <span className="kpi-value" aria-labelledby="kpi-packs" data-testid="pack-count">
            {s.packs.length}
          </span>
          <span className="muted">active</span>
        </div>
      </div>
      <div className="grid-2">
        <section className="card" aria-labelledby="trend-title">
          <h2 id="trend-title">Compliance score trend</h2>
          {trend.some((p) => p.value !== null) ? (
            <LineChart points={trend} label="Organization compliance score" />
          ) : (
            <Empty title="No scores recorded yet.">
              <p>Scores appear once assets are evaluated against an active policy pack.</p>
            </Empty>
          )}
        </section>
        <section className="card" aria-labelledby="risk-title">
          <h2 id="risk-title">Assets by risk level</h2>
          {active === 0 ? (
            <Empty title="No assets registered yet.">
              {canEdit && <Link to="/assets/new">Register the first asset</Link>}
            </Empty>
          ) : (
            <>
              <BarChart bars={byRisk} label="Assets by risk level" />
              <ul className="plain-list">
                {s.byRiskLevel.map((r) => (
                  <li key={r.riskLevel}>
                    <RiskBadge level={r.riskLevel} />{' '}
                    <Link to={`/assets?riskLevel=${r.riskLevel}`}>{r.assets} asset(s)</Link>, mean score{' '}
                    {formatScore(r.score)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="packs-title">
        <h2 id="packs-title">Policy packs loaded</h2>
        {s.packs.length === 0 ? (
          <Empty title="No policy pack is active, so nothing is evaluated.">
            {canAdmin ? (
              <Link to="/policies">Load the built-in packs</Link>
            ) : (
              <p>An administrator loads policy packs.</p>
            )}
          </Empty>
        ) : (
          <ul className="pack-list">
            {s.packs.map((p) => (
              <li key={p.id}>
                <Link to={`/policies/${encodeURIComponent(p.id)}`}>{p.name}</Link>{' '}
                <span className="muted">
                  v{p.version}, {p.controls} controls
                </span>
              </li>
            ))}
          </ul>
        )}
        <p className="muted">Last evaluation: {formatDate(s.evaluatedAt)}</p>
      </section>
    </>
  );
}
