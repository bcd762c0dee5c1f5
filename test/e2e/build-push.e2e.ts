// Journeys: alice builds an image from a Dockerfile in the explorer (context menu "Build Image for
// Synapse…", the wizard's project → repository → tag → options), pushes it from the "Built …"
// notification and finds the new tag revealed and selected in the projects tree; carol, who is not
// certified, tries to push an image from the palette and reads why she can't.
// Runs first of the journeys (alphabetical) and leaves the workbench signed out, as it found it.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { Locator, Page } from 'playwright-core';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  clearAllNotifications,
  closeQuickInput,
  collapseTreeItem,
  contextMenu,
  contextMenuItem,
  expandTreeItem,
  notificationButton,
  notificationMessage,
  openViewContainer,
  quickInputBox,
  quickInputText,
  quickPickRow,
  runCommand,
  signInThroughPalette,
  signOutThroughPalette,
  treeRow,
  viewPane,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForQuickInputIdle,
  waitForToastShown,
} from './workbench';

const CONTAINER = 'Synapse Docker';
const VIEW = 'Projects';
const PROJECT_NAME = 'Alice Main Project';
const PROJECT = 'syn1000001';
const BASE_IMAGE = 'local/busybox:1';
const BUILD_FOLDER = 'build-push';

const runId = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;

function engine(): Docker {
  const host = e2e().sandbox.dockerHost ?? process.env.DOCKER_HOST;
  assert.ok(host, 'sandbox.json has no dockerHost');
  return host.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
}

/** Removes images by id with force (a pushed image keeps a repo digest that would otherwise hold it). */
async function removeImages(docker: Docker, references: string[]): Promise<void> {
  const base = (await docker.getImage(BASE_IMAGE).inspect().catch(() => undefined))?.Id;
  for (const reference of references) {
    const id = (await docker.getImage(reference).inspect().catch(() => undefined))?.Id;
    if (id && id !== base) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
  }
}

/** The explorer's pane: in a single-folder workspace it is named after the folder. */
function explorerPaneName(): string {
  return path.basename(e2e().workspace);
}

/** A row of the explorer at a given depth (1 = the folder's top level). */
function explorerRow(page: Page, label: string, level: number): Locator {
  return treeRow(page, explorerPaneName(), label).and(page.locator(`[aria-level="${level}"]`));
}

async function waitForAriaSelected(row: Locator, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await row.getAttribute('aria-selected').catch(() => null)) !== 'true') {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the row to be selected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The steps of a journey depend on each other: after a failed step, the rest are skipped (the last one, the clean-up, still runs). */
function skipAfterFailure(): void {
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  beforeEach(function () {
    if (failed && !/^leaves the workbench/.test(this.currentTest?.title ?? '')) this.skip();
  });
}

describe('Build an image from the explorer and push it to Synapse (alice)', function () {
  this.timeout(180_000);
  skipAfterFailure();
  const repositoryPath = `e2e-${runId}`;
  let reference = '';
  let repositoryName = '';

  before(() => {
    const { sandbox, workspace } = e2e();
    repositoryName = `${sandbox.registry}/${PROJECT}/${repositoryPath}`;
    reference = `${repositoryName}:latest`;
    // A Dockerfile whose context holds a file unique to this run, so the image (and its digest) is new.
    const folder = path.join(workspace, BUILD_FOLDER);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY stamp.txt /stamp.txt\nRUN echo built > /built.txt\n`);
    fs.writeFileSync(path.join(folder, 'stamp.txt'), `e2e build ${runId} ${crypto.randomBytes(12).toString('hex')}\n`);
  });

  after(async () => {
    await removeImages(engine(), [reference]);
  });

  it('signs in as alice through the palette and looks at Alice Main Project in the tree', async () => {
    const { page, sandbox } = e2e();
    await openViewContainer(page, CONTAINER, 60_000);
    await waitForProgressToFinish(page, 15_000); // extensions done activating
    await signInThroughPalette(page, sandboxUser(sandbox, 'alice').token, 'alice');
    await waitForNotification(page, 'Signed in to Synapse as alice.', 15_000);
    // The project's repositories are loaded (and shown) before the build, as a user would have them.
    await expandTreeItem(page, VIEW, PROJECT_NAME, 30_000);
    await treeRow(page, VIEW, `${PROJECT}/aligner`).first().waitFor({ state: 'visible', timeout: 20_000 });
    await clearAllNotifications(page);
  });

  it('right-clicks the Dockerfile in the explorer and picks "Build Image for Synapse…"', async () => {
    const { page, screenshot } = e2e();
    await openViewContainer(page, 'Explorer');
    const folder = explorerRow(page, BUILD_FOLDER, 1).first();
    // The folder was written after the explorer listed the workspace: refresh it as a user would.
    if (!(await folder.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false))) {
      await viewPane(page, explorerPaneName()).locator('.pane-header').hover();
      await viewPane(page, explorerPaneName()).getByRole('button', { name: 'Refresh Explorer' }).click();
      await folder.waitFor({ state: 'visible', timeout: 20_000 });
    }
    if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
    const dockerfile = explorerRow(page, 'Dockerfile', 2).first();
    await dockerfile.waitFor({ state: 'visible', timeout: 10_000 });
    await dockerfile.click({ button: 'right' });
    await contextMenu(page).waitFor({ state: 'visible' });
    const item = contextMenuItem(page, 'Build Image for Synapse…');
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await screenshot('build-01-context-menu');
    await item.click();
    await contextMenu(page).waitFor({ state: 'hidden' });
  });

  it('picks "Alice Main Project"', async () => {
    const { page, screenshot } = e2e();
    await waitForQuickInput(page, 30_000);
    const row = quickPickRow(page, PROJECT_NAME).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    // Once permissions are checked, projects alice can push to come first: Aligners Team Project
    // (second by activity, team READ+DOWNLOAD only) drops to the end of the 50, out of view.
    await waitForQuickInputIdle(page, 30_000);
    await quickPickRow(page, 'Aligners Team Project').first().waitFor({ state: 'hidden', timeout: 20_000 });
    const text = await quickInputText(page);
    assert.match(text, new RegExp(`Build ${BUILD_FOLDER}/Dockerfile for Synapse \\(1/4\\)`), `wizard title: ${text}`);
    assert.equal(await quickInputBox(page).getAttribute('placeholder'), 'Synapse project to push to (or type a synID)');
    await screenshot('build-02-project');
    await quickPickRow(page, PROJECT_NAME).first().click();
  });

  it('types a new repository name', async () => {
    const { page, sandbox, screenshot } = e2e();
    await waitForWizardStep(page, /Repository in Alice Main Project/);
    const box = quickInputBox(page);
    await box.fill(repositoryPath);
    const created = quickPickRow(page, `new repository ${sandbox.registry}/${PROJECT}/${repositoryPath}`).first();
    await created.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('build-03-repository');
    await created.click();
  });

  it('accepts the tag "latest" and chooses "Build now"', async () => {
    const { page } = e2e();
    await waitForWizardStep(page, new RegExp(`Tag for ${PROJECT}/${repositoryPath}`));
    const box = quickInputBox(page);
    assert.equal(await box.inputValue(), 'latest', 'the tag step must suggest "latest"');
    await box.press('Enter');
    await waitForWizardStep(page, /More options, or build/);
    await quickPickRow(page, 'Build now').first().click();
  });

  it('builds, says "Built …", and its "Push" button pushes the image', async () => {
    const { page, screenshot } = e2e();
    const built = await waitForNotification(page, `Built ${reference}.`, 120_000);
    await notificationButton(built, 'Push').waitFor({ state: 'visible' });
    await waitForToastShown(built);
    await screenshot('build-04-built');
    const local = await engine().getImage(reference).inspect();
    assert.ok(local.Id, `the engine has no ${reference} after the build`);
    await notificationButton(built, 'Push').click();
    const pushed = await waitForNotification(page, `Pushed ${reference} to Synapse.`, 120_000);
    assert.equal(await notificationMessage(pushed), `Pushed ${reference} to Synapse.`);
    await notificationButton(pushed, 'Copy Digest Reference').waitFor({ state: 'visible' });
    await notificationButton(pushed, 'Open in Synapse').waitFor({ state: 'visible' });
  });

  it('shows the new repository in the tree with its "latest" tag selected', async () => {
    const { page, screenshot } = e2e();
    // The push reveals the tag itself: the view opens, the repository expands, the tag is selected.
    const sidebarTitle = page.locator('.part.sidebar .composite.title .title-label');
    await sidebarTitle.filter({ hasText: /synapse docker/i }).waitFor({ state: 'visible', timeout: 20_000 });
    const repositoryRow = treeRow(page, VIEW, `${PROJECT}/${repositoryPath}`).first();
    await repositoryRow.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await repositoryRow.getAttribute('aria-expanded'), 'true', 'the new repository must be expanded');
    const level = Number(await repositoryRow.getAttribute('aria-level'));
    const tagRow = viewPane(page, VIEW)
      .locator(`.monaco-list-row[aria-level="${level + 1}"][aria-selected="true"]`)
      .filter({ has: page.locator('.label-name', { hasText: /^\s*latest\s*$/ }) });
    await waitForAriaSelected(tagRow.first(), 20_000);
    // The selected "latest" row is the one right under the new repository.
    const repositoryIndex = Number(await repositoryRow.getAttribute('data-index'));
    assert.equal(Number(await tagRow.first().getAttribute('data-index')), repositoryIndex + 1, 'the selected "latest" must be the new repository\'s tag');
    await waitForProgressToFinish(page, 10_000);
    await screenshot('build-05-pushed-tree');
  });

  it('leaves the workbench signed out', async () => {
    const { page } = e2e();
    await clearAllNotifications(page);
    await closeQuickInput(page);
    await openViewContainer(page, CONTAINER);
    // Collapse what this journey expanded, so later journeys find the tree as a fresh sign-in shows it.
    await collapseTreeItem(page, VIEW, `${PROJECT}/${repositoryPath}`, 3_000).catch(() => undefined);
    await collapseTreeItem(page, VIEW, PROJECT_NAME, 3_000).catch(() => undefined);
    await signOutThroughPalette(page, 'alice');
    await clearAllNotifications(page);
  });
});

describe('A push refused before any upload: carol is not certified', function () {
  this.timeout(120_000);
  skipAfterFailure();
  let reference = '';

  before(async () => {
    const { sandbox } = e2e();
    reference = `${sandbox.registry}/${PROJECT}/e2e-carol-${runId}:v1`;
    // An image already named for the registry, built in the test process.
    const docker = engine();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-e2e-carol-'));
    try {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`);
      fs.writeFileSync(path.join(dir, 'id.txt'), `${reference} ${crypto.randomBytes(12).toString('hex')}\n`);
      const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: reference, rm: true, forcerm: true });
      await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null, output: unknown) => (error ? reject(error) : resolve(output))));
      await docker.getImage(reference).inspect();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  after(async () => {
    await removeImages(engine(), [reference]);
  });

  it('signs in as carol through the palette', async () => {
    const { page, sandbox } = e2e();
    await openViewContainer(page, CONTAINER, 60_000);
    await waitForProgressToFinish(page, 15_000);
    await signInThroughPalette(page, sandboxUser(sandbox, 'carol').token, 'carol');
    await waitForNotification(page, 'Signed in to Synapse as carol.', 15_000);
    await clearAllNotifications(page);
  });

  it('pushes the image from the palette and reads that only certified users can push', async () => {
    const { page, screenshot } = e2e();
    await clearAllNotifications(page);
    await runCommand(page, 'Synapse: Push Image…');
    await waitForQuickInput(page, 30_000);
    const row = quickPickRow(page, reference).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const refusal = await waitForNotification(page, /certified/i, 30_000);
    const message = await notificationMessage(refusal);
    assert.match(message, /You are not a certified Synapse user; only certified users can push Docker images\./, message);
    assert.match(message, /Pass the Synapse certification quiz, then push again\./, message);
    assert.ok(await refusal.locator('.codicon-error').count(), 'the refusal must be an error notification');
    await notificationButton(refusal, 'Open in Browser').waitFor({ state: 'visible' });
    await waitForToastShown(refusal);
    await screenshot('refusal-uncertified');
    // Nothing was pushed: Synapse has no such repository.
    const { sandbox } = e2e();
    const response = await fetch(
      `${sandbox.synapseEndpoint}/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(reference.replace(/:v1$/, ''))}`,
      { headers: { Authorization: `Bearer ${sandboxUser(sandbox, 'alice').token}` } },
    );
    assert.equal(response.status, 404, 'a refused push must not create the repository');
  });

  it('leaves the workbench signed out', async () => {
    const { page } = e2e();
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await signOutThroughPalette(page, 'carol');
    await clearAllNotifications(page);
  });
});

/** Waits for the wizard's next step (its prompt or placeholder) to show. */
async function waitForWizardStep(page: Page, expected: RegExp, timeoutMs = 20_000): Promise<void> {
  await waitForQuickInput(page, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = `${await quickInputText(page)} ${(await quickInputBox(page).getAttribute('placeholder').catch(() => '')) ?? ''}`;
    if (expected.test(text)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the step ${expected}: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
