// Journey 9, challenges: alice pushes an image and, from the push's notification, submits it to the
// sandbox challenge's open queue as her team Aligners (the queue picker shows the round's end and
// what is left of the daily limit, the team picker each member's eligibility, the confirmation the
// digest and the queue's instructions), gets the receipt, and follows the submission in the
// Submissions view while the organisers' pipeline (the sandbox's control) runs and scores it: the
// view shows SCORED and the score, a notification says so, and polling stops. Then the refusals,
// each before anything is sent: an arm64-only image, a closed round (from the tag's context menu), a
// digest Synapse has not recorded (a push whose notification is held back), and the daily limit.
// With Synapse slow, the palette's first picker opens at once, busy, and no toast stands in for it.
//
// Expects: nobody signed in (journey 8) or anyone: it signs alice in itself; no notification.
//          The sandbox is reset first (its evaluation service then has no submission).
// Leaves:  alice signed in, the Submissions view collapsed, no notification, listener delay 0.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';
import {
  beginJourney,
  buildImageInEngine,
  CONTAINER,
  engine,
  PROJECT_ID,
  PROJECT_NAME,
  removeImages,
  runId,
  sandboxAdmin,
  sandboxRepositoryId,
  sandboxTags,
  settleForScreenshot,
  signInAs,
  skipAfterFailure,
  VIEW,
} from './journey';
import {
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  collapseTreeItemIfShown,
  contextMenu,
  notificationButton,
  notificationMessage,
  notificationToasts,
  openViewContainer,
  pickContextMenuItem,
  quickInput,
  quickPickRow,
  runCommand,
  treeRow,
  viewPane,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForQuickInputIdle,
  waitForToastShown,
} from './workbench';

const OPEN_QUEUE = 'Sandbox Challenge - Main Queue';
const CLOSED_QUEUE = 'Sandbox Challenge - Leaderboard Round 1 (closed)';
const SUBMISSIONS = 'Submissions';
const STATUS_PATH = /^\/repo\/v1\/evaluation\/submission\/\d+\/status$/;

interface Stat {
  method: string;
  path: string;
  userId: string | null;
  startedAt: number;
}

async function stats(): Promise<Stat[]> {
  const response = await fetch(`${e2e().sandbox.synapseEndpoint}/__admin/stats`);
  return ((await response.json()) as { requests: Stat[] }).requests;
}

async function adminGet<T>(route: string): Promise<T> {
  const response = await fetch(`${e2e().sandbox.synapseEndpoint}/__admin/${route}`);
  assert.equal(response.status, 200);
  return (await response.json()) as T;
}

/** The modal dialog VS Code shows for a modal message. */
function dialog(page: Page): Locator {
  return page.locator('.monaco-dialog-box');
}

/** Picks a row of the open quick pick once it is listed. */
async function pickRow(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
  await waitForQuickInput(page, timeoutMs);
  const row = quickPickRow(page, text).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await waitForQuickInputIdle(page, timeoutMs);
  return row;
}

/** A row of the Submissions view. */
function submissionRow(page: Page, id: string): Locator {
  return viewPane(page, SUBMISSIONS)
    .locator('.monaco-list-row')
    .filter({ hasText: `#${id}` })
    .first();
}

/** Builds a FROM scratch image for another platform (the classic builder needs no emulation without RUN). */
async function buildForPlatform(reference: string, platform: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-e2e-platform-'));
  try {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY id.txt /id.txt\n');
    fs.writeFileSync(path.join(dir, 'id.txt'), `${reference} ${crypto.randomBytes(12).toString('hex')}\n`);
    const docker = engine();
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: reference, platform, rm: true });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, out: unknown) => (error ? reject(error) : resolve(out))),
    );
    const image = await docker.getImage(reference).inspect();
    assert.equal(`${image.Os}/${image.Architecture}`, platform);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Pushes a local image through the palette ("Synapse: Push Image…", then the image) and returns the success (or warning) toast. */
async function pushThroughPalette(page: Page, reference: string, expected: string | RegExp, timeoutMs = 120_000): Promise<Locator> {
  await runCommand(page, 'Synapse: Push Image…');
  const row = await pickRow(page, reference);
  await row.click();
  const toast = await waitForNotification(page, expected, timeoutMs);
  await waitForToastShown(toast);
  return toast;
}

/** Queue → as team Aligners → Submit in the dialog; returns the dialog's text. */
async function submitAsTeam(
  page: Page,
  screenshots?: { queues: string; team: string; confirm: string },
): Promise<{ message: string; detail: string }> {
  const { screenshot } = e2e();
  const queue = await pickRow(page, OPEN_QUEUE);
  if (screenshots) await screenshot(screenshots.queues);
  await queue.click();
  const team = await pickRow(page, 'As team Aligners');
  if (screenshots) await screenshot(screenshots.team);
  await team.click();
  await dialog(page).waitFor({ state: 'visible', timeout: 30_000 });
  const message = ((await dialog(page).locator('.dialog-message-text').innerText()) ?? '').trim();
  const detail = (
    (await dialog(page)
      .locator('.dialog-message-detail')
      .innerText()
      .catch(() => '')) ?? ''
  ).trim();
  if (screenshots) await screenshot(screenshots.confirm);
  await dialog(page).getByRole('button', { name: 'Submit', exact: true }).click();
  await dialog(page).waitFor({ state: 'hidden', timeout: 10_000 });
  return { message, detail };
}

describe('Journey 9: submit a pushed image to a challenge as a team, follow it to its score; the refusals (alice)', function () {
  this.timeout(300_000);
  skipAfterFailure();
  let registry = '';
  let reference = '';
  let armReference = '';
  let repositoryId = '';
  let digest = '';
  let submissionId = '';

  before(() => {
    registry = e2e().sandbox.registry;
    reference = `${registry}/${PROJECT_ID}/challenge-${runId}:v1`;
    armReference = `${registry}/${PROJECT_ID}/challenge-arm-${runId}:v1`;
  });

  it('signs alice in on a fresh sandbox and pushes an image', async () => {
    const { page, screenshot } = e2e();
    await sandboxAdmin('/__admin/reset', {});
    await beginJourney(page, 'Journey 9', undefined);
    await signInAs(page, 'alice');
    await buildImageInEngine(reference);
    const pushed = await pushThroughPalette(page, reference, `Pushed ${reference} to Synapse.`);
    await notificationButton(pushed, 'Submit to Challenge…').waitFor({ state: 'visible' });
    await screenshot('journey9-01-pushed');
    const id = await sandboxRepositoryId(reference.replace(/:v1$/, ''));
    assert.ok(id);
    repositoryId = id;
    digest = (await sandboxTags(id)).find((t) => t.tag === 'v1')!.digest;
    await notificationButton(pushed, 'Submit to Challenge…').click();
  });

  it('submits it as team Aligners: the queue with its round and limit, each member, the digest and the instructions; the receipt', async () => {
    const { page, screenshot } = e2e();
    await waitForQuickInput(page, 30_000);
    const queue = await pickRow(page, OPEN_QUEUE);
    assert.match(await queue.innerText(), /open until 2099-12-31 00:00 UTC[\s\S]*2 of 2 left today \(UTC\)/);
    assert.match(await quickPickRow(page, CLOSED_QUEUE).first().innerText(), /closed: the round ended 2024-06-30 00:00 UTC/);
    const { message, detail } = await submitAsTeam(page, {
      queues: 'journey9-02-queues',
      team: 'journey9-03-team',
      confirm: 'journey9-04-confirm',
    });
    assert.match(message, new RegExp(`Submit ${reference.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to ${OPEN_QUEUE} as team Aligners\\?`));
    assert.ok(detail.includes(`@${digest}`), `the dialog shows the digest: ${detail}`);
    assert.match(detail, /Instructions: Submit one image by digest/);
    const receipt = await waitForNotification(page, /Submitted to Sandbox Challenge - Main Queue: submission \d+\./, 60_000);
    const text = await notificationMessage(receipt);
    assert.match(text, /Thank you! Your image is queued/);
    submissionId = /submission (\d+)/.exec(text)![1];
    await waitForToastShown(receipt);
    await screenshot('journey9-05-receipt');
    const recorded = (await adminGet<Array<{ id: string; teamId?: string; dockerDigest: string }>>('evaluation/submissions')).find(
      (s) => s.id === submissionId,
    );
    assert.deepEqual([recorded?.teamId, recorded?.dockerDigest], ['3500001', digest]);
    await notificationButton(receipt, 'Show Submissions').click();
  });

  it('the Submissions view follows the pipeline to SCORED and the score, one status read per refresh, then stops', async () => {
    const { page, screenshot } = e2e();
    const row = submissionRow(page, submissionId);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await row.innerText(), /RECEIVED/);
    const since = Date.now();
    await sandboxAdmin('/__admin/evaluation/status', {
      submissionId,
      status: 'EVALUATION_IN_PROGRESS',
      statusDescription: 'running the model',
      progress: 40,
      canCancel: true,
    });
    await row.filter({ hasText: 'EVALUATION_IN_PROGRESS · 40% · running the model' }).waitFor({ state: 'visible', timeout: 30_000 });
    await settleForScreenshot(page);
    await screenshot('journey9-06-in-progress');
    await sandboxAdmin('/__admin/evaluation/status', {
      submissionId,
      status: 'SCORED',
      statusDescription: 'done',
      progress: 100,
      score: 0.87,
      scoreKey: 'auc',
    });
    const scoredToast = await waitForNotification(page, `Submission ${submissionId}`, 60_000);
    assert.match(await notificationMessage(scoredToast), /is SCORED: auc 0\.87/);
    await row.filter({ hasText: 'SCORED · 100% · done · auc 0.87' }).waitFor({ state: 'visible', timeout: 10_000 });
    await waitForToastShown(scoredToast);
    await screenshot('journey9-07-scored');
    // Requests per refresh: each refresh read the one pending status; none since it is final.
    const reads = (await stats()).filter((r) => r.startedAt >= since && STATUS_PATH.test(r.path));
    assert.ok(reads.length >= 2, `at least the two refreshes that saw the changes: ${reads.length}`);
    assert.ok(
      reads.every((r) => r.path === `/repo/v1/evaluation/submission/${submissionId}/status`),
      'only the pending submission is read',
    );
    const quietFrom = Date.now();
    await page.waitForTimeout(12_000); // longer than two base delays (5 s)
    const after = (await stats()).filter((r) => r.startedAt >= quietFrom && STATUS_PATH.test(r.path));
    assert.equal(after.length, 0, 'nothing pending: no request at all');
    process.stderr.write(
      `[e2e] journey 9: ${reads.length} status reads while pending (1 per refresh, 1 pending), 0 in 12 s after SCORED\n`,
    );
    await clearAllNotifications(page);
  });

  it('refuses an arm64-only image before sending, offering the linux/amd64 rebuild', async () => {
    const { page, screenshot } = e2e();
    await buildForPlatform(armReference, 'linux/arm64');
    const pushed = await pushThroughPalette(page, armReference, `Pushed ${armReference} to Synapse.`);
    const since = Date.now();
    await notificationButton(pushed, 'Submit to Challenge…').click();
    await submitAsTeam(page);
    const refusal = await waitForNotification(page, /built for linux\/arm64 only/, 60_000);
    assert.match(
      await notificationMessage(refusal),
      /the queue runs images on linux\/amd64 and would fail it\. Rebuild it with platform linux\/amd64/,
    );
    await notificationButton(refusal, 'Rebuild for linux/amd64…').waitFor({ state: 'visible' });
    await waitForToastShown(refusal);
    await screenshot('journey9-08-arm64');
    assert.equal(
      (await stats()).filter((r) => r.startedAt >= since && r.method === 'POST' && r.path === '/repo/v1/evaluation/submission').length,
      0,
      'nothing was sent',
    );
    await clearAllNotifications(page);
  });

  it("from the tag's context menu: a closed round is refused with its end", async () => {
    const { page, screenshot } = e2e();
    await openViewContainer(page, CONTAINER);
    // The pushes revealed their tags; the image's repository row is in the tree.
    const repositoryRow = treeRow(page, VIEW, `${PROJECT_ID}/challenge-${runId}`).first();
    await repositoryRow.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await repositoryRow.getAttribute('aria-expanded')) !== 'true') await repositoryRow.click();
    const index = Number(await repositoryRow.getAttribute('data-index'));
    const tagRow = viewPane(page, VIEW).locator(`.monaco-list-row[data-index="${index + 1}"]:not(.monaco-tree-sticky-row)`);
    await tagRow.waitFor({ state: 'visible', timeout: 10_000 });
    await tagRow.click({ button: 'right' });
    await contextMenu(page).waitFor({ state: 'visible' });
    await pickContextMenuItem(page, 'Submit to Challenge…');
    const closed = await pickRow(page, CLOSED_QUEUE);
    await closed.click();
    const refusal = await waitForNotification(
      page,
      `${CLOSED_QUEUE} takes no submissions now: its round ended 2024-06-30 00:00 UTC.`,
      30_000,
    );
    await waitForToastShown(refusal);
    await screenshot('journey9-09-closed');
    await clearAllNotifications(page);
  });

  it('a digest Synapse has not recorded yet (its push notification held back) is refused with the way out', async () => {
    const { page, screenshot } = e2e();
    // The registry's notification of the next push reaches Synapse only after 10 minutes.
    await sandboxAdmin('/__admin/listener-delay', { ms: 600_000 });
    const again = reference.replace(/:v1$/, ':v2');
    await buildImageInEngine(again);
    const warning = await pushThroughPalette(page, again, /Synapse has not listed/, 120_000);
    await notificationButton(warning, 'Submit to Challenge…').click();
    await submitAsTeam(page);
    const refusal = await waitForNotification(
      page,
      new RegExp(`Synapse has no commit of ${repositoryId} with digest sha256:[0-9a-f]{64}: a local tag is not enough`),
      60_000,
    );
    await notificationButton(refusal, 'Push Image…').waitFor({ state: 'visible' });
    await waitForToastShown(refusal);
    await screenshot('journey9-10-unrecorded');
    await sandboxAdmin('/__admin/listener-delay', { ms: 0 });
    await clearAllNotifications(page);
    await removeImages(engine(), [again]);
  });

  it('with Synapse slow (1.5 s an answer), the first picker opens at once and shows it is busy, with no toast; Escape while it loads ends it quietly', async () => {
    const { page, screenshot } = e2e();
    await clearAllNotifications(page);
    await sandboxAdmin('/__admin/latency', { ms: 1_500 });
    try {
      const started = Date.now();
      await runCommand(page, 'Synapse: Submit to Challenge…');
      await waitForQuickInput(page, 5_000);
      await page.getByText('Submit to Challenge: the project of the image').first().waitFor({ state: 'visible', timeout: 5_000 });
      const openedMs = Date.now() - started;
      // VS Code shows a busy picker's progress bar 0.8 s after it opened.
      await quickInput(page).locator('.monaco-progress-container.active').waitFor({ state: 'visible', timeout: 5_000 });
      assert.equal(await quickPickRow(page, PROJECT_NAME).count(), 0, 'no project listed before Synapse answered');
      assert.equal(
        await notificationToasts(page).count(),
        0,
        `a toast while the picker loads: ${await notificationToasts(page).allInnerTexts()}`,
      );
      assert.ok(openedMs < 1_500, `the picker took ${openedMs} ms to open: it waited for Synapse`);
      await screenshot('journey9-11a-busy-picker');
      // Closed while it still loads: the lookups stop, and nothing is reported as failed.
      await page.keyboard.press('Escape');
      await quickInput(page).waitFor({ state: 'hidden', timeout: 5_000 });
      await page.waitForTimeout(3_000);
      assert.equal(await notificationToasts(page).count(), 0, `after Escape: ${await notificationToasts(page).allInnerTexts()}`);
    } finally {
      await sandboxAdmin('/__admin/latency', { ms: 0 });
    }
  });

  it('the daily limit: a second team submission is taken, a third is refused in the picker', async () => {
    const { page, screenshot } = e2e();
    await runCommand(page, 'Synapse: Submit to Challenge…');
    await (await pickRow(page, PROJECT_NAME)).click();
    await (await pickRow(page, `${PROJECT_ID}/challenge-${runId}`)).click();
    await (await pickRow(page, /^v1/)).click();
    await submitAsTeam(page);
    await waitForNotification(page, /Submitted to Sandbox Challenge - Main Queue: submission \d+\./, 60_000);
    await clearAllNotifications(page);
    await runCommand(page, 'Synapse: Submit to Challenge…');
    await (await pickRow(page, PROJECT_NAME)).click();
    await (await pickRow(page, `${PROJECT_ID}/challenge-${runId}`)).click();
    await (await pickRow(page, /^v1/)).click();
    const queue = await pickRow(page, OPEN_QUEUE);
    assert.match(await queue.innerText(), /0 of 2 left today \(UTC\)/);
    await queue.click();
    const team = await pickRow(page, 'As team Aligners');
    assert.match(await team.innerText(), /The team has reached its submission limit\./);
    await screenshot('journey9-11-limit');
    await team.click();
    const refusal = await waitForNotification(page, 'The team has reached its submission limit.', 30_000);
    await waitForToastShown(refusal);
    await screenshot('journey9-12-limit-refused');
  });

  it('leaves alice signed in with the Submissions view collapsed', async () => {
    const { page } = e2e();
    await sandboxAdmin('/__admin/listener-delay', { ms: 0 }).catch(() => undefined);
    await clearAllNotifications(page);
    await closeContextMenu(page);
    await closeQuickInput(page);
    await removeImages(engine(), [reference, armReference]);
    await openViewContainer(page, CONTAINER);
    await collapseTreeItemIfShown(page, VIEW, PROJECT_NAME);
    const header = viewPane(page, SUBMISSIONS).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded').catch(() => null)) === 'true') await header.click();
    await waitForProgressToFinish(page, 10_000);
  });
});
