// What a CGA (Certified Governed Agent) certificate asserts about its agent, carried as
// subject alternative name URIs, which every X.509 tool shows and verifiers read without
// custom parsers:
//   urn:aigos:asset:<asset card id>       the governed asset (AIGRC id)
//   urn:aigos:org:<organization uuid>     the organization that registered it
//   urn:aigos:cga-level:<LEVEL>           BRONZE | SILVER | GOLD | PLATINUM
// (A private X.509 extension was considered: its OID would live under 2.25 (UUID OIDs,
// no registration), but @peculiar/asn1-schema cannot round-trip such large OID arcs.)
export const GOVERNANCE_LEVELS = ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'] as const;
export type GovernanceLevel = (typeof GOVERNANCE_LEVELS)[number];

export interface CgaClaims {
  assetId: string;
  organizationId: string;
  governanceLevel: GovernanceLevel;
}

/** Asset card ids (AIGRC ids such as aigrc-2025-0a1b2c3d); the same pattern the asset_cards table enforces. */
export const ASSET_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$/;
export const ASSET_URI = /^urn:aigos:asset:([A-Za-z0-9][A-Za-z0-9._:-]{1,127})$/;
const ORG_URI = /^urn:aigos:org:([0-9a-f-]{36})$/i;
const LEVEL_URI = /^urn:aigos:cga-level:([A-Z]+)$/;

export const assetUri = (assetId: string) => `urn:aigos:asset:${assetId}`;

export function claimUris(c: CgaClaims): string[] {
  return [
    assetUri(c.assetId),
    `urn:aigos:org:${c.organizationId}`,
    `urn:aigos:cga-level:${c.governanceLevel}`,
  ];
}

/** The claims of a certificate's SAN URIs; undefined unless all three are present. */
export function claimsFromUris(uris: string[]): CgaClaims | undefined {
  let assetId: string | undefined;
  let organizationId: string | undefined;
  let level: string | undefined;
  for (const u of uris) {
    assetId ??= ASSET_URI.exec(u)?.[1];
    organizationId ??= ORG_URI.exec(u)?.[1]?.toLowerCase();
    level ??= LEVEL_URI.exec(u)?.[1];
  }
  if (!assetId || !organizationId || !level || !(GOVERNANCE_LEVELS as readonly string[]).includes(level))
    return undefined;
  return { assetId, organizationId, governanceLevel: level as GovernanceLevel };
}
