// The local deployment's state directory: secrets, chosen ports, logs, status and the
// endpoints file. Everything a later `down`, `exec` or a test needs is found here.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const SECRET_NAMES = [
  'postgres-superuser-password',
  'db-password',
  'redis-password',
  's3-access-key',
  's3-secret-key',
  'jwt-secret',
  'session-secret',
  'admin-password',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

export class StateDir {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }
  get secretsDir() {
    return this.path('secrets');
  }
  secretFile(name: SecretName) {
    return this.path('secrets', name);
  }
  logFile(component: string) {
    return this.path('logs', `${component}.log`);
  }
  get endpointsFile() {
    return this.path('endpoints.json');
  }
  get statusFile() {
    return this.path('status.json');
  }
  get layoutFile() {
    return this.path('layout.json');
  }
  get serviceEnvFile() {
    return this.path('secrets', 'service-env.json');
  }
  get supervisorPidFile() {
    return this.path('supervisor.pid');
  }
  get controlSocket() {
    return this.path('control.sock');
  }
  get supervisorLog() {
    return this.path('logs', 'supervisor.log');
  }

  async ensure(): Promise<void> {
    // 0755: PostgreSQL runs as its own OS user and must reach its data directory here;
    // secrets live in a 0700 subdirectory and files holding secrets are 0600
    await mkdir(this.root, { recursive: true, mode: 0o755 });
    await mkdir(this.path('logs'), { recursive: true, mode: 0o700 });
    await mkdir(this.secretsDir, { recursive: true, mode: 0o700 });
    await chmod(this.secretsDir, 0o700);
  }

  /** Generate each missing secret once (0600); existing ones are kept, never duplicated. */
  async secrets(): Promise<Secrets> {
    const out = {} as Secrets;
    for (const name of SECRET_NAMES) {
      const file = this.secretFile(name);
      if (existsSync(file)) {
        out[name] = (await readFile(file, 'utf8')).trim();
      } else {
        // URL-safe, no quoting needed in URLs or config files
        const bytes = name === 's3-access-key' ? 12 : 32;
        out[name] = randomBytes(bytes).toString('base64url');
        await writeFile(file, out[name] + '\n', { mode: 0o600, flag: 'wx' });
      }
    }
    return out;
  }

  async readJson<T>(file: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Atomic write so readers never see half a file. */
  async writeJson(file: string, value: unknown, mode = 0o644): Promise<void> {
    // unique per write: concurrent writers of one file must not share a temporary
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
    await rename(tmp, file);
  }
}
