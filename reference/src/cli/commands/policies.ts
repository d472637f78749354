// Policy operator commands (CP-02 §7.4):
//   aigos-admin policy import --source built-in --policies eu-ai-act,nist-ai-rmf,iso-42001
//   aigos-admin policy import --file /path/to/custom-policies.yaml
// Packs are imported into --org (default: `default`) and activated; the organization's
// assets are re-evaluated against its active packs.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { withOrg } from '../../common/tenancy.js';
import { BUILT_IN_PACK_IDS, parsePackText } from '../../api/policies/pack.js';
import { importPacks, listPacks, loadBuiltInPacks, type ImportResult } from '../../api/policies/service.js';
import {
  commaList,
  operatorAction,
  operatorContext,
  orgBySlug,
  parseOptions,
  usageExitCodes,
  UsageError,
  type ActionIO,
} from './operator-action.js';

function report(io: ActionIO, org: string, result: ImportResult): void {
  for (const p of result.packs) io.say(`${p.id} ${p.version} (${p.controls} controls): ${p.result}`);
  if (result.recompute)
    io.say(
      `re-evaluated ${result.recompute.assets} asset(s) of ${org} in ${result.recompute.durationMs} ms; ` +
        `organization score ${result.recompute.orgScore.score ?? 'n/a'}`,
    );
}

export function registerPolicyCommands(program: Command): void {
  const policy = usageExitCodes(program.command('policy').description('manage policy packs'));

  policy
    .command('import')
    .description(
      'import policy packs (built-in ones, or custom ones from a YAML/JSON file) and activate them',
    )
    .option('--source <source>', 'built-in (with --policies); omit with --file')
    .option(
      '--policies <ids>',
      `comma-separated built-in pack ids: ${BUILT_IN_PACK_IDS.join(',')} (default: all)`,
    )
    .option('--file <path>', 'YAML or JSON file holding one or more custom packs')
    .option('--org <slug>', 'organization slug', 'default')
    .option('--dry-run', 'validate and show what would change, without changing anything')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(
        async (
          opts: {
            source?: string;
            policies?: string;
            file?: string;
            org: string;
            dryRun?: boolean;
            json?: boolean;
          },
          io,
        ) => {
          if (opts.file && opts.source && opts.source !== 'file')
            throw new UsageError('--file imports custom packs; do not combine it with --source built-in');
          if (!opts.file && opts.source !== 'built-in')
            throw new UsageError('give --source built-in [--policies ids] or --file PATH');
          let packs;
          let source: 'built-in' | 'custom';
          if (opts.file) {
            if (opts.policies)
              throw new UsageError('--policies selects built-in packs; it does not go with --file');
            const text = await readFile(opts.file, 'utf8').catch((err: Error) => {
              throw new HttpError(404, 'NOT_FOUND', `cannot read ${opts.file}: ${err.message}`);
            });
            const parsed = parsePackText(text);
            if (parsed.problems.length)
              throw new HttpError(
                400,
                'VALIDATION_FAILED',
                `${opts.file} is not a valid policy pack file (${parsed.problems.length} problem(s)); nothing was imported`,
                parsed.problems,
              );
            packs = parsed.packs;
            source = 'custom';
          } else {
            const { policies } = parseOptions(
              z.object({
                policies: z
                  .array(
                    z.enum(BUILT_IN_PACK_IDS, {
                      message: `must name built-in packs: ${BUILT_IN_PACK_IDS.join(', ')}`,
                    }),
                  )
                  .min(1, 'name at least one pack'),
              }),
              { policies: commaList(opts.policies) ?? [...BUILT_IN_PACK_IDS] },
            );
            packs = await loadBuiltInPacks(policies);
            source = 'built-in';
          }
          const org = await orgBySlug(io.pool, opts.org);
          const result = await withOrg(io.pool, org.id, (c) =>
            importPacks(c, org.id, packs, source, operatorContext(), { dryRun: opts.dryRun }),
          );
          if (opts.dryRun) io.say('dry run: nothing was changed');
          report(io, org.slug, result);
          return { organization: org.slug, dryRun: opts.dryRun === true, ...result };
        },
      ),
    );

  policy
    .command('list')
    .description("list an organization's policy packs")
    .option('--org <slug>', 'organization slug', 'default')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; json?: boolean }, io) => {
        const org = await orgBySlug(io.pool, opts.org);
        const packs = await withOrg(io.pool, org.id, (c) => listPacks(c, org.id));
        for (const p of packs)
          io.say(
            `${p.id.padEnd(20)} ${p.version.padEnd(10)} ${p.active ? 'active  ' : 'inactive'} ${String(p.controls).padStart(3)} controls  ${p.source}`,
          );
        return { organization: org.slug, packs };
      }),
    );
}
