// Web dashboard server (:3001): static assets with a strict Content Security Policy and
// an SPA fallback (any GET that wants HTML gets index.html). It holds no database or
// storage credentials; its readiness is that the bundle is present. It serves WEB_ROOT,
// else the dashboard Vite built into dist/web (the placeholder page when not built).
// Bundles under /static/ carry a content hash in their name and are cached for a year;
// index.html is revalidated on every load so a new release is picked up at once.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import express from 'express';
import { WEB_PUBLIC_DIR } from '../common/paths.js';
import { required } from '../common/config.js';
import type { ServiceDefinition } from '../common/service.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export const web: ServiceDefinition = {
  name: 'web',
  port: (config) => required(config, 'WEB_PORT'),
  dependencies: [],
  mount(app, ctx) {
    const root = ctx.config.WEB_ROOT ?? WEB_PUBLIC_DIR;
    const index = join(root, 'index.html');
    ctx.readiness.bundle = () => access(index);
    app.use((_req, res, next) => {
      res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'DENY');
      next();
    });
    app.use(
      express.static(root, {
        index: 'index.html',
        fallthrough: true,
        redirect: false,
        setHeaders(res, path) {
          if (/[\\/]static[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.(?:js|css)$/.test(path))
            res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
          else if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
          else res.setHeader('Cache-Control', 'public, max-age=3600');
        },
      }),
    );
    app.get('/{*path}', (req, res, next) => {
      // a missing bundle is a 404, not the page (a stale tab after a release reloads cleanly)
      if (!req.accepts('html') || req.path.startsWith('/static/')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  },
};
