// CGA certificates: the organization's certificates (GraphQL `certificates`, the only
// listing the control plane offers), issue one for a compliant asset, check a status,
// revoke. Issuance, status and revocation are the CA service's routes through the
// gateway (/ca/api/v1/certificates/*).
import { useState, type FormEvent } from 'react';
import { ApiError, describeError, get, graphql, request } from '../api';
import { SelectField, TextArea, TextField } from '../components/fields';
import { formatDate, formatScore, shortHash, StatusBadge } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, InlineError, Loading, Notice } from '../components/states';
import { useAction, useResource } from '../hooks';
import { Link, useRouter } from '../router';
import { useCan } from '../session';
import type { Asset, Certificate } from '../types';

const LEVELS = ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'];
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
];
const PAGE = 20;

interface CaStatus extends Certificate {
  issuedBy?: string;
}

interface Issued extends CaStatus {
  certificate: string;
  chain: string;
  fingerprintSha256: string;
  privateKey?: string;
}

/** The CA's own error explained (a CA without keys, or one that takes API keys only). */
function caError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'CA_NOT_CONFIGURED')
    return `${err.message}. The deployment's operator must provision the CA before certificates can be issued.`;
  if (err instanceof ApiError && err.status === 401)
    return `The certificate authority did not accept your dashboard session (${err.message}).`;
  return describeError(err);
}

export function CertificatesPage() {
  const canEdit = useCan('editor');
  const { query } = useRouter();
  const [offset, setOffset] = useState(0);
  const list = useResource(
    (s) =>
      graphql<{ certificates: { certificates: Certificate[]; total: number } | null }>(
        `
          query Certificates($limit: Int, $offset: Int) {
            certificates(limit: $limit, offset: $offset) {
              total
              certificates {
                id
                assetId
                serial
                subject
                governanceLevel
                complianceScore
                status
                notBefore
                notAfter
                issuedAt
                revokedAt
                revocationReason
              }
            }
          }
        `,
        { limit: PAGE, offset },
        s,
      ),
    [offset],
  );
  const page = list.data?.certificates;
  return (
    <div className="page">
      <PageHeader
        title="Certificates"
        sub="Certified Governed Agent (CGA) certificates issued to compliant assets."
      />
      {canEdit && <IssueForm initialAsset={query.get('assetId') ?? ''} onIssued={list.reload} />}
      <StatusCheck />
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading certificates…" />
      ) : !page || page.certificates.length === 0 ? (
        <Empty title="No certificates issued yet." />
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="certificates-table">
            <caption className="visually-hidden">Certificates of this organization</caption>
            <thead>
              <tr>
                <th scope="col">Asset</th>
                <th scope="col">Level</th>
                <th scope="col">Score</th>
                <th scope="col">Serial</th>
                <th scope="col">Status</th>
                <th scope="col">Valid until</th>
                {canEdit && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {page.certificates.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/assets/${encodeURIComponent(c.assetId)}`}>{c.assetId}</Link>
                  </td>
                  <td>{c.governanceLevel}</td>
                  <td>{formatScore(c.complianceScore)}</td>
                  <td>
                    <code title={c.serial}>{shortHash(c.serial, 16)}</code>
                  </td>
                  <td>
                    <StatusBadge status={c.status} />
                    {c.revokedAt && (
                      <div className="muted small">
                        {c.revocationReason} {formatDate(c.revokedAt)}
                      </div>
                    )}
                  </td>
                  <td>{formatDate(c.notAfter)}</td>
                  {canEdit && <td>{c.status === 'active' && <Revoke cert={c} onRevoked={list.reload} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="btn"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - PAGE))}
            >
              Previous
            </button>
            <span className="muted">
              {offset + 1}–{offset + page.certificates.length} of {page.total}
            </span>
            <button
              type="button"
              className="btn"
              disabled={offset + PAGE >= page.total}
              onClick={() => setOffset(offset + PAGE)}
            >
              Next
            </button>
          </nav>
        </div>
      )}
    </div>
  );
}

function IssueForm({ initialAsset, onIssued }: { initialAsset: string; onIssued: () => void }) {
  const assets = useResource(
    (s) => get<{ items: Asset[] }>('/api/v1/assets?limit=200&status=registered&sort=name', s),
    [],
  );
  const [assetId, setAssetId] = useState(initialAsset);
  const [level, setLevel] = useState('BRONZE');
  const [issued, setIssued] = useState<Issued | undefined>();
  const issue = useAction(() =>
    request<Issued>('/ca/api/v1/certificates/sign', {
      json: { agent: { assetId, governanceLevel: level } },
      sessionBound: false,
    }),
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setIssued(undefined);
    const r = await issue.run();
    if (r) {
      setIssued(r);
      onIssued();
    }
  };
  const options = (assets.data?.items ?? []).map((a) => ({
    value: a.id,
    label: `${a.name} (${a.id}) — score ${formatScore(a.compliance?.score)}`,
  }));
  return (
    <form className="card subform" onSubmit={submit} aria-labelledby="issue-title">
      <h2 id="issue-title">Issue a certificate</h2>
      <p className="muted">
        Only registered assets whose compliance score meets the CA's threshold are certified; the CA checks.
      </p>
      {assets.error !== undefined && <ErrorState error={assets.error} onRetry={assets.reload} />}
      <div className="grid-3">
        <SelectField
          label="Asset"
          required
          value={assetId}
          onChange={(e) => setAssetId(e.target.value)}
          options={[
            {
              value: '',
              label: assets.data
                ? options.length
                  ? 'Choose a registered asset'
                  : 'No registered assets'
                : 'Loading…',
            },
            ...options,
          ]}
        />
        <SelectField
          label="Governance level"
          value={level}
          onChange={(e) => setLevel(e.target.value)}
          options={LEVELS}
        />
      </div>
      {issue.error !== undefined && (
        <p className="inline-error" role="alert">
          {caError(issue.error)}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={issue.busy || !assetId}>
        {issue.busy ? 'Issuing…' : 'Issue certificate'}
      </button>
      {issued && (
        <div className="secret-once" role="status">
          <p>
            Certificate <code>{issued.serial}</code> issued for {issued.assetId}, valid until{' '}
            {formatDate(issued.notAfter)}.
          </p>
          <TextArea label="Certificate (PEM)" readOnly rows={6} className="mono" value={issued.certificate} />
          {issued.privateKey && (
            <>
              <p className="warning">
                The private key is shown only now. Store it securely; the control plane keeps no copy.
              </p>
              <TextArea
                label="Private key (PEM)"
                readOnly
                rows={6}
                className="mono"
                value={issued.privateKey}
              />
            </>
          )}
        </div>
      )}
    </form>
  );
}

function StatusCheck() {
  const [idOrSerial, setIdOrSerial] = useState('');
  const [status, setStatus] = useState<CaStatus | undefined>();
  const check = useAction(() =>
    request<CaStatus>(`/ca/api/v1/certificates/${encodeURIComponent(idOrSerial.trim())}/status`, {
      sessionBound: false,
    }),
  );
  return (
    <form
      className="card subform"
      aria-labelledby="status-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setStatus(undefined);
        const r = await check.run();
        if (r) setStatus(r);
      }}
    >
      <h2 id="status-title">Check a certificate's status</h2>
      <div className="search-row">
        <TextField
          label="Certificate id or serial"
          value={idOrSerial}
          onChange={(e) => setIdOrSerial(e.target.value)}
          required
        />
        <button type="submit" className="btn" disabled={check.busy || !idOrSerial.trim()}>
          Check
        </button>
      </div>
      {check.error !== undefined && (
        <p className="inline-error" role="alert">
          {caError(check.error)}
        </p>
      )}
      {status && (
        <Notice>
          <StatusBadge status={status.status} /> {status.assetId}, {status.governanceLevel}, valid{' '}
          {formatDate(status.notBefore)} – {formatDate(status.notAfter)}
          {status.revokedAt ? `, revoked ${formatDate(status.revokedAt)} (${status.revocationReason})` : ''}
        </Notice>
      )}
    </form>
  );
}

function Revoke({ cert, onRevoked }: { cert: Certificate; onRevoked: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('superseded');
  const act = useAction(() =>
    request('/ca/api/v1/certificates/revoke', { json: { id: cert.id, reason }, sessionBound: false }),
  );
  if (!open)
    return (
      <button type="button" className="btn btn-small btn-danger" onClick={() => setOpen(true)}>
        Revoke<span className="visually-hidden"> the certificate of {cert.assetId}</span>
      </button>
    );
  return (
    <div className="inline-form">
      <SelectField
        label="Reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        options={REASONS}
      />
      <button
        type="button"
        className="btn btn-small btn-danger"
        disabled={act.busy}
        onClick={async () => {
          if (await act.run()) {
            setOpen(false);
            onRevoked();
          }
        }}
      >
        Confirm revocation
      </button>
      <button type="button" className="btn btn-small btn-link" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {act.error !== undefined && <InlineError error={new Error(caError(act.error))} />}
    </div>
  );
}
