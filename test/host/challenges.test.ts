// Challenges through the registered commands, in a real extension host against the stack's engine,
// registry and sandbox: Submit to Challenge (queue, individual or team, confirmation, the checks
// before sending, the receipt), the Submissions view following a submission to its score with the
// requests each refresh makes, Cancel, and the refusals a user meets.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, DOCKER_HOST.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SubmissionsNode } from '../../src/tree/submissions';
import { COMMAND_TIMEOUT_MS, PROJECT, useStack } from './accountHelpers';
import { descriptionOf, labelOf, runCommand, waitFor } from './helpers';

const OPEN_QUEUE = 'Sandbox Challenge - Main Queue';
const CLOSED_QUEUE = 'Sandbox Challenge - Leaderboard Round 1 (closed)';
const SUBMIT = 'synapseDocker.submitToChallenge';
const STATUS_PATH = /^\/repo\/v1\/evaluation\/submission\/\d+\/status$/;

interface Shown {
  kind: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
  modal: boolean;
  detail?: string;
}
interface Script {
  /** Which item to pick in a quick pick (by label), undefined to dismiss it. */
  pick?: (title: string | undefined, labels: string[]) => string | undefined;
  /** The answer to a modal message (a button title), undefined to dismiss it. */
  modal?: (message: string) => string | undefined;
}

type AnyFunction = (...args: unknown[]) => unknown;
const NOTIFIERS = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;

/** Runs `step` while quick picks and modal questions are answered by `script`, and records every message and pick. */
async function scripted<T>(
  script: Script,
  step: () => Promise<T>,
): Promise<{ result: T; shown: Shown[]; picks: Array<{ title?: string; items: vscode.QuickPickItem[] }> }> {
  const window = vscode.window as unknown as Record<string, AnyFunction>;
  const originals = Object.fromEntries([...Object.values(NOTIFIERS), 'showQuickPick'].map((name) => [name, window[name]]));
  const shown: Shown[] = [];
  const picks: Array<{ title?: string; items: vscode.QuickPickItem[] }> = [];
  try {
    for (const [kind, name] of Object.entries(NOTIFIERS) as Array<[Shown['kind'], string]>) {
      window[name] = (message: unknown, ...rest: unknown[]) => {
        const options =
          typeof rest[0] === 'object' && rest[0] !== null && !('title' in (rest[0] as object))
            ? (rest[0] as vscode.MessageOptions)
            : undefined;
        const items = rest
          .map((item) => (typeof item === 'string' ? item : (item as { title?: unknown })?.title))
          .filter((item): item is string => typeof item === 'string');
        shown.push({ kind, message: String(message), items, modal: options?.modal === true, detail: options?.detail });
        if (options?.modal) return Promise.resolve(script.modal?.(String(message)));
        return Promise.resolve(undefined);
      };
    }
    window.showQuickPick = (async (items: unknown, options?: vscode.QuickPickOptions) => {
      const list = (await Promise.resolve(items)) as vscode.QuickPickItem[];
      picks.push({ title: options?.title, items: list });
      const label = script.pick?.(
        options?.title,
        list.map((item) => item.label),
      );
      return list.find((item) => item.label === label);
    }) as AnyFunction;
    return { result: await step(), shown, picks };
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
    await vscode.commands.executeCommand('notifications.clearAll');
  }
}

const describeShown = (shown: Shown[]) =>
  shown.map((s) => `[${s.kind}${s.modal ? ' modal' : ''}] ${s.message} {${s.items.join(', ')}}`).join('\n') || '(nothing shown)';

describe('Challenges: Submit to Challenge and the Submissions view (real engine, registry and sandbox)', function () {
  this.timeout(180_000);
  const stack = useStack();
  const run = crypto.randomBytes(3).toString('hex');
  const dirs: string[] = [];

  before(async function () {
    await stack.admin('reset', {});
  });
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Builds (unique content), pushes through the extension as alice, and returns the repository's id, tag and digest. */
  async function pushed(
    name: string,
    platform?: string,
  ): Promise<{ repositoryId: string; tag: string; digest: string; reference: string }> {
    const reference = stack.image(PROJECT, name, 'v1');
    if (platform) await buildForPlatform(reference, platform);
    else await stack.build(reference);
    await stack.signInAs('alice');
    const ok = await runCommand<boolean>('synapseDocker.pushImage', [reference], COMMAND_TIMEOUT_MS);
    assert.equal(ok, true, `the push of ${reference} succeeded`);
    await vscode.commands.executeCommand('notifications.clearAll');
    const listed = await waitFor(`Synapse to list ${reference}`, () => stack.repository(reference.replace(/:v1$/, '')), 20_000);
    const tag = listed.tags.find((t) => t.tag === 'v1');
    assert.ok(tag, 'the tag is listed');
    return { repositoryId: listed.id, tag: 'v1', digest: tag.digest, reference };
  }

  /** A FROM scratch image for another platform: the classic builder makes it without emulation (no RUN step). */
  async function buildForPlatform(reference: string, platform: string): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-host-arm-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY id.txt /id.txt\n');
    fs.writeFileSync(path.join(dir, 'id.txt'), `${reference} ${crypto.randomBytes(8).toString('hex')}\n`);
    const stream = await stack.docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: reference, platform, rm: true });
    await new Promise((resolve, reject) =>
      stack.docker.modem.followProgress(stream, (error: Error | null, out: unknown) => (error ? reject(error) : resolve(out))),
    );
    const image = await stack.docker.getImage(reference).inspect();
    assert.equal(`${image.Os}/${image.Architecture}`, platform);
    stack.imageIds.add(image.Id);
  }

  async function submissionNodes(): Promise<Array<{ node: SubmissionsNode; label: string; description: string }>> {
    const queues = await stack.api.submissions.getChildren();
    const rows = [];
    for (const queue of queues) {
      for (const node of await stack.api.submissions.getChildren(queue)) {
        const item = stack.api.submissions.getTreeItem(node);
        rows.push({ node, label: labelOf(item), description: descriptionOf(item) });
      }
    }
    return rows;
  }

  const statusReads = async (since: number): Promise<number> =>
    (await stack.stats()).filter((r) => r.startedAt >= since && STATUS_PATH.test(r.path)).length;
  const submissionPosts = async (since: number): Promise<number> =>
    (await stack.stats()).filter((r) => r.startedAt >= since && r.method === 'POST' && r.path === '/repo/v1/evaluation/submission').length;

  it("after a push, as alice's team: the queue with its round and limit, each member's eligibility, the digest and the instructions, the receipt; the view follows it to SCORED and stops", async function () {
    const image = await pushed(`challenge-${run}`);
    await runCommand('synapseDocker.submissions.focus');
    await runCommand('synapseDocker.refreshSubmissions');
    const { result, shown, picks } = await scripted(
      {
        pick: (title, labels) =>
          title?.startsWith('Submit ') && title.includes(' to…') ? OPEN_QUEUE : labels.find((l) => l === 'As team Aligners'),
        modal: () => 'Submit',
      },
      () => runCommand<{ id: string } | undefined>(SUBMIT, [{ repositoryId: image.repositoryId, tag: image.tag }], COMMAND_TIMEOUT_MS),
    );
    assert.ok(result?.id, `a submission was made:\n${describeShown(shown)}`);
    const queues = picks[0].items;
    assert.deepEqual(
      queues.map((q) => q.label),
      [OPEN_QUEUE, CLOSED_QUEUE],
      'open rounds first; the closed one says so',
    );
    assert.match(queues[0].description ?? '', /open until 2099-12-31 00:00 UTC/);
    assert.equal(queues[0].detail, '2 of 2 left today (UTC)');
    assert.match(queues[1].description ?? '', /closed: the round ended 2024-06-30 00:00 UTC/);
    const team = picks[1].items.find((item) => item.label === 'As team Aligners');
    assert.equal(team?.detail, 'alice: eligible · dave: eligible');
    const confirmation = shown.find((s) => s.modal);
    assert.ok(confirmation, describeShown(shown));
    assert.match(confirmation.message, /to Sandbox Challenge - Main Queue as team Aligners\?/);
    assert.ok(confirmation.detail?.includes(`@${image.digest}`), 'the confirmation shows the digest');
    assert.match(confirmation.detail ?? '', /Instructions: Submit one image by digest/);
    const receipt = shown.find((s) => s.kind === 'info' && s.message.includes(`submission ${result.id}`));
    assert.ok(receipt, describeShown(shown));
    assert.match(receipt.message, /Thank you! Your image is queued/);
    assert.deepEqual(receipt.items, ['Show Submissions']);
    const recorded = (
      await stack.admin<Array<{ id: string; teamId?: string; dockerDigest: string; contributors: Array<{ principalId: string }> }>>(
        'evaluation/submissions',
      )
    ).find((s) => s.id === result.id);
    assert.deepEqual(
      [recorded?.teamId, recorded?.dockerDigest, recorded?.contributors.map((c) => c.principalId).sort()],
      ['3500001', image.digest, ['3400001', '3400004']],
    );

    // The view: RECEIVED at once, then each pipeline step after one status read.
    const row = await waitFor('the submission in the view', async () => (await submissionNodes()).find((r) => r.label === `#${result.id}`));
    assert.equal(row.description, `RECEIVED — syn1000001/challenge-${run}:v1`, 'the status, then the image');
    assert.deepEqual(stack.api.submissions.pending(), [result.id]);
    assert.equal(stack.api.submissions.polling().scheduled, true, 'the view is visible and something is pending: a refresh is scheduled');
    await stack.admin('evaluation/status', {
      submissionId: result.id,
      status: 'EVALUATION_IN_PROGRESS',
      statusDescription: 'running the model',
      progress: 40,
      canCancel: true,
    });
    let since = Date.now();
    let report = await stack.api.submissions.refreshPending();
    assert.deepEqual([report.requests, await statusReads(since)], [1, 1], 'one request per pending submission');
    assert.equal(
      (await submissionNodes()).find((r) => r.label === `#${result.id}`)?.description,
      `EVALUATION_IN_PROGRESS · 40% · running the model — syn1000001/challenge-${run}:v1`,
    );
    await stack.admin('evaluation/status', {
      submissionId: result.id,
      status: 'SCORED',
      statusDescription: 'done',
      progress: 100,
      score: 0.87,
      scoreKey: 'auc',
    });
    const final = await scripted({}, async () => {
      const scored = await stack.api.submissions.refreshPending();
      await waitFor('the final notification', () => true);
      return scored;
    });
    assert.deepEqual(final.result.finished, [result.id]);
    const announced = final.shown.find((s) => s.message.includes(`Submission ${result.id}`));
    assert.ok(announced, describeShown(final.shown));
    assert.match(announced.message, /is SCORED: auc 0\.87/);
    assert.equal(
      (await submissionNodes()).find((r) => r.label === `#${result.id}`)?.description,
      `SCORED · 100% · done · auc 0.87 — syn1000001/challenge-${run}:v1`,
    );
    assert.equal(stack.api.submissions.polling().scheduled, false, 'nothing pending: no refresh scheduled');
    since = Date.now();
    report = await stack.api.submissions.refreshPending();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual([report.requests, await statusReads(since)], [0, 0], 'nothing pending: no request');
  });

  it('refusals before anything is sent: an unrecorded digest, an arm64-only image, a closed round, the daily limit', async function () {
    const image = await pushed(`refusals-${run}`);
    await stack.signInAs('bob');
    const since = Date.now();
    const individually = {
      pick: (title: string | undefined, labels: string[]) =>
        title?.includes(' to…') ? OPEN_QUEUE : labels.find((l) => l.startsWith('Individually')),
      modal: () => 'Submit',
    };

    const unrecorded = `sha256:${'0'.repeat(64)}`;
    const noCommit = await scripted(individually, () =>
      runCommand(SUBMIT, [{ repositoryId: image.repositoryId, tag: image.tag, digest: unrecorded }], COMMAND_TIMEOUT_MS),
    );
    const digestError = noCommit.shown.find((s) => s.kind === 'error');
    assert.match(
      digestError?.message ?? describeShown(noCommit.shown),
      new RegExp(`Synapse has no commit of ${image.repositoryId} with digest ${unrecorded}: a local tag is not enough`),
    );
    assert.deepEqual(digestError?.items, ['Push Image…']);

    const arm = await pushed(`arm-only-${run}`, 'linux/arm64');
    await stack.signInAs('bob');
    const armOnly = await scripted(individually, () =>
      runCommand(SUBMIT, [{ repositoryId: arm.repositoryId, tag: arm.tag }], COMMAND_TIMEOUT_MS),
    );
    const armError = armOnly.shown.find((s) => s.kind === 'error');
    assert.match(armError?.message ?? describeShown(armOnly.shown), /built for linux\/arm64 only; the queue runs images on linux\/amd64/);
    assert.deepEqual(armError?.items, ['Rebuild for linux/amd64…']);

    const closed = await scripted({ pick: (title) => (title?.includes(' to…') ? CLOSED_QUEUE : undefined) }, () =>
      runCommand(SUBMIT, [{ repositoryId: image.repositoryId, tag: image.tag }], COMMAND_TIMEOUT_MS),
    );
    assert.match(
      closed.shown.find((s) => s.kind === 'error')?.message ?? describeShown(closed.shown),
      /takes no submissions now: its round ended 2024-06-30 00:00 UTC/,
    );
    assert.equal(await submissionPosts(since), 0, 'nothing was sent for these refusals');

    for (let i = 0; i < 2; i++) {
      const ok = await scripted(individually, () =>
        runCommand<{ id: string } | undefined>(SUBMIT, [{ repositoryId: image.repositoryId, tag: image.tag }], COMMAND_TIMEOUT_MS),
      );
      assert.ok(ok.result?.id, describeShown(ok.shown));
    }
    const full = await scripted(individually, () =>
      runCommand(SUBMIT, [{ repositoryId: image.repositoryId, tag: image.tag }], COMMAND_TIMEOUT_MS),
    );
    assert.equal(full.picks[0].items[0].detail, '0 of 2 left today (UTC)');
    assert.match(
      full.shown.find((s) => s.kind === 'error')?.message ?? describeShown(full.shown),
      /You have used all 2 submissions to Sandbox Challenge - Main Queue allowed today \(UTC\); the limit resets \d{4}-\d\d-\d\d 00:00 UTC/,
    );
    assert.equal(await submissionPosts(since), 2, 'only the two accepted submissions were sent');
  });

  it('Cancel from the view asks the pipeline to stop; the view says so; hidden, nothing is polled', async function () {
    await stack.signInAs('bob');
    await runCommand('synapseDocker.submissions.focus');
    await runCommand('synapseDocker.refreshSubmissions');
    const rows = await waitFor("bob's submissions", async () => {
      const found = await submissionNodes();
      return found.length >= 2 ? found : undefined;
    });
    const newest = rows[0];
    assert.ok(newest.node.kind === 'submission');
    const id = newest.node.kind === 'submission' ? newest.node.submission.id : '';
    assert.ok(Number(id) > Number(rows[1].node.kind === 'submission' ? rows[1].node.submission.id : 0), 'newest first');
    await stack.admin('evaluation/status', { submissionId: id, status: 'EVALUATION_IN_PROGRESS', canCancel: true });
    await stack.api.submissions.refreshPending();
    const refreshed = (await submissionNodes()).find((r) => r.label === `#${id}`)!;
    assert.equal(stack.api.submissions.getTreeItem(refreshed.node).contextValue, 'synapse:submission+cancellable');
    const cancelled = await scripted({ modal: () => 'Request Cancellation' }, () =>
      runCommand<boolean>('synapseDocker.cancelSubmission', [refreshed.node], COMMAND_TIMEOUT_MS),
    );
    assert.equal(cancelled.result, true, describeShown(cancelled.shown));
    const after = (await submissionNodes()).find((r) => r.label === `#${id}`)!;
    assert.match(after.description, /^EVALUATION_IN_PROGRESS · cancel requested — syn1000001\/refusals-/);
    assert.equal(stack.api.submissions.getTreeItem(after.node).contextValue, 'synapse:submission', 'no second Cancel');
    // Hidden: the poller stops even though submissions are pending.
    assert.ok(stack.api.submissions.pending().length > 0);
    await runCommand('workbench.action.closeSidebar');
    await waitFor('the view to be hidden', () => !stack.api.submissions.polling().active);
    assert.equal(stack.api.submissions.polling().scheduled, false);
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await statusReads(since), 0, 'no request while hidden');
    await runCommand('synapseDocker.submissions.focus');
    await waitFor('the view to be visible again', () => stack.api.submissions.polling().scheduled);
  });
});
