// The audit trail (administrators): newest first, paged backwards by sequence number,
// with the hash chain's verification shown on top and re-checkable on demand.
import { useCallback, useState, type FormEvent } from 'react';
import { get, qs } from '../api';
import { formatDate, shortHash } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, Loading } from '../components/states';
import { useResource, useThrottled } from '../hooks';
import { useLive } from '../realtime';
import type { AuditRecord, ChainVerification } from '../types';

export function AuditPage() {
  const [before, setBefore] = useState<number[]>([]);
  const [action, setAction] = useState('');
  const [actionInput, setActionInput] = useState('');
  const cursor = before[before.length - 1];
  const list = useResource(
    (s) =>
      get<{ items: AuditRecord[]; nextBefore: number | null }>(
        `/api/v1/audit${qs({ limit: 50, before: cursor, action })}`,
        s,
      ),
    [cursor, action],
  );
  const verify = useResource((s) => get<ChainVerification>('/api/v1/audit/verify', s), []);
  const [newEntries, setNewEntries] = useState(0);
  const reloadFirst = useThrottled(list.reload, 300);
  useLive(
    'audit',
    useCallback(() => {
      if (cursor === undefined) reloadFirst();
      else setNewEntries((n) => n + 1);
    }, [cursor, reloadFirst]),
  );

  const filter = (e: FormEvent) => {
    e.preventDefault();
    setBefore([]);
    setAction(actionInput.trim());
  };

  return (
    <div className="page">
      <PageHeader
        title="Audit log"
        sub="Every change in this organization, hash-chained so that a removed or altered entry shows."
      >
        <a className="btn" href="/api/v1/audit/export" download="audit-trail.ndjson">
          Export (NDJSON)
        </a>
      </PageHeader>
      <section className="card" aria-labelledby="chain-title" data-testid="chain-status">
        <h2 id="chain-title">Chain verification</h2>
        {verify.error !== undefined && !verify.data ? (
          <ErrorState error={verify.error} onRetry={verify.reload} />
        ) : !verify.data ? (
          <Loading label="Verifying the chain…" />
        ) : verify.data.ok ? (
          <p className="chain-ok" data-chain="verified" role="status">
            <span className="badge badge-ok">verified</span> {verify.data.entries} entries, head #
            {verify.data.headSeq ?? 0} <code>{shortHash(verify.data.headHash, 16)}</code> (
            {verify.data.algorithm})
          </p>
        ) : (
          <p className="chain-broken" data-chain="broken" role="alert">
            <span className="badge badge-bad">broken</span> at entry #{verify.data.firstBroken?.seq}:{' '}
            {verify.data.firstBroken?.message}
          </p>
        )}
        <button type="button" className="btn" onClick={verify.reload} disabled={verify.loading}>
          {verify.loading ? 'Checking…' : 'Re-check the chain'}
        </button>
      </section>

      <form className="filters card" role="search" aria-label="Filter the audit log" onSubmit={filter}>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <div className="search-row">
            <input
              id="audit-action"
              placeholder="e.g. asset.created"
              value={actionInput}
              onChange={(e) => setActionInput(e.target.value)}
            />
            <button type="submit" className="btn">
              Filter
            </button>
          </div>
        </div>
      </form>

      {newEntries > 0 && (
        <p className="notice" role="status">
          {newEntries} new entr{newEntries === 1 ? 'y' : 'ies'} since this page.{' '}
          <button
            type="button"
            className="btn btn-link"
            onClick={() => {
              setNewEntries(0);
              setBefore([]);
            }}
          >
            Show newest
          </button>
        </p>
      )}
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading the audit log…" />
      ) : list.data.items.length === 0 ? (
        <Empty title={action ? `No entries with action ${action}.` : 'The audit log is empty.'} />
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="audit-table">
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id}>
                  <td>{r.seq}</td>
                  <td>{formatDate(r.occurredAt)}</td>
                  <td>
                    {r.actor.label ?? r.actor.id ?? '—'}
                    <div className="muted small">
                      {r.actor.type}
                      {r.sourceAddress ? ` from ${r.sourceAddress}` : ''}
                    </div>
                  </td>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td>
                    {r.target.type}
                    {r.target.id ? <div className="muted small">{r.target.id}</div> : null}
                  </td>
                  <td>
                    <code title={`hash ${r.hash}\nprevious ${r.prevHash}`}>{shortHash(r.hash)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="btn"
              disabled={before.length === 0}
              onClick={() => setBefore((b) => b.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="btn"
              disabled={!list.data.nextBefore}
              onClick={() => setBefore((b) => [...b, list.data!.nextBefore!])}
            >
              Older
            </button>
          </nav>
        </div>
      )}
    </div>
  );
}
