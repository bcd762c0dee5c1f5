// What the journeys (NN-*.e2e.ts) share: the view's names, the hand-off between journeys (who is
// signed in, what journey 3 pushed), the Docker engine and the sandbox's REST API seen from the
// test process, the clipboard, the no-token-in-clear check, and step skipping after a failure.
//
// The journeys run in one page, in file order, each starting from the state the previous one
// leaves (documented at the top of each file). In a full run a journey that does not find that
// state fails at once (the hand-off is part of what is tested); when only some journeys run
// (SYNAPSE_DOCKER_E2E_GREP) or an earlier journey failed, it sets the state up itself.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { scanForSecret } from '../vscode/secretScan';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  accountStatusBarItem,
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  openViewContainer,
  resizeSideBar,
  signInThroughPalette,
  signOutThroughPalette,
  waitForProgressToFinish,
  waitForNotification,
} from './workbench';

export const CONTAINER = 'Synapse Docker';
export const VIEW = 'Projects';
export const PROJECT_ID = 'syn1000001';
export const PROJECT_NAME = 'Alice Main Project';
/** The base of every image the journeys build (loaded into the sandbox engine by the stack). */
export const BASE_IMAGE = 'local/busybox:1';
/** Wide enough for repository names and tag descriptions in the screenshots. */
export const SIDE_BAR_WIDTH = 520;

/** Unique per run: names of repositories and images the journeys create. */
export const runId = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;

// ---- Hand-off between journeys ------------------------------------------------------------------

/** What journey 3 pushed, for journey 4 to pull. */
export interface PushedImage {
  /** registry/syn1000001/e2e-<run> */
  repositoryName: string;
  /** syn1000001/e2e-<run>, the repository's label in the tree. */
  label: string;
  /** The repository's synID. */
  repositoryId: string;
  tag: string;
  /** repositoryName:tag */
  reference: string;
  /** sha256:… as the sandbox lists it. */
  digest: string;
}

export const journeyState: { pushed?: PushedImage; failedSteps: number } = { failedSteps: 0 };

/** Records what journey 3 pushed (here and, for the record, in test-results/e2e/journey-state.json). */
export function recordPushed(pushed: PushedImage): void {
  journeyState.pushed = pushed;
  fs.writeFileSync(path.join(e2e().resultsDir, 'journey-state.json'), `${JSON.stringify({ runId, pushed }, null, 2)}\n`);
}

/** True when journeys may set up the state they expect themselves (subset run, or an earlier failure). */
export function mayRepairHandOff(): boolean {
  return !!process.env.SYNAPSE_DOCKER_E2E_GREP || journeyState.failedSteps > 0;
}

/**
 * The steps of a journey depend on each other: after a failed step the rest are skipped, except
 * the last ones, titled "leaves …", which hand the workbench over to the next journey.
 */
export function skipAfterFailure(): void {
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      journeyState.failedSteps++;
    }
  });
  beforeEach(function () {
    if (failed && !/^leaves /.test(this.currentTest?.title ?? '')) this.skip();
  });
}

/** The user name in the status bar's account item, or undefined when nobody is signed in. */
export async function signedInUser(page: Page): Promise<string | undefined> {
  const item = accountStatusBarItem(page);
  if (!(await item.isVisible().catch(() => false))) return undefined;
  return ((await item.innerText()) ?? '').trim() || undefined;
}

/**
 * Checks that the previous journey left `expected` signed in (undefined: nobody); when it did
 * not and repairs are allowed, signs in (or out) through the palette.
 */
export async function expectSignedIn(page: Page, expected: string | undefined, journey: string): Promise<void> {
  await waitForProgressToFinish(page, 15_000);
  // The account item appears once the extension has restored the session after activation.
  const deadline = Date.now() + 5_000;
  let actual = await signedInUser(page);
  while (actual !== expected && Date.now() < deadline) {
    await page.waitForTimeout(200);
    actual = await signedInUser(page);
  }
  if (actual === expected) return;
  if (!mayRepairHandOff()) {
    assert.fail(
      `${journey} expects ${expected ? `${expected} signed in` : 'nobody signed in'}, but the status bar shows ${actual ?? 'nobody'}`,
    );
  }
  process.stderr.write(`[e2e] ${journey}: found ${actual ?? 'nobody'} signed in, expected ${expected ?? 'nobody'}: switching\n`);
  await closeContextMenu(page);
  await closeQuickInput(page);
  if (actual) await signOutThroughPalette(page, actual);
  if (expected) await signInAs(page, expected);
  await clearAllNotifications(page);
}

/**
 * The first step of every journey: opens the Synapse Docker view (with a side bar wide enough for
 * the screenshots) and checks who the previous journey left signed in (see expectSignedIn).
 */
export async function beginJourney(page: Page, journey: string, expectedUser: string | undefined): Promise<void> {
  await closeContextMenu(page);
  await openViewContainer(page, CONTAINER, 60_000);
  await resizeSideBar(page, SIDE_BAR_WIDTH);
  await expectSignedIn(page, expectedUser, journey);
}

/** Signs in through the palette as a sandbox user and waits for the "Signed in" notification. */
export async function signInAs(page: Page, userName: string): Promise<void> {
  await signInThroughPalette(page, sandboxUser(e2e().sandbox, userName).token, userName);
  await waitForNotification(page, `Signed in to Synapse as ${userName}.`, 15_000);
}

// ---- The extension's log (server side) ------------------------------------------------------------

/** The extension's "Activated in … (endpoint …, signed in as X | signed out)" log lines, oldest first. */
export function activationLines(): string[] {
  return extensionLogLines((line) => line.includes('] Activated in '));
}

/** Lines of the extension's log ("Synapse Docker" output channel, all extension hosts) that `accept`, oldest first. */
export function extensionLogLines(accept: (line: string) => boolean): string[] {
  const logs = path.join(e2e().serverDirs[0], 'logs');
  const lines: { at: string; line: string }[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name === 'Synapse Docker.log') {
        for (const line of fs.readFileSync(full, 'utf8').split('\n')) if (accept(line)) lines.push({ at: line.slice(0, 23), line });
      }
    }
  };
  visit(logs);
  return lines.sort((a, b) => a.at.localeCompare(b.at)).map((l) => l.line);
}

/** Waits until the extension has logged `count` activations (or more); returns the lines. */
export async function waitForActivations(page: Page, count: number, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let lines = activationLines();
  while (lines.length < count && Date.now() < deadline) {
    await page.waitForTimeout(250);
    lines = activationLines();
  }
  assert.ok(lines.length >= count, `the extension logged ${lines.length} activations, expected ${count}`);
  return lines;
}

// ---- The Docker engine, from the test process --------------------------------------------------

export function engine(): Docker {
  const host = e2e().sandbox.dockerHost ?? process.env.DOCKER_HOST;
  assert.ok(host, 'sandbox.json has no dockerHost');
  return host.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
}

/** Removes images by id with force (a pushed image keeps a repo digest that would otherwise hold it). */
export async function removeImages(docker: Docker, references: string[]): Promise<void> {
  const base = (
    await docker
      .getImage(BASE_IMAGE)
      .inspect()
      .catch(() => undefined)
  )?.Id;
  for (const reference of references) {
    const id = (
      await docker
        .getImage(reference)
        .inspect()
        .catch(() => undefined)
    )?.Id;
    if (id && id !== base)
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

/** Builds a small image named `reference` from BASE_IMAGE, unique to it (so its digest is new). */
export async function buildImageInEngine(reference: string): Promise<void> {
  const docker = engine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-e2e-image-'));
  try {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`);
    fs.writeFileSync(path.join(dir, 'id.txt'), `${reference} ${crypto.randomBytes(12).toString('hex')}\n`);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: reference, rm: true, forcerm: true });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: unknown) => (error ? reject(error) : resolve(output))),
    );
    await docker.getImage(reference).inspect();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- The sandbox's REST API, from the test process (not through the extension) -----------------

/** GET on the sandbox's /repo/v1 as a user; returns the status and the parsed body. */
export async function sandboxGet<T>(userName: string, pathAndQuery: string): Promise<{ status: number; body: T }> {
  const { sandbox } = e2e();
  const response = await fetch(`${sandbox.synapseEndpoint}/repo/v1${pathAndQuery}`, {
    headers: { Authorization: `Bearer ${sandboxUser(sandbox, userName).token}` },
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface RestTag {
  tag: string;
  digest: string;
}

/** A repository's tags as the sandbox lists them to alice: what the tree must show. */
export async function sandboxTags(repositoryId: string): Promise<RestTag[]> {
  const { status, body } = await sandboxGet<{ results: RestTag[] }>('alice', `/entity/${repositoryId}/dockerTag?limit=50&offset=0`);
  assert.equal(status, 200);
  return body.results;
}

/** A managed repository's synID by its full name, or undefined when Synapse has none. */
export async function sandboxRepositoryId(repositoryName: string): Promise<string | undefined> {
  const { status, body } = await sandboxGet<{ id: string }>(
    'alice',
    `/entity/dockerRepo/id?repositoryName=${encodeURIComponent(repositoryName)}`,
  );
  if (status === 404) return undefined;
  assert.equal(status, 200, `dockerRepo/id?repositoryName=${repositoryName}`);
  return body.id;
}

/** A test control of the sandbox (loopback only), e.g. /__admin/trash. */
export async function sandboxAdmin(pathName: string, body: unknown): Promise<void> {
  const response = await fetch(`${e2e().sandbox.synapseEndpoint}${pathName}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${pathName}: ${response.status} ${await response.text()}`);
}

// ---- The browser's clipboard -------------------------------------------------------------------

/** The extension writes to the browser's clipboard; lets the page (and so the journeys) read it. */
export async function grantClipboard(page: Page): Promise<void> {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
}

export async function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

export async function writeClipboard(page: Page, text: string): Promise<void> {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
}

export async function waitForClipboard(page: Page, expected: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = await readClipboard(page);
  while (text !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    text = await readClipboard(page);
  }
  return text;
}

// ---- Tokens never in clear ---------------------------------------------------------------------

/**
 * Checks that no token of `userNames` is in clear in the page's storage (localStorage, IndexedDB,
 * where code-server keeps extension state) or in any file of the server, workspace or browser
 * profile (settings, logs including the extension's output channel, extension state). code-server's
 * SecretStorage seals secrets (AES-GCM) in localStorage["secrets.provider"].
 */
export async function assertNoTokenInClear(page: Page, userNames: string[]): Promise<void> {
  const { sandbox, serverDirs, workspace, browserProfile } = e2e();
  const tokens = userNames.map((name) => ({ name, token: sandboxUser(sandbox, name).token }));
  const inStorage = await page.evaluate(async (secrets: { name: string; token: string }[]) => {
    const found: string[] = [];
    const check = (where: string, text: string) => {
      for (const { name, token } of secrets) if (text.includes(token)) found.push(`${name}'s token in ${where}`);
    };
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      check(`localStorage:${key}`, localStorage.getItem(key) ?? '');
    }
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(info.name!);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      for (const storeName of Array.from(db.objectStoreNames)) {
        const values = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        const text = values.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : JSON.stringify(v))).join('\n');
        check(`indexedDB:${info.name}/${storeName}`, text);
      }
      db.close();
    }
    return found;
  }, tokens);
  assert.deepEqual(inStorage, [], 'a token appears in clear in the browser storage');
  // Give VS Code time to flush state and logs to disk before scanning.
  await new Promise((r) => setTimeout(r, 1500));
  for (const { name, token } of tokens) {
    const report = scanForSecret([...serverDirs, workspace, browserProfile], token);
    assert.ok(report.filesScanned > 0);
    const leaks = report.hits.map((h) => `${path.relative('/', h.file)} (${h.encoding})`);
    assert.equal(leaks.length, 0, `${name}'s token leaked into: ${leaks.join(', ')}`);
  }
}

// ---- Screenshots ---------------------------------------------------------------------------------

/** Moves the mouse off the tree, closes any hover and clears notifications, so screenshots show the view. */
export async function settleForScreenshot(page: Page, options: { keepNotifications?: boolean } = {}): Promise<void> {
  await page.mouse.move(700, 450);
  await page.waitForTimeout(200);
  const hover = page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').filter({ visible: true });
  if ((await hover.count()) > 0) {
    await page.keyboard.press('Escape');
    await hover
      .first()
      .waitFor({ state: 'hidden', timeout: 3_000 })
      .catch(() => undefined);
  }
  if (!options.keepNotifications) await clearAllNotifications(page);
}
