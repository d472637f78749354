// Database and health operator commands: db:migrate, db:seed, healthcheck.
import type { Command } from 'commander';
import { required } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { migrateUp } from '../../common/migrations.js';
import { closeDependencies, dependencyChecks, openDependencies } from '../../common/service.js';
import { seed } from '../../admin/seed.js';
import { operatorConfig, readSecretFile } from './support.js';

export function registerDatabaseCommands(program: Command): void {
  program
    .command('db:migrate')
    .description('apply pending database migrations (forward only)')
    .action(async () => {
      const config = operatorConfig();
      const applied = await migrateUp(required(config, 'DATABASE_URL'));
      console.log(
        applied.length
          ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
          : 'migrations are current',
      );
    });

  program
    .command('db:seed')
    .description('create the initial organization and admin (idempotent)')
    .option('--org-slug <slug>', 'organization slug', 'default')
    .option('--org-name <name>', 'organization name', 'Default Organization')
    .option('--admin-email <email>', 'first admin e-mail', 'admin@example.com')
    .option('--admin-name <name>', 'first admin display name', 'Administrator')
    .option(
      '--admin-password-file <path>',
      'file holding the first admin password; without it the seed default is set and must be changed at first login',
    )
    .action(
      async (opts: {
        orgSlug: string;
        orgName: string;
        adminEmail: string;
        adminName: string;
        adminPasswordFile?: string;
      }) => {
        const config = operatorConfig();
        const log = createLogger('admin', 'warn');
        const deps = await openDependencies(['postgres'], config, log, 'aigos-admin');
        try {
          const adminPassword = opts.adminPasswordFile
            ? await readSecretFile(opts.adminPasswordFile, 'admin password')
            : undefined;
          const result = await seed(deps.pool!, { ...opts, adminPassword });
          console.log(
            `organization ${result.organization.slug}: ${result.organization.created ? 'created' : 'exists'}; ` +
              `admin ${result.admin.email}: ${result.admin.created ? 'created' : 'exists'}` +
              (result.admin.mustChangePassword ? ' (must change the default password at first login)' : ''),
          );
        } finally {
          await closeDependencies(deps);
        }
      },
    );

  program
    .command('healthcheck')
    .description('check PostgreSQL, Redis, object storage and migrations; exit 1 when any is down')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = operatorConfig();
      const log = createLogger('admin', 'silent');
      const deps = await openDependencies(['postgres', 'redis', 'storage'], config, log, 'aigos-admin');
      try {
        const checks = dependencyChecks(deps, config);
        const results: Record<string, { status: string; error?: string }> = {};
        for (const [name, check] of Object.entries(checks)) {
          try {
            await check();
            results[name] = { status: 'ok' };
          } catch (err) {
            results[name] = { status: 'down', error: err instanceof Error ? err.message : String(err) };
          }
        }
        const ok = Object.values(results).every((r) => r.status === 'ok');
        if (opts.json) console.log(JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks: results }));
        else
          for (const [name, r] of Object.entries(results))
            console.log(`${name.padEnd(11)} ${r.status}${r.error ? `: ${r.error}` : ''}`);
        process.exitCode = ok ? 0 : 1;
      } finally {
        await closeDependencies(deps);
      }
    });
}
