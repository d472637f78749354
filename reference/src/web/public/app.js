// Shows whether the API answers through the gateway.
const out = document.getElementById('api-status');
fetch('/api/v1/health', { headers: { Accept: 'application/json' } })
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then((body) => {
    out.textContent = `${body.status} (version ${body.version})`;
  })
  .catch((err) => {
    out.textContent = `unavailable: ${err.message}`;
  });
