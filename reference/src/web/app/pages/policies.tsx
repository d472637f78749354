// Policy packs: the organization's packs and their controls; administrators load the
// built-in packs, (de)activate packs and import a custom pack (YAML or JSON). A pack
// that does not validate is refused as a whole and every problem is listed by its path.
import { useRef, useState } from 'react';
import { ApiError, get, request } from '../api';
import { formatDate, StatusBadge } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, InlineError, Loading, Notice } from '../components/states';
import { useAction, useResource } from '../hooks';
import { Link } from '../router';
import { useCan } from '../session';
import type { PackSummary } from '../types';

export function PoliciesPage() {
  const canAdmin = useCan('admin');
  const packs = useResource((s) => get<{ items: PackSummary[] }>('/api/v1/policy-packs', s), []);
  const [message, setMessage] = useState<string | undefined>();
  const builtIn = useAction(() =>
    request<{ imported?: unknown[] }>('/api/v1/policy-packs/built-in', { json: {} }),
  );
  const toggle = useAction((p: PackSummary) =>
    request(`/api/v1/policy-packs/${encodeURIComponent(p.id)}/${p.active ? 'deactivate' : 'activate'}`, {
      method: 'POST',
      ...(p.active ? {} : { json: { version: p.version } }),
    }),
  );

  return (
    <div className="page">
      <PageHeader
        title="Policy packs"
        sub="Controls every asset is evaluated against. A change of packs re-evaluates every asset."
      >
        {canAdmin && (
          <button
            type="button"
            className="btn btn-primary"
            disabled={builtIn.busy}
            onClick={async () => {
              setMessage(undefined);
              if (await builtIn.run()) {
                setMessage(
                  'The built-in packs (EU AI Act, ISO/IEC 42001, NIST AI RMF) are loaded and active.',
                );
                packs.reload();
              }
            }}
          >
            {builtIn.busy ? 'Loading…' : 'Load built-in packs'}
          </button>
        )}
      </PageHeader>
      <InlineError error={builtIn.error ?? toggle.error} />
      {message && <Notice>{message}</Notice>}
      {packs.error !== undefined && !packs.data ? (
        <ErrorState error={packs.error} onRetry={packs.reload} />
      ) : !packs.data ? (
        <Loading label="Loading policy packs…" />
      ) : packs.data.items.length === 0 ? (
        <Empty title="No policy packs yet.">
          {canAdmin ? (
            <p>Load the built-in packs or import your own below.</p>
          ) : (
            <p>An administrator loads policy packs.</p>
          )}
        </Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="packs-table">
            <caption className="visually-hidden">Policy packs of this organization</caption>
            <thead>
              <tr>
                <th scope="col">Pack</th>
                <th scope="col">Version</th>
                <th scope="col">Source</th>
                <th scope="col">Controls</th>
                <th scope="col">State</th>
                <th scope="col">Imported</th>
                {canAdmin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {packs.data.items.map((p) => (
                <tr key={`${p.id}@${p.version}`} data-pack-id={p.id}>
                  <td>
                    <Link to={`/policies/${encodeURIComponent(p.id)}`}>{p.name}</Link>
                    <div className="muted small">{p.id}</div>
                  </td>
                  <td>{p.version}</td>
                  <td>{p.source}</td>
                  <td>{p.controls}</td>
                  <td>
                    <StatusBadge status={p.active ? 'active' : 'inactive'} />
                  </td>
                  <td>
                    {formatDate(p.createdAt)}
                    <div className="muted small">{p.importedBy}</div>
                  </td>
                  {canAdmin && (
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={toggle.busy}
                        onClick={async () => {
                          if (await toggle.run(p)) packs.reload();
                        }}
                      >
                        {p.active ? 'Deactivate' : 'Activate'}
                        <span className="visually-hidden">
                          {' '}
                          {p.id} {p.version}
                        </span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canAdmin && <ImportPack onImported={packs.reload} />}
    </div>
  );
}

function ImportPack({ onImported }: { onImported: () => void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<string | undefined>();
  const fileRef = useRef<HTMLInputElement>(null);
  const send = useAction((dryRun: boolean) =>
    request<{ dryRun: boolean; imported?: { id: string; version: string }[] }>(
      `/api/v1/policy-packs/import${dryRun ? '?dryRun=true' : ''}`,
      {
        method: 'POST',
        body: text,
        contentType: /^\s*[[{]/.test(text) ? 'application/json' : 'application/yaml',
      },
    ),
  );
  const problems = send.error instanceof ApiError ? send.error.details : [];
  const run = async (dryRun: boolean) => {
    setResult(undefined);
    const r = await send.run(dryRun);
    if (r) {
      setResult(
        dryRun
          ? 'The pack is valid. Nothing was imported.'
          : 'The pack was imported and every asset re-evaluated.',
      );
      if (!dryRun) onImported();
    }
  };
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a custom pack</h2>
      <p className="muted">
        Paste the pack (YAML or JSON, <code>apiVersion: aigos.dev/v1</code>, <code>kind: PolicyPack</code>) or
        choose a file.
      </p>
      <div className="field">
        <label htmlFor="pack-file">Pack file</label>
        <input
          id="pack-file"
          type="file"
          accept=".yaml,.yml,.json"
          ref={fileRef}
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) setText(await f.text());
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="pack-text">Pack definition</label>
        <textarea
          id="pack-text"
          rows={12}
          className="mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </div>
      {problems.length > 0 ? (
        <div role="alert" className="form-errors" data-testid="pack-problems">
          <p className="inline-error">{send.error instanceof Error ? send.error.message : ''}</p>
          <table className="table">
            <caption>Problems, by path in the pack</caption>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {problems.map((p, i) => (
                <tr key={i}>
                  <td>
                    <code>{p.path || '(document)'}</code>
                  </td>
                  <td>{p.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <InlineError error={send.error} />
      )}
      {result && <Notice>{result}</Notice>}
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          disabled={send.busy || !text.trim()}
          onClick={() => void run(true)}
        >
          Validate
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={send.busy || !text.trim()}
          onClick={() => void run(false)}
        >
          Import
        </button>
      </div>
    </section>
  );
}

interface PackControl {
  id: string;
  ref?: string;
  title: string;
  severity?: string;
  requirement?: string;
  appliesWhen?: unknown;
  check?: unknown;
}

export function PolicyDetailPage({ id }: { id: string }) {
  const pack = useResource(
    (s) =>
      get<
        PackSummary & {
          definition: {
            description?: string;
            framework?: { name?: string; reference?: string };
            controls: PackControl[];
          };
        }
      >(`/api/v1/policy-packs/${encodeURIComponent(id)}`, s),
    [id],
  );
  if (pack.error !== undefined && !pack.data)
    return (
      <div className="page">
        <PageHeader title="Policy pack" />
        <ErrorState error={pack.error} onRetry={pack.reload} />
        <Link to="/policies">Back to the policy packs</Link>
      </div>
    );
  if (!pack.data) return <Loading label="Loading the policy pack…" />;
  const p = pack.data;
  return (
    <div className="page">
      <PageHeader
        title={p.name}
        sub={`${p.id} v${p.version} · ${p.source} · ${p.active ? 'active' : 'inactive'}`}
      >
        <Link to="/policies" className="btn btn-link">
          All packs
        </Link>
      </PageHeader>
      {p.definition.description && <p>{p.definition.description}</p>}
      {p.definition.framework?.name && (
        <p className="muted">
          Framework: {p.definition.framework.name}
          {p.definition.framework.reference ? ` (${p.definition.framework.reference})` : ''}
        </p>
      )}
      <div className="card table-wrap">
        <table className="table" data-testid="pack-controls">
          <caption>{p.definition.controls.length} controls</caption>
          <thead>
            <tr>
              <th scope="col">Control</th>
              <th scope="col">Severity</th>
              <th scope="col">Requirement</th>
            </tr>
          </thead>
          <tbody>
            {p.definition.controls.map((c) => (
              <tr key={c.id}>
                <td>
                  <strong>{c.ref ?? c.id}</strong> {c.title}
                </td>
                <td>{c.severity ?? 'medium'}</td>
                <td>
                  {c.requirement}
                  {c.appliesWhen !== undefined && (
                    <div className="muted small">
                      Applies when: <code>{JSON.stringify(c.appliesWhen)}</code>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
