// Entry of the local S3-compatible endpoint (s3rver). No MinIO server installs here, so
// the local target runs s3rver with generated credentials; its built-in S3RVER/S3RVER
// key pair is revoked so only the generated one is accepted.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
};
const AWSAccount = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
};

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`s3-server: ${name} is required\n`);
    process.exit(78);
  }
  return value;
};

const port = Number(env('S3_PORT'));
const directory = env('S3_DIRECTORY');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(env('S3_ACCESS_KEY'), env('S3_SECRET_KEY'));
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');

const server = new S3rver({ port, address: '127.0.0.1', directory, silent: true, resetOnClose: false });
await server.run();
process.stdout.write(`s3-server listening on 127.0.0.1:${port}\n`);

const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
