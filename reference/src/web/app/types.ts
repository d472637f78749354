// Shapes of the REST resources the dashboard reads (see reference/src/api/**).

export interface ComplianceSummary {
  score: number | null;
  assets: number;
  controls: { passed: number; failed: number; gaps: number };
  byRiskLevel: { riskLevel: string; assets: number; score: number | null }[];
  packs: { id: string; version: string; name: string; controls: number }[];
  evaluatedAt: string | null;
}

export interface HistoryPoint {
  at: string;
  score: number | null;
  passed: number;
  failed: number;
  gaps: number;
  assets?: number;
  trigger: string;
}

export interface GovernanceEvent {
  id: string;
  type: string;
  category: string;
  criticality: string;
  assetId: string;
  producedAt: string;
  receivedAt?: string;
  source?: { tool?: string; identity?: { subject?: string } };
}

export interface AssetCompliance {
  score: number | null;
  passed: number;
  failed: number;
  gaps: number;
  evaluatedAt: string | null;
}

export interface Asset {
  id: string;
  name: string;
  description?: string;
  version?: string;
  owner: { name: string; email: string; team?: string };
  technical: { type: string; framework?: string; model?: string; provider?: string };
  classification: { riskLevel: string; rationale?: string };
  jurisdictions: string[];
  goldenThread?: { system: string; ref: string; url?: string; status?: string } | null;
  governance: { status: string; approvals: unknown[] };
  status: 'draft' | 'registered' | 'retired';
  revision: number;
  createdAt: string;
  updatedAt: string;
  compliance: AssetCompliance | null;
}

export interface ControlResult {
  packId: string;
  packVersion: string;
  controlId: string;
  ref: string;
  title: string;
  severity: string;
  status: 'pass' | 'fail' | 'gap';
  applicable: boolean;
  reason: string;
}

export interface AssetComplianceDetail {
  assetId: string;
  status: string;
  score: number | null;
  passed: number;
  failed: number;
  gaps: number;
  notApplicable: number;
  evaluatedAt: string | null;
  results: ControlResult[];
}

export interface Evidence {
  id: string;
  assetId: string;
  kind: string;
  packId: string | null;
  controlId: string | null;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  description: string | null;
  uploadedBy: string | null;
  createdAt: string;
  downloadUrl: string;
}

export interface PackSummary {
  id: string;
  version: string;
  name: string;
  source: string;
  active: boolean;
  controls: number;
  digest: string;
  importedBy: string | null;
  createdAt: string;
  activatedAt: string | null;
}

export interface AuditRecord {
  id: string;
  seq: number;
  occurredAt: string;
  actor: { type: string; id: string | null; label: string | null };
  action: string;
  target: { type: string; id: string | null };
  sourceAddress: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  entries: number;
  headHash: string | null;
  headSeq: number | null;
  firstBroken?: { seq: number; id: string; reason: string; message: string };
  algorithm: string;
}

export interface Report {
  id: string;
  format: 'json' | 'html';
  contentType: string;
  size: number;
  sha256: string;
  score: number | null;
  assets: number;
  createdBy: string | null;
  createdAt: string;
  downloadUrl: string;
}

export interface Certificate {
  id: string;
  assetId: string;
  serial: string;
  subject: string;
  governanceLevel: string;
  complianceScore: number | null;
  status: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface Member {
  id: string;
  email: string;
  name: string;
  role: 'viewer' | 'editor' | 'admin';
  disabled: boolean;
  mustChangePassword: boolean;
  memberSince: string;
}

export interface Organization {
  id: string;
  slug: string;
  name: string;
  plan: string;
  createdAt: string;
  domains: { domain: string; verified: boolean }[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  hint: string;
  role: string;
  scopes: string[];
  userId: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdBy: string | null;
  createdAt: string;
}
