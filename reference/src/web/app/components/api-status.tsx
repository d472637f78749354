// The API's health as seen from the browser (GET /api/v1/health through the gateway).
// The harness's web UI scenario reads #api-status ("ok (version x)").
import { useEffect, useState } from 'react';

export function ApiStatus() {
  const [text, setText] = useState('checking…');
  useEffect(() => {
    let stop = false;
    fetch('/api/v1/health', { headers: { Accept: 'application/json' } })
      .then((r) =>
        r.ok
          ? (r.json() as Promise<{ status: string; version: string }>)
          : Promise.reject(new Error(`HTTP ${r.status}`)),
      )
      .then((b) => !stop && setText(`${b.status} (version ${b.version})`))
      .catch((err: Error) => !stop && setText(`unavailable: ${err.message}`));
    return () => {
      stop = true;
    };
  }, []);
  return (
    <p className="api-status">
      API status:{' '}
      <output id="api-status" aria-live="polite">
        {text}
      </output>
    </p>
  );
}
