// Small presentational helpers: dates, sizes, scores and badges (text plus colour, never colour alone).
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatScore(s: number | null | undefined): string {
  return s === null || s === undefined ? '—' : `${Math.round(s * 10) / 10}`;
}

export function shortHash(h: string | null | undefined, n = 12): string {
  if (!h) return '—';
  return h.length > n ? `${h.slice(0, n)}…` : h;
}

const RISK_CLASS: Record<string, string> = {
  minimal: 'ok',
  limited: 'info',
  high: 'warn',
  unacceptable: 'bad',
};

export function RiskBadge({ level }: { level: string | null | undefined }) {
  if (!level) return <span className="badge">unknown</span>;
  return <span className={`badge badge-${RISK_CLASS[level] ?? 'neutral'}`}>{level}</span>;
}

const STATUS_CLASS: Record<string, string> = {
  pass: 'ok',
  fail: 'bad',
  gap: 'warn',
  'n/a': 'neutral',
  active: 'ok',
  revoked: 'bad',
  expired: 'warn',
  registered: 'ok',
  draft: 'info',
  retired: 'neutral',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${STATUS_CLASS[status] ?? 'neutral'}`}>{status}</span>;
}

/** A score with a meter; the number is always shown as text. */
export function Score({ value }: { value: number | null | undefined }) {
  if (value === null || value === undefined) return <span className="muted">not scored</span>;
  const cls = value >= 80 ? 'ok' : value >= 70 ? 'warn' : 'bad';
  return (
    <span className="score">
      <meter
        min={0}
        max={100}
        low={70}
        high={80}
        optimum={100}
        value={value}
        aria-hidden="true"
        className={`meter-${cls}`}
      />
      <span>{formatScore(value)}</span>
    </span>
  );
}
