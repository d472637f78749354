// The GraphQL schema of the dashboard's views. Paginated fields take `limit` (counted
// by the cost limit) and return a *Page.
export const typeDefs = /* GraphQL */ `
  "Any JSON value (event payloads, asset cards)."
  scalar JSON

  "Top-level views are nullable: a view the caller may not see is null with a FORBIDDEN error, the others still answer."
  type Query {
    "Who is calling."
    viewer: Viewer!
    "The organization at a glance: compliance, assets, events, audit, certificates."
    organization: OrganizationSummary
    "Asset cards with their compliance (newest first)."
    assets(limit: Int = 20, cursor: String, search: String, status: String): AssetPage
    asset(id: ID!): Asset
    "Governance events (newest producedAt first)."
    events(filter: EventFilter, limit: Int = 20, offset: Int = 0): EventPage
    event(id: ID!): GovernanceEvent
    "Assets as seen by the events stream (GET /v1/assets)."
    eventAssets(limit: Int = 20, offset: Int = 0): EventAssetPage
    integrityCheckpoints(limit: Int = 20, offset: Int = 0): CheckpointPage
    "Audit trail entries, newest first; beforeSeq pages backwards."
    auditEntries(limit: Int = 50, beforeSeq: Int, action: String): AuditPage
    "CGA certificates issued by the CA for this organization."
    certificates(limit: Int = 20, offset: Int = 0, assetId: String, status: String): CertificatePage
  }

  type Mutation {
    "POST /v1/events: one event in the upstream envelope."
    pushEvent(event: JSON!): PushResult!
    "POST /v1/events/batch: up to 1000 events."
    pushEvents(events: [JSON!]!): BatchResult!
    "POST /v1/integrity/checkpoints: a Merkle checkpoint over what arrived since the last one."
    createIntegrityCheckpoint: [IntegrityCheckpoint!]!
  }

  type Viewer {
    orgId: ID!
    orgSlug: String
    kind: String!
    role: String!
    scopes: [String!]!
    userId: ID
  }

  type OrganizationSummary {
    id: ID!
    slug: String!
    name: String!
    plan: String!
    compliance: ComplianceSummary!
    assetCount: Int!
    eventCount: Float!
    eventAssetCount: Int!
    lastEventAt: String
    latestCheckpoint: IntegrityCheckpoint
    auditEntryCount: Int!
    activeCertificateCount: Int!
  }

  type ComplianceSummary {
    "Average score (0-100) of the non-retired assets that have one; null when none."
    score: Float
    assets: Int!
    passed: Int!
    failed: Int!
    gaps: Int!
  }

  type AssetPage {
    items: [Asset!]!
    nextCursor: String
    limit: Int!
  }

  type Asset {
    id: ID!
    name: String!
    status: String!
    revision: Int!
    riskLevel: String
    createdAt: String!
    updatedAt: String!
    compliance: AssetCompliance
    "The whole asset card resource, as GET /api/v1/assets/:id returns it."
    card: JSON!
    "Governance events of this asset (assetId = the card id)."
    events(limit: Int = 10, offset: Int = 0): EventPage!
  }

  type AssetCompliance {
    score: Float
    passed: Int!
    failed: Int!
    gaps: Int!
    evaluatedAt: String
  }

  input EventFilter {
    assetId: String
    type: String
    category: String
    criticality: String
    since: String
    until: String
  }

  type EventPage {
    events: [GovernanceEvent!]!
    total: Int!
    limit: Int!
    offset: Int!
  }

  type GovernanceEvent {
    id: ID!
    type: String!
    category: String!
    criticality: String!
    orgId: String!
    assetId: String!
    producedAt: String!
    receivedAt: String!
    hash: String!
    previousHash: String
    parentEventId: String
    correlationId: String
    source: JSON!
    goldenThread: JSON!
    data: JSON!
    "The whole event as GET /v1/events/:id returns it."
    raw: JSON!
  }

  type EventAssetPage {
    assets: [EventAsset!]!
    total: Int!
    limit: Int!
    offset: Int!
  }

  type EventAsset {
    assetId: String!
    lastEventAt: String!
    eventCount: Int!
    latestType: String!
  }

  type CheckpointPage {
    checkpoints: [IntegrityCheckpoint!]!
    total: Int!
    limit: Int!
    offset: Int!
  }

  type IntegrityCheckpoint {
    id: ID!
    merkleRoot: String!
    algorithm: String!
    eventCount: Int!
    fromSequence: Float!
    toSequence: Float!
    firstEventId: String!
    lastEventId: String!
    previousRoot: String
    trigger: String!
    computedAt: String!
  }

  type AuditPage {
    entries: [AuditEntry!]!
    limit: Int!
  }

  type AuditEntry {
    id: ID!
    seq: Int!
    occurredAt: String!
    actorType: String!
    actorId: String
    actorLabel: String
    action: String!
    targetType: String!
    targetId: String
    requestId: String
    hash: String!
    prevHash: String!
  }

  type CertificatePage {
    certificates: [Certificate!]!
    total: Int!
    limit: Int!
    offset: Int!
  }

  type Certificate {
    id: ID!
    assetId: String!
    serial: String!
    subject: String!
    governanceLevel: String!
    complianceScore: Float
    status: String!
    notBefore: String!
    notAfter: String!
    issuedAt: String!
    revokedAt: String
    revocationReason: String
  }

  type Warning {
    code: String!
    message: String!
    asset: String!
    severity: String!
    action: String
  }

  type PushResult {
    status: String!
    eventId: String!
    receivedAt: String!
    "true when the event was stored by this call, false for a duplicate"
    created: Boolean!
    warnings: [Warning!]!
  }

  type BatchError {
    code: String!
    message: String!
    field: String
    details: JSON
  }

  type BatchItem {
    id: String!
    index: Int!
    status: String!
    receivedAt: String
    error: BatchError
    warnings: [Warning!]
  }

  type BatchResult {
    accepted: Int!
    rejected: Int!
    duplicate: Int!
    results: [BatchItem!]!
  }
`;
