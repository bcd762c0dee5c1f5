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
  const started = Date.now();
  const stamp = (): string => `${((Date.now() - started) / 1000).toFixed(3)}s`;
  page.on('console', (msg) => consoleLines.push(`${stamp()} [${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`${stamp()} [pageerror] ${error.stack ?? error.message}`));
  await context.addInitScript(traceNotifications);
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

/**
 * Runs in the page: logs each notification the workbench announces to screen readers (every one
 * added) and each toast it renders, so a failed run's console log tells a notification that was
 * never added from one VS Code kept out of the toasts (its spam protection drops a fourth toast
 * within 0.8 s). Both containers are watched alone, never the whole document.
 */
function traceNotifications(): void {
  const watched = new Set<string>();
  // deep: the announcement's text changes inside its element; a toast is a new child of the container.
  const watch = (selector: string, label: string, deep: boolean, text: (node: Element) => string | undefined): void => {
    const root = document.querySelector(selector);
    if (!root || watched.has(selector)) return;
    watched.add(selector);
    let last = '';
    const log = (node: Element): void => {
      const line = (text(node) ?? '').replace(/\s+/g, ' ').trim();
      if (line && line !== last) console.debug(`[${label}] ${line}`);
      last = line || last;
    };
    new MutationObserver((records) => {
      for (const record of records) {
        const target = record.target instanceof Element ? record.target : record.target.parentElement;
        const added = Array.from(record.addedNodes).filter((n): n is Element => n instanceof Element);
        for (const node of added.length ? added : target ? [target] : []) log(node);
      }
    }).observe(root, { childList: true, subtree: deep, characterData: deep });
  };
  const poll = setInterval(() => {
    watch('.monaco-aria-container', 'announced', true, (node) => node.textContent ?? undefined);
    watch(
      '.notifications-toasts',
      'toast',
      false,
      (node) => node.querySelector('.notification-list-item-message')?.textContent ?? undefined,
    );
    if (watched.size === 2) clearInterval(poll);
  }, 200);
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
