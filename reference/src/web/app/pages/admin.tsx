// Administration (admins only): members and their roles, the organization and its
// domains, API keys (the secret is shown once, at creation).
import { useState, type FormEvent } from 'react';
import { fieldErrors, get, request } from '../api';
import { SelectField, TextField } from '../components/fields';
import { formatDate } from '../components/format';
import { PageHeader } from '../components/layout';
import { Empty, ErrorState, InlineError, Loading, Notice } from '../components/states';
import { useAction, useResource } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { ApiKey, Member, Organization } from '../types';

const SECTIONS = [
  { id: 'users', label: 'Users and roles' },
  { id: 'organization', label: 'Organization and domains' },
  { id: 'api-keys', label: 'API keys' },
];
const ROLES = ['viewer', 'editor', 'admin'];
const SCOPES = [
  'events:write',
  'events:read',
  'assets:read',
  'assets:write',
  'policies:read',
  'policies:write',
  'compliance:read',
  'compliance:write',
  'evidence:read',
  'evidence:write',
  'reports:read',
  'reports:write',
  'audit:read',
  'org:read',
  'org:admin',
  'certificates:read',
  'certificates:write',
  'agents:write',
];

export function AdminPage({ section }: { section: string }) {
  const current = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0]!;
  return (
    <div className="page">
      <PageHeader title="Administration" sub={current.label} />
      <nav className="tabs" aria-label="Administration sections">
        {SECTIONS.map((s) => (
          <Link key={s.id} to={`/admin/${s.id}`} aria-current={s.id === current.id ? 'page' : undefined}>
            {s.label}
          </Link>
        ))}
      </nav>
      {current.id === 'users' && <Users />}
      {current.id === 'organization' && <OrganizationSection />}
      {current.id === 'api-keys' && <ApiKeys />}
    </div>
  );
}

// ---- users --------------------------------------------------------------------------

function Users() {
  const me = useSession();
  const list = useResource(
    (s) => get<{ items: Member[]; next: string | null }>('/api/v1/users?limit=200', s),
    [],
  );
  const setRole = useAction((u: Member, role: string) =>
    request<Member>(`/api/v1/users/${u.id}`, { method: 'PATCH', json: { role } }),
  );
  const remove = useAction((u: Member) => request(`/api/v1/users/${u.id}`, { method: 'DELETE' }));
  return (
    <>
      <CreateUser onCreated={list.reload} />
      <InlineError error={setRole.error ?? remove.error} />
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading members…" />
      ) : list.data.items.length === 0 ? (
        <Empty title="No members." />
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="users-table">
            <caption className="visually-hidden">Members of the organization</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Member since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((u) => {
                const self = u.id === me.user.id;
                return (
                  <tr key={u.id} data-user-email={u.email}>
                    <td>
                      {u.name}
                      <div className="muted small">{u.email}</div>
                    </td>
                    <td>
                      {self ? (
                        <span>{u.role} (you)</span>
                      ) : (
                        <>
                          <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                            Role of {u.email}
                          </label>
                          <select
                            id={`role-${u.id}`}
                            value={u.role}
                            disabled={setRole.busy}
                            onChange={async (e) => {
                              if (await setRole.run(u, e.target.value)) list.reload();
                            }}
                          >
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        </>
                      )}
                    </td>
                    <td>
                      {u.disabled ? 'disabled' : u.mustChangePassword ? 'must change password' : 'active'}
                    </td>
                    <td>{formatDate(u.memberSince)}</td>
                    <td>
                      {!self && (
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          disabled={remove.busy}
                          onClick={async () => {
                            if (!window.confirm(`Remove ${u.email} from the organization?`)) return;
                            await remove.run(u);
                            list.reload();
                          }}
                        >
                          Remove<span className="visually-hidden"> {u.email}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const create = useAction(() =>
    request<Member>('/api/v1/users', { json: { email, name, role, ...(password ? { password } : {}) } }),
  );
  const errs = fieldErrors(create.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    const u = await create.run();
    if (u) {
      setDone(
        password
          ? `${u.email} was added as ${u.role}. They must change the initial password at first sign-in.`
          : `${u.email} was added as ${u.role}; they sign in through single sign-on.`,
      );
      setEmail('');
      setName('');
      setPassword('');
      onCreated();
    }
  };
  return (
    <form className="card subform" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a member</h2>
      <div className="grid-4">
        <TextField
          label="E-mail"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errs.email}
        />
        <TextField
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errs.name}
        />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value)}
          options={ROLES}
          error={errs.role}
        />
        <TextField
          label="Initial password"
          type="password"
          autoComplete="new-password"
          hint="12+ characters; leave empty for single sign-on users."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errs.password}
        />
      </div>
      {Object.keys(errs).length === 0 && <InlineError error={create.error} />}
      {done && <Notice>{done}</Notice>}
      <button type="submit" className="btn btn-primary" disabled={create.busy}>
        {create.busy ? 'Adding…' : 'Add member'}
      </button>
    </form>
  );
}

// ---- organization -------------------------------------------------------------------

function OrganizationSection() {
  const org = useResource((s) => get<Organization>('/api/v1/organization', s), []);
  const [name, setName] = useState<string | undefined>();
  const [domain, setDomain] = useState('');
  const rename = useAction(() =>
    request<Organization>('/api/v1/organization', { method: 'PATCH', json: { name } }),
  );
  const addDomain = useAction(() => request('/api/v1/organization/domains', { json: { domain } }));
  const removeDomain = useAction((d: string) =>
    request(`/api/v1/organization/domains/${encodeURIComponent(d)}`, { method: 'DELETE' }),
  );
  if (org.error !== undefined && !org.data) return <ErrorState error={org.error} onRetry={org.reload} />;
  if (!org.data) return <Loading label="Loading the organization…" />;
  const o = org.data;
  return (
    <>
      <form
        className="card subform"
        aria-labelledby="org-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await rename.run()) {
            setName(undefined);
            org.reload();
          }
        }}
      >
        <h2 id="org-title">Organization</h2>
        <dl className="dl">
          <dt>Slug</dt>
          <dd>
            <code>{o.slug}</code>
          </dd>
          <dt>Plan</dt>
          <dd>{o.plan}</dd>
          <dt>Created</dt>
          <dd>{formatDate(o.createdAt)}</dd>
        </dl>
        <TextField
          label="Name"
          required
          value={name ?? o.name}
          onChange={(e) => setName(e.target.value)}
          error={fieldErrors(rename.error).name}
        />
        <InlineError error={rename.error} />
        <button
          type="submit"
          className="btn btn-primary"
          disabled={rename.busy || name === undefined || name === o.name}
        >
          Save name
        </button>
      </form>
      <section className="card" aria-labelledby="domains-title">
        <h2 id="domains-title">Domains</h2>
        <p className="muted">
          Single sign-on users join the organization whose <em>verified</em> domain matches their e-mail.
          Domains added here are unverified until an operator verifies them (
          <code>aigos-admin org add-domain --verified true</code>).
        </p>
        {o.domains.length === 0 ? (
          <Empty title="No domains." />
        ) : (
          <ul className="plain-list" data-testid="domains">
            {o.domains.map((d) => (
              <li key={d.domain}>
                {d.domain}{' '}
                <span className={`badge badge-${d.verified ? 'ok' : 'neutral'}`}>
                  {d.verified ? 'verified' : 'unverified'}
                </span>{' '}
                <button
                  type="button"
                  className="btn btn-small btn-link"
                  onClick={async () => {
                    if (!window.confirm(`Remove the domain ${d.domain}?`)) return;
                    await removeDomain.run(d.domain);
                    org.reload();
                  }}
                >
                  Remove<span className="visually-hidden"> {d.domain}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <InlineError error={removeDomain.error} />
        <form
          className="search-row"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await addDomain.run()) {
              setDomain('');
              org.reload();
            }
          }}
        >
          <TextField
            label="Add a domain"
            placeholder="example.com"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            error={fieldErrors(addDomain.error).domain}
          />
          <button type="submit" className="btn" disabled={addDomain.busy || !domain.trim()}>
            Add domain
          </button>
        </form>
        {!fieldErrors(addDomain.error).domain && <InlineError error={addDomain.error} />}
      </section>
    </>
  );
}

// ---- API keys -----------------------------------------------------------------------

function ApiKeys() {
  const list = useResource((s) => get<{ items: ApiKey[] }>('/api/v1/api-keys?includeRevoked=true', s), []);
  const revoke = useAction((k: ApiKey) => request(`/api/v1/api-keys/${k.id}`, { method: 'DELETE' }));
  return (
    <>
      <CreateKey onCreated={list.reload} />
      <InlineError error={revoke.error} />
      {list.error !== undefined && !list.data ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading API keys…" />
      ) : list.data.items.length === 0 ? (
        <Empty title="No API keys yet." />
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="api-keys-table">
            <caption className="visually-hidden">API keys of the organization</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Scopes</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((k) => (
                <tr key={k.id}>
                  <td>
                    {k.name}
                    <div className="muted small">created {formatDate(k.createdAt)}</div>
                  </td>
                  <td>
                    <code>{k.hint}</code>
                  </td>
                  <td>{k.role}</td>
                  <td className="small">{k.scopes.join(', ')}</td>
                  <td>{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
                  <td>{formatDate(k.lastUsedAt)}</td>
                  <td>
                    {k.revokedAt ? (
                      <span className="badge badge-bad">revoked</span>
                    ) : (
                      <span className="badge badge-ok">active</span>
                    )}
                  </td>
                  <td>
                    {!k.revokedAt && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        disabled={revoke.busy}
                        onClick={async () => {
                          if (
                            !window.confirm(
                              `Revoke the API key ${k.name}? Programs using it stop working at once.`,
                            )
                          )
                            return;
                          await revoke.run(k);
                          list.reload();
                        }}
                      >
                        Revoke<span className="visually-hidden"> {k.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('editor');
  const [all, setAll] = useState(false);
  const [scopes, setScopes] = useState<string[]>(['events:write', 'events:read']);
  const [days, setDays] = useState('90');
  const [secret, setSecret] = useState<{ key: string; name: string } | undefined>();
  const [copied, setCopied] = useState(false);
  const create = useAction(() =>
    request<ApiKey & { key: string }>('/api/v1/api-keys', {
      json: { name, role, scopes: all ? ['*'] : scopes, ...(days ? { expiresInDays: Number(days) } : {}) },
    }),
  );
  const errs = fieldErrors(create.error);
  return (
    <form
      className="card subform"
      aria-labelledby="new-key-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setSecret(undefined);
        setCopied(false);
        const r = await create.run();
        if (r) {
          setSecret({ key: r.key, name: r.name });
          setName('');
          onCreated();
        }
      }}
    >
      <h2 id="new-key-title">Create an API key</h2>
      <div className="grid-3">
        <TextField
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errs.name}
          hint="What uses it, e.g. CI scanner."
        />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value)}
          options={ROLES}
          error={errs.role}
        />
        <SelectField
          label="Expires"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          options={[
            { value: '30', label: 'in 30 days' },
            { value: '90', label: 'in 90 days' },
            { value: '365', label: 'in a year' },
            { value: '', label: 'never' },
          ]}
          error={errs.expiresInDays}
        />
      </div>
      <fieldset className="scopes">
        <legend>Scopes</legend>
        <label className="checkbox">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> All scopes (
          <code>*</code>)
        </label>
        {!all &&
          SCOPES.map((s) => (
            <label key={s} className="checkbox">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes((prev) => (e.target.checked ? [...prev, s] : prev.filter((x) => x !== s)))
                }
              />{' '}
              {s}
            </label>
          ))}
        {Object.entries(errs)
          .filter(([k]) => k.startsWith('scopes'))
          .map(([k, m]) => (
            <span key={k} className="field-error">
              {k}: {m}
            </span>
          ))}
      </fieldset>
      {Object.keys(errs).length === 0 && <InlineError error={create.error} />}
      <button
        type="submit"
        className="btn btn-primary"
        disabled={create.busy || (!all && scopes.length === 0)}
      >
        {create.busy ? 'Creating…' : 'Create key'}
      </button>
      {secret && (
        <div className="secret-once" role="status" data-testid="new-api-key">
          <p className="warning">
            This is the only time the key <strong>{secret.name}</strong> is shown. Copy it now; it cannot be
            retrieved later.
          </p>
          <div className="search-row">
            <TextField label="API key" readOnly value={secret.key} onFocus={(e) => e.target.select()} />
            <button
              type="button"
              className="btn"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(secret.key);
                  setCopied(true);
                } catch {
                  setCopied(false);
                }
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          <button type="button" className="btn btn-link" onClick={() => setSecret(undefined)}>
            I have stored it; hide the key
          </button>
        </div>
      )}
    </form>
  );
}
