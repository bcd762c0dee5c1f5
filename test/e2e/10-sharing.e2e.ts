// Journey 10, sharing: alice's repository in Alice Lab 55 inherits the project's sharing settings, where bob
// may only view. bob's pull of it is refused → alice opens its sharing settings ("Sharing…" on the
// repository), gives bob "Can download" on that repository only (which creates its local settings, after
// a dialog saying bob gains pull) → bob's pull works → alice restores inheritance (the dialog says bob
// loses pull) → bob's pull is refused again. Each step is seen in the workbench (screenshots).
//
// The world it needs is set up from the test process: an image pushed by alice with dockerode (which
// creates the repository through the registry's notification), and bob given "Can view" on Alice Lab 55
// through Synapse's REST API (so he sees the project in his tree).
//
// Expects: alice signed in (journey 9, challenges, on main), no notification; repairs that itself when it is not so.
// Leaves:  bob signed in, no notification, the repository moved to the trash, Alice Lab 55 shared with
//          alice alone again, the images removed from the engine.
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';
import {
  beginJourney,
  buildImageInEngine,
  CONTAINER,
  engine,
  removeImages,
  runId,
  sandboxAdmin,
  sandboxRepositoryId,
  settleForScreenshot,
  signInAs,
  signedInUser,
  skipAfterFailure,
  VIEW,
} from './journey';
import { sandboxUser } from '../vscode/sandboxInfo';
import {
  clearAllNotifications,
  clickViewTitleAction,
  closeContextMenu,
  closeQuickInput,
  collapseTreeItemIfShown,
  expandTreeItem,
  notificationMessage,
  notificationToasts,
  openTreeItemContextMenu,
  openViewContainer,
  pickContextMenuItem,
  quickPickRow,
  signOutThroughPalette,
  treeRow,
  viewPane,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForQuickInputIdle,
  waitForToastShown,
} from './workbench';

const SHARING = 'Sharing';
const LAB_ID = 'syn1001055';
const LAB_NAME = 'Alice Lab 55';
const TAG = 'v1';

interface Acl {
  id: string;
  etag: string;
  resourceAccess: Array<{ principalId: number; accessType: string[] }>;
}

/** Synapse's REST API as a user, from the test process. */
async function rest<T>(userName: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const { sandbox } = e2e();
  const response = await fetch(`${sandbox.synapseEndpoint}/repo/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${sandboxUser(sandbox, userName).token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The modal dialog of the workbench (code-server draws its own). */
function dialog(page: Page): Locator {
  return page.locator('.monaco-dialog-box');
}

async function dialogText(page: Page): Promise<{ message: string; detail: string }> {
  const box = dialog(page);
  await box.waitFor({ state: 'visible', timeout: 20_000 });
  const text = async (selector: string) =>
    (
      (await box
        .locator(selector)
        .first()
        .innerText()
        .catch(() => '')) ?? ''
    )
      .replace(/\s+/g, ' ')
      .trim();
  return { message: await text('.dialog-message-text'), detail: await text('.dialog-message-detail') };
}

async function clickDialogButton(page: Page, label: string): Promise<void> {
  await dialog(page).getByRole('button', { name: label, exact: true }).click();
  await dialog(page).waitFor({ state: 'hidden', timeout: 10_000 });
}

/** A row of the Sharing view by its label; its description is the level. */
function sharingRow(page: Page, label: string): Locator {
  return treeRow(page, SHARING, label).first();
}

async function rowDescription(row: Locator): Promise<string> {
  return (
    (await row
      .locator('.label-description')
      .textContent()
      .catch(() => '')) ?? ''
  ).trim();
}

async function waitForRowDescription(row: Locator, expected: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (!expected.test((text = await rowDescription(row)))) {
    if (Date.now() > deadline) throw new Error(`row description "${text}" never matched ${expected}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return text;
}

describe('Journey 10: sharing — alice lets bob pull one repository, then restores inheritance (alice, bob)', function () {
  this.timeout(240_000);
  skipAfterFailure();
  let registry = '';
  let label = '';
  let reference = '';
  let repositoryId = '';
  let projectEtagAfterSharing = '';

  /** Signs whoever is signed in out and `userName` in (through the palette). */
  async function switchTo(page: Page, userName: string): Promise<void> {
    await clearAllNotifications(page);
    const current = await signedInUser(page);
    if (current === userName) return;
    if (current) {
      await signOutThroughPalette(page, current);
      await waitForNotification(page, `Signed out ${current} from Synapse.`, 15_000);
      await clearAllNotifications(page);
    }
    await signInAs(page, userName);
    await clearAllNotifications(page);
  }

  /** Expands Alice Lab 55 and the repository in the Projects view; returns the repository's row. */
  async function showRepository(page: Page): Promise<Locator> {
    await openViewContainer(page, CONTAINER);
    await collapseTreeItemIfShown(page, VIEW, LAB_NAME);
    await expandTreeItem(page, VIEW, LAB_NAME, 30_000);
    await waitForProgressToFinish(page, 15_000);
    const row = await expandTreeItem(page, VIEW, label, 30_000);
    await waitForProgressToFinish(page, 15_000);
    await treeRow(page, VIEW, TAG).first().waitFor({ state: 'visible', timeout: 20_000 });
    return row;
  }

  /** "Pull Image…" on the tag row; returns the notification that ends it: "Pulled …", or the registry's refusal (an error). */
  async function pullFromTree(page: Page): Promise<{ toast: Locator; pulled: boolean; message: string }> {
    await removeImages(engine(), [reference]);
    await clearAllNotifications(page);
    await openTreeItemContextMenu(page, VIEW, TAG);
    await pickContextMenuItem(page, 'Pull Image…');
    const pulled = notificationToasts(page)
      .filter({ hasText: `Pulled ${reference}` })
      .first();
    // Synapse's prediction rides in the pull's progress ("… Trying anyway: the registry decides."); the
    // refusal is the registry's, shown as an error with the reason Synapse gives.
    const error = notificationToasts(page)
      .filter({ has: page.locator('.codicon-error'), hasText: /You don't have download access/ })
      .first();
    await pulled.or(error).first().waitFor({ state: 'visible', timeout: 120_000 });
    if (await pulled.isVisible()) return { toast: pulled, pulled: true, message: await notificationMessage(pulled) };
    return { toast: error, pulled: false, message: await notificationMessage(error) };
  }

  /** The pull ends in the registry's refusal, with the reason Synapse gave; nothing reaches the engine. */
  async function expectRefusedPull(page: Page): Promise<string> {
    const { toast, pulled, message } = await pullFromTree(page);
    assert.equal(pulled, false, "bob's pull must be refused");
    assert.match(
      message,
      new RegExp(`^You don't have download access to ${registry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${label}`),
      message,
    );
    await waitForToastShown(toast);
    await assert.rejects(engine().getImage(reference).inspect(), 'nothing was pulled');
    return message;
  }

  before(async () => {
    const { sandbox } = e2e();
    registry = sandbox.registry;
    label = `${LAB_ID}/e2e-share-${runId}`;
    reference = `${registry}/${label}:${TAG}`;
    // alice pushes the image (dockerode, her token): the registry's notification creates the repository.
    await buildImageInEngine(reference);
    const alice = sandboxUser(sandbox, 'alice');
    const stream = await engine()
      .getImage(reference)
      .push({ authconfig: { username: 'alice', password: alice.token, serveraddress: registry } });
    const output = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      engine().modem.followProgress(stream, (error: Error | null, events: unknown[]) => (error ? reject(error) : resolve(events as never))),
    );
    const failed = output.find((event) => event.error);
    assert.equal(failed, undefined, `alice's push failed: ${failed?.error}`);
    const deadline = Date.now() + 30_000;
    while (!(repositoryId = (await sandboxRepositoryId(`${registry}/${label}`)) ?? '')) {
      if (Date.now() > deadline) throw new Error(`the registry's notification did not create ${label}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await removeImages(engine(), [reference]);
    // bob may view Alice Lab 55 (so he sees it), not download from it.
    const acl = await rest<Acl>('alice', 'GET', `/entity/${LAB_ID}/acl`);
    assert.equal(acl.status, 200);
    const shared = await rest<Acl>('alice', 'PUT', `/entity/${LAB_ID}/acl`, {
      ...acl.body,
      resourceAccess: [
        ...acl.body.resourceAccess.filter((row) => row.principalId !== 3400002),
        { principalId: 3400002, accessType: ['READ'] },
      ],
    });
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
    projectEtagAfterSharing = shared.body.etag;
  });

  after(async () => {
    await removeImages(engine(), [reference]).catch(() => undefined);
    if (repositoryId)
      await sandboxAdmin('/__admin/trash', { id: repositoryId }).catch((error: Error) =>
        process.stderr.write(`[e2e] trash ${repositoryId}: ${error.message}\n`),
      );
    const acl = await rest<Acl>('alice', 'GET', `/entity/${LAB_ID}/acl`).catch(() => undefined);
    if (acl?.status === 200) {
      await rest('alice', 'PUT', `/entity/${LAB_ID}/acl`, {
        ...acl.body,
        resourceAccess: acl.body.resourceAccess.filter((row) => row.principalId !== 3400002),
      }).catch(() => undefined);
    }
  });

  it('bob sees the repository, may only view it, and his pull is refused', async () => {
    const { page, screenshot } = e2e();
    await beginJourney(page, 'Journey 10', 'alice');
    await switchTo(page, 'bob');
    const row = await showRepository(page);
    assert.match(await waitForRowDescription(row, /^view only · pushed/), /^view only · pushed/);
    await settleForScreenshot(page);
    await screenshot('journey10-01-bob-view-only');
    const refused = await expectRefusedPull(page);
    assert.ok(refused.length > 0);
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey10-02-bob-pull-refused');
  });

  it('alice opens the repository\'s sharing settings: inherited from Alice Lab 55, bob "Can view"', async () => {
    const { page, screenshot } = e2e();
    await switchTo(page, 'alice');
    await showRepository(page);
    await openTreeItemContextMenu(page, VIEW, label);
    await pickContextMenuItem(page, 'Sharing…');
    const origin = sharingRow(page, `Inherited from ${LAB_NAME}`);
    await origin.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await rowDescription(sharingRow(page, 'Alice Anderson (alice)')), 'Administrator (you)');
    assert.equal(await rowDescription(sharingRow(page, 'Bob Baker (bob)')), 'Can view');
    await settleForScreenshot(page);
    await screenshot('journey10-03-sharing-inherited');
  });

  it('alice gives bob "Can download" on the repository only, after a dialog saying bob gains pull', async () => {
    const { page, screenshot } = e2e();
    await clickViewTitleAction(page, SHARING, 'Add User or Team…');
    const box = await waitForQuickInput(page);
    await box.fill('bob');
    const bobRow = quickPickRow(page, 'Bob Baker (bob)').first();
    await bobRow.waitFor({ state: 'visible', timeout: 20_000 });
    await waitForQuickInputIdle(page);
    await bobRow.click();
    const level = quickPickRow(page, 'Can download').first();
    await level.waitFor({ state: 'visible', timeout: 10_000 });
    await level.click();
    const shown = await dialogText(page);
    assert.equal(shown.message, `Give ${label} its own sharing settings (starting from those of ${LAB_NAME}) with this change?`);
    assert.equal(shown.detail, 'Bob Baker (bob): Can view → Can download — gains pull');
    await screenshot('journey10-04-confirm-can-download');
    await clickDialogButton(page, 'Create Local Settings');
    await sharingRow(page, 'Local sharing settings').waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await waitForRowDescription(sharingRow(page, 'Bob Baker (bob)'), /^Can download$/), 'Can download');
    // On that repository only: the project still gives bob "Can view".
    const project = await rest<Acl>('alice', 'GET', `/entity/${LAB_ID}/acl`);
    assert.equal(project.body.etag, projectEtagAfterSharing, "the project's settings are untouched");
    assert.equal((await rest<{ id: string }>('alice', 'GET', `/entity/${repositoryId}/benefactor`)).body.id, repositoryId);
    await waitForNotification(page, `${label} now has local sharing settings.`, 10_000).catch(() => undefined);
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey10-05-local-bob-can-download');
  });

  it("bob's tree says he may pull, and his pull works", async () => {
    const { page, screenshot } = e2e();
    await switchTo(page, 'bob');
    const row = await showRepository(page);
    await waitForRowDescription(row, /^pull · pushed/);
    const { toast, pulled, message } = await pullFromTree(page);
    assert.equal(pulled, true, `bob's pull must work now: ${message}`);
    await engine().getImage(reference).inspect();
    await waitForToastShown(toast);
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey10-06-bob-pulled');
    await removeImages(engine(), [reference]);
  });

  it('alice restores inheritance, after a dialog saying bob loses pull', async () => {
    const { page, screenshot } = e2e();
    await switchTo(page, 'alice');
    await showRepository(page);
    await openTreeItemContextMenu(page, VIEW, label);
    await pickContextMenuItem(page, 'Sharing…');
    await sharingRow(page, 'Local sharing settings').waitFor({ state: 'visible', timeout: 20_000 });
    await openTreeItemContextMenu(page, SHARING, 'Local sharing settings');
    await pickContextMenuItem(page, 'Restore Inheritance');
    const shown = await dialogText(page);
    assert.equal(shown.message, `Delete the local sharing settings of ${label} so that it inherits those of ${LAB_NAME} again?`);
    assert.equal(shown.detail, 'Bob Baker (bob): Can download → Can view — loses pull');
    await screenshot('journey10-07-confirm-restore');
    await clickDialogButton(page, 'Restore Inheritance');
    await sharingRow(page, `Inherited from ${LAB_NAME}`).waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await waitForRowDescription(sharingRow(page, 'Bob Baker (bob)'), /^Can view$/), 'Can view');
    await settleForScreenshot(page);
    await screenshot('journey10-08-inherited-again');
  });

  it("bob's pull is refused again", async () => {
    const { page, screenshot } = e2e();
    await switchTo(page, 'bob');
    const row = await showRepository(page);
    await waitForRowDescription(row, /^view only · pushed/);
    await expectRefusedPull(page);
    await settleForScreenshot(page, { keepNotifications: true });
    await screenshot('journey10-09-bob-refused-again');
  });

  it('leaves bob signed in, the view collapsed, no notification', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await collapseTreeItemIfShown(page, VIEW, LAB_NAME);
    assert.ok(await viewPane(page, SHARING).count(), 'the Sharing view is in the container');
  });
});
