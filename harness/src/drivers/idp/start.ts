// Start a test identity provider from its fixture (in-process; main.ts wraps it as a process).
import { createServer } from 'node:net';
import type { Fixture } from './fixture.js';
import type { RunningOidcIdp } from './oidc/provider.js';
import type { RunningSamlIdp } from './saml/idp.js';

export interface StartOptions {
  port?: number;
  host?: string;
  issuer?: string;
  redirectUris?: string[];
  serviceProvider?: { entityId: string; acsUrl?: string; sloUrl?: string };
}

export type RunningIdp = RunningOidcIdp | RunningSamlIdp;

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startIdp(fixture: Fixture, o: StartOptions = {}): Promise<RunningIdp> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ? o.port : await freePort(host);
  // each protocol loads only its own libraries
  if (fixture.kind === 'oidc') {
    const { startOidcIdp } = await import('./oidc/provider.js');
    return startOidcIdp(fixture, { port, host, issuer: o.issuer, redirectUris: o.redirectUris });
  }
  const { startSamlIdp } = await import('./saml/idp.js');
  return startSamlIdp(fixture, { port, host, serviceProvider: o.serviceProvider });
}
