// User operator commands (CP-02 §7.2):
//   aigos-admin user create --email admin@customer.com --name "Admin User" --role admin --password '<STRONG_PASSWORD>'
// The user joins --org (default: the seeded `default` organization). An existing user
// (of another organization) is added as a member without touching their password.
import type { Command } from 'commander';
import { z } from 'zod';
import { ROLES } from '../../api/auth/principal.js';
import { createUser, listMembers, passwordSchema, roleSchema } from '../../api/org/service.js';
import {
  operatorAction,
  operatorContext,
  orgBySlug,
  parseOptions,
  usageExitCodes,
  UsageError,
} from './operator-action.js';
import { readSecretFile } from './support.js';

export function registerUserCommands(program: Command): void {
  const user = usageExitCodes(
    program.command('user').description('manage users and their role in an organization'),
  );

  user
    .command('create')
    .description('create a user with one role in an organization')
    .requiredOption('--email <email>', 'e-mail address (the login name)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', `role in the organization: ${ROLES.join(' | ')}`)
    .option(
      '--password <password>',
      'initial password (12+ characters); visible in the process list, prefer --password-file',
    )
    .option('--password-file <path>', 'file holding the initial password')
    .option('--org <slug>', 'organization slug', 'default')
    .option('--must-change-password', 'force a password change at first login')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(
        async (
          opts: {
            email: string;
            name: string;
            role: string;
            password?: string;
            passwordFile?: string;
            org: string;
            mustChangePassword?: boolean;
            json?: boolean;
          },
          io,
        ) => {
          if (opts.password !== undefined && opts.passwordFile !== undefined)
            throw new UsageError('give --password or --password-file, not both');
          const password = opts.passwordFile
            ? await readSecretFile(opts.passwordFile, 'password')
            : opts.password;
          const input = parseOptions(
            z.object({
              email: z.email('must be an e-mail address').max(320),
              name: z.string().trim().min(1, 'must not be empty').max(200),
              role: roleSchema,
              password: passwordSchema.optional(),
            }),
            { email: opts.email, name: opts.name, role: opts.role, password },
          );
          if (opts.password !== undefined)
            io.note(
              'note: a password given with --password is visible in the process list and shell history; prefer --password-file',
            );
          const org = await orgBySlug(io.pool, opts.org);
          const { user: created, created: isNew } = await createUser(
            io.pool,
            {
              orgId: org.id,
              ...input,
              mustChangePassword: opts.mustChangePassword === true,
              addExisting: true,
            },
            operatorContext(),
          );
          io.say(
            isNew
              ? `user ${created.email} created as ${created.role} of ${org.slug}${input.password ? '' : ' (no password: single sign-on only)'}`
              : `existing user ${created.email} added to ${org.slug} as ${created.role} (password unchanged)`,
          );
          return { organization: org.slug, created: isNew, user: created };
        },
      ),
    );

  user
    .command('list')
    .description('list the members of an organization')
    .option('--org <slug>', 'organization slug', 'default')
    .option('--json', 'print the result as JSON')
    .action(
      operatorAction(async (opts: { org: string; json?: boolean }, io) => {
        const org = await orgBySlug(io.pool, opts.org);
        const members = await listMembers(io.pool, org.id, 10_000);
        for (const m of members)
          io.say(`${m.email.padEnd(36)} ${m.role.padEnd(7)} ${m.disabled ? 'disabled ' : ''}${m.name}`);
        return { organization: org.slug, members };
      }),
    );
}
