// Debian's Chromium driven by playwright-core (never a Playwright browser download), with a fresh
// profile folder per run. See docs/test-stack.md §3.
import * as fs from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SYNAPSE_DOCKER_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--password-store=basic',
  '--no-proxy-server', // everything is on 127.0.0.1
  '--disable-breakpad',
  // Only 127.0.0.1 resolves; any other host name fails before a connection is tried.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

/** True for URLs that stay on this machine (or are not network requests at all). */
export function isLoopbackUrl(url: URL): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'ws:' && url.protocol !== 'wss:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface RunningBrowser {
  context: BrowserContext;
  page: Page;
  profileDir: string;
  /** Console messages and page errors, for the logs of a failed run. */
  consoleLines: string[];
  /** Requests to anything but loopback, blocked (the workbench must not need them). */
  blockedRequests: string[];
  close(): Promise<void>;
}

export async function launchChromium(profileDir: string, options: { width?: number; height?: number } = {}): Promise<RunningBrowser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: apt-get install -y chromium (or set SYNAPSE_DOCKER_CHROMIUM)`);
  }
  fs.mkdirSync(profileDir, { recursive: true });
  // Chromium's crash-report folder and dconf cache follow XDG; keep them out of $HOME.
  const xdg = `${profileDir.replace(/\/+$/, '')}-xdg`;
  fs.mkdirSync(xdg, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    env: { ...process.env, XDG_CONFIG_HOME: `${xdg}/config`, XDG_CACHE_HOME: `${xdg}/cache` } as Record<string, string>,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
  });
  const blockedRequests: string[] = [];
  await context.route(
    (url) => !isLoopbackUrl(url),
    (route) => {
      blockedRequests.push(route.request().url());
      void route.abort('blockedbyclient');
    },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  page.on('console', (msg) => consoleLines.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.stack ?? error.message}`));
  let closed = false;
  return {
    context,
    page,
    profileDir,
    consoleLines,
    blockedRequests,
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
    },
  };
}

/** The workbench URL that opens `folder` and passes development/test paths through ?payload=. */
export function workbenchUrl(
  serverUrl: string,
  folder: string,
  payload: { extensionDevelopmentPath?: string; extensionTestsPath?: string } = {},
): string {
  const authority = new URL(serverUrl).host;
  const entries: [string, string][] = [];
  if (payload.extensionDevelopmentPath) {
    entries.push(['extensionDevelopmentPath', `vscode-remote://${authority}${payload.extensionDevelopmentPath}`]);
  }
  if (payload.extensionTestsPath) {
    entries.push(['extensionTestsPath', `vscode-remote://${authority}${payload.extensionTestsPath}`]);
  }
  let url = `${serverUrl}/?folder=${encodeURIComponent(folder)}`;
  if (entries.length) url += `&payload=${encodeURIComponent(JSON.stringify(entries))}`;
  return url;
}
