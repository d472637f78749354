// Browser probe: Debian's Chromium driven by playwright-core (never `npx playwright
// install`: nothing can be downloaded here). Headless, no sandbox (root), a fresh
// profile per launch, no background network.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.AIGOS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (x): x is string => Boolean(x),
  );
  return candidates.find((c) => existsSync(c));
}

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile. `acceptPrivateCa`: the deployment uses a private CA
 * that this throwaway profile does not trust; certificate errors are then ignored here
 * (the TLS scenario verifies the chain against that CA separately).
 */
export async function launchChromium(
  executablePath: string,
  opts: { timeoutMs?: number; acceptPrivateCa?: boolean } = {},
): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'aigos-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: opts.timeoutMs ?? 30_000,
      ignoreHTTPSErrors: Boolean(opts.acceptPrivateCa),
      viewport: { width: 1280, height: 800 },
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}
