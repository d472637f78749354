// secrets generate: the seed's generate-secrets.sh, made idempotent (seed-review row 11).
// The work is in reference/src/ca/provision.ts; loaded only when this command runs.
import { Command, InvalidArgumentError } from 'commander';

const ITEM_NAMES = ['env', 'root', 'issuing', 'ocsp'] as const;

function items(value: string): (typeof ITEM_NAMES)[number][] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of list) {
    if (!(ITEM_NAMES as readonly string[]).includes(item))
      throw new InvalidArgumentError(`expected a comma-separated list of ${ITEM_NAMES.join(', ')}`);
  }
  return list as (typeof ITEM_NAMES)[number][];
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('deployment secrets and the CA hierarchy');
  secrets
    .command('generate')
    .description(
      'create .env.secrets and secrets/ca/ (root, issuing CA, OCSP responder) under --dir; ' +
        'idempotent: keeps what exists, fills in what is missing',
    )
    .option('--dir <dir>', 'deployment directory (where docker-compose.yml lives)', '.')
    .option('--force', 'replace existing secrets and keys (all, or those named by --only)')
    .option('--only <items>', `with --force: which of ${ITEM_NAMES.join(', ')} to replace`, items)
    .option('--organization <name>', 'organization (O) in the CA names', 'AIGOS')
    .option('--root-name <cn>', 'common name of the root CA', 'AIGOS Root CA')
    .option('--issuer-name <cn>', 'common name of the issuing CA (default: CA_ISSUER_NAME or "AIGOS CA")')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        dir: string;
        force?: boolean;
        only?: (typeof ITEM_NAMES)[number][];
        organization: string;
        rootName: string;
        issuerName?: string;
        json?: boolean;
      }) => {
        if (opts.only && !opts.force) throw new Error('--only selects what --force replaces; add --force');
        const { provisionSecrets, CA_FILES } = await import('../../ca/provision.js');
        const result = await provisionSecrets({
          dir: opts.dir,
          force: opts.force,
          only: opts.only,
          organization: opts.organization,
          rootName: opts.rootName,
          issuerName: opts.issuerName ?? (process.env.CA_ISSUER_NAME || 'AIGOS CA'),
        });
        const { join } = await import('node:path');
        const caEnv = {
          CA_ROOT_CERT_PATH: join(result.caDir, CA_FILES.rootCert),
          CA_ROOT_KEY_PATH: join(result.caDir, CA_FILES.rootKey),
          SIGNING_KEY_PATH: join(result.caDir, CA_FILES.issuingKey),
          CA_ISSUING_CERT_PATH: join(result.caDir, CA_FILES.issuingCert),
          CA_OCSP_CERT_PATH: join(result.caDir, CA_FILES.ocspCert),
          CA_OCSP_KEY_PATH: join(result.caDir, CA_FILES.ocspKey),
        };
        if (opts.json) {
          console.log(JSON.stringify({ ...result, caEnv }, null, 2));
          return;
        }
        for (const i of result.items)
          console.log(`${i.outcome.padEnd(9)} ${i.path}${i.note ? `  (${i.note})` : ''}`);
        console.log(`\nAdd the lines of ${result.envFile} to your .env (or your secret store).`);
        console.log('The CA service reads (the compose file mounts secrets/ca at /secrets):');
        for (const [k, v] of Object.entries(caEnv)) if (k !== 'CA_ROOT_KEY_PATH') console.log(`  ${k}=${v}`);
        console.log(
          `The root key ${caEnv.CA_ROOT_KEY_PATH} is only needed to re-issue the issuing CA; keep it offline.`,
        );
      },
    );
}
