#!/usr/bin/env node
// A test identity provider as a process, for tests and the harness's targets:
//
//   node dist/harness/src/drivers/idp/main.js --config fixtures/idp/entra.yaml --port 4011
//        [--host 127.0.0.1] [--issuer URL] [--redirect-uri URL]...          (OIDC)
//        [--client-secret-file FILE]        (OIDC: the client's secret instead of the fixture's)
//        [--sp-entity-id ID --sp-acs-url URL [--sp-slo-url URL]]            (SAML)
//
// Prints one JSON line once it listens, e.g.
//   {"kind":"oidc","name":"entra","issuer":"http://127.0.0.1:4011","discoveryUrl":...}
//   {"kind":"saml","name":"saml","entityId":...,"metadataUrl":...,"ssoUrl":...,"certificate":PEM}
// and stops on SIGTERM/SIGINT. Port 0 picks a free port. A secret read from
// --client-secret-file is never printed.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadFixture } from './fixture.js';
import { startIdp } from './start.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    issuer: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'client-secret-file': { type: 'string' },
    'sp-entity-id': { type: 'string' },
    'sp-acs-url': { type: 'string' },
    'sp-slo-url': { type: 'string' },
  },
});

if (!values.config) {
  process.stderr.write('usage: main.js --config fixtures/idp/<name>.yaml --port N\n');
  process.exit(2);
}

try {
  const fixture = await loadFixture(values.config);
  const secretFile = values['client-secret-file'];
  if (secretFile) {
    if (fixture.kind !== 'oidc') throw new Error('--client-secret-file applies to OIDC fixtures only');
    const secret = (await readFile(secretFile, 'utf8')).trim();
    if (secret.length < 8) throw new Error(`${secretFile}: a client secret needs 8 or more characters`);
    fixture.clients[0]!.clientSecret = secret;
  }
  const idp = await startIdp(fixture, {
    port: Number(values.port),
    host: values.host,
    issuer: values.issuer,
    redirectUris: values['redirect-uri'],
    serviceProvider: values['sp-entity-id']
      ? { entityId: values['sp-entity-id'], acsUrl: values['sp-acs-url'], sloUrl: values['sp-slo-url'] }
      : undefined,
  });
  // never print the in-process signing key
  const { close: _close, ...rest } = idp;
  const printable = {
    ...rest,
    signing: undefined,
    ...('clients' in rest && secretFile
      ? { clients: rest.clients.map((c) => ({ ...c, clientSecret: `(from ${secretFile})` })) }
      : {}),
  };
  process.stdout.write(JSON.stringify(printable) + '\n');
  const stop = () => {
    void idp.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`test IdP: ${(err as Error).message}\n`);
  process.exit(2);
}
