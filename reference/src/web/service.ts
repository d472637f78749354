// Web dashboard server (:3001): static assets with a strict Content Security Policy and
// an SPA fallback (any GET that wants HTML gets index.html). It holds no database or
// storage credentials; its readiness is that the bundle is present.
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
    app.use(express.static(root, { index: 'index.html', maxAge: '1h', fallthrough: true }));
    app.get('/{*path}', (req, res, next) => {
      if (!req.accepts('html')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  },
};
