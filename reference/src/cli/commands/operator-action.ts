// Shared plumbing of the operator commands that act on organizations, users, policies
// and API keys: exit codes (0 ok, 1 failed, 2 usage), `--json` output, the database
// pool, and the operator as the audit actor.
import { hostname, userInfo } from 'node:os';
import type { Command, CommanderError } from 'commander';
import type pg from 'pg';
import { z } from 'zod';
import { ConfigError } from '../../common/config.js';
import { HttpError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { closeDependencies, openDependencies } from '../../common/service.js';
import type { AuditContext } from '../../api/policies/service.js';
import { operatorConfig } from './support.js';

export class UsageError extends Error {
  constructor(
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Commander's own usage errors (unknown option, missing value...) exit 2, help exits 0. */
export function usageExitCodes(cmd: Command): Command {
  return cmd.exitOverride((err: CommanderError) => {
    const ok = [
      'commander.helpDisplayed',
      'commander.help',
      'commander.version',
      'commander.executeSubCommandAsync',
    ];
    process.exit(ok.includes(err.code) ? 0 : 2);
  });
}

export function operatorContext(): AuditContext {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return { actor: { type: 'operator', id: user, label: `aigos-admin (${user}@${hostname()})` } };
}

/** Validate options with zod; problems become a usage error naming each option. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const name = i.path.length
      ? `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
      : 'options';
    return `${name}: ${i.message}`;
  });
  throw new UsageError(problems.join('; '), problems);
}

export const commaList = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export const booleanValue = z
  .enum(['true', 'false', 'yes', 'no', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === 'yes' || v === '1');

export interface ActionIO {
  pool: pg.Pool;
  json: boolean;
  /** Human output (stdout); suppressed with --json. */
  say: (line: string) => void;
  /** Notes for people (stderr), printed in both modes. */
  note: (line: string) => void;
}

/**
 * Run a command body with a database pool. The body returns what --json prints; human
 * output goes through io.say. Errors: usage -> 2, anything else -> 1 (configuration
 * errors are left to aigos-admin, which exits 78 naming the variable).
 */
export function operatorAction<O extends { json?: boolean }>(
  body: (opts: O, io: ActionIO) => Promise<unknown>,
): (opts: O) => Promise<void> {
  return async (opts: O) => {
    const json = opts.json === true;
    const fail = (code: number, errCode: string, message: string, details?: unknown[]) => {
      process.stderr.write(`aigos-admin: ${message}\n`);
      for (const d of details ?? []) {
        if (typeof d === 'string') continue;
        const p = d as { path?: string; message?: string };
        if (p.message) process.stderr.write(`  ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
      }
      if (json)
        process.stdout.write(
          JSON.stringify({ error: { code: errCode, message, ...(details?.length ? { details } : {}) } }) +
            '\n',
        );
      process.exitCode = code;
    };
    let deps: Awaited<ReturnType<typeof openDependencies>> | undefined;
    try {
      const config = operatorConfig();
      deps = await openDependencies(['postgres'], config, createLogger('admin', 'silent'), 'aigos-admin');
      const io: ActionIO = {
        pool: deps.pool!,
        json,
        say: (line) => {
          if (!json) process.stdout.write(line + '\n');
        },
        note: (line) => process.stderr.write(line + '\n'),
      };
      const result = await body(opts, io);
      if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      process.exitCode = 0;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if (err instanceof UsageError) fail(2, 'USAGE', err.message);
      else if (err instanceof HttpError) fail(1, err.code, err.message, err.details);
      else {
        const e = err as Error & { code?: string };
        const message =
          e.code === 'ECONNREFUSED' || e.message?.includes('timeout exceeded when trying to connect')
            ? `cannot reach PostgreSQL (${e.message}); is the deployment up and DATABASE_URL right?`
            : (e.message ?? String(err));
        fail(1, 'FAILED', message);
      }
    } finally {
      if (deps) await closeDependencies(deps);
    }
  };
}

/** The organization named by --org (slug or id); a usage-independent failure when absent. */
export async function orgBySlug(pool: pg.Pool, slug: string) {
  const { findOrg } = await import('../../api/org/service.js');
  const org = await findOrg(pool, slug);
  if (!org)
    throw new HttpError(404, 'NOT_FOUND', `no organization ${slug} (list them with: aigos-admin org list)`);
  return org;
}
