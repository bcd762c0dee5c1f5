// Journey 2, browse: alice explores the projects tree by clicking — expands "Alice Main Project"
// and its aligner repository (tags newest first with their short digests), pages variant-caller's
// 30 tags with "Load more…" (20, then 10), narrows the projects with the view title's filter button
// and clears it with the clear button, and pins the public project syn1000003 (which her project
// list leaves out) with the view title's "+" (Add Project by synID…), then unpins it.
//
// Expects: alice signed in, nothing expanded, no filter, no pinned project.
// Leaves:  alice signed in, the tree collapsed again, no filter, no pinned project, no notification.
import * as assert from 'node:assert/strict';
import { e2e } from './context';
import { CONTAINER, beginJourney, PROJECT_ID, PROJECT_NAME, sandboxTags, settleForScreenshot, skipAfterFailure, VIEW } from './journey';
import {
  childRowsOf,
  clearAllNotifications,
  clickViewTitleAction,
  closeContextMenu,
  closeQuickInput,
  collapseTreeItem,
  collapseTreeItemIfShown,
  contextMenuItem,
  expandTreeItem,
  openTreeItemContextMenu,
  openViewContainer,
  pickContextMenuItem,
  quickInputText,
  readAllTreeRows,
  renderedTreeRows,
  scrollTreeToTop,
  treeRow,
  treeRowAt,
  treeRowByIndex,
  viewDescription,
  viewTitleAction,
  waitForProgressToFinish,
  waitForQuickInput,
} from './workbench';

const ALIGNER = `${PROJECT_ID}/aligner`;
const VARIANT_CALLER = `${PROJECT_ID}/variant-caller`;
const FILTER = 'Lab 5';
const PUBLIC_PROJECT_ID = 'syn1000003';
const PUBLIC_PROJECT = 'Public Reference Data';

/** The top-level rows of the tree (projects, and the list's own "Load more…" or message). */
async function projectRows(): Promise<{ label: string; description: string; index: number }[]> {
  const rows = await readAllTreeRows(e2e().page, VIEW);
  return rows.filter((r) => r.level === 1);
}

async function waitForDescription(expected: string, timeoutMs = 10_000): Promise<{ text: string; visible: boolean }> {
  const { page } = e2e();
  const deadline = Date.now() + timeoutMs;
  let description = await viewDescription(page, VIEW);
  while (description.text !== expected && Date.now() < deadline) {
    await page.waitForTimeout(100);
    description = await viewDescription(page, VIEW);
  }
  return description;
}

describe('Journey 2: browse — expand, load more tags, filter and pin projects (alice)', function () {
  this.timeout(120_000);
  skipAfterFailure();

  it('finds alice signed in with the Synapse Docker view open', async () => {
    const { page } = e2e();
    await beginJourney(page, 'Journey 2', 'alice');
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);
    await clearAllNotifications(page);
  });

  it(`expands "${PROJECT_NAME}" and ${ALIGNER} by clicking`, async () => {
    const { page, screenshot } = e2e();
    const projectRow = await expandTreeItem(page, VIEW, PROJECT_NAME);
    assert.match((await projectRow.locator('.label-description').textContent()) ?? '', new RegExp(PROJECT_ID));
    const alignerRow = await expandTreeItem(page, VIEW, ALIGNER, 30_000);
    // What alice may do with it (pull · push · share) comes once it is expanded: before or with "pushed …".
    assert.match(((await alignerRow.locator('.label-description').textContent()) ?? '').trim(), /^(?:pull · push · share · )?pushed \S/);
    const expected = await sandboxTags('syn1000101');
    for (const { tag } of expected) await treeRow(page, VIEW, tag).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);

    const rows = await renderedTreeRows(page, VIEW);
    const tagRows = childRowsOf(rows, ALIGNER);
    assert.deepEqual(
      tagRows.map((r) => r.label),
      expected.map((t) => t.tag),
      'aligner shows its tags, newest first',
    );
    for (const [i, row] of tagRows.entries()) {
      const short = expected[i].digest.replace(/^sha256:/, '').slice(0, 12);
      assert.ok(row.description.includes(short), `${row.label}: description "${row.description}" lacks ${short}`);
    }
    const repositories = childRowsOf(rows, PROJECT_NAME).map((r) => r.label);
    assert.ok(repositories.includes(VARIANT_CALLER), `repositories shown: ${repositories.join(', ')}`);
    assert.ok(repositories.includes('BLAST (BioContainers)'), `repositories shown: ${repositories.join(', ')}`);
    await settleForScreenshot(page);
    await screenshot('journey2-01-expanded');
  });

  it(`shows ${VARIANT_CALLER}'s 30 tags: 20, then 10 more after clicking "Load more…"`, async () => {
    const { page, screenshot } = e2e();
    await collapseTreeItem(page, VIEW, ALIGNER);
    await expandTreeItem(page, VIEW, VARIANT_CALLER);
    await treeRow(page, VIEW, 'build-30').first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);

    let children = childRowsOf(await readAllTreeRows(page, VIEW), VARIANT_CALLER);
    const firstPage = children.filter((r) => r.label.startsWith('build-'));
    assert.equal(firstPage.length, 20, `first page: ${children.map((r) => r.label).join(', ')}`);
    assert.equal(firstPage[0].label, 'build-30', 'newest push first');
    const more = children.at(-1);
    assert.equal(more?.label, 'Load more…', `variant-caller's last child: ${more?.label}`);

    await (await treeRowAt(page, VIEW, more.index)).click();
    const deadline = Date.now() + 30_000;
    for (;;) {
      children = childRowsOf(await readAllTreeRows(page, VIEW), VARIANT_CALLER);
      if (children.filter((r) => r.label.startsWith('build-')).length >= 30 || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    assert.deepEqual(
      children.map((r) => r.label),
      Array.from({ length: 30 }, (_, i) => `build-${String(30 - i).padStart(2, '0')}`),
      'all 30 tags, newest first, and no "Load more…" left under variant-caller',
    );

    // Show the second page: scroll so that the variant-caller row is at the top of the view.
    const variantIndex = (await readAllTreeRows(page, VIEW)).find((r) => r.label === VARIANT_CALLER)!.index;
    await treeRowAt(page, VIEW, variantIndex, 10_000, 'top');
    await treeRow(page, VIEW, 'build-01').first().waitFor({ state: 'visible', timeout: 10_000 });
    await settleForScreenshot(page);
    await screenshot('journey2-02-more-tags');
  });

  it(`filters the projects with the view title's filter button ("${FILTER}") and clears the filter`, async () => {
    const { page, screenshot } = e2e();
    // Start from the collapsed list, as the filter is about projects.
    await scrollTreeToTop(page, VIEW);
    await collapseTreeItem(page, VIEW, VARIANT_CALLER);
    await collapseTreeItem(page, VIEW, PROJECT_NAME);
    assert.equal((await viewDescription(page, VIEW)).text, '', 'no filter yet');

    await clickViewTitleAction(page, VIEW, 'Filter Projects…');
    const box = await waitForQuickInput(page);
    assert.match(await quickInputText(page), /Show projects whose name or synID contains this text/);
    await box.fill(FILTER);
    await box.press('Enter');
    const description = await waitForDescription(`Filter: ${FILTER}`);
    assert.equal(description.text, `Filter: ${FILTER}`, 'the view says what it is filtered by');
    if (!description.visible) {
      // Known: the Projects view is alone in its container, so VS Code merges its header into the
      // side bar's title, which shows no description (microsoft/vscode#166000): the extension sets
      // "Filter: …" but the user cannot see it. Reported; the tree itself shows the filter's effect.
      process.stderr.write(`[e2e] known issue: the view description "${description.text}" is set but not shown (merged view header)\n`);
    }
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'hidden', timeout: 10_000 });

    // Only the loaded projects whose name contains "Lab 5": Alice Lab 55 … 50 (most recent first),
    // then the list's "Load more…" (alice has 57 projects; 50 are loaded).
    const rows = await projectRows();
    const projects = rows.filter((r) => r.label !== 'Load more…');
    assert.deepEqual(
      projects.map((r) => r.label),
      ['Alice Lab 55', 'Alice Lab 54', 'Alice Lab 53', 'Alice Lab 52', 'Alice Lab 51', 'Alice Lab 50'],
      `top-level rows: ${rows.map((r) => r.label).join(', ')}`,
    );
    await scrollTreeToTop(page, VIEW);
    await settleForScreenshot(page);
    // The filter button gave way to the clear button.
    assert.equal(await viewTitleAction(page, VIEW, 'Clear Project Filter').count(), 1, 'the clear button replaces the filter button');
    assert.equal(await viewTitleAction(page, VIEW, 'Filter Projects…').count(), 0, 'the clear button replaces the filter button');
    await screenshot('journey2-03-filtered');

    await clickViewTitleAction(page, VIEW, 'Clear Project Filter');
    assert.equal((await waitForDescription('')).text, '', 'the filter description is gone');
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await projectRows()).filter((r) => r.label.startsWith('Alice Lab ')).length, 50 - 2, 'all loaded projects are back');
  });

  it(`pins the public project ${PUBLIC_PROJECT_ID} with the view title's "Add Project by synID…" button`, async () => {
    const { page, screenshot } = e2e();
    assert.ok(!(await projectRows()).some((r) => r.label === PUBLIC_PROJECT), `${PUBLIC_PROJECT} is not in alice's project list`);
    await clickViewTitleAction(page, VIEW, 'Add Project by synID…');
    const box = await waitForQuickInput(page);
    assert.match(await quickInputText(page), /A project synID \(syn123\) or its Synapse URL/);
    await box.fill(PUBLIC_PROJECT_ID);
    await box.press('Enter');

    const pinned = treeRow(page, VIEW, PUBLIC_PROJECT).first();
    await pinned.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await pinned.getAttribute('data-index'), '0', 'the pinned project comes first');
    assert.equal(((await pinned.locator('.label-description').textContent()) ?? '').trim(), PUBLIC_PROJECT_ID);
    assert.equal(await pinned.locator('.codicon-pinned').count(), 1, 'the pinned project has a pin icon');
    const second = treeRowByIndex(page, VIEW, 1);
    assert.equal(((await second.locator('.label-name').textContent()) ?? '').trim(), PROJECT_NAME, "then alice's own projects");
    assert.equal(await second.locator('.codicon-pinned').count(), 0, 'her own projects are not pinned');
    await settleForScreenshot(page);
    await screenshot('journey2-04-pinned');
  });

  it('unpins it from its context menu ("Remove Pinned Project")', async () => {
    const { page } = e2e();
    await openTreeItemContextMenu(page, VIEW, PUBLIC_PROJECT);
    await contextMenuItem(page, 'Remove Pinned Project').waitFor({ state: 'visible' });
    await pickContextMenuItem(page, 'Remove Pinned Project');
    await treeRow(page, VIEW, PUBLIC_PROJECT).first().waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(((await treeRowByIndex(page, VIEW, 0).locator('.label-name').textContent()) ?? '').trim(), PROJECT_NAME);
  });

  it('leaves alice signed in with the tree collapsed, unfiltered and without pins', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await openViewContainer(page, CONTAINER);
    if (await viewTitleAction(page, VIEW, 'Clear Project Filter').count())
      await clickViewTitleAction(page, VIEW, 'Clear Project Filter').catch(() => undefined);
    if (await treeRow(page, VIEW, PUBLIC_PROJECT).count()) {
      await openTreeItemContextMenu(page, VIEW, PUBLIC_PROJECT);
      await pickContextMenuItem(page, 'Remove Pinned Project');
    }
    await scrollTreeToTop(page, VIEW).catch(() => undefined);
    for (const label of [ALIGNER, VARIANT_CALLER, PROJECT_NAME]) await collapseTreeItemIfShown(page, VIEW, label);
  });
});
