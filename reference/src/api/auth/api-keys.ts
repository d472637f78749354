// API key material: `aigos_<prefix>_<secret>`, prefix = 12 characters [a-z0-9] (the
// public lookup handle, unique), secret = 43 characters [A-Za-z0-9] (~256 bits from the
// system CSPRNG). Only SHA-256 of the secret is stored. A slow password hash (argon2)
// protects low-entropy human passwords against offline guessing; a 256-bit random
// secret cannot be guessed whatever the hash speed, so SHA-256 is as safe here and keeps
// authenticating every request cheap (no CPU-bound hashing an attacker could abuse).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_RE = /^aigos_([a-z0-9]{12})_([A-Za-z0-9]{43})$/;

/** Uniform random string over an alphabet (rejection sampling, no modulo bias). */
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface NewKey {
  key: string;
  prefix: string;
  secretHash: Buffer;
}

export function generateApiKey(): NewKey {
  const prefix = randomString(LOWER, 12);
  const secret = randomString(MIXED, 43);
  return { key: `aigos_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function parseApiKey(token: string): { prefix: string; secret: string } | undefined {
  const m = KEY_RE.exec(token);
  return m ? { prefix: m[1]!, secret: m[2]! } : undefined;
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const candidate = hashSecret(secret);
  return storedHash.length === candidate.length && timingSafeEqual(candidate, storedHash);
}
