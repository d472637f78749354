// Asset registry: filters (risk level, lifecycle status, type), full-text search and
// cursor pagination, all kept in the address so a view can be shared and Back works.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { get, qs } from '../api';
import { formatDate, RiskBadge, Score, StatusBadge } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, Loading } from '../components/states';
import { useResource, useThrottled } from '../hooks';
import { useLive } from '../realtime';
import { Link, useRouter } from '../router';
import { useCan } from '../session';
import type { Asset } from '../types';

const PAGE_SIZE = 20;
const RISKS = ['', 'minimal', 'limited', 'high', 'unacceptable'];
const STATUSES = ['', 'draft', 'registered', 'retired'];
const TYPES = ['', 'model', 'agent', 'api_client', 'framework', 'pipeline'];
const SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: '-updatedAt', label: 'Recently updated' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
];

export function AssetsPage() {
  const { query, navigate } = useRouter();
  const canEdit = useCan('editor');
  const filters = {
    q: query.get('q') ?? '',
    riskLevel: query.get('riskLevel') ?? '',
    status: query.get('status') ?? '',
    type: query.get('type') ?? '',
    sort: query.get('sort') ?? '-createdAt',
    scoreBelow: query.get('scoreBelow') ?? '',
  };
  const cursor = query.get('cursor') ?? '';
  // cursors of the pages before this one (Previous), kept per filter set
  const [history, setHistory] = useState<string[]>([]);
  const [search, setSearch] = useState(filters.q);
  useEffect(() => setSearch(filters.q), [filters.q]);

  const key = JSON.stringify(filters);
  const list = useResource(
    (signal) =>
      get<{ items: Asset[]; nextCursor: string | null }>(
        `/api/v1/assets${qs({ ...filters, limit: PAGE_SIZE, cursor: cursor || undefined })}`,
        signal,
      ),
    [key, cursor],
  );
  const reload = useThrottled(list.reload, 150);
  useLive(
    'compliance',
    useCallback(() => reload(), [reload]),
  );

  const go = (next: Partial<typeof filters>, c?: string) => {
    const merged = { ...filters, ...next };
    navigate(
      `/assets${qs({ ...merged, sort: merged.sort === '-createdAt' ? undefined : merged.sort, cursor: c })}`,
    );
  };
  const setFilter = (k: keyof typeof filters, v: string) => {
    setHistory([]);
    go({ [k]: v });
  };
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter('q', search.trim());
  };

  const items = list.data?.items;
  const filtered = Object.entries(filters).some(([k, v]) => k !== 'sort' && v);
  return (
    <div className="page">
      <PageHeader title="Assets" sub="AI systems registered in this organization, with their compliance.">
        {canEdit && (
          <Link className="btn btn-primary" to="/assets/new">
            Register an asset
          </Link>
        )}
      </PageHeader>
      <form className="filters card" role="search" aria-label="Filter assets" onSubmit={onSearch}>
        <div className="field">
          <label htmlFor="asset-search">Search</label>
          <div className="search-row">
            <input
              id="asset-search"
              type="search"
              placeholder="Name, description, owner…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
            <button type="submit" className="btn">
              Search
            </button>
          </div>
        </div>
        <FilterSelect
          label="Risk level"
          value={filters.riskLevel}
          options={RISKS}
          onChange={(v) => setFilter('riskLevel', v)}
        />
        <FilterSelect
          label="Status"
          value={filters.status}
          options={STATUSES}
          onChange={(v) => setFilter('status', v)}
        />
        <FilterSelect
          label="Type"
          value={filters.type}
          options={TYPES}
          onChange={(v) => setFilter('type', v)}
        />
        <div className="field">
          <label htmlFor="asset-sort">Sort</label>
          <select id="asset-sort" value={filters.sort} onChange={(e) => setFilter('sort', e.target.value)}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        {filtered && (
          <button type="button" className="btn btn-link" onClick={() => navigate('/assets')}>
            Clear filters
          </button>
        )}
      </form>

      {list.error !== undefined && !items ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !items ? (
        <Loading label="Loading assets…" />
      ) : items.length === 0 ? (
        <Empty title={filtered ? 'No asset matches these filters.' : 'No assets registered yet.'}>
          {!filtered && canEdit && <Link to="/assets/new">Register the first asset</Link>}
        </Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="assets-table">
            <caption className="visually-hidden">Assets{filtered ? ' matching the filters' : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Risk</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <th scope="col">Compliance</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-asset-id={a.id}>
                  <td>
                    <Link to={`/assets/${encodeURIComponent(a.id)}`}>{a.name}</Link>
                    <div className="muted small">{a.id}</div>
                  </td>
                  <td>
                    <RiskBadge level={a.classification?.riskLevel} />
                  </td>
                  <td>{a.technical?.type}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td>{a.owner?.email}</td>
                  <td>
                    <Score value={a.compliance?.score} />
                  </td>
                  <td>{formatDate(a.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="btn"
              disabled={!cursor}
              onClick={() => {
                const prev = history.slice(0, -1);
                const target = history[history.length - 1];
                setHistory(prev);
                go({}, target || undefined);
              }}
            >
              Previous
            </button>
            <button
              type="button"
              className="btn"
              disabled={!list.data?.nextCursor}
              onClick={() => {
                setHistory((h) => [...h, cursor]);
                go({}, list.data!.nextCursor!);
              }}
            >
              Next
            </button>
            {list.loading && <span className="muted">Refreshing…</span>}
          </nav>
        </div>
      )}
    </div>
  );
}

function FilterSelect({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
}) {
  const id = `filter-${label.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o || 'Any'}
          </option>
        ))}
      </select>
    </div>
  );
}
