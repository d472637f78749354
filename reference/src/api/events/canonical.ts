// Canonical form and hash of a governance event (contracts.md §3): the event without
// `hash`, `signature` and `receivedAt`, keys sorted at every level, compact JSON, UTF-8,
// SHA-256, written `sha256:<64 lowercase hex>`. Arrays keep their order.
import { createHash } from 'node:crypto';

export const HASH_EXCLUDED_FIELDS = ['hash', 'signature', 'receivedAt'] as const;
export const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Compact JSON with object keys sorted (UTF-16 code unit order, as Array.prototype.sort). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // numbers, strings, booleans, null; undefined inside objects is skipped below
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The canonical form that is hashed: top-level excluded fields removed. */
export function canonicalForm(event: Record<string, unknown>): string {
  const filtered: Record<string, unknown> = {};
  for (const key of Object.keys(event)) {
    if (!(HASH_EXCLUDED_FIELDS as readonly string[]).includes(key)) filtered[key] = event[key];
  }
  return canonicalJson(filtered);
}

export function computeEventHash(event: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalForm(event), 'utf8').digest('hex')}`;
}
