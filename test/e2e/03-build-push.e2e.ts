// Journey 3, build and push: alice builds an image from a Dockerfile in the explorer (context menu
// "Build Image for Synapse…", the wizard's project → new repository → tag → "Build now"), pushes it
// with the "Push" button of the "Built …" notification, finds the new tag revealed and selected in
// the projects tree, and copies its digest reference from the tag's context menu.
//
// Expects: alice signed in, the Synapse Docker view's tree collapsed, no notification.
// Leaves:  alice signed in; the pushed image still in the engine (journey 4 removes it before
//          pulling it again); what was pushed in journeyState.pushed (journey.ts) and
//          test-results/e2e/journey-state.json; the tree collapsed; no notification.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';
import {
  BASE_IMAGE,
  CONTAINER,
  engine,
  beginJourney,
  extensionLogLines,
  grantClipboard,
  PROJECT_ID,
  PROJECT_NAME,
  recordPushed,
  runId,
  sandboxRepositoryId,
  sandboxTags,
  skipAfterFailure,
  VIEW,
  waitForClipboard,
  writeClipboard,
  readClipboard,
} from './journey';
import {
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  collapseTreeItemIfShown,
  contextMenu,
  contextMenuItem,
  expandTreeItem,
  notificationButton,
  notificationMessage,
  openViewContainer,
  pickContextMenuItem,
  runCommand,
  quickInput,
  quickInputBox,
  quickInputText,
  quickPickRow,
  scrollTreeToTop,
  statusBarItems,
  treeRow,
  viewPane,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForQuickInputIdle,
  waitForToastShown,
} from './workbench';

const BUILD_FOLDER = 'build-push';
const REFUSED_FOLDER = 'bad-ignore';
const TAG = 'latest';

/** The explorer's pane: in a single-folder workspace it is named after the folder. */
function explorerPaneName(): string {
  return path.basename(e2e().workspace);
}

/** A row of the explorer at a given depth (1 = the folder's top level). */
function explorerRow(page: Page, label: string, level: number): Locator {
  return treeRow(page, explorerPaneName(), label).and(page.locator(`[aria-level="${level}"]`));
}

/** Opens a folder at the explorer's top level; one written after the explorer listed the workspace needs a refresh first, as a user would do. */
async function openExplorerFolder(page: Page, name: string): Promise<void> {
  await openViewContainer(page, 'Explorer');
  const folder = explorerRow(page, name, 1).first();
  const listed = await folder.waitFor({ state: 'visible', timeout: 3_000 }).then(
    () => true,
    () => false,
  );
  if (!listed) {
    await viewPane(page, explorerPaneName()).locator('.pane-header').hover();
    await viewPane(page, explorerPaneName()).getByRole('button', { name: 'Refresh Explorer' }).click();
    await folder.waitFor({ state: 'visible', timeout: 20_000 });
  }
  if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
}

/** The Dockerfile of a folder at the explorer's top level (its file icon's classes name the folder). */
function explorerDockerfile(page: Page, folderName: string): Locator {
  return explorerRow(page, 'Dockerfile', 2).filter({ has: page.locator(`.${folderName}-name-dir-icon`) });
}

async function waitForAriaSelected(row: Locator, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await row.getAttribute('aria-selected').catch(() => null)) !== 'true') {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the row to be selected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the wizard's next step (its prompt or placeholder) to show. */
async function waitForWizardStep(page: Page, expected: RegExp, timeoutMs = 20_000): Promise<void> {
  await waitForQuickInput(page, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = `${await quickInputText(page)} ${
      (await quickInputBox(page)
        .getAttribute('placeholder')
        .catch(() => '')) ?? ''
    }`;
    if (expected.test(text)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the step ${expected}: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The log says which builder built it; with BuildKit (the engine's default where it has it), how
 * many of the context's files BuildKit asked the session's file sync for. Shown in the Output panel.
 */
async function showBuildLog(page: Page, reference: string, screenshot: (name: string) => Promise<unknown>): Promise<void> {
  const [builtLine] = extensionLogLines((line) => line.includes(`] Built ${reference} (`));
  assert.ok(builtLine, `the log has no "Built ${reference}" line`);
  const builder = / with (buildkit|classic)/.exec(builtLine)?.[1];
  const asked = extensionLogLines((line) => line.includes('] BuildKit asked for ') && line.includes(" of the context's "));
  if (builder === 'classic') {
    assert.deepEqual(asked, [], 'the classic builder gets a tar: no file sync line');
    return;
  }
  assert.equal(builder, 'buildkit', builtLine);
  const counts = /asked for (\d+) of the context's (\d+) files/.exec(asked.at(-1) ?? '');
  assert.ok(counts && Number(counts[1]) >= 1 && Number(counts[1]) <= Number(counts[2]), asked.join('\n'));
  await runCommand(page, 'Synapse: Show Log');
  // The Output panel's filter keeps that one line in view (the "Built" toast covers the panel's end).
  const filter = page.locator('.part.panel .viewpane-filter input').first();
  await filter.fill('BuildKit asked for');
  const lines = page.locator('.part.panel .view-lines');
  const deadline = Date.now() + 20_000;
  let shown = '';
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    shown = (await lines.innerText()).replace(/\u00a0/g, ' ');
    if (shown.includes('BuildKit asked for') && !shown.includes('[internal]')) break;
    // A filter typed while the channel's text was still loading has been seen not to apply
    // (the whole log stayed in view): type it again every 2 s.
    if (attempt % 10 === 0) {
      await filter.fill('');
      await filter.fill('BuildKit asked for');
    }
    await page.waitForTimeout(200);
  }
  assert.ok(shown.includes('BuildKit asked for') && !shown.includes('[internal]'), `the filtered log shows:\n${shown}`);
  await screenshot('journey3-04b-build-log');
  await filter.fill('');
  await runCommand(page, 'View: Toggle Panel Visibility');
}

describe('Journey 3: build an image from the explorer, push it, copy its digest reference (alice)', function () {
  this.timeout(180_000);
  skipAfterFailure();
  const repositoryPath = `e2e-${runId}`;
  const label = `${PROJECT_ID}/${repositoryPath}`;
  let repositoryName = '';
  let reference = '';
  /** The selected tag row after the push. */
  let tagRow: Locator | undefined;

  before(() => {
    const { sandbox, workspace } = e2e();
    repositoryName = `${sandbox.registry}/${PROJECT_ID}/${repositoryPath}`;
    reference = `${repositoryName}:${TAG}`;
    // A Dockerfile whose context holds a file unique to this run, so the image (and its digest) is new.
    const folder = path.join(workspace, BUILD_FOLDER);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY stamp.txt /stamp.txt\nRUN echo built > /built.txt\n`);
    fs.writeFileSync(path.join(folder, 'stamp.txt'), `e2e build ${runId} ${crypto.randomBytes(12).toString('hex')}\n`);
  });

  it('finds alice signed in and looks at Alice Main Project in the tree', async () => {
    const { page } = e2e();
    await beginJourney(page, 'Journey 3', 'alice');
    await grantClipboard(page);
    // The project's repositories are loaded (and shown) before the build, as a user would have them.
    await expandTreeItem(page, VIEW, PROJECT_NAME, 30_000);
    await treeRow(page, VIEW, `${PROJECT_ID}/aligner`).first().waitFor({ state: 'visible', timeout: 20_000 });
    await waitForProgressToFinish(page, 15_000);
    await clearAllNotifications(page);
  });

  it('right-clicks the Dockerfile in the explorer and picks "Build Image for Synapse…"', async () => {
    const { page, screenshot } = e2e();
    await openExplorerFolder(page, BUILD_FOLDER);
    const dockerfile = explorerDockerfile(page, BUILD_FOLDER);
    await dockerfile.waitFor({ state: 'visible', timeout: 10_000 });
    await dockerfile.click({ button: 'right' });
    await contextMenu(page).waitFor({ state: 'visible' });
    const item = contextMenuItem(page, 'Build Image for Synapse…');
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await page.waitForTimeout(300); // the menu fades in
    await screenshot('journey3-01-context-menu');
    await item.click();
    await contextMenu(page).waitFor({ state: 'hidden' });
  });

  it(`picks "${PROJECT_NAME}"`, async () => {
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
    await screenshot('journey3-02-project');
    await quickPickRow(page, PROJECT_NAME).first().click();
  });

  it('types a new repository name', async () => {
    const { page, sandbox, screenshot } = e2e();
    await waitForWizardStep(page, new RegExp(`Repository in ${PROJECT_NAME}`));
    const box = quickInputBox(page);
    await box.fill(repositoryPath);
    const created = quickPickRow(page, `new repository ${sandbox.registry}/${PROJECT_ID}/${repositoryPath}`).first();
    await created.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('journey3-03-repository');
    await created.click();
  });

  it(`accepts the tag "${TAG}" and chooses "Build now"`, async () => {
    const { page } = e2e();
    await waitForWizardStep(page, new RegExp(`Tag for ${label}`));
    const box = quickInputBox(page);
    assert.equal(await box.inputValue(), TAG, `the tag step must suggest "${TAG}"`);
    await box.press('Enter');
    await waitForWizardStep(page, /More options, or build/);
    await quickPickRow(page, 'Build now').first().click();
  });

  it('builds, says "Built …", and its "Push" button pushes the image', async () => {
    const { page, screenshot } = e2e();
    const built = await waitForNotification(page, `Built ${reference}.`, 120_000);
    await notificationButton(built, 'Push').waitFor({ state: 'visible' });
    await waitForToastShown(built);
    await screenshot('journey3-04-built');
    const local = await engine().getImage(reference).inspect();
    assert.ok(local.Id, `the engine has no ${reference} after the build`);
    await showBuildLog(page, reference, screenshot);
    await notificationButton(built, 'Push').click();
    const pushed = await waitForNotification(page, `Pushed ${reference} to Synapse.`, 120_000);
    assert.equal(await notificationMessage(pushed), `Pushed ${reference} to Synapse.`);
    await notificationButton(pushed, 'Copy Digest Reference').waitFor({ state: 'visible' });
    await notificationButton(pushed, 'Open in Synapse').waitFor({ state: 'visible' });
  });

  it(`shows the new repository in the tree with its "${TAG}" tag selected`, async () => {
    const { page, screenshot } = e2e();
    // The push reveals the tag itself: the view opens, the repository expands, the tag is selected.
    const sidebarTitle = page.locator('.part.sidebar .composite.title .title-label');
    await sidebarTitle.filter({ hasText: /synapse docker/i }).waitFor({ state: 'visible', timeout: 20_000 });
    const repositoryRow = treeRow(page, VIEW, label).first();
    await repositoryRow.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await repositoryRow.getAttribute('aria-expanded'), 'true', 'the new repository must be expanded');
    const level = Number(await repositoryRow.getAttribute('aria-level'));
    const selected = viewPane(page, VIEW)
      .locator(`.monaco-list-row[aria-level="${level + 1}"][aria-selected="true"]`)
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${TAG}\\s*$`) }) })
      .first();
    await waitForAriaSelected(selected, 20_000);
    // The selected tag row is the one right under the new repository.
    const repositoryIndex = Number(await repositoryRow.getAttribute('data-index'));
    assert.equal(
      Number(await selected.getAttribute('data-index')),
      repositoryIndex + 1,
      `the selected "${TAG}" must be the new repository's tag`,
    );
    tagRow = viewPane(page, VIEW).locator(`.monaco-list-row[data-index="${repositoryIndex + 1}"]:not(.monaco-tree-sticky-row)`);
    await waitForProgressToFinish(page, 10_000);
    await screenshot('journey3-05-pushed-tree');
  });

  it('copies the tag’s digest reference from its context menu: registry/syn1000001/<name>@sha256:…', async () => {
    const { page, sandbox, screenshot } = e2e();
    assert.ok(tagRow, 'the pushed tag row');
    // What the sandbox lists for the new tag (GET /entity/dockerRepo/id, then /dockerTag as alice).
    const repositoryId = await sandboxRepositoryId(repositoryName);
    assert.ok(repositoryId, `Synapse has no repository ${repositoryName}`);
    const digest = (await sandboxTags(repositoryId)).find((t) => t.tag === TAG)?.digest;
    assert.ok(digest, `the sandbox lists no ${reference}`);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const expected = `${sandbox.registry}/${PROJECT_ID}/${repositoryPath}@${digest}`;
    // The engine agrees: the pushed image carries that repo digest.
    assert.ok(
      (await engine().getImage(reference).inspect()).RepoDigests.includes(expected),
      `the local image's RepoDigests lack ${expected}`,
    );
    // The tree row shows its short digest.
    const description = ((await tagRow.locator('.label-description').textContent()) ?? '').trim();
    assert.ok(description.includes(digest.replace(/^sha256:/, '').slice(0, 12)), `tag row description: ${description}`);

    const sentinel = `(clipboard before the copy ${Date.now()})`;
    await writeClipboard(page, sentinel);
    assert.equal(await readClipboard(page), sentinel, 'the page can write and read its clipboard');
    await clearAllNotifications(page);

    await tagRow.click({ button: 'right' });
    await contextMenu(page).waitFor({ state: 'visible' });
    for (const entry of ['Copy Image Reference', 'Copy Digest Reference', 'Copy Pull Command', 'Pull Image…']) {
      await contextMenuItem(page, entry).waitFor({ state: 'visible' });
    }
    await pickContextMenuItem(page, 'Copy Digest Reference');
    assert.equal(await waitForClipboard(page, expected), expected, 'the clipboard holds the tag’s digest reference');
    // The status bar confirms the copy for a few seconds.
    await statusBarItems(page)
      .filter({ hasText: `Copied ${expected}` })
      .first()
      .waitFor({ state: 'visible', timeout: 3_000 });
    await page.mouse.move(700, 450);
    await screenshot('journey3-06-copied');

    recordPushed({ repositoryName, label, repositoryId, tag: TAG, reference, digest });
  });

  it('refuses a Dockerfile whose .dockerignore has a pattern docker build refuses, before the wizard asks anything', async () => {
    const { page, screenshot, workspace } = e2e();
    await clearAllNotifications(page);
    const folder = path.join(workspace, REFUSED_FOLDER);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`);
    fs.writeFileSync(path.join(folder, '.dockerignore'), 'node_modules\nsrc/[\n');
    await openExplorerFolder(page, REFUSED_FOLDER);
    const dockerfile = explorerDockerfile(page, REFUSED_FOLDER);
    await dockerfile.waitFor({ state: 'visible', timeout: 10_000 });
    await dockerfile.click({ button: 'right' });
    await pickContextMenuItem(page, 'Build Image for Synapse…');
    const refusal = await waitForNotification(page, /has a pattern that docker build refuses too/, 20_000);
    await waitForToastShown(refusal);
    const text = await notificationMessage(refusal);
    assert.ok(text.includes(path.join(folder, '.dockerignore')), text);
    assert.match(text, /: src\/\[ \(syntax error in pattern\)\. Correct or remove that line\./);
    assert.equal(await quickInput(page).isVisible(), false, 'the wizard opened although the build cannot run');
    await screenshot('journey3-07-refused-dockerignore');
    await clearAllNotifications(page);
    // Later journeys pick among the workspace's Dockerfiles: this one goes again.
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('leaves alice signed in with the tree collapsed', async () => {
    const { page } = e2e();
    await clearAllNotifications(page);
    await closeContextMenu(page);
    await closeQuickInput(page);
    await openViewContainer(page, CONTAINER);
    // Collapse what this journey expanded, so the next journey finds the tree as a fresh sign-in shows it.
    await scrollTreeToTop(page, VIEW).catch(() => undefined);
    await collapseTreeItemIfShown(page, VIEW, PROJECT_NAME);
  });
});
