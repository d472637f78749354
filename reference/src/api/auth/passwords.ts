// Password hashing: argon2id through @node-rs/argon2 (a maintained native binding).
//
// Parameters: m = 19456 KiB (19 MiB), t = 2, p = 1, 32-byte output, 16-byte random salt
// — the first of OWASP's equivalent argon2id configurations (Password Storage Cheat
// Sheet). Stored as a PHC string, so the parameters travel with each hash; a hash made
// with weaker parameters is upgraded at the next successful login.
import { hash, parseOptions, verify } from '@node-rs/argon2';

/** argon2id (Algorithm.Argon2id = 2; the binding's const enum is not importable as a value). */
const ARGON2ID = 2;

export const ARGON2_PARAMS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const;

export const ARGON2_DESCRIPTION = 'argon2id m=19456 KiB (19 MiB), t=2, p=1, 32-byte hash, 16-byte salt';

/** The seed's documented default (CP-02 §4.1); never accepted as a new password. */
export const SEED_DEFAULT_PASSWORD = 'ChangeMe123!';
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS as Parameters<typeof hash>[1]);
}

let dummyHash: Promise<string> | undefined;
/** A hash to verify against when the account does not exist, so timing does not tell. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword('not-a-real-password-' + Math.random());
  return dummyHash;
}

export interface VerifyResult {
  ok: boolean;
  /** The stored hash uses parameters weaker than (or different from) ARGON2_PARAMS. */
  needsRehash: boolean;
}

/** Verify a password; a missing hash verifies against a dummy and fails. */
export async function verifyPassword(
  stored: string | null | undefined,
  password: string,
): Promise<VerifyResult> {
  if (!stored) {
    await verify(await dummy(), password).catch(() => false);
    return { ok: false, needsRehash: false };
  }
  let ok: boolean;
  try {
    ok = await verify(stored, password);
  } catch {
    return { ok: false, needsRehash: false }; // not a PHC string we understand
  }
  if (!ok) return { ok, needsRehash: false };
  let needsRehash = true;
  try {
    const o = parseOptions(stored);
    needsRehash =
      (o.algorithm as number) !== ARGON2ID ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost ||
      o.outputLen < ARGON2_PARAMS.outputLen;
  } catch {
    // unknown layout: rehash
  }
  return { ok, needsRehash };
}

/** Problems with a new password (empty when acceptable). */
export function passwordProblems(password: string, ctx: { email?: string; current?: string } = {}): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH)
    problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH)
    problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password === SEED_DEFAULT_PASSWORD) problems.push('must not be the documented default password');
  if (ctx.current !== undefined && password === ctx.current)
    problems.push('must differ from the current password');
  const local = ctx.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local))
    problems.push('must not contain your e-mail name');
  if (/^(.)\1+$/.test(password)) problems.push('must not be one repeated character');
  return problems;
}
