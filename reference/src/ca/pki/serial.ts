// Certificate serial numbers: 16 random bytes with the top bit clear (a positive
// INTEGER of at most 16 bytes) and a non-zero first byte (so the DER encoding is exactly
// those bytes and the hex form is canonical): 127 bits of entropy, well above the 64
// bits CA/Browser Forum rules ask for.
import { randomBytes } from 'node:crypto';

export function randomSerial(): string {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0]! &= 0x7f;
    if (bytes[0]! !== 0) return bytes.toString('hex');
  }
}

/**
 * Canonical form of a serial as we store it: lowercase hex, even length, no leading zero
 * bytes. Accepts `0x` prefixes and the colon-separated form openssl prints.
 * Returns undefined when the text is not a serial.
 */
export function normalizeSerial(text: string): string | undefined {
  let hex = text.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,80}$/.test(hex)) return undefined;
  if (hex.length % 2) hex = '0' + hex;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}

/** The serial of an INTEGER's content octets (as @peculiar/asn1 hands them over). */
export function serialFromBytes(bytes: ArrayBuffer | Uint8Array): string {
  const hex = Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
  return normalizeSerial(hex || '00')!;
}
