// Vite build of the dashboard (reference/src/web/app) into dist/web, which the web
// service serves with a strict Content Security Policy: every script and stylesheet is
// an external, hashed file under /static/ (no inline code), so `script-src 'self'` and
// `style-src 'self'` hold. Build: `vite build --config reference/src/web/vite.config.ts`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./app'),
  base: '/',
  plugins: [react()],
  // nothing from the build machine's environment ends up in the bundle
  envPrefix: 'AIGOS_WEB_PUBLIC_',
  build: {
    outDir: here('../../../dist/web'),
    emptyOutDir: true,
    // /assets is a dashboard route (the asset registry); bundles live under /static
    assetsDir: 'static',
    target: 'es2022',
    sourcemap: false,
    // a <script> polyfill is not needed by the browsers we support and would be inline code
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
});
