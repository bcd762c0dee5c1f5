// Account and transfer races and bad inputs, one table, in a real extension host against the
// stack's engine, registry and Synapse sandbox. Each case runs a push or a pull the way a user (or
// a hostile workspace, or bad timing) would, and asserts exactly what the user is told, what
// Synapse and the registry received, and what stays local.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { runCommand, sleep } from './helpers';
import {
  describeShown,
  PRECHECK_TITLE,
  progressOpened,
  PROJECT,
  repositoryOf,
  Stack,
  useStack,
  start,
  TOKEN_SERVER,
  withWindow,
  type Recorded,
  type Shown,
} from './accountHelpers';

interface Outcome {
  /** What the command resolved to (each command's result). */
  results: unknown[];
  shown: Shown[];
  recorded: Recorded;
  /** When the case's acting part began (for the sandbox's stats). */
  since: number;
  /** Moments the acting part noted (e.g. when it signed out). */
  marks: Record<string, number>;
}

interface Case {
  title: string;
  /** Signs in, builds, sets the controls; returns what `act` needs. */
  setup(stack: Stack, id: string): Promise<{ target: string }>;
  act(stack: Stack, target: string, recorded: Recorded, marks: Record<string, number>): Promise<unknown[]>;
  check(stack: Stack, target: string, outcome: Outcome): Promise<void>;
}

/** The one notification whose message starts with `start`. */
function only(outcome: Outcome, startText: string): Shown {
  const found = outcome.shown.filter((s) => s.message.startsWith(startText));
  assert.equal(found.length, 1, `expected one notification starting "${startText}":\n${describeShown(outcome.shown)}`);
  return found[0];
}

/** Paths of the preflight requests (entity lookups and permissions) by `user` since `since`; the tree's GET /projects is not one. */
async function preflightRequests(stack: Stack, since: number, user: string): Promise<string[]> {
  return (await stack.requestsSince(since, user, '/repo/v1/entity/')).map((r) => `${r.method} ${r.path}`);
}

/** Nothing reached the registry (its token server) for any of these users since `since`. */
async function registryUntouched(stack: Stack, since: number, ...users: string[]): Promise<void> {
  await sleep(500);
  for (const user of users) {
    const contacted = await stack.requestsSince(since, user, TOKEN_SERVER);
    assert.deepEqual(
      contacted.map((r) => `${r.method} ${r.path} by ${r.userId}`),
      [],
      `the registry was asked for a token (${user})`,
    );
  }
}

const cases: Case[] = [
  {
    title: 'a push to another registry than the configured one is refused by name, before any request',
    setup: async (stack) => {
      await stack.signInAs('alice');
      return { target: `registry.example.org/${PROJECT}/elsewhere:v1` };
    },
    act: async (_stack, target) => [await runCommand('synapseDocker.pushImage', [target])],
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const error = only(outcome, 'Images for Synapse');
      assert.equal(error.kind, 'error');
      assert.equal(error.message, `Images for Synapse must be named ${stack.sandbox.registry}/<project synID>/<name>; "${target}" is not.`);
      assert.deepEqual(error.items, ['Try Again']);
      assert.deepEqual(await preflightRequests(stack, outcome.since, 'alice'), [], 'not even preflight asked Synapse');
    },
  },
  {
    title: 'a tag reference with an uppercase repository name is refused with the rule and the position',
    setup: async (stack) => {
      await stack.signInAs('alice');
      return { target: stack.image(PROJECT, 'My-Tool', 'v1') };
    },
    act: async (_stack, target) => [await runCommand('synapseDocker.pushImage', [target])],
    check: async (stack, _target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const error = only(outcome, 'Repository names must be lowercase');
      assert.equal(error.message, 'Repository names must be lowercase: "M" at position 1 of "My-Tool" is uppercase.');
      assert.deepEqual(await preflightRequests(stack, outcome.since, 'alice'), []);
    },
  },
  {
    title: 'signing out mid-preflight cancels the push; the check stops asking Synapse; the registry is never asked',
    setup: async (stack, id) => {
      await stack.signInAs('alice');
      const target = stack.image(PROJECT, `hostile-${id}-preflight-out`, 'v1');
      await stack.build(target);
      await stack.admin('latency', { ms: 1500 });
      return { target };
    },
    act: async (stack, target, recorded, marks) => {
      const pushing = start('synapseDocker.pushImage', [target]);
      await progressOpened(recorded, PRECHECK_TITLE);
      await sleep(200);
      await stack.signOut();
      marks.signedOut = Date.now();
      return [await pushing];
    },
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const notice = only(outcome, `Push of ${target} cancelled`);
      assert.equal(
        notice.message,
        `Push of ${target} cancelled because you signed out of Synapse. The local image and its tags are unchanged.`,
      );
      assert.deepEqual(notice.items, ['Sign In']);
      const signedOutAt = outcome.marks.signedOut;
      await sleep(2000); // the answers to what was in flight arrive; nothing new may start
      assert.deepEqual(
        await preflightRequests(stack, signedOutAt, 'alice'),
        [],
        'preflight must not ask Synapse anything after the sign-out',
      );
      await stack.admin('latency', { ms: 0 });
      await registryUntouched(stack, outcome.since, 'alice');
      assert.equal(await stack.repository(repositoryOf(target)), undefined);
    },
  },
  {
    title: "switching to dave mid-preflight of alice's push cancels it: alice's check covers no push by dave",
    setup: async (stack, id) => {
      await stack.signInAs('alice');
      const target = stack.image(PROJECT, `hostile-${id}-preflight-switch`, 'v1');
      await stack.build(target);
      await stack.admin('latency', { ms: 1000 });
      return { target };
    },
    act: async (stack, target, recorded) => {
      const pushing = start('synapseDocker.pushImage', [target]);
      await progressOpened(recorded, PRECHECK_TITLE);
      await stack.admin('latency', { ms: 0 });
      await stack.signInWith(stack.token('dave'), 'dave');
      return [await pushing];
    },
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const notice = only(outcome, `Push of ${target} cancelled`);
      assert.equal(
        notice.message,
        `Push of ${target} cancelled because the Synapse account changed. The local image and its tags are unchanged.`,
      );
      assert.deepEqual(notice.items, ['Push Again']);
      // dave's sign-in has the engine log in to the registry (one token request, no push scope); nothing else.
      await sleep(1500);
      const daveTokens = (await stack.requestsSince(outcome.since, 'dave', TOKEN_SERVER)).filter((r) => r.userId === stack.ownerId('dave'));
      assert.ok(daveTokens.length <= 1, `only dave's registry login may ask for a token: ${JSON.stringify(daveTokens)}`);
      await registryUntouched(stack, outcome.since, 'alice');
      assert.equal(await stack.repository(repositoryOf(target)), undefined);
    },
  },
  {
    title: 'two pushes of the same image at once: the second is not started; the tag is pushed once',
    setup: async (stack, id) => {
      await stack.signInAs('alice');
      const target = stack.image(PROJECT, `hostile-${id}-twice`, 'v1');
      await stack.build(target);
      return { target };
    },
    act: async (_stack, target) => Promise.all([start('synapseDocker.pushImage', [target]), start('synapseDocker.pushImage', [target])]),
    check: async (stack, target, outcome) => {
      assert.deepEqual([...outcome.results].sort(), [false, true]);
      const refused = only(outcome, 'A push of');
      assert.equal(refused.message, `A push of ${target} is already running; this one was not started.`);
      assert.equal(only(outcome, `Pushed ${target}`).message, `Pushed ${target} to Synapse.`);
      const listed = await stack.repository(repositoryOf(target));
      assert.deepEqual(
        listed?.tags.map((t) => t.tag),
        ['v1'],
      );
    },
  },
  {
    title: 'a push while signed out says to sign in first and offers Sign In; nothing is asked of Synapse',
    setup: async (stack, id) => {
      if (stack.api.currentUser()) await stack.signOut();
      const target = stack.image(PROJECT, `hostile-${id}-signed-out`, 'v1');
      await stack.build(target);
      return { target };
    },
    act: async (_stack, target) => [await runCommand('synapseDocker.pushImage', [target])],
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const error = only(outcome, `Push of ${target} failed`);
      assert.equal(error.message, `Push of ${target} failed: Sign in to Synapse first.`);
      assert.deepEqual(error.items, ['Sign In']);
      assert.equal(outcome.recorded.progress.length, 0, 'no progress notification');
    },
  },
  {
    title: 'Cancel on "Checking permissions with Synapse…" stops the check: no further Synapse request, no push',
    setup: async (stack, id) => {
      await stack.signInAs('alice');
      const target = stack.image(PROJECT, `hostile-${id}-cancel-check`, 'v1');
      await stack.build(target);
      await stack.admin('latency', { ms: 1500 });
      return { target };
    },
    act: async (_stack, target, recorded, marks) => {
      const pushing = start('synapseDocker.pushImage', [target]);
      const check = await progressOpened(recorded, PRECHECK_TITLE);
      await sleep(300);
      check.cancel();
      marks.cancelled = Date.now();
      return [await pushing];
    },
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const cancelledAt = outcome.marks.cancelled;
      const notice = only(outcome, `Push of ${target} cancelled`);
      assert.equal(notice.message, `Push of ${target} cancelled. The local image and its tags are unchanged.`);
      assert.deepEqual(notice.items, ['Push Again']);
      assert.ok(Date.now() - cancelledAt < 5000);
      await sleep(2000);
      assert.deepEqual(await preflightRequests(stack, cancelledAt, 'alice'), [], 'no Synapse request after Cancel');
      assert.ok(!outcome.recorded.progress.some((p) => p.title.startsWith('Pushing')), 'the push never started');
      await stack.admin('latency', { ms: 0 });
      await registryUntouched(stack, outcome.since, 'alice');
    },
  },
  {
    title: 'signing out during a pull cancels it; nothing is pulled',
    setup: async (stack, id) => {
      await stack.signInAs('alice');
      const target = stack.image(PROJECT, `hostile-${id}-pull`, 'v1');
      await stack.build(target);
      assert.equal(await runCommand('synapseDocker.pushImage', [target], 60_000), true, 'the image to pull is pushed first');
      const local = await stack.local(target);
      await stack.docker.getImage(local!.id).remove({ force: true });
      await stack.admin('latency', { ms: 1500 });
      return { target };
    },
    act: async (stack, target, recorded) => {
      const pulling = start('synapseDocker.pullImage', [target]);
      await progressOpened(recorded, `Pulling ${target}`);
      await stack.signOut();
      return [await pulling];
    },
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      const notice = only(outcome, `Pull of ${target} cancelled`);
      assert.equal(notice.message, `Pull of ${target} cancelled because you signed out of Synapse.`);
      assert.deepEqual(notice.items, ['Sign In']);
      await stack.admin('latency', { ms: 0 });
      await sleep(2500);
      assert.equal(await stack.local(target), undefined, 'the cancelled pull must not leave the image');
    },
  },
  {
    title: "a pull reference naming another registry is refused, and alice's token goes nowhere",
    setup: async (stack) => {
      await stack.signInAs('alice');
      return { target: `127.0.0.2:5000/${PROJECT}/aligner:latest` };
    },
    act: async (_stack, target) => [await runCommand('synapseDocker.pullImage', [target])],
    check: async (stack, target, outcome) => {
      assert.deepEqual(outcome.results, [false]);
      assert.equal(
        only(outcome, 'Images for Synapse').message,
        `Images for Synapse must be named ${stack.sandbox.registry}/<project synID>/<name>; "${target}" is not.`,
      );
      assert.deepEqual(await preflightRequests(stack, outcome.since, 'alice'), []);
    },
  },
];

describe('Hostile account and transfer cases (real engine, registry and sandbox)', function () {
  this.timeout(120_000);
  const stack = useStack();
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;

  cases.forEach((testCase, index) => {
    it(`${index + 1}. ${testCase.title}`, async () => {
      const { target } = await testCase.setup(stack, `${runId}-${index + 1}`);
      const since = Date.now();
      const marks: Record<string, number> = {};
      const { result, ...recorded } = await withWindow((recording) => testCase.act(stack, target, recording, marks));
      await testCase.check(stack, target, { results: result, shown: recorded.shown, recorded, since, marks });
    });
  });
});
