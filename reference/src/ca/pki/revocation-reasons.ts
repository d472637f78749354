// RFC 5280 §5.3.1 reason codes, by the names used in the API. removeFromCRL (delta CRLs
// only) and certificateHold (which implies un-revoking) are not offered.
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const REASON_NAMES = Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]];

export function reasonCode(reason: RevocationReason): number {
  return REVOCATION_REASONS[reason];
}
