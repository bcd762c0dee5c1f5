// Journey 5, refusals: pushes Synapse refuses before any byte is uploaded, explained in the
// notification. carol (not certified, though she may create content in syn1000001) pushes an image
// named for the registry from the palette ("Synapse: Push Image…") and reads that only certified
// users can push; dave (certified, READ only on syn1000001) does the same and reads that he needs
// edit access to create a repository there. Both images are built in the test process (dockerode)
// and removed afterwards.
//
// Expects: bob signed in (journey 4), no notification.
// Leaves:  dave signed in, no notification, the two images removed from the engine.
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';
import {
  buildImageInEngine,
  CONTAINER,
  engine,
  beginJourney,
  PROJECT_ID,
  removeImages,
  runId,
  sandboxRepositoryId,
  signInAs,
  skipAfterFailure,
} from './journey';
import {
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  notificationButton,
  notificationMessage,
  openViewContainer,
  quickPickRow,
  runCommand,
  signOutThroughPalette,
  waitForNotification,
  waitForQuickInput,
  waitForToastShown,
} from './workbench';

/** "Synapse: Push Image…" from the palette, picks `reference` among the local images; returns the error notification. */
async function pushFromPalette(page: Page, reference: string, expected: RegExp): Promise<Locator> {
  await clearAllNotifications(page);
  await runCommand(page, 'Synapse: Push Image…');
  await waitForQuickInput(page, 30_000);
  const row = quickPickRow(page, reference).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  const refusal = await waitForNotification(page, expected, 30_000);
  assert.ok(await refusal.locator('.codicon-error').count(), 'the refusal must be an error notification');
  await waitForToastShown(refusal);
  return refusal;
}

/** A refused push must not create the repository. */
async function assertNotCreated(reference: string): Promise<void> {
  const repositoryName = reference.replace(/:[^:/]+$/, '');
  assert.equal(await sandboxRepositoryId(repositoryName), undefined, `a refused push created ${repositoryName}`);
}

describe('Journey 5: pushes refused before any upload (carol, not certified; dave, READ only)', function () {
  this.timeout(180_000);
  skipAfterFailure();
  let carolImage = '';
  let daveImage = '';

  before(async () => {
    const { sandbox } = e2e();
    carolImage = `${sandbox.registry}/${PROJECT_ID}/e2e-carol-${runId}:v1`;
    daveImage = `${sandbox.registry}/${PROJECT_ID}/e2e-dave-${runId}:v1`;
    // Images already named for the registry, built in the test process.
    await buildImageInEngine(carolImage);
    await buildImageInEngine(daveImage);
  });

  after(async () => {
    await removeImages(engine(), [carolImage, daveImage]);
  });

  it('signs bob out and carol in through the palette', async () => {
    const { page } = e2e();
    await beginJourney(page, 'Journey 5', 'bob');
    await signOutThroughPalette(page, 'bob');
    await signInAs(page, 'carol');
    await clearAllNotifications(page);
  });

  it('carol pushes her image from the palette and reads that only certified users can push', async () => {
    const { page, screenshot } = e2e();
    const refusal = await pushFromPalette(page, carolImage, /certified/i);
    const message = await notificationMessage(refusal);
    assert.match(message, /You are not a certified Synapse user; only certified users can push Docker images\./, message);
    assert.match(message, /Pass the Synapse certification quiz, then push again\./, message);
    await notificationButton(refusal, 'Open in Browser').waitFor({ state: 'visible' });
    await screenshot('journey5-01-uncertified');
    await assertNotCreated(carolImage);
  });

  it('signs carol out and dave in through the palette', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await signOutThroughPalette(page, 'carol');
    await signInAs(page, 'dave');
    await clearAllNotifications(page);
  });

  it(`dave pushes his image into ${PROJECT_ID} and reads that he needs edit rights to create a repository`, async () => {
    const { page, screenshot } = e2e();
    const refusal = await pushFromPalette(page, daveImage, /create a repository/i);
    const message = await notificationMessage(refusal);
    assert.match(message, new RegExp(`You can't create a repository in ${PROJECT_ID}`), message);
    assert.match(message, /needs permission to add content to the project/, message);
    assert.match(message, new RegExp(`Ask an administrator of ${PROJECT_ID} for edit access`), message);
    assert.doesNotMatch(message, /certified/, 'dave is certified');
    await screenshot('journey5-02-no-edit-rights');
    await assertNotCreated(daveImage);
  });

  it('leaves dave signed in', async () => {
    const { page } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    await openViewContainer(page, CONTAINER);
  });
});
