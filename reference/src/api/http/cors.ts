// Cross-origin requests from browsers: only the public URL's origin and CORS_ORIGINS
// (exact matches, never a wildcard) may call the API, GraphQL and /auth from another
// origin. Preflights are answered here, before authentication. Cookie sessions stay
// SameSite=Lax with CSRF tokens; other origins normally use bearer tokens.
import cors from 'cors';
import type { RequestHandler } from 'express';
import { required, type Config } from '../../common/config.js';

export function allowedOrigins(config: Config): string[] {
  return [
    new URL(required(config, 'PUBLIC_URL')).origin,
    ...required(config, 'CORS_ORIGINS')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function corsPolicy(config: Config): RequestHandler {
  const allowed = new Set(allowedOrigins(config));
  return cors({
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-CSRF-Token', 'X-Request-Id', 'X-API-Key'],
    exposedHeaders: [
      'X-Request-Id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Retry-After',
      'Location',
    ],
    maxAge: 600,
  });
}
