// Journey: alice browses the projects tree by clicking: expands "Alice Main Project" and its
// aligner repository, copies a tag's digest reference from the tag's context menu (checked on the
// browser's clipboard), and pages variant-caller's 30 tags with "Load more…" (20, then 10).
// Runs after the sign-in journey (alice is then signed in) or alone (it signs in itself).
import * as assert from 'node:assert/strict';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  childRowsOf,
  clearNotifications,
  collapseTreeItem,
  contextMenuItem,
  expandTreeItem,
  openTreeItemContextMenu,
  openViewContainer,
  pickContextMenuItem,
  readAllTreeRows,
  renderedTreeRows,
  runCommand,
  submitQuickInput,
  treeRow,
  treeRowAt,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForStatusBarItem,
  welcomeButton,
  welcomeView,
} from './workbench';

const CONTAINER = 'Synapse Docker';
const VIEW = 'Projects';
const PROJECT = 'Alice Main Project';
const ALIGNER = 'syn1000001/aligner';
const VARIANT_CALLER = 'syn1000001/variant-caller';
const TAG = 'v1.1';

interface RestTag {
  tag: string;
  digest: string;
}

/** aligner's tags straight from the sandbox (not through the extension): what the tree must show. */
async function sandboxTags(repositoryId: string): Promise<RestTag[]> {
  const { sandbox } = e2e();
  const alice = sandboxUser(sandbox, 'alice');
  const response = await fetch(`${sandbox.synapseEndpoint}/repo/v1/entity/${repositoryId}/dockerTag?limit=50&offset=0`, {
    headers: { Authorization: `Bearer ${alice.token}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { results: RestTag[] }).results;
}

async function readClipboard(): Promise<string> {
  return e2e().page.evaluate(() => navigator.clipboard.readText());
}

async function waitForClipboard(expected: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = await readClipboard();
  while (text !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    text = await readClipboard();
  }
  return text;
}

/** Moves the mouse off the tree and closes any hover tooltip, so screenshots show the tree itself. */
async function settleForScreenshot(): Promise<void> {
  const { page } = e2e();
  await page.mouse.move(700, 450);
  await page.waitForTimeout(200);
  const hover = page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').filter({ visible: true });
  if ((await hover.count()) > 0) {
    await page.keyboard.press('Escape');
    await hover.first().waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
  }
  await clearNotifications(page);
}

describe('Browse the projects tree and copy a tag’s digest reference', function () {
  it('opens the Synapse Docker view signed in as alice', async () => {
    const { page, sandbox } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    // The extension writes to the browser's clipboard; let the page (and so this test) read it.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    await openViewContainer(page, CONTAINER, 60_000);
    const project = treeRow(page, VIEW, PROJECT).first();
    const welcome = welcomeView(page, VIEW);
    await Promise.race([
      project.waitFor({ state: 'visible', timeout: 60_000 }),
      welcome.waitFor({ state: 'visible', timeout: 60_000 }),
    ]);
    if (await welcome.isVisible()) {
      // Signed out (this journey ran alone): sign in as the sign-in journey does.
      await welcomeButton(page, VIEW, 'Sign in to Synapse').click();
      await waitForQuickInput(page);
      await submitQuickInput(page, alice.token);
    }
    await waitForStatusBarItem(page, alice.userName, 30_000);
    await project.waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);
    // The "Signed in to Synapse as alice." toast would cover part of the screenshots.
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('expands "Alice Main Project" and syn1000001/aligner by clicking', async () => {
    const { page, screenshot } = e2e();
    const projectRow = await expandTreeItem(page, VIEW, PROJECT);
    assert.match((await projectRow.locator('.label-description').textContent()) ?? '', /syn1000001/);
    const alignerRow = await expandTreeItem(page, VIEW, ALIGNER, 30_000);
    assert.match(((await alignerRow.locator('.label-description').textContent()) ?? '').trim(), /^pushed \S/);
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
    const repositories = childRowsOf(rows, PROJECT).map((r) => r.label);
    assert.ok(repositories.includes(VARIANT_CALLER), `repositories shown: ${repositories.join(', ')}`);
    assert.ok(repositories.includes('BLAST (BioContainers)'), `repositories shown: ${repositories.join(', ')}`);
    await settleForScreenshot();
    await screenshot('tree-01-expanded');
  });

  it('copies the digest reference from the tag’s context menu', async () => {
    const { page, sandbox, screenshot } = e2e();
    const digest = (await sandboxTags('syn1000101')).find((t) => t.tag === TAG)?.digest;
    assert.ok(digest, `the sandbox has no aligner:${TAG}`);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const expected = `${sandbox.registry}/syn1000001/aligner@${digest}`;

    const sentinel = `(clipboard before the copy ${Date.now()})`;
    await page.evaluate((text) => navigator.clipboard.writeText(text), sentinel);
    assert.equal(await readClipboard(), sentinel, 'the page can write and read its clipboard');

    await openTreeItemContextMenu(page, VIEW, TAG);
    for (const entry of ['Copy Image Reference', 'Copy Digest Reference', 'Copy Pull Command']) {
      await contextMenuItem(page, entry).waitFor({ state: 'visible' });
    }
    await page.waitForTimeout(300); // the menu fades in
    await screenshot('tree-02-context-menu');
    await pickContextMenuItem(page, 'Copy Digest Reference');

    assert.equal(await waitForClipboard(expected), expected, 'the clipboard holds the tag’s digest reference');
  });

  it('shows variant-caller’s 30 tags: 20, then 10 more after clicking "Load more…"', async () => {
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
    const labels = children.map((r) => r.label);
    assert.deepEqual(
      labels,
      Array.from({ length: 30 }, (_, i) => `build-${String(30 - i).padStart(2, '0')}`),
      'all 30 tags, newest first, and no "Load more…" left under variant-caller',
    );

    // Show the second page: scroll so that the variant-caller row is at the top of the view.
    const rows = await readAllTreeRows(page, VIEW);
    const variantIndex = rows.find((r) => r.label === VARIANT_CALLER)!.index;
    await treeRowAt(page, VIEW, variantIndex, 10_000, 'top');
    await treeRow(page, VIEW, 'build-01').first().waitFor({ state: 'visible', timeout: 10_000 });
    await settleForScreenshot();
    await screenshot('tree-03-more-tags');
  });
});
