// Hand-written SVG charts (no chart library): a line chart for the compliance trend and
// horizontal bars for assets by risk level. Geometry is set with SVG attributes only, so
// the strict CSP (no inline styles) holds; each chart has a text alternative.

export interface Point {
  at: string;
  value: number | null;
}

export function LineChart({
  points,
  label,
  height = 180,
  width = 560,
  min = 0,
  max = 100,
}: {
  points: Point[];
  label: string;
  height?: number;
  width?: number;
  min?: number;
  max?: number;
}) {
  const pad = { l: 36, r: 12, t: 10, b: 26 };
  const valid = points.filter((p): p is { at: string; value: number } => p.value !== null);
  const times = valid.map((p) => new Date(p.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const span = t1 - t0 || 1;
  const x = (t: number) =>
    valid.length === 1
      ? pad.l + (width - pad.l - pad.r) / 2
      : pad.l + ((t - t0) / span) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - min) / (max - min)) * (height - pad.t - pad.b);
  const path = valid
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(times[i]!).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join(' ');
  const last = valid[valid.length - 1];
  const first = valid[0];
  const summary = last
    ? `${label}: ${valid.length} measurement(s); latest ${last.value.toFixed(1)} on ${new Date(last.at).toLocaleString()}${
        first && first !== last
          ? `, first ${first.value.toFixed(1)} on ${new Date(first.at).toLocaleString()}`
          : ''
      }.`
    : `${label}: no measurements yet.`;
  const ticks = [min, (min + max) / 2, max];
  const fmt = (t: number) =>
    new Date(t).toLocaleString(undefined, {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        <title>{summary}</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.l} x2={width - pad.r} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={pad.l - 6} y={y(t) + 4} textAnchor="end" className="chart-label">
              {t}
            </text>
          </g>
        ))}
        {valid.length > 1 && <path d={path} className="chart-line" fill="none" />}
        {valid.map((p, i) => (
          <circle
            key={`${p.at}-${i}`}
            cx={x(times[i]!)}
            cy={y(p.value)}
            r={valid.length > 40 ? 1.5 : 3}
            className="chart-dot"
          />
        ))}
        {valid.length > 0 && (
          <>
            <text x={pad.l} y={height - 6} className="chart-label">
              {fmt(t0)}
            </text>
            {valid.length > 1 && (
              <text x={width - pad.r} y={height - 6} textAnchor="end" className="chart-label">
                {fmt(t1)}
              </text>
            )}
          </>
        )}
      </svg>
      <figcaption className="visually-hidden">{summary}</figcaption>
    </figure>
  );
}

export function BarChart({
  bars,
  label,
  width = 420,
}: {
  bars: { key: string; label: string; value: number; className?: string }[];
  label: string;
  width?: number;
}) {
  const row = 30;
  const labelW = 110;
  const height = bars.length * row + 4;
  const maxV = Math.max(1, ...bars.map((b) => b.value));
  const summary = `${label}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} className="chart">
      <title>{summary}</title>
      {bars.map((b, i) => {
        const w = ((width - labelW - 40) * b.value) / maxV;
        return (
          <g key={b.key} transform={`translate(0, ${i * row + 2})`}>
            <text x={0} y={18} className="chart-label chart-label-strong">
              {b.label}
            </text>
            <rect
              x={labelW}
              y={4}
              width={Math.max(w, b.value > 0 ? 2 : 0)}
              height={row - 10}
              rx={3}
              className={`chart-bar ${b.className ?? ''}`}
            />
            <text x={labelW + w + 6} y={18} className="chart-label">
              {b.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
