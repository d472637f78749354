#!/usr/bin/env node
// `aigos serve gateway|api|ca|web`: one codebase and one image, one entry per service.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, SERVICES, type ServiceName } from '../common/config.js';
import { startService, type ServiceDefinition } from '../common/service.js';

// Each process loads only its own service's code (and so its libraries): idle memory matters.
const DEFINITIONS: Record<ServiceName, () => Promise<ServiceDefinition>> = {
  gateway: async () => (await import('../gateway/service.js')).gateway,
  api: async () => (await import('../api/service.js')).api,
  ca: async () => (await import('../ca/service.js')).ca,
  web: async () => (await import('../web/service.js')).web,
};

async function serve(name: ServiceName): Promise<void> {
  let running;
  try {
    running = await startService(await DEFINITIONS[name]());
  } catch (err) {
    // one line naming the variable and the problem; never a value marked secret
    if (err instanceof ConfigError) {
      process.stderr.write(`aigos ${name}: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const stop = (signal: NodeJS.Signals) => {
    running
      .shutdown(signal)
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const program = new Command('aigos').description('AIGOS Control Plane reference services');
program
  .command('serve')
  .argument('<service>', `one of ${SERVICES.join(', ')}`, (value: string) => {
    if (!(SERVICES as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${SERVICES.join(', ')}`);
    }
    return value as ServiceName;
  })
  .description('run one service in the foreground')
  .action(serve);

await program.parseAsync();
