// Journey 1, first run: a signed-out user opens the Synapse Docker view, sees the welcome view,
// clicks "Sign in to Synapse", pastes a personal access token into the password box and sees
// their user name in the status bar; the token is kept only sealed in the secret store.
//
// Expects: a fresh workbench, nobody signed in (run.ts starts one with empty profiles).
// Leaves:  alice signed in, the Synapse Docker view open, its tree as a fresh sign-in shows it
//          (nothing expanded), no notification.
import * as assert from 'node:assert/strict';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  assertNoTokenInClear,
  beginJourney,
  CONTAINER,
  PROJECT_NAME,
  settleForScreenshot,
  skipAfterFailure,
  VIEW,
  waitForActivations,
} from './journey';
import {
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  openViewContainer,
  quickInputText,
  readStatusBar,
  statusBarItems,
  treeRow,
  notificationButton,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForStatusBarItem,
  welcomeButton,
  welcomeView,
} from './workbench';

describe('Journey 1: first run — sign in from the welcome view', function () {
  this.timeout(90_000);
  skipAfterFailure();

  it('shows the signed-out welcome view with a "Sign in to Synapse" button', async () => {
    const { page, screenshot } = e2e();
    await beginJourney(page, 'Journey 1', undefined);
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 30_000 });
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible' });
    await waitForProgressToFinish(page, 15_000); // extensions done activating
    // The welcome view is the extension's verdict (not the workbench's default before activation).
    assert.match((await waitForActivations(page, 1)).at(-1)!, /signed out\)$/);
    await statusBarItems(page).filter({ hasText: 'Activating Extensions' }).first().waitFor({ state: 'hidden', timeout: 30_000 });
    assert.match(await welcomeView(page, VIEW).innerText(), /personal access token/);
    await screenshot('journey1-01-welcome');
  });

  it("asks for a token in a password box and accepts alice's", async () => {
    const { page, sandbox, screenshot } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    await welcomeButton(page, VIEW, 'Sign in to Synapse').click();
    const box = await waitForQuickInput(page);
    assert.equal(await box.getAttribute('type'), 'password', 'the token input must hide what is typed');
    assert.match(await quickInputText(page), /personal access token/i);
    await box.fill(alice.token);
    await screenshot('journey1-02-token');
    assert.ok(!(await quickInputText(page)).includes(alice.token), 'the token must not be echoed in the input prompt');
    await box.press('Enter');
  });

  it("shows alice's user name in the status bar and hides the welcome view", async () => {
    const { page, sandbox, screenshot } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    const item = await waitForStatusBarItem(page, alice.userName, 30_000);
    assert.ok((await item.innerText()).includes(alice.userName), `status bar: ${await readStatusBar(page)}`);
    await welcomeView(page, VIEW).waitFor({ state: 'hidden', timeout: 15_000 });
    const signedIn = await waitForNotification(page, 'Signed in to Synapse as alice.', 15_000);
    await notificationButton(signedIn, 'Build Image…').waitFor({ state: 'visible' }); // the next step is offered
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000); // the projects finish loading
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey1-03-signed-in');
  });

  it('keeps the token only sealed in the browser secret store, never in clear on disk', async () => {
    const { page, sandbox } = e2e();
    // code-server's SecretStorage: localStorage "secrets.provider", AES-GCM sealed in the browser.
    const sealed = await page.evaluate(() => localStorage.getItem('secrets.provider'));
    assert.ok(sealed, 'expected the sealed secret store in localStorage["secrets.provider"] after sign-in');
    assert.ok(!sealed.includes(sandboxUser(sandbox, 'alice').token), 'the secret store must not hold the token in clear');
    await assertNoTokenInClear(page, ['alice']);
  });

  it('leaves alice signed in with the view open', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await openViewContainer(page, CONTAINER);
  });
});
