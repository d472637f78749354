// OCSP (RFC 6960) request parsing and response signing with @peculiar/asn1-ocsp. The
// responder is delegated: responses are signed by a certificate the issuing CA gave the
// id-kp-OCSPSigning purpose, and that certificate travels in the response. A nonce in the
// request is echoed. No nextUpdate is set: the responder reads live status from the
// database, so newer information is always available (§2.4).
import { createHash, sign } from 'node:crypto';
import {
  AsnArray,
  AsnConvert,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import {
  CertID,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension } from '@peculiar/asn1-x509';
import type { CaMaterial } from './material.js';
import { reasonCode, type RevocationReason } from './revocation-reasons.js';
import { serialFromBytes } from './serial.js';

export { OCSPResponseStatus };

// BasicOCSPResponse (RFC 6960 §4.2.1) with its tbsResponseData given DER-encoded (ASN.1
// ANY): the bytes that are signed are the bytes that are sent, encoded once.
class PreEncodedBasicOcspResponse {
  tbsResponseData = new ArrayBuffer(0);
  signatureAlgorithm = new AlgorithmIdentifier();
  signature = new ArrayBuffer(0);
  constructor(params: Partial<PreEncodedBasicOcspResponse> = {}) {
    Object.assign(this, params);
  }
}
// the schema decorators, applied as functions (this codebase compiles without legacy
// decorators); field order is declaration order
AsnProp({ type: AsnPropTypes.Any })(PreEncodedBasicOcspResponse.prototype, 'tbsResponseData');
AsnProp({ type: AlgorithmIdentifier })(PreEncodedBasicOcspResponse.prototype, 'signatureAlgorithm');
AsnProp({ type: AsnPropTypes.BitString })(PreEncodedBasicOcspResponse.prototype, 'signature');
AsnType({ type: AsnTypeTypes.Sequence })(PreEncodedBasicOcspResponse);

class CertificateSequence extends AsnArray<Certificate> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: Certificate })(CertificateSequence);

/** DER tag and definite length. */
function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

// The responder's certificates are the same in every response. Encoding them through the
// ASN.1 library costs about a millisecond per response (most of the responder's CPU), so
// the library encodes `certs [0] EXPLICIT SEQUENCE OF Certificate` once per key material
// and each response appends those bytes to its library-encoded BasicOCSPResponse,
// re-framing the outer SEQUENCE. The openssl tests check the result.
const encodedCerts = new WeakMap<CaMaterial, Buffer>();
function responderCerts(ca: CaMaterial): Buffer {
  let tlv = encodedCerts.get(ca);
  if (!tlv) {
    // the responder certificate and its issuer, so clients can build the chain from the response alone
    const seq = Buffer.from(AsnConvert.serialize(new CertificateSequence([ca.ocspAsn, ca.issuingAsn])));
    tlv = Buffer.concat([derHeader(0xa0, seq.length), seq]);
    encodedCerts.set(ca, tlv);
  }
  return tlv;
}

/** A DER SEQUENCE with one more element appended. */
function appendToSequence(sequence: Buffer, element: Buffer): Buffer {
  if (sequence[0] !== 0x30) throw new Error('not a DER SEQUENCE');
  const first = sequence[1]!;
  const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
  const content = sequence.subarray(header);
  return Buffer.concat([derHeader(0x30, content.length + element.length), content, element]);
}

export const MAX_REQUESTS_PER_OCSP = 20;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export class MalformedOcspRequest extends Error {
  override name = 'MalformedOcspRequest';
}

export interface ParsedOcspRequest {
  certIds: CertID[];
  nonce?: Extension;
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (der.length === 0) throw new MalformedOcspRequest('empty OCSP request');
  let req: OCSPRequest;
  try {
    req = AsnConvert.parse(der, OCSPRequest);
  } catch (err) {
    throw new MalformedOcspRequest(`not a DER OCSPRequest: ${(err as Error).message}`);
  }
  const list = req.tbsRequest?.requestList ?? [];
  if (list.length === 0) throw new MalformedOcspRequest('the OCSP request names no certificate');
  if (list.length > MAX_REQUESTS_PER_OCSP)
    throw new MalformedOcspRequest(`at most ${MAX_REQUESTS_PER_OCSP} certificates per OCSP request`);
  const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (nonce && nonce.extnValue.byteLength > 128)
    throw new MalformedOcspRequest('nonce longer than 128 bytes');
  return { certIds: list.map((r) => r.reqCert), nonce };
}

export type CertificateStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason: RevocationReason }
  | { status: 'unknown' };

/** Whether a CertID names our issuing CA (hashes computed with the request's algorithm). */
export function isOurIssuer(ca: CaMaterial, id: CertID, cache: Map<string, [Buffer, Buffer]>): boolean {
  const hash = HASHES[id.hashAlgorithm.algorithm];
  if (!hash) return false;
  let pair = cache.get(hash);
  if (!pair) {
    pair = [
      createHash(hash).update(ca.issuerNameDer).digest(),
      createHash(hash).update(ca.issuerKeyBits).digest(),
    ];
    cache.set(hash, pair);
  }
  return (
    pair[0].equals(Buffer.from(id.issuerNameHash.buffer)) &&
    pair[1].equals(Buffer.from(id.issuerKeyHash.buffer))
  );
}

export function requestedSerial(id: CertID): string {
  return serialFromBytes(id.serialNumber);
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

function certStatus(s: CertificateStatus): CertStatus {
  if (s.status === 'good') return new CertStatus({ good: null });
  if (s.status === 'unknown') return new CertStatus({ unknown: null });
  return new CertStatus({
    revoked: new RevokedInfo({
      revocationTime: wholeSeconds(s.revokedAt),
      ...(s.reason === 'unspecified' ? {} : { revocationReason: new CRLReason(reasonCode(s.reason)) }),
    }),
  });
}

export function signOcspResponse(
  ca: CaMaterial,
  answers: { certId: CertID; status: CertificateStatus }[],
  nonce: Extension | undefined,
  now = new Date(),
): Buffer {
  // GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2 form)
  const at = wholeSeconds(now);
  const data = new ResponseData({
    responderID: new ResponderID({ byKey: new KeyHash(ca.ocspKeyHash) }),
    producedAt: at,
    responses: answers.map(
      (a) => new SingleResponse({ certID: a.certId, certStatus: certStatus(a.status), thisUpdate: at }),
    ),
    ...(nonce ? { responseExtensions: [nonce] } : {}),
  });
  const tbs = AsnConvert.serialize(data);
  const signature = sign(ca.ocspKey.hash, new Uint8Array(tbs), {
    key: ca.ocspKey.keyObject,
    dsaEncoding: 'der',
  });
  const basic = new PreEncodedBasicOcspResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({
      algorithm: ca.ocspKey.signatureOid,
      ...(ca.ocspKey.scheme === 'rsa' ? { parameters: null } : {}),
    }),
    signature: new Uint8Array(signature).buffer,
  });
  const basicDer = appendToSequence(Buffer.from(AsnConvert.serialize(basic)), responderCerts(ca));
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({
      responseType: id_pkix_ocsp_basic,
      response: new OctetString(basicDer),
    }),
  });
  return Buffer.from(AsnConvert.serialize(response));
}

/** An unsigned error response (malformedRequest, internalError, tryLater, unauthorized). */
export function ocspError(status: OCSPResponseStatus): Buffer {
  return Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}
