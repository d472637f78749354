// TLS probe: one handshake with chosen protocol bounds, reporting what the server
// negotiated, whether the chain verifies against a given CA bundle, and the chain.
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate, type SecureVersion, type DetailedPeerCertificate } from 'node:tls';

export interface CertInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  daysLeft: number;
  /** subjectAltName entries, e.g. ["DNS:localhost", "IP Address:127.0.0.1"]. */
  san: string[];
  fingerprint256: string;
  selfSigned: boolean;
  pem: string;
}

export interface TlsHandshake {
  ok: boolean;
  protocol?: string;
  cipher?: string;
  /** Chain verified against the given CA bundle (or the system's). */
  authorized?: boolean;
  authorizationError?: string;
  chain: CertInfo[];
  error?: string;
  errorCode?: string;
}

export interface TlsProbeOptions {
  host: string;
  port: number;
  servername?: string;
  ca?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  timeoutMs?: number;
}

function pemOf(raw: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${raw
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function info(cert: PeerCertificate): CertInfo {
  const x = new X509Certificate(cert.raw);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    daysLeft: Math.floor((Date.parse(x.validTo) - Date.now()) / 86_400_000),
    san: (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
    fingerprint256: x.fingerprint256,
    selfSigned: x.subject === x.issuer,
    pem: pemOf(cert.raw),
  };
}

function chainOf(leaf: DetailedPeerCertificate): CertInfo[] {
  const out: CertInfo[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = leaf;
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(info(cur));
    cur = cur.issuerCertificate;
  }
  return out;
}

export function tlsHandshake(opts: TlsProbeOptions): Promise<TlsHandshake> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: TlsHandshake) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    const socket = connect({
      host: opts.host,
      port: opts.port,
      servername: opts.servername ?? (/^[\d.]+$|:/.test(opts.host) ? undefined : opts.host),
      ca: opts.ca,
      minVersion: opts.minVersion,
      maxVersion: opts.maxVersion,
      ciphers: opts.ciphers,
      rejectUnauthorized: false,
      timeout: opts.timeoutMs ?? 5_000,
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      finish({
        ok: true,
        protocol: socket.getProtocol() ?? undefined,
        cipher: socket.getCipher()?.name,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        chain: peer && peer.raw ? chainOf(peer) : [],
      });
    });
    socket.once('timeout', () =>
      finish({ ok: false, chain: [], error: 'handshake timed out', errorCode: 'ETIMEDOUT' }),
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, chain: [], error: err.message, errorCode: err.code }),
    );
  });
}

/** Whether a failed handshake was the server refusing the protocol version (vs. this client being unable to offer it). */
export function refusedByServer(h: TlsHandshake): boolean | 'client-cannot-offer' {
  if (h.ok) return false;
  const text = `${h.errorCode ?? ''} ${h.error ?? ''}`;
  if (/NO_PROTOCOLS_AVAILABLE|no protocols available/i.test(text)) return 'client-cannot-offer';
  return /ALERT_PROTOCOL_VERSION|alert protocol version|UNSUPPORTED_PROTOCOL|unsupported protocol|ECONNRESET|handshake failure|WRONG_VERSION/i.test(
    text,
  );
}
