// Journey 6, sign out: the signed-in user (dave, after journey 5) clicks their name in the status
// bar, picks "Sign Out" in the account menu, and gets the welcome view back with no user in the
// status bar. The page is then reloaded (a new extension host restores the session from storage):
// still signed out, because the token was removed from storage, not just forgotten in memory. No
// token of the run's users is in clear anywhere.
//
// Expects: dave signed in, no notification.
// Leaves:  nobody signed in, a freshly reloaded workbench with the welcome view (the end of the run).
import * as assert from 'node:assert/strict';
import { e2e } from './context';
import {
  activationLines,
  assertNoTokenInClear,
  CONTAINER,
  beginJourney,
  settleForScreenshot,
  signedInUser,
  skipAfterFailure,
  VIEW,
  waitForActivations,
} from './journey';
import {
  accountStatusBarItem,
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  openViewContainer,
  quickInputText,
  quickPickRow,
  readStatusBar,
  statusBarItems,
  notificationButton,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForWorkbench,
  welcomeButton,
  welcomeView,
} from './workbench';

const USER = 'dave';

describe('Journey 6: sign out from the status bar; still signed out after a reload', function () {
  this.timeout(120_000);
  skipAfterFailure();

  it(`clicks ${USER}'s name in the status bar and sees the account menu`, async () => {
    const { page, screenshot } = e2e();
    await beginJourney(page, 'Journey 6', USER);
    await clearAllNotifications(page);
    const item = accountStatusBarItem(page);
    assert.equal((await item.innerText()).trim(), USER);
    await item.click();
    await waitForQuickInput(page);
    const title = await quickInputText(page);
    assert.match(title, new RegExp(`Synapse: ${USER} \\(http://127\\.0\\.0\\.1:\\d+\\)`), `account menu: ${title}`);
    for (const entry of ['Sign Out', 'Switch Account…', 'Show Log']) await quickPickRow(page, entry).first().waitFor({ state: 'visible' });
    await quickPickRow(page, 'Sign Out').first().hover();
    await screenshot('journey6-01-account-menu');
  });

  it('picks "Sign Out": the welcome view returns and the status bar shows no user', async () => {
    const { page, screenshot } = e2e();
    await quickPickRow(page, 'Sign Out').first().click();
    const signedOut = await waitForNotification(page, `Signed out ${USER} from Synapse. The token was removed from this machine.`, 15_000);
    await notificationButton(signedOut, 'Sign In').waitFor({ state: 'visible' }); // the next step is offered
    await accountStatusBarItem(page).waitFor({ state: 'detached', timeout: 15_000 });
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 15_000 });
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible' });
    const status = await readStatusBar(page);
    assert.ok(!new RegExp(`\\b${USER}\\b`).test(status), `the status bar still names ${USER}: ${status}`);
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey6-02-signed-out');
  });

  it('no token of the run is in clear in the browser storage or on disk', async () => {
    await assertNoTokenInClear(e2e().page, ['alice', 'bob', 'carol', 'dave']);
  });

  it('reloads the page: the extension restores nothing, the welcome view stays', async () => {
    const { page, screenshot } = e2e();
    const before = activationLines();
    assert.ok(before.length >= 1, 'the extension logged its activation');
    await clearAllNotifications(page);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);
    await openViewContainer(page, CONTAINER, 60_000);
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 30_000 });
    // A new extension host activated the extension again and restored the session from storage:
    // wait for its log line, so the welcome view is its verdict, not the workbench's default.
    const after = await waitForActivations(page, before.length + 1);
    assert.match(after.at(-1)!, /signed out\)$/, `after the reload: ${after.at(-1)}`);
    await waitForProgressToFinish(page, 15_000);
    await statusBarItems(page).filter({ hasText: 'Activating Extensions' }).first().waitFor({ state: 'hidden', timeout: 30_000 });
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await signedInUser(page), undefined, 'nobody is signed in after the reload');
    assert.ok(!new RegExp(`\\b${USER}\\b`).test(await readStatusBar(page)), `status bar: ${await readStatusBar(page)}`);
    await settleForScreenshot(page);
    await screenshot('journey6-03-after-reload');
  });

  it('leaves the workbench signed out', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
  });
});
