// Evidence files of a run: written under <report dir>/evidence/<scenario id>/, redacted,
// and hashed (SHA-256) so report.json can list them and `verify` can check them.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EvidenceRef } from './model.js';
import type { Redactor } from './redact.js';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'evidence'
  );
}

export class EvidenceStore {
  private readonly counters = new Map<string, number>();

  constructor(
    /** The report directory; evidence paths are relative to it. */
    readonly reportDir: string,
    readonly redactor: Redactor,
  ) {}

  /**
   * Write one evidence file. Text is redacted with the deployment's known secrets
   * unless raw (binary files such as screenshots are written as they are).
   */
  async write(
    scenarioId: string,
    name: string,
    content: string | Buffer,
    kind: string,
    ext = 'txt',
  ): Promise<EvidenceRef> {
    const n = (this.counters.get(scenarioId) ?? 0) + 1;
    this.counters.set(scenarioId, n);
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(scenarioId))
      throw new Error(`bad scenario id for evidence: ${scenarioId}`);
    const rel = `evidence/${scenarioId}/${String(n).padStart(3, '0')}-${slug(name)}.${ext}`;
    const bytes = typeof content === 'string' ? Buffer.from(this.redactor.text(content), 'utf8') : content;
    const file = join(this.reportDir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
    return { kind, path: rel, sha256: sha256(bytes) };
  }
}
