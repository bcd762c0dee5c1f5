// Accounts and transfers stay consistent, in a real extension host against the stack's engine,
// registry and Synapse sandbox: sign-out during a push cancels it (nothing reaches Synapse, the
// local image is as it was); switching account during the post-push wait stops the polling; a
// palette push that tagged an image and was then cancelled takes back only its own tag; a revoked
// token shows in the status bar and the account menu.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { ProjectNode } from '../../src/core/tree/nodes';
import { runCommand, sleep, waitFor, projects } from './helpers';
import {
  acceptInput,
  COMMAND_TIMEOUT_MS,
  describeShown,
  PRECHECK_TITLE,
  progressOpened,
  PROJECT,
  repositoryOf,
  useStack,
  start,
  TOKEN_SERVER,
  withWindow,
} from './accountHelpers';

const DOCKER_REPO_ID = '/repo/v1/entity/dockerRepo/id';

describe('Accounts and transfers (real engine, registry and sandbox)', function () {
  this.timeout(120_000);
  const stack = useStack();
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;

  it('signing out during a push cancels it: Synapse never records the tag; the local image and its tags are unchanged', async () => {
    await stack.signInAs('alice');
    const target = stack.image(PROJECT, `acct-${runId}-signout`, 'v1');
    await stack.build(target);
    const before = await stack.local(target);
    // Every Synapse answer (the token server's too) takes 1.5 s, so the push is still on its way when the user signs out.
    await stack.admin('latency', { ms: 1500 });
    const { result, shown } = await withWindow(async (recorded) => {
      const pushing = start<boolean>('synapseDocker.pushImage', [target]);
      await progressOpened(recorded, `Pushing ${target}`);
      await stack.signOut();
      return pushing;
    });
    assert.equal(result, false, `the push must end as cancelled:\n${describeShown(shown)}`);
    const cancelled = shown.find((s) => s.message.startsWith(`Push of ${target} cancelled`));
    assert.ok(cancelled, `no cancellation notice:\n${describeShown(shown)}`);
    assert.equal(
      cancelled.message,
      `Push of ${target} cancelled because you signed out of Synapse. The local image and its tags are unchanged.`,
    );
    assert.deepEqual(cancelled.items, ['Sign In']);
    assert.ok(!shown.some((s) => s.kind === 'error' || /^Pushed /.test(s.message)), `no error and no "Pushed":\n${describeShown(shown)}`);
    await stack.admin('latency', { ms: 0 });
    await sleep(3000); // a push the engine had carried on with would have been recorded by now
    assert.equal(await stack.repository(repositoryOf(target)), undefined, 'Synapse must not list the cancelled push');
    assert.deepEqual(await stack.local(target), before, 'the local image and its tags must be unchanged');
  });

  it('switching account while the push waits for Synapse to list the tag stops the polling at once', async () => {
    await stack.signInAs('alice');
    const target = stack.image(PROJECT, `acct-${runId}-switch`, 'v1');
    await stack.build(target);
    let switchedAt = 0;
    let finished = 0;
    const { result, shown } = await withWindow(async (recorded) => {
      // Synapse "does not list" the repository, so the wait after the push would go on for 30 s. The rule is
      // set before the push starts (a small push can be listed before a rule set after it takes effect); for
      // preflight it changes nothing, since the repository is new and its lookup answers 404 anyway.
      await stack.admin('fail', { count: 1000, status: 404, pathPrefix: DOCKER_REPO_ID, reason: 'The repository does not exist yet.' });
      const pushing = start<boolean>('synapseDocker.pushImage', [target]).then((ok) => ((finished = Date.now()), ok));
      await progressOpened(recorded, `Pushing ${target}`);
      await progressOpened(recorded, 'Waiting for Synapse to list');
      await sleep(1500); // a poll or two
      switchedAt = await stack.signInWith(stack.token('bob'), 'bob');
      return pushing;
    });
    assert.equal(result, true, `the push itself happened:\n${describeShown(shown)}`);
    assert.ok(finished - switchedAt < 5000, `the polling must stop at once, not after its 30 s (${finished - switchedAt} ms)`);
    await sleep(1500); // a poll still running would ask again within a second
    const afterSwitch = (await stack.stats()).filter(
      (r) => r.path === DOCKER_REPO_ID && r.userId === stack.ownerId('alice') && r.startedAt > switchedAt,
    );
    assert.deepEqual(
      afterSwitch.map((r) => `${r.method} ${r.path} at +${r.startedAt - switchedAt} ms`),
      [],
      "no poll with alice's token after the switch",
    );
    await stack.admin('fail', { count: 0 });
    const listed = await stack.repository(repositoryOf(target));
    const tag = listed?.tags.find((t) => t.tag === 'v1');
    assert.ok(tag, 'the registry and Synapse have the pushed tag');
    const notice = shown.find((s) => s.message.startsWith(`Pushed ${repositoryOf(target)}:v1`));
    assert.ok(notice, `no notice of the push:\n${describeShown(shown)}`);
    assert.equal(
      notice.message,
      `Pushed ${repositoryOf(target)}:v1 (${tag.digest}). Stopped waiting for Synapse to list it because the Synapse account changed.`,
    );
    assert.deepEqual(notice.items, ['Refresh']);
    assert.ok(!shown.some((s) => s.message === `Pushed ${target} to Synapse.`), 'the tag must not be announced as listed');
  });

  /** The Alice Main Project node of the tree, as "Push Image Here…" passes it. */
  async function projectNode(): Promise<ProjectNode> {
    return waitFor(
      'the tree to list the project',
      async () => projects(await stack.api.tree.getChildren()).find((p) => p.project.id === PROJECT),
      15_000,
    );
  }

  /**
   * The palette push from a project node: picks `source` among the local images, takes the
   * suggested new repository and the default tag (Enter twice in the wizard), and presses Cancel
   * on the permission check.
   */
  async function palettePushCancelled(source: string, cancel = true) {
    const project = await projectNode();
    return withWindow(
      async (recorded) => {
        const pushing = start<boolean>('synapseDocker.pushImage', [project]);
        // The wizard's repository step, then its tag step: accept what is suggested, as Enter does.
        await acceptInput(recorded, 1);
        await acceptInput(recorded, 2);
        await progressOpened(recorded, PRECHECK_TITLE);
        return pushing;
      },
      {
        pick: (items) => items.find((item) => item.label === source),
        onProgress: (progress) => cancel && progress.title === PRECHECK_TITLE && progress.cancel(),
      },
    );
  }

  it('a palette push that tagged the image and was cancelled removes the tag it added, and only that', async () => {
    await stack.signInAs('alice');
    const source = `local/acct-${runId}-palette:v1`;
    const id = await stack.build(source);
    const expectedTarget = stack.image(PROJECT, `acct-${runId}-palette`, 'v1');
    const { result, shown, picks } = await palettePushCancelled(source);
    assert.equal(result, false, `the push must end as cancelled:\n${describeShown(shown)}`);
    assert.ok(
      picks.some((p) => p.labels.includes(source)),
      `the local image picker must list ${source}: ${JSON.stringify(picks)}`,
    );
    const notice = shown.find((s) => s.message.startsWith(`Push of ${expectedTarget} cancelled.`));
    assert.ok(notice, `no cancellation notice for ${expectedTarget}:\n${describeShown(shown)}`);
    assert.equal(
      notice.message,
      `Push of ${expectedTarget} cancelled. The tag ${expectedTarget} added for this push was removed; the image and its other tags are unchanged.`,
    );
    assert.deepEqual(await stack.local(expectedTarget), undefined, 'the added tag must be gone');
    assert.deepEqual(await stack.local(source), { id, tags: [source] }, 'the image and its own tag stay');
  });

  it('a palette push whose tag already named the image, cancelled, leaves that tag', async () => {
    await stack.signInAs('alice');
    const source = `local/acct-${runId}-kept:v1`;
    const id = await stack.build(source);
    const target = stack.image(PROJECT, `acct-${runId}-kept`, 'v1');
    await stack.tag(source, target);
    const { result, shown } = await palettePushCancelled(source);
    assert.equal(result, false, `the push must end as cancelled:\n${describeShown(shown)}`);
    const notice = shown.find((s) => s.message.startsWith(`Push of ${target} cancelled.`));
    assert.ok(notice, `no cancellation notice:\n${describeShown(shown)}`);
    assert.equal(notice.message, `Push of ${target} cancelled. The local image and its tags are unchanged.`);
    assert.deepEqual(await stack.local(source), { id, tags: [source, target].sort() }, 'the tag that was there before stays');
  });

  it('a palette push refused by preflight (dave cannot create repositories) removes the tag it added and says so', async () => {
    await stack.signInAs('dave');
    const source = `local/acct-${runId}-refused:v1`;
    const id = await stack.build(source);
    const target = stack.image(PROJECT, `acct-${runId}-refused`, 'v1');
    const { result, shown } = await palettePushCancelled(source, false);
    assert.equal(result, false, describeShown(shown));
    const errors = shown.filter((s) => s.kind === 'error');
    assert.equal(errors.length, 1, describeShown(shown));
    assert.match(errors[0].message, /^You can't create a repository in syn1000001/);
    assert.ok(
      errors[0].message.endsWith(` The tag ${target} added for this push was removed; the image and its other tags are unchanged.`),
      `the refusal must say what stays: ${errors[0].message}`,
    );
    assert.deepEqual(await stack.local(source), { id, tags: [source] });
  });

  it('a revoked token: the status bar says to sign in again, naming the user and endpoint, and the account menu offers Sign In', async () => {
    if (stack.api.currentUser()) await stack.signOut();
    const { token } = await stack.admin<{ token: string }>('tokens', { userName: 'alice' });
    await stack.signInWith(token, 'alice');
    assert.deepEqual(stack.api.accountStatus(), {
      text: '$(account) alice',
      tooltip: `Synapse: signed in as alice (${stack.ownerId('alice')}) at ${stack.sandbox.synapseEndpoint}`,
    });
    await stack.admin('revoke', { token });
    await runCommand('synapseDocker.refresh');
    await stack.api.tree.getChildren(); // the tree's GET /projects is answered 401
    const status = await waitFor(
      'the status bar to say sign in again',
      () => (stack.api.accountStatus()?.text.includes('sign in again') ? stack.api.accountStatus() : undefined),
      10_000,
    );
    assert.deepEqual(status, {
      text: '$(warning) Synapse: sign in again',
      tooltip: `Synapse at ${stack.sandbox.synapseEndpoint} no longer accepts the token of alice. Click to sign in again.`,
    });
    const { picks } = await withWindow(() => runCommand('synapseDocker.showAccount'), { pick: () => undefined });
    assert.deepEqual(picks, [
      {
        title: `Synapse (${stack.sandbox.synapseEndpoint}) no longer accepts the token of alice`,
        labels: ['$(sign-in) Sign In Again…', '$(sign-out) Sign Out', '$(output) Show Log'],
      },
    ]);
    // Signing in again with a valid token puts the user back.
    await stack.signInWith(stack.token('alice'), 'alice');
    assert.equal(stack.api.accountStatus()?.text, '$(account) alice');
  });

  it('a revoked token found by preflight: the push is refused with the token message, the status bar follows, the registry is never asked', async () => {
    if (stack.api.currentUser()) await stack.signOut();
    const { token } = await stack.admin<{ token: string }>('tokens', { userName: 'alice' });
    await stack.signInWith(token, 'alice');
    const since = Date.now();
    const target = stack.image(PROJECT, `acct-${runId}-revoked`, 'v1');
    await stack.build(target);
    await stack.admin('revoke', { token });
    const { result, shown } = await withWindow(() => runCommand<boolean>('synapseDocker.pushImage', [target], COMMAND_TIMEOUT_MS));
    assert.equal(result, false);
    const errors = shown.filter((s) => s.kind === 'error');
    assert.equal(errors.length, 1, describeShown(shown));
    assert.match(
      errors[0].message,
      /^Synapse rejected your personal access token \(Invalid access token\)\. Sign in again with a valid personal access token\./,
    );
    assert.deepEqual(errors[0].items, ['Open in Browser', 'Sign In with Another Token']);
    assert.equal(stack.api.accountStatus()?.text, '$(warning) Synapse: sign in again');
    assert.deepEqual(
      (await stack.requestsSince(since, 'alice', TOKEN_SERVER)).map((r) => `${r.method} ${r.path}`),
      [],
    );
    await stack.signInWith(stack.token('alice'), 'alice');
  });
});
