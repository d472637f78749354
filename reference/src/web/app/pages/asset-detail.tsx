// One asset: its card, lifecycle, compliance per control with the reason, evidence
// (upload, download), governance events and certificate status. Compliance reloads live
// when the api publishes a change on the compliance channel.
import { useCallback, useRef, useState, type FormEvent } from 'react';
import { ApiError, describeError, fieldErrors, get, graphql, qs, request } from '../api';
import { SelectField, TextField } from '../components/fields';
import { formatBytes, formatDate, RiskBadge, Score, shortHash, StatusBadge } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, InlineError, Loading, Notice } from '../components/states';
import { useAction, useResource, useThrottled } from '../hooks';
import { useLive } from '../realtime';
import { Link } from '../router';
import { useCan } from '../session';
import type { Asset, AssetComplianceDetail, Certificate, Evidence, GovernanceEvent } from '../types';

const EVIDENCE_KINDS = [
  'risk-assessment',
  'data-governance',
  'technical-documentation',
  'logging-records',
  'human-oversight',
  'accuracy-testing',
  'conformity-assessment',
  'impact-assessment',
  'model-card',
  'other',
];

export function AssetDetailPage({ id }: { id: string }) {
  const path = `/api/v1/assets/${encodeURIComponent(id)}`;
  const asset = useResource((s) => get<Asset>(path, s), [id]);
  const compliance = useResource(
    (s) => get<AssetComplianceDetail>(`/api/v1/compliance/assets/${encodeURIComponent(id)}`, s),
    [id],
  );
  const reloadAsset = asset.reload;
  const reloadCompliance = compliance.reload;
  const refresh = useThrottled(
    useCallback(() => {
      reloadAsset();
      reloadCompliance();
    }, [reloadAsset, reloadCompliance]),
    100,
  );
  useLive(
    'compliance',
    useCallback(() => refresh(), [refresh]),
  );

  if (asset.error !== undefined && !asset.data)
    return (
      <div className="page">
        <PageHeader title="Asset" />
        <ErrorState
          error={asset.error}
          title={
            asset.error instanceof ApiError && asset.error.status === 404
              ? 'This asset does not exist'
              : undefined
          }
          onRetry={asset.reload}
        />
        <Link to="/assets">Back to the assets</Link>
      </div>
    );
  if (!asset.data)
    return (
      <div className="page">
        <Loading label="Loading the asset…" />
      </div>
    );
  const a = asset.data;
  return (
    <div className="page" data-testid="asset-detail" data-asset-id={a.id}>
      <PageHeader title={a.name} sub={<code>{a.id}</code>}>
        <Lifecycle asset={a} onChanged={refresh} />
      </PageHeader>
      <div className="grid-2">
        <CardSummary a={a} />
        <section className="card" aria-labelledby="cmp-title">
          <h2 id="cmp-title">Compliance</h2>
          {compliance.data ? (
            <ComplianceHeadline c={compliance.data} />
          ) : compliance.error !== undefined ? (
            <ErrorState error={compliance.error} onRetry={compliance.reload} />
          ) : (
            <Loading />
          )}
          <CertificateStatus assetId={a.id} />
        </section>
      </div>
      <section className="card" aria-labelledby="controls-title">
        <h2 id="controls-title">Controls</h2>
        {compliance.data ? (
          <Controls c={compliance.data} />
        ) : compliance.error !== undefined ? null : (
          <Loading />
        )}
      </section>
      <EvidenceSection asset={a} controls={compliance.data} onChanged={refresh} />
      <EventsSection assetId={a.id} />
    </div>
  );
}

function Lifecycle({ asset, onChanged }: { asset: Asset; onChanged: () => void }) {
  const canEdit = useCan('editor');
  const act = useAction((status: 'registered' | 'retired') =>
    request(`/api/v1/assets/${encodeURIComponent(asset.id)}/lifecycle`, { json: { status } }),
  );
  if (!canEdit) return null;
  const next =
    asset.status === 'draft' ? 'registered' : asset.status === 'registered' ? 'retired' : undefined;
  if (!next) return null;
  return (
    <div className="inline-actions">
      <button
        type="button"
        className={`btn ${next === 'retired' ? 'btn-danger' : 'btn-primary'}`}
        disabled={act.busy}
        onClick={async () => {
          if (
            next === 'retired' &&
            !window.confirm(`Retire ${asset.name}? A retired asset can no longer change.`)
          )
            return;
          if (await act.run(next)) onChanged();
        }}
      >
        {next === 'registered' ? 'Register' : 'Retire'}
      </button>
      <InlineError error={act.error} />
    </div>
  );
}

function CardSummary({ a }: { a: Asset }) {
  return (
    <section className="card" aria-labelledby="card-title">
      <h2 id="card-title">Asset card</h2>
      {a.description && <p>{a.description}</p>}
      <dl className="dl">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={a.status} /> <span className="muted">revision {a.revision}</span>
        </dd>
        <dt>Risk level</dt>
        <dd>
          <RiskBadge level={a.classification.riskLevel} />
          {a.classification.rationale && <div className="muted">{a.classification.rationale}</div>}
        </dd>
        <dt>Type</dt>
        <dd>
          {a.technical.type}
          {a.technical.framework ? `, ${a.technical.framework}` : ''}
          {a.technical.model ? `, model ${a.technical.model}` : ''}
          {a.technical.provider ? ` (${a.technical.provider})` : ''}
        </dd>
        <dt>Owner</dt>
        <dd>
          {a.owner.name} &lt;{a.owner.email}&gt;{a.owner.team ? `, ${a.owner.team}` : ''}
        </dd>
        <dt>Jurisdictions</dt>
        <dd>{a.jurisdictions.length ? a.jurisdictions.join(', ') : 'none given'}</dd>
        <dt>Golden thread</dt>
        <dd>
          {a.goldenThread ? (
            a.goldenThread.url ? (
              <a href={a.goldenThread.url} rel="noreferrer noopener" target="_blank">
                {a.goldenThread.system} {a.goldenThread.ref}
              </a>
            ) : (
              `${a.goldenThread.system} ${a.goldenThread.ref}`
            )
          ) : (
            'not linked'
          )}
        </dd>
        <dt>Governance</dt>
        <dd>
          {a.governance.status}, {a.governance.approvals.length} approval(s)
        </dd>
        <dt>Updated</dt>
        <dd>{formatDate(a.updatedAt)}</dd>
      </dl>
    </section>
  );
}

function ComplianceHeadline({ c }: { c: AssetComplianceDetail }) {
  return (
    <div
      data-testid="asset-compliance"
      data-score={c.score ?? ''}
      data-evaluated-at={c.evaluatedAt ?? ''}
      data-gaps={c.gaps}
      data-passed={c.passed}
    >
      <p className="big-score">
        <Score value={c.score} />
      </p>
      <p>
        {c.passed} passed, {c.failed} failed, {c.gaps} gap(s), {c.notApplicable} not applicable.
      </p>
      <p className="muted">Evaluated {formatDate(c.evaluatedAt)}</p>
    </div>
  );
}

function Controls({ c }: { c: AssetComplianceDetail }) {
  const [showNa, setShowNa] = useState(false);
  const rows = c.results.filter((r) => showNa || r.applicable);
  if (c.results.length === 0)
    return (
      <Empty title="No controls evaluated.">
        <p>
          No policy pack is active. <Link to="/policies">Policy packs</Link>
        </p>
      </Empty>
    );
  return (
    <>
      <label className="checkbox">
        <input type="checkbox" checked={showNa} onChange={(e) => setShowNa(e.target.checked)} /> Show controls
        that do not apply ({c.notApplicable})
      </label>
      <div className="table-wrap">
        <table className="table" data-testid="controls-table">
          <caption className="visually-hidden">Result of each control for this asset</caption>
          <thead>
            <tr>
              <th scope="col">Pack</th>
              <th scope="col">Control</th>
              <th scope="col">Severity</th>
              <th scope="col">Result</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={`${r.packId}/${r.controlId}`}
                data-control={`${r.packId}/${r.controlId}`}
                data-status={r.applicable ? r.status : 'n/a'}
              >
                <td>{r.packId}</td>
                <td>
                  <strong>{r.ref}</strong> {r.title}
                </td>
                <td>{r.severity}</td>
                <td>
                  <StatusBadge status={r.applicable ? r.status : 'n/a'} />
                </td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function CertificateStatus({ assetId }: { assetId: string }) {
  const certs = useResource(
    (s) =>
      graphql<{ certificates: { certificates: Certificate[]; total: number } | null }>(
        `
          query AssetCertificates($assetId: String) {
            certificates(assetId: $assetId, limit: 5) {
              total
              certificates {
                id
                serial
                status
                governanceLevel
                notAfter
                complianceScore
              }
            }
          }
        `,
        { assetId },
        s,
      ),
    [assetId],
  );
  return (
    <div className="cert-status" data-testid="certificate-status">
      <h3>Certificate</h3>
      {certs.error !== undefined ? (
        <p className="muted">Certificate status unavailable: {describeError(certs.error)}</p>
      ) : !certs.data ? (
        <Loading label="Checking certificates…" />
      ) : !certs.data.certificates?.certificates.length ? (
        <p>
          No certificate issued.{' '}
          <Link to={`/certificates?assetId=${encodeURIComponent(assetId)}`}>Certificates</Link>
        </p>
      ) : (
        <ul className="plain-list">
          {certs.data.certificates.certificates.map((c) => (
            <li key={c.id}>
              <StatusBadge status={c.status} /> {c.governanceLevel}, serial{' '}
              <code>{shortHash(c.serial, 16)}</code>, valid until {formatDate(c.notAfter)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function EvidenceSection({
  asset,
  controls,
  onChanged,
}: {
  asset: Asset;
  controls?: AssetComplianceDetail;
  onChanged: () => void;
}) {
  const canEdit = useCan('editor');
  const canDelete = useCan('admin');
  const list = useResource(
    (s) => get<{ items: Evidence[] }>(`/api/v1/assets/${encodeURIComponent(asset.id)}/evidence`, s),
    [asset.id],
  );
  const [kind, setKind] = useState('risk-assessment');
  const [control, setControl] = useState('');
  const [description, setDescription] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const fileRef = useRef<HTMLInputElement>(null);
  const upload = useAction(async (form: FormData) =>
    request<Evidence>(`/api/v1/assets/${encodeURIComponent(asset.id)}/evidence`, { body: form }),
  );
  const remove = useAction((e: Evidence) => request(`/api/v1/evidence/${e.id}`, { method: 'DELETE' }));
  const errs = fieldErrors(upload.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    const file = fileRef.current?.files?.[0];
    if (!file) {
      upload.setError(
        new ApiError(400, 'VALIDATION_FAILED', 'Choose a file to upload.', [
          { path: 'file', message: 'choose a file' },
        ]),
      );
      return;
    }
    const form = new FormData();
    form.append('kind', kind);
    if (control) {
      const [packId, controlId] = control.split('/');
      form.append('packId', packId!);
      form.append('controlId', controlId!);
    }
    if (description.trim()) form.append('description', description.trim());
    form.append('file', file, file.name);
    const r = await upload.run(form);
    if (r) {
      setDone(`Uploaded ${r.filename} (SHA-256 ${shortHash(r.sha256, 16)}).`);
      setDescription('');
      if (fileRef.current) fileRef.current.value = '';
      list.reload();
      onChanged();
    }
  };

  const applicable = controls?.results.filter((r) => r.applicable) ?? [];
  const retired = asset.status === 'retired';
  return (
    <section className="card" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading evidence…" />
      ) : list.data.items.length === 0 ? (
        <Empty title="No evidence uploaded for this asset." />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="evidence-table">
            <caption className="visually-hidden">Evidence files of this asset</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Kind</th>
                <th scope="col">Control</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Uploaded</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.id} data-evidence-id={e.id}>
                  <td>
                    <a href={e.downloadUrl} download={e.filename}>
                      {e.filename}
                    </a>
                    {e.description && <div className="muted small">{e.description}</div>}
                  </td>
                  <td>{e.kind}</td>
                  <td>{e.controlId ? `${e.packId} ${e.controlId}` : '—'}</td>
                  <td>{formatBytes(e.size)}</td>
                  <td>
                    <code title={e.sha256}>{shortHash(e.sha256)}</code>
                  </td>
                  <td>
                    {formatDate(e.createdAt)}
                    <div className="muted small">{e.uploadedBy}</div>
                  </td>
                  <td>
                    {canDelete && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Delete ${e.filename}`}
                        disabled={remove.busy}
                        onClick={async () => {
                          if (!window.confirm(`Delete the evidence ${e.filename}?`)) return;
                          await remove.run(e);
                          list.reload();
                          onChanged();
                        }}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <InlineError error={remove.error} />
      {canEdit && !retired && (
        <form className="subform" onSubmit={submit} aria-labelledby="upload-title">
          <h3 id="upload-title">Upload evidence</h3>
          <div className="grid-3">
            <div className={`field${errs.kind ? ' has-error' : ''}`}>
              <label htmlFor="evidence-kind">Kind</label>
              <input
                id="evidence-kind"
                list="evidence-kinds"
                value={kind}
                onChange={(e) => setKind(e.target.value)}
                required
                aria-invalid={errs.kind ? true : undefined}
              />
              <datalist id="evidence-kinds">
                {EVIDENCE_KINDS.map((k) => (
                  <option key={k} value={k} />
                ))}
              </datalist>
              {errs.kind && <span className="field-error">{errs.kind}</span>}
            </div>
            <SelectField
              label="For control (optional)"
              value={control}
              onChange={(e) => setControl(e.target.value)}
              error={errs.controlId}
              options={[
                { value: '', label: 'Any control of this kind' },
                ...applicable.map((r) => ({
                  value: `${r.packId}/${r.controlId}`,
                  label: `${r.packId}: ${r.ref} ${r.title}`,
                })),
              ]}
            />
            <TextField
              label="Description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              error={errs.description}
            />
          </div>
          <div className={`field${errs.file ? ' has-error' : ''}`}>
            <label htmlFor="evidence-file">File</label>
            <input
              id="evidence-file"
              type="file"
              ref={fileRef}
              required
              accept=".pdf,.png,.jpg,.jpeg,.txt,.md,.csv,.json,.yaml,.yml,.docx,.xlsx"
            />
            <span className="hint">PDF, image, text, Markdown, CSV, JSON, YAML or Office documents.</span>
            {errs.file && <span className="field-error">{errs.file}</span>}
          </div>
          {!errs.file && !errs.kind && <InlineError error={upload.error} />}
          {done && <Notice>{done}</Notice>}
          <button type="submit" className="btn btn-primary" disabled={upload.busy}>
            {upload.busy ? 'Uploading…' : 'Upload'}
          </button>
        </form>
      )}
    </section>
  );
}

function EventsSection({ assetId }: { assetId: string }) {
  const events = useResource(
    (s) =>
      get<{ events: GovernanceEvent[]; total: number }>(`/api/v1/events${qs({ assetId, limit: 10 })}`, s),
    [assetId],
  );
  const reload = useThrottled(events.reload, 200);
  useLive(
    'events',
    useCallback(
      (m) => {
        if (m.resync || (m.data && m.data.assetId === assetId)) reload();
      },
      [assetId, reload],
    ),
  );
  return (
    <section className="card" aria-labelledby="asset-events-title">
      <h2 id="asset-events-title">Governance events</h2>
      {events.error !== undefined && !events.data ? (
        <ErrorState error={events.error} onRetry={events.reload} />
      ) : !events.data ? (
        <Loading label="Loading events…" />
      ) : events.data.events.length === 0 ? (
        <Empty title="No governance events for this asset yet." />
      ) : (
        <>
          <table className="table">
            <caption className="visually-hidden">Latest governance events of this asset</caption>
            <thead>
              <tr>
                <th scope="col">Produced</th>
                <th scope="col">Type</th>
                <th scope="col">Category</th>
                <th scope="col">Criticality</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {events.data.events.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.producedAt)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{e.category}</td>
                  <td>{e.criticality}</td>
                  <td>{e.source?.tool ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">
            Showing {events.data.events.length} of {events.data.total}.
          </p>
        </>
      )}
    </section>
  );
}
