// The repository's nginx configuration and the local CA, without a deployment: the
// template renders (nginx's own $variables untouched), `nginx -t` accepts it, and it
// carries the seed's rules with seed-review's corrections; the throwaway CA issues a
// certificate that covers the host for more than 30 days. Redaction rules too.
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findNginx,
  NGINX_TEMPLATE,
  renderLocalConfig,
  renderTemplate,
} from '../../harness/src/targets/local/components/nginx.js';
import { ensureLocalTls, type LocalTlsFiles } from '../../harness/src/util/local-ca.js';
import { isSensitiveKey, redactBody, redactHeaders, Redactor } from '../../harness/src/runner/redact.js';
import { sanCovers } from '../../scenarios/cp-02/tls.js';

let tmp: string;
let tls: LocalTlsFiles;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'aigos-proxy-config-'));
  tls = await ensureLocalTls({ dir: join(tmp, 'tls'), hosts: ['127.0.0.1', 'localhost'] });
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('nginx/nginx.conf.template', () => {
  it('renders placeholders only, and names a missing one', () => {
    expect(renderTemplate('a ${FOO} $host ${bar} $request_uri', { FOO: 'x' })).toBe(
      'a x $host ${bar} $request_uri',
    );
    expect(() => renderTemplate('${A} ${B}', { A: '1' })).toThrow('nginx template: no value for B');
  });

  it('carries the seed rules with seed-review corrections', async () => {
    const conf = await readFile(NGINX_TEMPLATE, 'utf8');
    const directives = conf.replace(/#.*$/gm, '');
    expect(directives).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(directives).toMatch(/limit_req_zone \$binary_remote_addr zone=api:10m rate=100r\/s;/);
    expect(directives).toMatch(/limit_req_zone \$binary_remote_addr zone=auth:10m rate=10r\/s;/);
    expect(directives).toMatch(/location \/auth\/ \{\s*limit_req zone=auth burst=5 nodelay;/);
    expect(directives).toMatch(/location \/api\/ \{\s*limit_req zone=api burst=50 nodelay;/);
    expect(directives).toMatch(/Strict-Transport-Security "max-age=63072000/);
    expect(directives).toMatch(/frame-ancestors 'none'/);
    expect(directives).not.toMatch(/X-XSS-Protection/i); // seed-review row 13
    expect(directives).not.toMatch(/set_real_ip_from\s+0\.0\.0\.0\/0/); // row 15
    expect(directives).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(directives).not.toMatch(/\$proxy_add_x_forwarded_for/);
    expect(directives).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    // an add_header inside a location would drop the server-level security headers
    const locations = directives.split(/\blocation\b/).slice(1);
    for (const l of locations) expect(l.split(/\bserver\b/)[0]).not.toMatch(/add_header/);
  });

  it('is accepted by nginx -t once rendered for the local target', async () => {
    const nginx = await findNginx().catch(() => undefined);
    if (!nginx) return; // the bootstrap installs it; without it the local proxy is refused at up
    const dir = join(tmp, 'nginx');
    const conf = await renderLocalConfig(
      {
        dir,
        httpsPort: 18443,
        httpPort: 18080,
        upstreams: { gateway: 13000, web: 13001, ca: 13003 },
        logFile: join(tmp, 'nginx.log'),
        accessLog: join(tmp, 'access.log'),
      },
      tls,
    );
    expect(conf).not.toMatch(/\$\{[A-Z_]+\}/);
    const file = join(dir, 'nginx.conf');
    await writeFile(file, conf);
    const r = spawnSync(nginx, ['-t', '-q', '-p', dir, '-c', file, '-e', 'stderr'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('local CA', () => {
  it('issues a chain the CA verifies, covering the hosts, valid for more than 30 days, keys 0600', async () => {
    const ca = new X509Certificate(await readFile(tls.caCert));
    const pem = await readFile(tls.serverChain, 'utf8');
    const leaf = new X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
    expect(ca.ca).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(sanCovers(leaf.subjectAltName!.split(/,\s*/), '127.0.0.1')).toBe(true);
    expect(sanCovers(leaf.subjectAltName!.split(/,\s*/), 'localhost')).toBe(true);
    expect(sanCovers(leaf.subjectAltName!.split(/,\s*/), 'example.com')).toBe(false);
    expect(Date.parse(leaf.validTo) - Date.now()).toBeGreaterThan(30 * 86_400_000);
    for (const key of [tls.caKey, tls.serverKey])
      expect(((await stat(key)).mode & 0o777).toString(8)).toBe('600');
  });

  it('reuses the CA and certificate on the next start', async () => {
    const before = await readFile(tls.serverChain, 'utf8');
    const again = await ensureLocalTls({ dir: join(tmp, 'tls'), hosts: ['127.0.0.1', 'localhost'] });
    expect(await readFile(again.serverChain, 'utf8')).toBe(before);
    expect(existsSync(again.caKey)).toBe(true);
  });

  it('matches DNS wildcards one label deep only', () => {
    expect(sanCovers(['DNS:*.customer.com'], 'aigos.customer.com')).toBe(true);
    expect(sanCovers(['DNS:*.customer.com'], 'a.b.customer.com')).toBe(false);
    expect(sanCovers(['DNS:*.customer.com'], 'customer.com')).toBe(false);
  });
});

describe('redaction', () => {
  it('recognises sensitive field names', () => {
    for (const k of [
      'password',
      'newPassword',
      'client_secret',
      'apiKey',
      'api-key',
      'accessToken',
      'refresh_token',
      'privateKey',
      'key',
      'Authorization',
    ])
      expect(isSensitiveKey(k), k).toBe(true);
    for (const k of ['email', 'name', 'keyPrefix', 'monkey', 'status'])
      expect(isSensitiveKey(k), k).toBe(false);
  });

  it('redacts headers, JSON and form bodies, PEM keys and known secret values', () => {
    expect(redactHeaders({ authorization: 'Bearer abc', 'x-api-key': 'k', accept: 'x' })).toEqual({
      authorization: 'Bearer [REDACTED]',
      'x-api-key': '[REDACTED]',
      accept: 'x',
    });
    expect(
      JSON.parse(
        redactBody('{"user":{"email":"a","password":"p"},"items":[{"token":"t"}]}', 'application/json'),
      ),
    ).toEqual({
      user: { email: 'a', password: '[REDACTED]' },
      items: [{ token: '[REDACTED]' }],
    });
    expect(redactBody('user=a&password=p', 'application/x-www-form-urlencoded')).toBe(
      'user=a&password=%5BREDACTED%5D',
    );
    expect(redactBody('x\n-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\n')).not.toContain(
      'MIIabc',
    );
    const r = new Redactor([{ name: 'db', value: 'p@ss/word+1' }]);
    expect(r.text('url postgres://u:p%40ss%2Fword%2B1@h and p@ss/word+1')).toBe(
      'url postgres://u:[REDACTED:db]@h and [REDACTED:db]',
    );
    expect(r.find('nothing here')).toEqual([]);
  });
});
