// Journey 4, pull: bob (READ+DOWNLOAD on syn1000001) signs in in alice's place, finds the tag
// alice pushed in journey 3 in the tree (past the project's first page of repositories: "Load
// more…"), pulls it from the tag's context menu ("Pull Image…"), reads "Pulled …" and sees the tag
// marked "local". The image is removed from the engine first (dockerode, by reference), so the pull
// really downloads it.
//
// Expects: alice signed in; journeyState.pushed set by journey 3 (its image may still be local).
// Leaves:  bob signed in, the tree collapsed, no notification; the pulled image removed again and
//          the repository journey 3 created moved to the trash (so syn1000001 does not grow run
//          after run).
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';
import {
  CONTAINER,
  engine,
  beginJourney,
  journeyState,
  PROJECT_NAME,
  removeImages,
  sandboxAdmin,
  settleForScreenshot,
  signInAs,
  skipAfterFailure,
  VIEW,
  type PushedImage,
} from './journey';
import {
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  collapseTreeItemIfShown,
  contextMenu,
  contextMenuItem,
  expandTreeItem,
  notificationMessage,
  openViewContainer,
  pickContextMenuItem,
  readAllTreeRows,
  revealChildRow,
  scrollTreeToTop,
  signOutThroughPalette,
  treeRowAt,
  treeRowByIndex,
  notificationButton,
  waitForNotification,
  waitForProgressToFinish,
  waitForToastShown,
} from './workbench';

/** The repo digests of the engine's images that name the pushed repository. */
async function localRepoDigests(pushed: PushedImage): Promise<string[]> {
  const images = await engine().listImages();
  return images.flatMap((image) => image.RepoDigests ?? []).filter((d) => d.startsWith(`${pushed.repositoryName}@`));
}

/** Polls a row's attribute until it has a value. */
async function waitForAttribute(row: Locator, name: string, value: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await row.getAttribute(name).catch(() => null)) !== value) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}="${value}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Moves the keyboard focus to a row, scrolling so that up to ten rows follow it (clear of the sticky header). */
async function centerTreeRow(page: Page, index: number): Promise<void> {
  const last = (await readAllTreeRows(page, VIEW, 200)).at(-1)?.index ?? index;
  const below = Math.max(0, Math.min(10, last - index));
  await treeRowAt(page, VIEW, index + below);
  for (let i = 0; i < below; i++) await page.keyboard.press('ArrowUp');
}

describe('Journey 4: pull the pushed image from the tree (bob)', function () {
  this.timeout(180_000);
  skipAfterFailure();
  let pushed: PushedImage;
  let tagIndex = -1;

  before(function () {
    if (!journeyState.pushed) throw new Error('journey 3 (03-build-push) pushed nothing in this run: run it before journey 4');
    pushed = journeyState.pushed;
  });

  after(async () => {
    if (!pushed) return;
    await removeImages(engine(), [pushed.reference]);
    // The repository was only for this run.
    await sandboxAdmin('/__admin/trash', { id: pushed.repositoryId }).catch((error: Error) =>
      process.stderr.write(`[e2e] trash ${pushed.repositoryId}: ${error.message}\n`),
    );
  });

  it('removes the pushed image from the engine, so the pull downloads it', async () => {
    const docker = engine();
    // By reference: the tag, then any digest reference left of the same repository.
    await docker
      .getImage(pushed.reference)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
    for (const digestReference of await localRepoDigests(pushed)) await docker.getImage(digestReference).remove({ force: true });
    await assert.rejects(docker.getImage(pushed.reference).inspect(), `${pushed.reference} is still in the engine`);
    assert.deepEqual(await localRepoDigests(pushed), [], 'no image of the repository is left');
  });

  it('signs alice out and bob in through the palette', async () => {
    const { page } = e2e();
    await beginJourney(page, 'Journey 4', 'alice');
    await signOutThroughPalette(page, 'alice');
    await waitForNotification(page, 'Signed out alice from Synapse.', 15_000);
    await clearAllNotifications(page);
    // Bob's sign-in also re-reads which registry images are local (now without the pushed one).
    await signInAs(page, 'bob');
    await clearAllNotifications(page);
  });

  it(`expands ${PROJECT_NAME} and the pushed repository, and finds its tag, not local`, async () => {
    const { page } = e2e();
    await expandTreeItem(page, VIEW, PROJECT_NAME, 30_000);
    await waitForProgressToFinish(page, 15_000);
    // The run's repository sorts last: past the project's first page of 50 repositories.
    const repositoryIndex = await revealChildRow(page, VIEW, PROJECT_NAME, pushed.label);
    const repositoryRow = treeRowByIndex(page, VIEW, repositoryIndex);
    // The row has the keyboard focus (it may sit under the sticky-scroll header): expand it with →.
    await page.keyboard.press('ArrowRight');
    await waitForAttribute(repositoryRow, 'aria-expanded', 'true');
    await waitForProgressToFinish(page, 15_000);
    // Bring the tag row (right under the repository) to the middle of the view.
    const tagRow = treeRowByIndex(page, VIEW, repositoryIndex + 1);
    const deadline = Date.now() + 20_000;
    for (;;) {
      await centerTreeRow(page, repositoryIndex + 1);
      const label = (
        (await tagRow
          .locator('.label-name')
          .textContent()
          .catch(() => '')) ?? ''
      ).trim();
      if (label === pushed.tag) break;
      if (Date.now() > deadline) assert.fail(`the row under ${pushed.label} is "${label}", not "${pushed.tag}"`);
      await page.waitForTimeout(300);
    }
    tagIndex = repositoryIndex + 1;
    // Not local: bob's sign-in re-read the engine's images (asynchronously, after the removal above).
    const until = Date.now() + 10_000;
    let description = '';
    for (;;) {
      description = ((await tagRow.locator('.label-description').textContent()) ?? '').trim();
      if (!description.startsWith('local') || Date.now() > until) break;
      await page.waitForTimeout(200);
    }
    assert.ok(description.includes(pushed.digest.replace(/^sha256:/, '').slice(0, 12)), `tag row: ${description}`);
    assert.ok(!description.startsWith('local'), `the tag must not be marked local before the pull: "${description}"`);
    assert.equal(await tagRow.locator('.codicon-tag').count(), 1, 'a tag that is not local has the tag icon');
  });

  it('right-clicks the tag, picks "Pull Image…", and reads "Pulled …"', async () => {
    const { page, screenshot } = e2e();
    const tagRow = treeRowByIndex(page, VIEW, tagIndex);
    await tagRow.click({ button: 'right' });
    await contextMenu(page).waitFor({ state: 'visible' });
    const item = contextMenuItem(page, 'Pull Image…');
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await page.waitForTimeout(300); // the menu fades in
    await screenshot('journey4-01-context-menu');
    await pickContextMenuItem(page, 'Pull Image…');

    const pulled = await waitForNotification(page, `Pulled ${pushed.reference}`, 120_000);
    assert.equal(await notificationMessage(pulled), `Pulled ${pushed.reference} (${pushed.digest}).`);
    await notificationButton(pulled, 'Copy Run Command').waitFor({ state: 'visible' });
    assert.ok(
      (await engine().getImage(pushed.reference).inspect()).RepoDigests.includes(`${pushed.repositoryName}@${pushed.digest}`),
      'the engine has the pulled image by its digest',
    );

    // The tag is now marked local.
    const deadline = Date.now() + 15_000;
    let description = '';
    for (;;) {
      description = (
        (await treeRowByIndex(page, VIEW, tagIndex)
          .locator('.label-description')
          .textContent()
          .catch(() => '')) ?? ''
      ).trim();
      if (description.startsWith('local') || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    assert.match(description, /^local · /, `the tag row's description after the pull: "${description}"`);
    assert.equal(await treeRowByIndex(page, VIEW, tagIndex).locator('.codicon-pass-filled').count(), 1, 'a local tag has the check icon');
    await settleForScreenshot(page, { keepNotifications: true });
    await waitForToastShown(pulled);
    await screenshot('journey4-02-pulled');
  });

  it('leaves bob signed in with the tree collapsed', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await openViewContainer(page, CONTAINER);
    await scrollTreeToTop(page, VIEW).catch(() => undefined);
    await collapseTreeItemIfShown(page, VIEW, PROJECT_NAME);
  });
});
