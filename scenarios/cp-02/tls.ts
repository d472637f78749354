// Checklist "SECURITY: TLS certificate valid and trusted", when the public URL is https:
// the chain verifies against the target's CA bundle (or the system's), the leaf is valid
// for more than 30 days and covers the host, TLS 1.0/1.1 are refused and 1.2+ accepted
// (seed-review: TLS 1.2/1.3 only), and HSTS is sent.
import { isIP } from 'node:net';
import { refusedByServer, tlsHandshake, type TlsHandshake } from '../../harness/src/drivers/tls.js';
import type { Scenario } from '../../harness/src/runner/scenario.js';
import { TROUBLESHOOTING } from '../common/remediation.js';
import { hstsMaxAge, MIN_HSTS_SECONDS } from './headers.js';

export const MIN_DAYS_LEFT = 30;

/** Whether a certificate's subjectAltName entries cover a host (DNS wildcards one label deep). */
export function sanCovers(san: string[], host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(h))
    return san.some(
      (e) =>
        /^IP Address:/i.test(e) &&
        e
          .slice(e.indexOf(':') + 1)
          .trim()
          .toLowerCase() === h,
    );
  return san
    .filter((e) => /^DNS:/i.test(e))
    .map((e) => e.slice(4).trim().toLowerCase())
    .some(
      (name) =>
        name === h ||
        (name.startsWith('*.') && h.endsWith(name.slice(1)) && !h.slice(0, -name.length + 1).includes('.')),
    );
}

const VERSION_FIX =
  'Allow only TLS 1.2 and 1.3 at the proxy: ssl_protocols TLSv1.2 TLSv1.3; (nginx/nginx.conf.template). For a cloud load balancer, pick a TLS 1.2+ security policy.';

export const tls: Scenario = {
  id: 'cp-02.tls',
  title: 'TLS certificate valid and trusted; TLS 1.2+ only; HSTS',
  needs: ['tls'],
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const u = new URL(ctx.target.publicUrl);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || 443);
    const ca = ctx.target.caBundle;
    const main = await tlsHandshake({ host, port, ca });
    const chainEv = await ctx.evidence(
      'tls-chain',
      JSON.stringify(
        {
          host,
          port,
          protocol: main.protocol,
          cipher: main.cipher,
          authorized: main.authorized,
          authorizationError: main.authorizationError,
          error: main.error,
          chain: main.chain.map(({ pem: _pem, ...c }) => c),
        },
        null,
        2,
      ),
      'tls',
      'json',
    );
    if (main.chain[0])
      await ctx.evidence('server-certificate', main.chain.map((c) => c.pem).join(''), 'certificate', 'pem');
    ctx.check({
      id: 'chain-trusted',
      title: `certificate chain verifies against ${ca ? "the target's CA bundle" : 'the system trust store'}`,
      pass: main.ok && main.authorized === true,
      expected: 'verified',
      actual: main.ok
        ? main.authorized
          ? 'verified'
          : `not trusted: ${main.authorizationError}`
        : `handshake failed: ${main.error}`,
      remediation: TROUBLESHOOTING.tls,
      evidence: [chainEv],
    });
    const leaf = main.chain[0];
    ctx.check({
      id: 'expiry',
      title: `certificate valid for more than ${MIN_DAYS_LEFT} days`,
      pass: leaf !== undefined && leaf.daysLeft > MIN_DAYS_LEFT,
      expected: `> ${MIN_DAYS_LEFT} days left`,
      actual: leaf ? `${leaf.daysLeft} days left (notAfter ${leaf.validTo})` : 'no certificate',
      remediation: TROUBLESHOOTING.tls,
      evidence: [chainEv],
    });
    ctx.check({
      id: 'san-covers-host',
      title: `subjectAltName covers ${host}`,
      pass: leaf !== undefined && sanCovers(leaf.san, host),
      expected: host,
      actual: leaf ? leaf.san.join(', ') || 'no subjectAltName' : 'no certificate',
      remediation: `Issue the certificate for the name users open (${host}) in subjectAltName (browsers ignore the common name).`,
      evidence: [chainEv],
    });

    const probe = (
      min: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3',
      max: typeof min,
    ): Promise<TlsHandshake> =>
      tlsHandshake({
        host,
        port,
        ca,
        minVersion: min,
        maxVersion: max,
        ciphers: min === 'TLSv1' || min === 'TLSv1.1' ? 'DEFAULT@SECLEVEL=0' : undefined,
      });
    for (const v of ['TLSv1', 'TLSv1.1'] as const) {
      const h = await probe(v, v);
      const refused = refusedByServer(h);
      const name = v === 'TLSv1' ? 'TLS 1.0' : 'TLS 1.1';
      if (refused === 'client-cannot-offer') {
        ctx.check({
          id: `refuses-${v.toLowerCase()}`,
          title: `${name} refused`,
          status: 'skipped',
          skipReason: `this machine's OpenSSL cannot offer ${name} (${h.error})`,
        });
        continue;
      }
      ctx.check({
        id: `refuses-${v.toLowerCase()}`,
        title: `${name} refused by the server`,
        pass: refused === true,
        expected: 'handshake refused',
        actual: h.ok ? `accepted (${h.protocol}, ${h.cipher})` : `refused: ${h.error}`,
        remediation: VERSION_FIX,
      });
    }
    const t12 = await probe('TLSv1.2', 'TLSv1.2');
    ctx.check({
      id: 'accepts-tls1.2',
      title: 'TLS 1.2 accepted',
      pass: t12.ok,
      expected: 'handshake completes',
      actual: t12.ok ? `${t12.protocol} ${t12.cipher}` : `refused: ${t12.error}`,
      remediation: VERSION_FIX,
    });
    const t13 = await probe('TLSv1.3', 'TLSv1.3');
    ctx.metric('tls13', t13.ok);
    if (t13.ok)
      ctx.check({
        id: 'accepts-tls1.3',
        title: 'TLS 1.3 accepted',
        pass: true,
        expected: 'handshake completes',
        actual: `${t13.protocol} ${t13.cipher}`,
      });
    else
      ctx.check({
        id: 'accepts-tls1.3',
        title: 'TLS 1.3 accepted',
        status: 'skipped',
        skipReason: `the server offers no TLS 1.3 (${t13.error}); allowed, TLS 1.2 suffices, but 1.3 is recommended`,
      });

    const res = await ctx.http({ url: '/health' });
    const hsts = res.headers['strict-transport-security'];
    const age = hstsMaxAge(Array.isArray(hsts) ? hsts[0] : hsts);
    ctx.check({
      id: 'hsts',
      title: 'Strict-Transport-Security sent over https (max-age >= 180 days)',
      pass: age !== undefined && age >= MIN_HSTS_SECONDS,
      expected: `max-age >= ${MIN_HSTS_SECONDS}`,
      actual: hsts ?? 'absent',
      remediation:
        'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always; at the server level of the proxy.',
      evidence: [res],
    });
  },
};
