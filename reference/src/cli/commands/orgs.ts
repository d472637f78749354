// Organization operator commands (CP-02 §7.3):
//   aigos-admin org create --name "Customer Corp" --slug customer-corp --plan enterprise
//   aigos-admin org add-domain --org customer-corp --domain customer.com --verified true
//   aigos-admin org list | org show --org SLUG
import type { Command } from 'commander';
import { z } from 'zod';
import { createOrg, domainSchema, PLANS, putDomain, slugSchema } from '../../api/org/service.js';
import {
  booleanValue,
  operatorAction,
  operatorContext,
  orgBySlug,
  parseOptions,
  usageExitCodes,
} from './operator-action.js';

export function registerOrgCommands(program: Command): void {
  const org = usageExitCodes(program.command('org').description('manage organizations (tenants)'));

  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'short identifier (lowercase letters, digits, -)')
    .option('--plan <plan>', `plan: ${PLANS.join(' | ')}`, 'enterprise')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { name: string; slug: string; plan: string; json?: boolean }, io) => {
        const input = parseOptions(
          z.object({
            name: z.string().trim().min(1, 'must not be empty').max(200),
            slug: slugSchema,
            plan: z.enum(PLANS, { message: `must be one of ${PLANS.join(', ')}` }),
          }),
          opts,
        );
        const created = await createOrg(io.pool, input, operatorContext());
        io.say(`organization ${created.slug} created (id ${created.id}, plan ${created.plan})`);
        return created;
      }),
    );

  org
    .command('add-domain')
    .description('add a domain to an organization (verified domains route SSO users to it)')
    .requiredOption('--org <slug>', 'organization slug')
    .requiredOption('--domain <domain>', 'domain name, e.g. customer.com')
    .option('--verified <bool>', 'whether the domain is verified: true | false', 'false')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; domain: string; verified: string; json?: boolean }, io) => {
        const input = parseOptions(
          z.object({ org: z.string().min(1), domain: domainSchema, verified: booleanValue }),
          opts,
        );
        const target = await orgBySlug(io.pool, input.org);
        const r = await putDomain(io.pool, target.id, input.domain, input.verified, operatorContext(), {
          allowExisting: true,
        });
        io.say(
          `domain ${r.domain} ${r.created ? 'added to' : 'updated in'} ${target.slug} (${r.verified ? 'verified' : 'not verified'})`,
        );
        return { organization: target.slug, ...r };
      }),
    );

  org
    .command('list')
    .description('list organizations')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (_opts: { json?: boolean }, io) => {
        const r = await io.pool.query<{
          id: string;
          slug: string;
          name: string;
          plan: string;
          members: string;
        }>(
          `SELECT o.id, o.slug, o.name, o.plan, (SELECT count(*) FROM memberships m WHERE m.organization_id = o.id)::text AS members
             FROM organizations o ORDER BY o.slug`,
        );
        for (const o of r.rows)
          io.say(`${o.slug.padEnd(24)} ${o.plan.padEnd(10)} ${o.members.padStart(4)} members  ${o.name}`);
        return r.rows.map((o) => ({ ...o, members: Number(o.members) }));
      }),
    );

  org
    .command('show')
    .description('show one organization and its domains')
    .requiredOption('--org <slug>', 'organization slug')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; json?: boolean }, io) => {
        const o = await orgBySlug(io.pool, opts.org);
        io.say(`${o.name} (${o.slug}), plan ${o.plan}, id ${o.id}`);
        for (const d of o.domains) io.say(`  domain ${d.domain}${d.verified ? ' (verified)' : ''}`);
        return o;
      }),
    );
}
