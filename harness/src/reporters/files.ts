// The report folder (contracts §2): report.json (+ .sig), junit.xml, report.html,
// summary.md, and reports/latest. Each output is a reporter on the multiplexer, so one
// that fails does not stop the others; report.json is written (and signed) first.
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm, symlink, writeFile, cp } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Report } from '../runner/model.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import { signDetached, type SigningKey } from './sign.js';

export const REPORT_FILES = {
  json: 'report.json',
  sig: 'report.json.sig',
  junit: 'junit.xml',
  html: 'report.html',
  markdown: 'summary.md',
} as const;

export function serializeReport(report: Report): Buffer {
  return Buffer.from(JSON.stringify(report, null, 2) + '\n', 'utf8');
}

export class JsonReporter implements Reporter {
  readonly name = 'json';
  constructor(private readonly key: SigningKey | undefined) {}
  async onRunEnd(report: Report, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const bytes = serializeReport(report);
    await writeFile(join(dir, REPORT_FILES.json), bytes);
    if (this.key) await writeFile(join(dir, REPORT_FILES.sig), (await signDetached(bytes, this.key)) + '\n');
  }
}

/** Renders from report.json as written, so every format shows exactly what was signed. */
abstract class FromJson implements Reporter {
  abstract readonly name: string;
  protected abstract file: string;
  protected abstract render(report: Report, dir: string): string | Promise<string>;
  async onRunEnd(_report: Report, dir: string): Promise<void> {
    const report = JSON.parse(await readFile(join(dir, REPORT_FILES.json), 'utf8')) as Report;
    await writeFile(join(dir, this.file), await this.render(report, dir));
  }
}

export class JunitReporter extends FromJson {
  readonly name = 'junit';
  protected file = REPORT_FILES.junit;
  protected render(report: Report) {
    return renderJunit(report);
  }
}

export class HtmlReporter extends FromJson {
  readonly name = 'html';
  protected file = REPORT_FILES.html;
  protected render(report: Report, dir: string) {
    return renderHtml(report, dir);
  }
}

export class MarkdownReporter extends FromJson {
  readonly name = 'markdown';
  protected file = REPORT_FILES.markdown;
  protected render(report: Report) {
    return renderMarkdown(report);
  }
}

/** reports/latest -> <runId> (a relative symlink, replaced atomically; a copy where links fail). */
export class LatestLinkReporter implements Reporter {
  readonly name = 'latest';
  async onRunEnd(_report: Report, dir: string): Promise<void> {
    const root = dirname(dir);
    const latest = join(root, 'latest');
    const tmp = join(root, `.latest-${process.pid}`);
    await rm(tmp, { force: true, recursive: true });
    try {
      await symlink(basename(dir), tmp, 'dir');
      await rename(tmp, latest);
    } catch {
      await rm(tmp, { force: true, recursive: true });
      if (existsSync(latest) && !(await lstat(latest)).isSymbolicLink())
        await rm(latest, { recursive: true, force: true });
      await cp(dir, latest, { recursive: true });
    }
  }
}

export function fileReporters(key: SigningKey | undefined): Reporter[] {
  return [
    new JsonReporter(key),
    new JunitReporter(),
    new HtmlReporter(),
    new MarkdownReporter(),
    new LatestLinkReporter(),
  ];
}
