// Features that land with other issues. A scenario written against a documented
// interface probes for it first; while the interface is not served (404 "no route"),
// the scenario is skipped with the reason — skipped, never a pass. Once it is served,
// the scenario runs and judges it. The issue labels are kept here in one place.
import type { ScenarioContext } from '../../harness/src/runner/scenario.js';

export const FEATURES = {
  apiCore: 'the API core issue (orgs, users, API keys, assets, policy packs, audit)',
  auth: 'the authentication issue',
  events: 'the governance events issue',
  ca: 'the CA issue',
  sso: 'the authentication issue (SSO)',
} as const;

export type Feature = keyof typeof FEATURES;

export function requires(feature: Feature, what: string): string {
  return `requires ${what}: ${FEATURES[feature]}, not served by this deployment yet`;
}

/**
 * Whether the deployment serves a route: anything but a 404 whose body says there is no
 * such route (an authenticated 404 for a missing record still means the route exists).
 */
export async function serves(
  ctx: ScenarioContext,
  method: string,
  path: string,
  headers?: Record<string, string>,
): Promise<boolean> {
  const res = await ctx.http({
    method,
    url: path,
    headers: { Accept: 'application/json', ...headers },
    label: `probe ${method} ${path}`,
  });
  if (res.status === 0) return false;
  if (res.status !== 404 && res.status !== 405 && res.status !== 501) return true;
  const body = res.json<{ error?: { code?: string; message?: string } }>();
  // the services' generic answer for an unknown route (errors.ts), or an HTML page
  return (
    !/^no route/i.test(body?.error?.message ?? '') && !/text\/html/.test(String(res.headers['content-type']))
  );
}

/** Authorization header for the admin token given to the harness, if any. */
export function adminAuth(ctx: ScenarioContext): Record<string, string> | undefined {
  return ctx.target.admin.token ? { Authorization: `Bearer ${ctx.target.admin.token}` } : undefined;
}
