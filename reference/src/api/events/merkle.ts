// Binary Merkle tree over event hashes (the upstream event service's algorithm): leaves
// are the hex digests without the `sha256:` prefix; a level with an odd count pairs its
// last node with itself; a parent is SHA-256 of the two children's hex strings joined.
import { createHash } from 'node:crypto';

/** Root of zero leaves: SHA-256 of the empty string. */
export const EMPTY_MERKLE_ROOT = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

export function merkleRoot(leafHashes: readonly string[]): string {
  if (leafHashes.length === 0) return EMPTY_MERKLE_ROOT;
  let level = leafHashes.map((h) => h.replace(/^sha256:/, ''));
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hex(level[i]! + (level[i + 1] ?? level[i]!)));
    level = next;
  }
  return `sha256:${level[0]}`;
}
