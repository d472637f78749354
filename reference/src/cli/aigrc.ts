#!/usr/bin/env node
// aigrc: the client commands the seed uses on client machines (CP-02 §7.5):
//   aigrc config set endpoint https://aigos.customer.com
//   aigrc auth login            (prompts for an API key; the browser flow comes with SSO)
//   aigrc status                (control plane, connection, organization, user, role)
// Configuration lives in $AIGRC_CONFIG_DIR, else $XDG_CONFIG_HOME/aigrc, else ~/.aigrc
// (config.json, and credentials.json with mode 0600). AIGRC_ENDPOINT and AIGRC_API_KEY
// override the files (CI). Exit codes: 0 ok, 1 failed (not connected, refused), 2 usage.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, type CommanderError } from 'commander';

const CONFIG_KEYS = ['endpoint'] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

interface ClientConfig {
  endpoint?: string;
}
interface Credentials {
  apiKey?: string;
}

class UsageError extends Error {}
class FailedError extends Error {}

function configDir(): string {
  if (process.env.AIGRC_CONFIG_DIR) return process.env.AIGRC_CONFIG_DIR;
  if (process.env.XDG_CONFIG_HOME) return join(process.env.XDG_CONFIG_HOME, 'aigrc');
  return join(homedir(), '.aigrc');
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {} as T;
    throw new FailedError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function writeJson(file: string, value: unknown, mode: number): Promise<void> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

const configFile = () => join(configDir(), 'config.json');
const credentialsFile = () => join(configDir(), 'credentials.json');

function normalizeEndpoint(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`endpoint must be a URL such as https://aigos.customer.com (got ${raw})`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new UsageError('endpoint must be an http(s) URL');
  if (u.username || u.password) throw new UsageError('endpoint must not embed credentials');
  return u.toString().replace(/\/+$/, '');
}

async function endpoint(program: Command): Promise<string> {
  const flag = program.opts<{ endpoint?: string }>().endpoint;
  const value = flag ?? process.env.AIGRC_ENDPOINT ?? (await readJson<ClientConfig>(configFile())).endpoint;
  if (!value)
    throw new UsageError(
      'no control plane endpoint; run: aigrc config set endpoint https://aigos.example.com',
    );
  return normalizeEndpoint(value);
}

async function apiKey(): Promise<string | undefined> {
  return process.env.AIGRC_API_KEY ?? (await readJson<Credentials>(credentialsFile())).apiKey;
}

interface Me {
  organization: { name: string; slug: string };
  user: { email: string; name: string } | null;
  role: string;
  scopes: string[];
  authentication: { kind: string; apiKey?: { name: string; hint: string } };
}

type MeResult = { ok: true; me: Me } | { ok: false; status?: number; reason: string };

async function fetchMe(base: string, key: string | undefined): Promise<MeResult> {
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/me`, {
      headers: { Accept: 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      ok: false,
      reason: `cannot reach ${base} (${cause?.code ?? cause?.message ?? (err as Error).message})`,
    };
  }
  const body = (await res.json().catch(() => undefined)) as
    (Me & { error?: { message?: string } }) | undefined;
  if (res.ok && body?.organization) return { ok: true, me: body };
  const message = body?.error?.message ?? `HTTP ${res.status}`;
  return { ok: false, status: res.status, reason: message };
}

function prompt(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: process.stdin.isTTY === true,
    });
    if (hidden && process.stdin.isTTY) {
      // echo nothing while the key is typed
      const rlAny = rl as unknown as { _writeToOutput: (s: string) => void };
      rlAny._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stderr.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden && process.stdin.isTTY) process.stderr.write('\n');
      resolve(answer.trim());
    });
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

const program = new Command('aigrc')
  .description('AIGRC client for the AIGOS Control Plane')
  .option('--endpoint <url>', 'control plane URL (overrides the configured one)')
  .showHelpAfterError()
  .exitOverride((err: CommanderError) => {
    process.exit(
      ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2,
    );
  });

const config = program.command('config').description('client configuration');
config
  .command('set')
  .argument('<key>', `one of ${CONFIG_KEYS.join(', ')}`)
  .argument('<value>')
  .description('set a configuration value, e.g. aigrc config set endpoint https://aigos.customer.com')
  .action(async (key: string, value: string) => {
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new UsageError(`unknown key ${key}; known: ${CONFIG_KEYS.join(', ')}`);
    const current = await readJson<ClientConfig>(configFile());
    current[key as ConfigKey] = normalizeEndpoint(value);
    await writeJson(configFile(), current, 0o600);
    console.log(`${key} = ${current[key as ConfigKey]}`);
  });
config
  .command('get')
  .argument('<key>')
  .description('print a configuration value')
  .action(async (key: string) => {
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new UsageError(`unknown key ${key}; known: ${CONFIG_KEYS.join(', ')}`);
    const value = (await readJson<ClientConfig>(configFile()))[key as ConfigKey];
    if (value === undefined) throw new FailedError(`${key} is not set`);
    console.log(value);
  });

const auth = program.command('auth').description('authenticate this client');
auth
  .command('login')
  .description('store an API key for the control plane (prompted, or from --api-key-stdin)')
  .option('--api-key-stdin', 'read the API key from standard input')
  .option('--browser', 'single sign-on in the browser (available once the control plane offers SSO)')
  .action(async (opts: { apiKeyStdin?: boolean; browser?: boolean }) => {
    const base = await endpoint(program);
    if (opts.browser)
      throw new FailedError(
        `browser sign-in is not offered by ${base} yet; create an API key (aigos-admin apikey create) and run aigrc auth login`,
      );
    let key: string;
    if (opts.apiKeyStdin || !process.stdin.isTTY) key = await readStdin();
    else {
      process.stderr.write(
        `Control plane: ${base}\nPaste an API key (aigos_...). Browser sign-in will be offered once SSO is enabled.\n`,
      );
      key = await prompt('API key: ', true);
    }
    if (!/^aigos_[a-z0-9]{12}_[A-Za-z0-9]{43}$/.test(key))
      throw new UsageError('that is not an AIGOS API key (aigos_<prefix>_<secret>)');
    const r = await fetchMe(base, key);
    if (!r.ok) throw new FailedError(`login failed: ${r.reason}`);
    await writeJson(credentialsFile(), { apiKey: key }, 0o600);
    console.log(
      `Logged in to ${base} as ${r.me.user?.email ?? `API key ${r.me.authentication.apiKey?.name ?? ''}`.trim()} (${r.me.organization.name}, role ${r.me.role})`,
    );
  });
auth
  .command('logout')
  .description('forget the stored API key')
  .action(async () => {
    await writeJson(credentialsFile(), {}, 0o600);
    console.log('Logged out');
  });

program
  .command('status')
  .description('show the control plane, connection status, organization, user and role')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { json?: boolean }) => {
    const base = await endpoint(program);
    const key = await apiKey();
    const r = key
      ? await fetchMe(base, key)
      : ({ ok: false, reason: 'not logged in; run aigrc auth login' } as MeResult);
    if (opts.json) {
      console.log(
        JSON.stringify(
          r.ok
            ? { controlPlane: base, status: 'connected', ...r.me }
            : { controlPlane: base, status: 'not connected', reason: r.reason },
        ),
      );
    } else if (r.ok) {
      const who = r.me.user
        ? r.me.user.email
        : `API key ${r.me.authentication.apiKey?.name ?? ''} (${r.me.authentication.apiKey?.hint ?? ''})`;
      console.log(
        `Control Plane: ${base}\nStatus: Connected\nOrganization: ${r.me.organization.name}\nUser: ${who}\nRole: ${r.me.role}`,
      );
    } else {
      console.log(`Control Plane: ${base}\nStatus: Not connected (${r.reason})`);
    }
    process.exitCode = r.ok ? 0 : 1;
  });

try {
  await program.parseAsync();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`aigrc: ${message}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}
