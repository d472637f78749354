// Compliance reports: generate (HTML or JSON, stored in object storage with its SHA-256),
// list and download.
import { useState, type FormEvent } from 'react';
import { get, request } from '../api';
import { SelectField } from '../components/fields';
import { formatBytes, formatDate, formatScore, shortHash } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, InlineError, Loading, Notice } from '../components/states';
import { useAction, useResource } from '../hooks';
import { useCan } from '../session';
import type { Report } from '../types';

export function ReportsPage() {
  const canEdit = useCan('editor');
  const list = useResource((s) => get<{ items: Report[] }>('/api/v1/reports?limit=50', s), []);
  const [format, setFormat] = useState<'html' | 'json'>('html');
  const [includeRetired, setIncludeRetired] = useState(false);
  const [done, setDone] = useState<Report | undefined>();
  const gen = useAction(() => request<Report>('/api/v1/reports', { json: { format, includeRetired } }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    const r = await gen.run();
    if (r) {
      setDone(r);
      list.setData((prev) => (prev ? { items: [r, ...prev.items.filter((x) => x.id !== r.id)] } : prev));
      list.reload();
    }
  };

  return (
    <div className="page">
      <PageHeader
        title="Reports"
        sub="Point-in-time compliance reports of the organization, kept with their SHA-256."
      />
      {canEdit && (
        <form className="card subform" onSubmit={submit} aria-labelledby="gen-title">
          <h2 id="gen-title">Generate a report</h2>
          <div className="grid-3">
            <SelectField
              label="Format"
              value={format}
              onChange={(e) => setFormat(e.target.value as 'html' | 'json')}
              options={[
                { value: 'html', label: 'HTML (for people)' },
                { value: 'json', label: 'JSON (for tools)' },
              ]}
            />
            <label className="checkbox">
              <input
                type="checkbox"
                checked={includeRetired}
                onChange={(e) => setIncludeRetired(e.target.checked)}
              />{' '}
              Include retired assets
            </label>
          </div>
          <InlineError error={gen.error} />
          {done && (
            <Notice>
              Report generated: score {formatScore(done.score)} over {done.assets} asset(s).{' '}
              <a href={done.downloadUrl} download>
                Download it
              </a>
            </Notice>
          )}
          <button type="submit" className="btn btn-primary" disabled={gen.busy}>
            {gen.busy ? 'Generating…' : 'Generate report'}
          </button>
        </form>
      )}
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading reports…" />
      ) : list.data.items.length === 0 ? (
        <Empty title="No reports generated yet." />
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="reports-table">
            <caption className="visually-hidden">Generated reports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Generated</th>
                <th scope="col">Format</th>
                <th scope="col">Score</th>
                <th scope="col">Assets</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id} data-report-id={r.id}>
                  <td>
                    {formatDate(r.createdAt)}
                    <div className="muted small">{r.createdBy}</div>
                  </td>
                  <td>{r.format.toUpperCase()}</td>
                  <td>{formatScore(r.score)}</td>
                  <td>{r.assets}</td>
                  <td>{formatBytes(r.size)}</td>
                  <td>
                    <code title={r.sha256}>{shortHash(r.sha256)}</code>
                  </td>
                  <td>
                    <a className="btn btn-small" href={r.downloadUrl} download>
                      Download
                      <span className="visually-hidden"> the report of {formatDate(r.createdAt)}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
