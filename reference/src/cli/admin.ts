#!/usr/bin/env node
// aigos-admin: the operator CLI, as the seed uses it (`npm run cli -- ...`,
// `npm run db:migrate`, `npm run db:seed`, `npm run healthcheck`). Each group of
// commands lives in commands/ and registers itself here.
import { Command } from 'commander';
import { ConfigError } from '../common/config.js';
import { registerDatabaseCommands } from './commands/database.js';
import { registerSecretsCommands } from './commands/secrets.js';
import { registerOrgCommands } from './commands/orgs.js';
import { registerUserCommands } from './commands/users.js';
import { registerPolicyCommands } from './commands/policies.js';
import { registerApiKeyCommands } from './commands/apikeys.js';

const program = new Command('aigos-admin')
  .description('AIGOS Control Plane operator commands')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerDatabaseCommands(program);
registerSecretsCommands(program);
registerOrgCommands(program);
registerUserCommands(program);
registerPolicyCommands(program);
registerApiKeyCommands(program);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`aigos-admin: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`aigos-admin: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
