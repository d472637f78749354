// The CA service's own settings, resolved from the configuration variables: where its
// key material is, the URLs written into certificates, validity and the compliance bar.
import { dirname, join } from 'node:path';
import { type Config, ConfigError, required } from '../common/config.js';
import type { CaPaths } from './pki/material.js';

export interface CaUrls {
  base: string;
  ocsp: string;
  crl: string;
  crlPem: string;
  caIssuers: string;
}

export interface CaSettings {
  issuerName: string;
  validityDays: number;
  complianceThreshold: number;
  urls: CaUrls;
  /** undefined: no key material configured (the service answers 503 CA_NOT_CONFIGURED). */
  paths?: CaPaths;
}

/** Which variable names each path, for error messages. */
export const PATH_VARIABLES: Record<keyof CaPaths, string> = {
  rootCert: 'CA_ROOT_CERT_PATH',
  issuingCert: 'CA_ISSUING_CERT_PATH',
  issuingKey: 'SIGNING_KEY_PATH',
  ocspCert: 'CA_OCSP_CERT_PATH',
  ocspKey: 'CA_OCSP_KEY_PATH',
};

export function caUrls(base: string): CaUrls {
  const b = base.replace(/\/+$/, '');
  return {
    base: b,
    ocsp: `${b}/api/v1/ocsp`,
    crl: `${b}/api/v1/crl`,
    crlPem: `${b}/api/v1/crl.pem`,
    caIssuers: `${b}/api/v1/ca/issuing.crt`,
  };
}

export function caSettings(config: Config): CaSettings {
  const base = config.CA_PUBLIC_URL ?? `${required(config, 'PUBLIC_URL').replace(/\/+$/, '')}/ca`;
  const settings: CaSettings = {
    issuerName: required(config, 'CA_ISSUER_NAME'),
    validityDays: required(config, 'CA_VALIDITY_DAYS'),
    complianceThreshold: required(config, 'CA_COMPLIANCE_THRESHOLD'),
    urls: caUrls(base),
  };
  const signingKey = config.SIGNING_KEY_PATH;
  const rootCert = config.CA_ROOT_CERT_PATH;
  if (!signingKey && !rootCert) return settings;
  if (!signingKey)
    throw new ConfigError(
      'SIGNING_KEY_PATH',
      'must be set when CA_ROOT_CERT_PATH is (the issuing CA key the CA signs with)',
    );
  if (!rootCert)
    throw new ConfigError(
      'CA_ROOT_CERT_PATH',
      'must be set when SIGNING_KEY_PATH is (the root the chain ends at)',
    );
  const beside = (file: string) => join(dirname(signingKey), file);
  settings.paths = {
    rootCert,
    issuingKey: signingKey,
    issuingCert: config.CA_ISSUING_CERT_PATH ?? beside('signing.crt'),
    ocspCert: config.CA_OCSP_CERT_PATH ?? beside('ocsp.crt'),
    ocspKey: config.CA_OCSP_KEY_PATH ?? beside('ocsp.key'),
  };
  return settings;
}
