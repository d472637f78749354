// Register an asset card (POST /api/v1/assets). The api validates the whole card and
// answers every problem with its field path; each lands next to its field.
import { useState, type FormEvent } from 'react';
import { ApiError, fieldErrors, request } from '../api';
import { ProblemList, SelectField, TextArea, TextField } from '../components/fields';
import { PageHeader } from '../components/layout';
import { InlineError } from '../components/states';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import type { Asset } from '../types';

const FIELDS = [
  'id',
  'name',
  'description',
  'owner.name',
  'owner.email',
  'owner.team',
  'technical.type',
  'technical.framework',
  'technical.model',
  'technical.provider',
  'classification.riskLevel',
  'classification.rationale',
  'jurisdictions',
  'goldenThread.system',
  'goldenThread.ref',
  'goldenThread.url',
] as const;
type Field = (typeof FIELDS)[number];

export function AssetNewPage() {
  const session = useSession();
  const { navigate } = useRouter();
  const [v, setV] = useState<Record<Field, string>>(() => ({
    ...(Object.fromEntries(FIELDS.map((f) => [f, ''])) as Record<Field, string>),
    'owner.name': session.user.name,
    'owner.email': session.user.email,
    'technical.type': 'model',
    'classification.riskLevel': 'limited',
    'goldenThread.system': 'jira',
  }));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errs = fieldErrors(error);
  const set = (f: Field) => (e: { target: { value: string } }) =>
    setV((p) => ({ ...p, [f]: e.target.value }));
  const opt = (s: string) => (s.trim() ? s.trim() : undefined);
  const fieldError = (f: Field) =>
    errs[f] ?? Object.entries(errs).find(([k]) => k.startsWith(`${f}[`) || k.startsWith(`${f}.`))?.[1];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const card = {
      id: opt(v.id),
      name: v.name,
      description: opt(v.description),
      owner: { name: v['owner.name'], email: v['owner.email'], team: opt(v['owner.team']) },
      technical: {
        type: v['technical.type'],
        framework: opt(v['technical.framework']),
        model: opt(v['technical.model']),
        provider: opt(v['technical.provider']),
      },
      classification: {
        riskLevel: v['classification.riskLevel'],
        rationale: opt(v['classification.rationale']),
      },
      jurisdictions: v.jurisdictions
        .split(/[,\s]+/)
        .map((j) => j.trim())
        .filter(Boolean),
      goldenThread: v['goldenThread.ref'].trim()
        ? {
            system: v['goldenThread.system'],
            ref: v['goldenThread.ref'].trim(),
            url: opt(v['goldenThread.url']),
          }
        : undefined,
    };
    try {
      const created = await request<Asset>('/api/v1/assets', { json: card });
      navigate(`/assets/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
      // move focus to the first field in error
      window.setTimeout(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
    }
  };

  const placed = new Set(
    Object.keys(errs).filter((k) =>
      FIELDS.some((f) => k === f || k.startsWith(`${f}[`) || k.startsWith(`${f}.`)),
    ),
  );
  const unplaced =
    error instanceof ApiError
      ? error.details.filter((d) => !d.path || !placed.has(d.path.replace(/^body\./, '')))
      : [];
  return (
    <div className="page">
      <PageHeader
        title="Register an asset"
        sub="An asset card describes one AI system: who owns it, what it is, and how risky it is."
      >
        <Link to="/assets" className="btn btn-link">
          Cancel
        </Link>
      </PageHeader>
      <form className="card form" onSubmit={submit} noValidate>
        {error !== undefined && (
          <div role="alert" className="form-errors">
            <InlineError error={error} />
            <ProblemList problems={unplaced} />
          </div>
        )}
        <fieldset>
          <legend>The system</legend>
          <TextField label="Name" required value={v.name} onChange={set('name')} error={fieldError('name')} />
          <TextField
            label="Asset id"
            hint="Optional; generated when empty (aigrc-YYYY-xxxxxxxx)."
            value={v.id}
            onChange={set('id')}
            error={fieldError('id')}
          />
          <TextArea
            label="Description (intended purpose)"
            rows={3}
            value={v.description}
            onChange={set('description')}
            error={fieldError('description')}
          />
        </fieldset>
        <fieldset>
          <legend>Owner</legend>
          <div className="grid-3">
            <TextField
              label="Owner name"
              required
              value={v['owner.name']}
              onChange={set('owner.name')}
              error={fieldError('owner.name')}
            />
            <TextField
              label="Owner e-mail"
              type="email"
              required
              value={v['owner.email']}
              onChange={set('owner.email')}
              error={fieldError('owner.email')}
            />
            <TextField
              label="Team"
              value={v['owner.team']}
              onChange={set('owner.team')}
              error={fieldError('owner.team')}
            />
          </div>
        </fieldset>
        <fieldset>
          <legend>Technical profile</legend>
          <div className="grid-3">
            <SelectField
              label="Type"
              required
              options={['model', 'agent', 'api_client', 'framework', 'pipeline']}
              value={v['technical.type']}
              onChange={set('technical.type')}
              error={fieldError('technical.type')}
            />
            <TextField
              label="Framework"
              value={v['technical.framework']}
              onChange={set('technical.framework')}
              error={fieldError('technical.framework')}
            />
            <TextField
              label="Model"
              value={v['technical.model']}
              onChange={set('technical.model')}
              error={fieldError('technical.model')}
            />
            <TextField
              label="Provider"
              value={v['technical.provider']}
              onChange={set('technical.provider')}
              error={fieldError('technical.provider')}
            />
          </div>
        </fieldset>
        <fieldset>
          <legend>Risk classification</legend>
          <div className="grid-3">
            <SelectField
              label="Risk level"
              required
              options={['minimal', 'limited', 'high', 'unacceptable']}
              value={v['classification.riskLevel']}
              onChange={set('classification.riskLevel')}
              error={fieldError('classification.riskLevel')}
            />
            <TextField
              label="Jurisdictions"
              hint="Comma-separated: country codes (DE, US-CA), EU, EEA or GLOBAL."
              value={v.jurisdictions}
              onChange={set('jurisdictions')}
              error={fieldError('jurisdictions')}
            />
          </div>
          <TextArea
            label="Rationale"
            rows={2}
            value={v['classification.rationale']}
            onChange={set('classification.rationale')}
            error={fieldError('classification.rationale')}
          />
        </fieldset>
        <fieldset>
          <legend>Golden thread (business authorization)</legend>
          <div className="grid-3">
            <SelectField
              label="Ticket system"
              options={['jira', 'ado', 'github', 'gitlab', 'servicenow', 'linear', 'other']}
              value={v['goldenThread.system']}
              onChange={set('goldenThread.system')}
              error={fieldError('goldenThread.system')}
            />
            <TextField
              label="Ticket"
              hint="e.g. PROJ-1234; leave empty if none."
              value={v['goldenThread.ref']}
              onChange={set('goldenThread.ref')}
              error={fieldError('goldenThread.ref')}
            />
            <TextField
              label="Ticket URL"
              type="url"
              value={v['goldenThread.url']}
              onChange={set('goldenThread.url')}
              error={fieldError('goldenThread.url')}
            />
          </div>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Registering…' : 'Register asset'}
          </button>
        </div>
      </form>
    </div>
  );
}
