// Journey 7, keyboard only: bob signs in, browses and acts on a tag without touching the mouse.
// F1 runs "Synapse: Sign In" and the token is typed; "Synapse Docker: Focus on Projects View"
// moves into the tree; the arrow keys walk and expand it; Shift+F10 opens a tag's context menu and
// ArrowDown + Enter copies its pull command; Enter on "Load more…" loads more tags; F1 signs out.
//
// Expects: nobody signed in (journey 6), no notification.
// Leaves:  nobody signed in, the welcome view shown (the end of the run).
import * as assert from 'node:assert/strict';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  CONTAINER,
  grantClipboard,
  PROJECT_ID,
  PROJECT_NAME,
  readClipboard,
  sandboxTags,
  signedInUser,
  skipAfterFailure,
  VIEW,
  waitForClipboard,
  writeClipboard,
} from './journey';
import {
  accountStatusBarItem,
  activityBarItem,
  arrowDownToMenuItem,
  arrowDownToTreeRow,
  expandFocusedTreeRowByKeyboard,
  contextMenu,
  contextMenuItem,
  focusedMenuItem,
  readAllTreeRows,
  childRowsOf,
  runCommandByKeyboard,
  treeRow,
  waitForFocusedTreeRow,
  waitForNotification,
  waitForQuickInput,
  waitForStatusBarItem,
  welcomeButton,
  welcomeView,
} from './workbench';

const USER = 'bob'; // may read and download Alice Main Project, not edit it
const ALIGNER = `${PROJECT_ID}/aligner`;
const VARIANT_CALLER = `${PROJECT_ID}/variant-caller`;

describe('Journey 7: keyboard only — sign in, walk the tree, Shift+F10 on a tag, load more, sign out (bob)', function () {
  this.timeout(120_000);
  skipAfterFailure();

  it('signs in from the command palette, typing the token', async () => {
    const { page, sandbox } = e2e();
    assert.equal(await signedInUser(page), undefined, 'journey 7 starts signed out');
    // The extension's contributions are in (its commands are in the palette) once its icon is.
    await activityBarItem(page, CONTAINER).waitFor({ state: 'visible', timeout: 60_000 });
    await runCommandByKeyboard(page, 'Synapse: Sign In');
    const box = await waitForQuickInput(page);
    assert.equal(await box.getAttribute('type'), 'password', 'the token box hides what is typed');
    await page.keyboard.type(sandboxUser(sandbox, USER).token);
    await page.keyboard.press('Enter');
    await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${USER}\\s*$`), 30_000);
    await waitForNotification(page, `Signed in to Synapse as ${USER}.`, 15_000);
  });

  it(`moves into the tree and expands "${PROJECT_NAME}" and ${ALIGNER} with the arrow keys`, async () => {
    const { page, screenshot } = e2e();
    await runCommandByKeyboard(page, 'Synapse Docker: Focus on Projects View');
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 }); // bob's projects are in
    await page.keyboard.press('Home');
    await waitForFocusedTreeRow(page, VIEW, (row) => row.index === 0, 'the first project to take the focus');
    await arrowDownToTreeRow(page, VIEW, PROJECT_NAME);
    await expandFocusedTreeRowByKeyboard(page, VIEW, PROJECT_NAME);
    // Its children load after the row shows expanded; ArrowDown before that would skip past them.
    await treeRow(page, VIEW, ALIGNER).first().waitFor({ state: 'visible', timeout: 30_000 });
    await arrowDownToTreeRow(page, VIEW, ALIGNER);
    await expandFocusedTreeRowByKeyboard(page, VIEW, ALIGNER);
    // The newest tag comes first (Synapse's order by creation, descending).
    const newest = (await sandboxTags('syn1000101'))[0];
    await treeRow(page, VIEW, newest.tag).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('ArrowDown');
    const tag = await waitForFocusedTreeRow(page, VIEW, (row) => row.level === 3, 'a tag to take the focus', 30_000);
    assert.equal(tag.label, newest.tag, 'ArrowDown from the expanded repository lands on its newest tag');
    await screenshot('journey7-01-tag-focused-by-keyboard');
  });

  it('opens the tag’s context menu with Shift+F10 and copies its pull command with ArrowDown and Enter', async () => {
    const { page, sandbox, screenshot } = e2e();
    const tag = (await sandboxTags('syn1000101'))[0];
    const expected = `docker pull ${sandbox.registry}/${ALIGNER}@${tag.digest}`;
    const sentinel = `(clipboard before the keyboard copy ${Date.now()})`;
    await grantClipboard(page);
    await writeClipboard(page, sentinel);
    assert.equal(await readClipboard(page), sentinel);

    await page.keyboard.press('Shift+F10');
    await contextMenu(page).waitFor({ state: 'visible', timeout: 10_000 });
    for (const entry of ['Copy Image Reference', 'Copy Digest Reference', 'Copy Pull Command']) {
      await contextMenuItem(page, entry).waitFor({ state: 'visible' });
    }
    await arrowDownToMenuItem(page, 'Copy Pull Command');
    assert.equal(await focusedMenuItem(page), 'Copy Pull Command');
    await screenshot('journey7-02-context-menu-by-keyboard');
    await page.keyboard.press('Enter');
    await contextMenu(page).waitFor({ state: 'hidden', timeout: 5_000 });
    assert.equal(await waitForClipboard(page, expected), expected, 'the clipboard holds the tag’s pull command');
  });

  it(`collapses ${ALIGNER} with ArrowLeft and loads more of ${VARIANT_CALLER}'s 30 tags with Enter on "Load more…"`, async () => {
    const { page, screenshot } = e2e();
    await page.keyboard.press('ArrowLeft'); // from the tag to its repository
    await waitForFocusedTreeRow(page, VIEW, (row) => row.label === ALIGNER, `the focus back on ${ALIGNER}`);
    await page.keyboard.press('ArrowLeft');
    await waitForFocusedTreeRow(page, VIEW, (row) => row.label === ALIGNER && row.expanded === false, `${ALIGNER} to collapse`);
    await arrowDownToTreeRow(page, VIEW, VARIANT_CALLER);
    await expandFocusedTreeRowByKeyboard(page, VIEW, VARIANT_CALLER);
    await treeRow(page, VIEW, 'Load more…').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.keyboard.press('ArrowDown');
    await waitForFocusedTreeRow(page, VIEW, (row) => row.level === 3, 'the first tag to take the focus', 30_000);
    await arrowDownToTreeRow(page, VIEW, 'Load more…', 25);
    await screenshot('journey7-03-load-more-focused');
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 20_000;
    let tags = 0;
    while (Date.now() < deadline) {
      tags = childRowsOf(await readAllTreeRows(page, VIEW), VARIANT_CALLER).filter((row) => row.label !== 'Load more…').length;
      if (tags === 30) break;
      await page.waitForTimeout(300);
    }
    assert.equal(tags, 30, 'Enter on "Load more…" loaded the other 10 tags');
  });

  it('signs out from the command palette: the welcome view returns', async () => {
    const { page, screenshot } = e2e();
    await runCommandByKeyboard(page, 'Synapse: Sign Out');
    await accountStatusBarItem(page).waitFor({ state: 'detached', timeout: 15_000 });
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 15_000 });
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible' });
    await screenshot('journey7-04-signed-out-by-keyboard');
  });
});
