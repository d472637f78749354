// SAML 2.0 messages of the test IdP: a Response whose Assertion is signed with xml-crypto
// (RSA-SHA256, exclusive c14n, enveloped signature after the assertion's Issuer), the
// HTTP-Redirect binding (raw DEFLATE + base64, query signature RSA-SHA256) and parsing
// of the service provider's AuthnRequest / LogoutRequest. Exported so negative tests can
// build deliberately wrong responses (unsigned, wrong audience, recipient, destination,
// skewed clocks) with the IdP's real key.
import { createSign, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
// node-saml's XML parser (xmldom), so the kit needs no second XML library
import { parseDomFromString } from '@node-saml/node-saml/lib/xml.js';
import forge from 'node-forge';
import { SignedXml } from 'xml-crypto';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
};
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ATTR_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

export const xmlEscape = (v: unknown) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

export const samlId = () => `_${randomBytes(20).toString('hex')}`;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface SigningMaterial {
  /** PKCS#8 PEM */
  privateKey: string;
  /** X.509 PEM */
  certificate: string;
}

/** A self-signed RSA-2048 signing certificate for the IdP (generated at each start). */
export function generateSigningMaterial(commonName: string): SigningMaterial {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return {
    privateKey: forge.pki.privateKeyInfoToPem(
      forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey)),
    ),
    certificate: forge.pki.certificateToPem(cert),
  };
}

export const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

export interface ResponseOptions {
  idpEntityId: string;
  /** the SP entity id (AudienceRestriction) */
  audience: string;
  /** SubjectConfirmationData Recipient */
  recipient: string;
  /** Response Destination (omitted when null) */
  destination: string | null;
  inResponseTo?: string;
  nameId: string;
  nameIdFormat: string;
  sessionIndex: string;
  attributes: Record<string, string | string[]>;
  /** the IdP's clock (default now): everything is stamped relative to it */
  now?: Date;
  /** validity of the assertion (default 5 minutes) */
  lifetimeSeconds?: number;
  signAssertion?: boolean;
  signResponse?: boolean;
  assertionId?: string;
  responseId?: string;
  signing: SigningMaterial;
}

function sign(xml: string, elementLocalName: 'Assertion' | 'Response', m: SigningMaterial): string {
  const sig = new SignedXml({
    privateKey: m.privateKey,
    publicCert: m.certificate,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  const target = `//*[local-name(.)='${elementLocalName}' and namespace-uri(.)='${elementLocalName === 'Assertion' ? NS.assertion : NS.protocol}']`;
  sig.addReference({ xpath: target, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** A SAML Response with one Assertion (signed by default), as the HTTP-POST binding carries it. */
export function buildResponse(o: ResponseOptions): string {
  const now = o.now ?? new Date();
  const lifetime = (o.lifetimeSeconds ?? 300) * 1000;
  const notBefore = new Date(now.getTime() - 5_000);
  const notOnOrAfter = new Date(now.getTime() + lifetime);
  const responseId = o.responseId ?? samlId();
  const assertionId = o.assertionId ?? samlId();
  const irt = o.inResponseTo ? ` InResponseTo="${xmlEscape(o.inResponseTo)}"` : '';
  const attrs = Object.entries(o.attributes)
    .map(
      ([name, value]) =>
        `<saml:Attribute Name="${xmlEscape(name)}" NameFormat="${ATTR_URI}">${(Array.isArray(value)
          ? value
          : [value]
        )
          .map(
            (v) =>
              `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${xmlEscape(v)}</saml:AttributeValue>`,
          )
          .join('')}</saml:Attribute>`,
    )
    .join('');
  let assertion =
    `<saml:Assertion xmlns:saml="${NS.assertion}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${xmlEscape(o.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${xmlEscape(o.nameIdFormat)}">${xmlEscape(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${xmlEscape(o.recipient)}"${irt}/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">` +
    `<saml:AudienceRestriction><saml:Audience>${xmlEscape(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${xmlEscape(o.sessionIndex)}" SessionNotOnOrAfter="${iso(new Date(now.getTime() + 8 * 3_600_000))}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`;
  if (o.signAssertion ?? true) assertion = sign(assertion, 'Assertion', o.signing);
  let response =
    `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${responseId}" Version="2.0" IssueInstant="${iso(now)}"` +
    (o.destination === null ? '' : ` Destination="${xmlEscape(o.destination)}"`) +
    `${irt}><saml:Issuer>${xmlEscape(o.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status>${assertion}</samlp:Response>`;
  if (o.signResponse) response = sign(response, 'Response', o.signing);
  return response;
}

export const toPostParam = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

// ---- HTTP-Redirect binding -------------------------------------------------------------

export function decodeRedirectMessage(value: string): string {
  return inflateRawSync(Buffer.from(value, 'base64')).toString('utf8');
}

/** `<param>=...&RelayState=...&SigAlg=...&Signature=...` signed as the binding prescribes. */
export function signedRedirectQuery(
  param: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  relayState: string | undefined,
  m: SigningMaterial,
): string {
  const parts = [
    `${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`,
  ];
  if (relayState) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
  const signature = createSign('RSA-SHA256').update(parts.join('&')).sign(m.privateKey, 'base64');
  return `${parts.join('&')}&Signature=${encodeURIComponent(signature)}`;
}

export interface ParsedRequest {
  kind: 'AuthnRequest' | 'LogoutRequest';
  id: string;
  issuer: string;
  destination?: string;
  acsUrl?: string;
  nameId?: string;
  sessionIndex?: string;
}

export async function parseRequest(xml: string): Promise<ParsedRequest> {
  const doc = await parseDomFromString(xml);
  const root = doc.documentElement;
  if (
    !root ||
    root.namespaceURI !== NS.protocol ||
    !['AuthnRequest', 'LogoutRequest'].includes(root.localName)
  )
    throw new Error('not a SAML AuthnRequest or LogoutRequest');
  const text = (ns: string, name: string) =>
    root.getElementsByTagNameNS(ns, name).item(0)?.textContent ?? undefined;
  return {
    kind: root.localName as ParsedRequest['kind'],
    id: root.getAttribute('ID') ?? '',
    issuer: text(NS.assertion, 'Issuer') ?? '',
    destination: root.getAttribute('Destination') ?? undefined,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') ?? undefined,
    nameId: text(NS.assertion, 'NameID'),
    sessionIndex: text(NS.protocol, 'SessionIndex'),
  };
}

export function buildLogoutResponse(o: {
  idpEntityId: string;
  destination: string;
  inResponseTo: string;
  now?: Date;
}): string {
  const now = o.now ?? new Date();
  return (
    `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${samlId()}" Version="2.0" IssueInstant="${iso(now)}"` +
    ` Destination="${xmlEscape(o.destination)}" InResponseTo="${xmlEscape(o.inResponseTo)}">` +
    `<saml:Issuer>${xmlEscape(o.idpEntityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status></samlp:LogoutResponse>`
  );
}

export function buildLogoutRequest(o: {
  idpEntityId: string;
  destination: string;
  nameId: string;
  nameIdFormat: string;
  sessionIndex?: string;
  now?: Date;
}): string {
  const now = o.now ?? new Date();
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${samlId()}" Version="2.0" IssueInstant="${iso(now)}"` +
    ` Destination="${xmlEscape(o.destination)}"><saml:Issuer>${xmlEscape(o.idpEntityId)}</saml:Issuer>` +
    `<saml:NameID Format="${xmlEscape(o.nameIdFormat)}">${xmlEscape(o.nameId)}</saml:NameID>` +
    (o.sessionIndex ? `<samlp:SessionIndex>${xmlEscape(o.sessionIndex)}</samlp:SessionIndex>` : '') +
    `</samlp:LogoutRequest>`
  );
}

export function idpMetadata(o: {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  certificate: string;
}): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${xmlEscape(o.entityId)}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.protocol}">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(o.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(o.sloUrl)}"/>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(o.ssoUrl)}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>\n`
  );
}
