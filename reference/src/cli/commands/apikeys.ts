// API key operator commands:
//   aigos-admin apikey create --org SLUG --scopes events:write,events:read,assets:read [--role editor]
// prints the key once (alone on stdout, so KEY=$(aigos-admin apikey create ...) works;
// the description goes to stderr). Only its SHA-256 is stored.
import type { Command } from 'commander';
import { z } from 'zod';
import { ALL_SCOPES, ROLES, SCOPES } from '../../api/auth/principal.js';
import {
  createApiKey,
  findMember,
  listApiKeys,
  revokeApiKey,
  roleSchema,
  scopeSchema,
} from '../../api/org/service.js';
import { HttpError } from '../../common/errors.js';
import {
  commaList,
  operatorAction,
  operatorContext,
  orgBySlug,
  parseOptions,
  usageExitCodes,
} from './operator-action.js';

export function registerApiKeyCommands(program: Command): void {
  const apikey = usageExitCodes(program.command('apikey').description('manage API keys'));

  apikey
    .command('create')
    .description('create an API key; the key is printed once')
    .requiredOption('--org <slug>', 'organization slug')
    .requiredOption(
      '--scopes <scopes>',
      `comma-separated scopes (${ALL_SCOPES} for all): ${SCOPES.join(',')}`,
    )
    .option('--role <role>', `role of the key: ${ROLES.join(' | ')}`, 'editor')
    .option('--name <name>', 'label shown in listings and the audit trail', 'operator key')
    .option('--user <email>', 'the member the key acts for (its role never exceeds theirs)')
    .option('--expires-in-days <days>', 'expiry in days (default: no expiry)')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(
        async (
          opts: {
            org: string;
            scopes: string;
            role: string;
            name: string;
            user?: string;
            expiresInDays?: string;
            json?: boolean;
          },
          io,
        ) => {
          const input = parseOptions(
            z.object({
              scopes: z.array(scopeSchema).min(1, 'name at least one scope'),
              role: roleSchema,
              name: z.string().trim().min(1).max(100),
              expiresInDays: z.coerce
                .number()
                .int('must be a whole number of days')
                .min(1)
                .max(3650)
                .optional(),
              user: z.email('must be an e-mail address').optional(),
            }),
            { ...opts, scopes: commaList(opts.scopes) ?? [] },
          );
          const org = await orgBySlug(io.pool, opts.org);
          let userId: string | undefined;
          if (input.user) {
            const member = await findMember(io.pool, org.id, input.user);
            if (!member)
              throw new HttpError(404, 'NOT_FOUND', `${input.user} is not a member of ${org.slug}`);
            userId = member.id;
          }
          const expiresAt = input.expiresInDays
            ? new Date(Date.now() + input.expiresInDays * 86_400_000)
            : undefined;
          const { key, record } = await createApiKey(
            io.pool,
            { orgId: org.id, name: input.name, role: input.role, scopes: input.scopes, userId, expiresAt },
            operatorContext(),
          );
          if (!io.json) {
            io.note(
              `API key "${record.name}" created for ${org.slug}: role ${record.role}, scopes ${record.scopes.join(',')}` +
                `${record.expiresAt ? `, expires ${record.expiresAt}` : ''}${input.user ? `, acting for ${input.user}` : ''}.`,
            );
            io.note('It is shown only once; store it now:');
            io.say(key);
          }
          return { organization: org.slug, key, ...record };
        },
      ),
    );

  apikey
    .command('list')
    .description("list an organization's API keys (never their secrets)")
    .requiredOption('--org <slug>', 'organization slug')
    .option('--include-revoked', 'include revoked keys')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; includeRevoked?: boolean; json?: boolean }, io) => {
        const org = await orgBySlug(io.pool, opts.org);
        const keys = await listApiKeys(io.pool, org.id, opts.includeRevoked === true);
        for (const k of keys)
          io.say(
            `${k.hint.padEnd(22)} ${k.role.padEnd(7)} ${k.revokedAt ? 'revoked ' : ''}${k.name}  [${k.scopes.join(',')}]  last used ${k.lastUsedAt ?? 'never'}`,
          );
        return { organization: org.slug, keys };
      }),
    );

  apikey
    .command('revoke')
    .description('revoke an API key by id or prefix (takes effect on the next request)')
    .requiredOption('--org <slug>', 'organization slug')
    .requiredOption('--key <idOrPrefix>', 'key id, its prefix, or the key itself')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; key: string; json?: boolean }, io) => {
        const org = await orgBySlug(io.pool, opts.org);
        const record = await revokeApiKey(io.pool, org.id, opts.key, operatorContext());
        io.say(`API key ${record.hint} (${record.name}) revoked at ${record.revokedAt}`);
        return { organization: org.slug, ...record };
      }),
    );
}
