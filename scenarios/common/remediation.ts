// Remediation hints. The starting point is the seed's troubleshooting table (CP-02
// §9.1); each hint names the symptom's usual cause and the first thing to do.

export const TROUBLESHOOTING = {
  database:
    'Database connection failed (seed 9.1): check DB_PASSWORD / DATABASE_URL and that PostgreSQL is running (docker compose exec postgres psql -U aigos -c "SELECT 1").',
  redis:
    'Redis connection failed (seed 9.1): check REDIS_PASSWORD / REDIS_URL and that Redis is running (docker compose ps redis; docker compose logs redis). Sessions, rate limits and caches fail until it is back.',
  storage:
    'Object storage unreachable: check S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY and that MinIO is running; the bucket named by S3_BUCKET must be creatable.',
  migrations:
    'Database migrations are pending: run them before serving new code (docker compose exec api npm run db:migrate, or aigos-admin db:migrate).',
  tls: 'TLS certificate invalid (seed 9.1): verify the certificate path in nginx (ssl_certificate, ssl_certificate_key), that the full chain is served, and the expiration date; renew before it is within 30 days.',
  oauth:
    'OAuth callback error (seed 9.1): verify that OAUTH_CALLBACK_URL matches the redirect URI registered at the identity provider, and the client id and secret.',
  badGateway:
    'API 502 Bad Gateway (seed 9.1): nginx cannot reach an upstream; check the API service health (GET /health/ready) and its logs (docker compose logs api --tail 100).',
  oidcClientSecret:
    "The identity provider refused the client credentials at the code exchange (invalid_client): the client secret (or client id) the api is configured with does not match the app registration at the IdP. Copy the current secret from the IdP (Entra ID: App registrations > Certificates & secrets; Okta: the app's Client Credentials; Google: the OAuth client), put it in AUTH_CONFIG_FILE (clientSecret / clientSecretFile) or OAUTH_CLIENT_SECRET, and restart the api (seed 6.1-6.3).",
  ssoDomain:
    'Single sign-on users join the organization whose verified domain matches their e-mail: aigos-admin org add-domain --org <slug> --domain <domain> --verified true (seed 7.3).',
  slow: 'Slow dashboard (seed 9.1): check the Redis cache and slow database queries.',
  proxyHeaders:
    "Set the security headers once, at the proxy's server level with `always` (nginx/nginx.conf.template): HSTS, Content-Security-Policy with frame-ancestors, X-Content-Type-Options nosniff, Referrer-Policy. Do not add X-XSS-Protection (deprecated, seed-review row 13). An add_header inside a location drops the server-level ones.",
} as const;

/** The hint for a dependency named by a 503 readiness answer (`down: [...]`). */
export function readinessRemediation(down: string[]): string {
  const hints = down.map((d) => {
    switch (d) {
      case 'postgres':
        return TROUBLESHOOTING.database;
      case 'redis':
        return TROUBLESHOOTING.redis;
      case 'storage':
        return TROUBLESHOOTING.storage;
      case 'migrations':
        return TROUBLESHOOTING.migrations;
      case 'bundle':
        return 'The web bundle is missing: rebuild or reinstall the web image (WEB_ROOT must contain index.html).';
      default:
        return `${d} is down: check that component and its logs.`;
    }
  });
  return [...new Set(hints)].join(' ');
}
