// What test/e2e/run.ts sets up for the journeys (*.e2e.ts): one code-server with the packaged
// extension (synapse-docker.vsix) installed, one workbench page in Chromium, the sandbox's users.
import type { Page } from 'playwright-core';
import type { RunningCodeServer } from '../vscode/codeServer';
import type { SandboxInfo } from '../vscode/sandboxInfo';

export interface E2EContext {
  page: Page;
  server: RunningCodeServer;
  sandbox: SandboxInfo;
  sandboxFile: string;
  /** Where screenshots go (test-results/e2e). */
  resultsDir: string;
  /** The folder opened in the workbench. */
  workspace: string;
  /** HOME of code-server and its extension host (private to the run: ~/.synapseConfig goes here). */
  home: string;
  /** Server-side folders VS Code writes to (user data with logs, extensions, code-server's own state). */
  serverDirs: string[];
  /** The browser's profile folder. */
  browserProfile: string;
  /** Saves test-results/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
}

let current: E2EContext | undefined;

export function setE2EContext(context: E2EContext): void {
  current = context;
}

export function e2e(): E2EContext {
  if (!current) throw new Error('the e2e context is not set: run the journeys through node out/test/e2e/run.js');
  return current;
}
