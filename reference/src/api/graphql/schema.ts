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
    "The organization's compliance: score, control counts, scores by risk level, active packs (GET /api/v1/compliance/summary)."
    complianceSummary: ComplianceOverview
    "One asset's result for every control of the active packs (GET /api/v1/compliance/assets/:id)."
    assetCompliance(assetId: ID!): AssetControls
    "Score points of the organization, or of one asset, newest first; with bucket (hour, day or week) one point per bucket (GET /api/v1/compliance/history)."
    complianceHistory(assetId: ID, since: String, bucket: String, limit: Int = 100): ComplianceHistoryPage
    "Policy packs, every stored version (GET /api/v1/policy-packs); active: true only the active ones, false only the others."
    policyPacks(active: Boolean): [PolicyPack!]
    "One policy pack: the named version, else the active (or latest) one (GET /api/v1/policy-packs/:id)."
    policyPack(id: ID!, version: String): PolicyPack
    "Evidence of an asset, newest first (GET /api/v1/assets/:id/evidence). Files are uploaded and downloaded through REST."
    evidence(assetId: ID!, limit: Int = 100): EvidencePage
    "Generated compliance reports, newest first (GET /api/v1/reports); downloads through REST."
    reports(limit: Int = 50): ReportPage
  }

  """
  The REST actions, with the same validation, authorization (scope and role), audit entries
  and live updates: each mutation names the route it mirrors. Invalid input is a
  BAD_USER_INPUT error whose message and details name the argument path; nothing is stored.
  Evidence files are uploaded only through REST (POST /api/v1/assets/:id/evidence,
  multipart/form-data): GraphQL multipart uploads are a CSRF risk that Apollo Server blocks.
  """
  type Mutation {
    "POST /v1/events: one event in the upstream envelope."
    pushEvent(event: JSON!): PushResult!
    "POST /v1/events/batch: up to 1000 events."
    pushEvents(events: [JSON!]!): BatchResult!
    "POST /v1/integrity/checkpoints: a Merkle checkpoint over what arrived since the last one."
    createIntegrityCheckpoint: [IntegrityCheckpoint!]!

    "POST /api/v1/assets: a new asset card (our layout or the upstream one), in draft."
    createAsset(card: JSON!): Asset!
    "PATCH /api/v1/assets/:id: a JSON merge patch of the card; with revision, refused (REVISION_CONFLICT) unless the asset is still at that revision."
    updateAsset(id: ID!, patch: JSON!, revision: Int): Asset!
    "POST /api/v1/assets/:id/lifecycle with status registered (from draft)."
    registerAsset(id: ID!): Asset!
    "POST /api/v1/assets/:id/lifecycle with status retired (from registered; final)."
    retireAsset(id: ID!): Asset!

    "POST /api/v1/policy-packs/import: custom packs as YAML or JSON text (document) or as a value (packs: one pack, or a list); exactly one of the two. dryRun validates and reports without storing."
    importPolicyPacks(document: String, packs: JSON, dryRun: Boolean = false): PolicyImportResult!
    "POST /api/v1/policy-packs/built-in: eu-ai-act, nist-ai-rmf, iso-42001 (all three when policies is absent)."
    installBuiltInPolicyPacks(policies: [String!]): PolicyImportResult!
    "POST /api/v1/policy-packs/:id/activate: the named version, else the latest stored one; every asset is re-evaluated."
    activatePolicyPack(id: ID!, version: String): PolicyActivation!
    "POST /api/v1/policy-packs/:id/deactivate; every asset is re-evaluated."
    deactivatePolicyPack(id: ID!): PolicyActivation!

    "DELETE /api/v1/evidence/:id: the record as it was before deletion (its download URL no longer answers)."
    deleteEvidence(id: ID!): Evidence!

    "POST /api/v1/reports: format json or html (default html); retired assets left out unless includeRetired."
    generateReport(format: String, includeRetired: Boolean): Report!

    "POST /api/v1/compliance/evaluate: re-evaluate every asset of the organization now."
    evaluateCompliance: RecomputeSummary!
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

  type ComplianceOverview {
    "Average score (0-100) of the non-retired assets that have one; null when none."
    score: Float
    assets: Int!
    controls: ControlCounts!
    byRiskLevel: [RiskLevelScore!]!
    packs: [ActivePack!]!
    evaluatedAt: String
  }

  type ControlCounts {
    passed: Int!
    failed: Int!
    gaps: Int!
  }

  type RiskLevelScore {
    riskLevel: String!
    assets: Int!
    score: Float
  }

  type ActivePack {
    id: ID!
    version: String!
    name: String!
    controls: Int!
  }

  type AssetControls {
    assetId: ID!
    status: String!
    score: Float
    passed: Int!
    failed: Int!
    gaps: Int!
    notApplicable: Int!
    evaluatedAt: String
    "Every control of the active packs (applicable false: left out, with the reason)."
    controls: [ControlResult!]!
  }

  type ControlResult {
    packId: String!
    packVersion: String!
    controlId: String!
    "The control's official identifier (article, subcategory, clause)."
    ref: String!
    title: String!
    severity: String!
    "pass, fail or gap (a fact the check needs is missing)."
    status: String!
    applicable: Boolean!
    reason: String!
  }

  type ComplianceHistoryPage {
    assetId: ID
    bucket: String
    limit: Int!
    points: [CompliancePoint!]!
  }

  type CompliancePoint {
    at: String!
    score: Float
    passed: Int!
    failed: Int!
    gaps: Int!
    "Assets counted (organization points only)."
    assets: Int
    trigger: String!
  }

  type PolicyPack {
    id: ID!
    version: String!
    name: String!
    "built-in or custom"
    source: String!
    active: Boolean!
    controlCount: Int!
    digest: String!
    importedBy: String
    createdAt: String!
    activatedAt: String
    description: String
    framework: JSON
    controls: [PolicyControl!]!
    "The whole pack document, as GET /api/v1/policy-packs/:id returns it under definition."
    definition: JSON!
  }

  type PolicyControl {
    id: ID!
    ref: String!
    title: String!
    requirement: String!
    severity: String!
    appliesWhen: JSON
    check: JSON!
  }

  type PolicyImportResult {
    dryRun: Boolean!
    packs: [PackImportOutcome!]!
    "The re-evaluation that followed (absent for a dry run or when nothing changed)."
    recompute: RecomputeSummary
  }

  type PackImportOutcome {
    id: ID!
    version: String!
    name: String!
    controls: Int!
    "imported, activated or unchanged"
    result: String!
  }

  type PolicyActivation {
    id: ID!
    version: String!
    active: Boolean!
    recompute: RecomputeSummary!
  }

  type RecomputeSummary {
    assets: Int!
    packs: [PackVersion!]!
    "Assets whose results changed."
    changed: Int!
    orgScore: ComplianceSummary!
    durationMs: Int!
  }

  type PackVersion {
    id: ID!
    version: String!
  }

  type EvidencePage {
    items: [Evidence!]!
    limit: Int!
  }

  type Evidence {
    id: ID!
    assetId: String!
    kind: String!
    packId: String
    controlId: String
    filename: String!
    contentType: String!
    size: Float!
    sha256: String!
    description: String
    uploadedBy: String
    createdAt: String!
    downloadUrl: String!
  }

  type ReportPage {
    items: [Report!]!
    limit: Int!
  }

  type Report {
    id: ID!
    "json or html"
    format: String!
    contentType: String!
    size: Float!
    sha256: String!
    score: Float
    assets: Int!
    createdBy: String
    createdAt: String!
    downloadUrl: String!
  }
`;
