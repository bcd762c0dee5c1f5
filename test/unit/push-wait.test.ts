// The wait after a push (src/core/pushWait.ts): its schedule, on fake time, against the real
// sandbox through the real Synapse client: notifications are posted to the sandbox's listener at
// chosen (fake) moments, as a delivered, a late (retried after the backoff) or a never-recorded
// notification would arrive; and what the user is told when the commit does not appear.
import * as assert from 'node:assert/strict';
import {
  DOCKER_V2_MANIFEST,
  explainUnlistedPush,
  nextPollDelayMs,
  OCI_INDEX,
  OCI_MANIFEST,
  DOCKER_MANIFEST_LIST,
  SYNAPSE_PUSH_WAIT,
  waitForPushedCommit,
  waitLimitMs,
  PushWaitResult,
} from '../../src/core/pushWait';
import { SynapseClient } from '../../src/core/synapse/client';
import { sandboxRequest } from '../sandbox/server/client';
import { TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

const FAST_RETRY = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10, throttledBaseDelayMs: 5 };
const DIGEST = `sha256:${'c'.repeat(64)}`;
const OLDER_DIGEST = `sha256:${'d'.repeat(64)}`;

/** The push-time offsets (ms) at which the wait polls, until it stops, when nothing is ever found. */
function pollTimes(mediaType: string | undefined): number[] {
  const times = [0];
  for (let t = 0, step = nextPollDelayMs(0, mediaType); step !== undefined; step = nextPollDelayMs(t, mediaType)) {
    t += step;
    times.push(t);
    assert.ok(times.length < 100, 'the schedule must end');
  }
  return times;
}

describe('push wait: Synapse notification timing and what the user is told', function () {
  describe('schedule', function () {
    it('for a Docker v2 manifest: every second for the first 10 s, then every 5 s until one failed delivery (30 s backoff) has had time to land', function () {
      assert.equal(SYNAPSE_PUSH_WAIT.failedDeliveryBackoffMs, 30_000, "production's registry backoff (synapse-api.md §3.7)");
      assert.deepEqual(
        pollTimes(DOCKER_V2_MANIFEST),
        [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000],
      );
      assert.equal(waitLimitMs(DOCKER_V2_MANIFEST), 40_000);
    });

    it('an unknown media type (not read back) is waited for like a Docker v2 manifest', function () {
      assert.deepEqual(pollTimes(undefined), pollTimes(DOCKER_V2_MANIFEST));
    });

    it('for OCI manifests, OCI indexes and manifest lists: only the first 10 s, then the reason is said', function () {
      for (const mediaType of [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST]) {
        assert.deepEqual(pollTimes(mediaType), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000], mediaType);
      }
    });

    it('a poll that ran late is followed so that the window ends are still polled exactly', function () {
      assert.equal(nextPollDelayMs(9_400, DOCKER_V2_MANIFEST), 600);
      assert.equal(nextPollDelayMs(38_500, DOCKER_V2_MANIFEST), 1500);
      assert.equal(nextPollDelayMs(40_001, DOCKER_V2_MANIFEST), undefined);
      assert.equal(nextPollDelayMs(10_000, OCI_MANIFEST), undefined);
    });
  });

  describe('waiting against the sandbox (fake time)', function () {
    const env = useTestSandbox();
    let run = 0;
    let repositoryPath = '';

    beforeEach(() => {
      repositoryPath = `syn1000001/wait-${Date.now().toString(36)}-${run++}`;
    });

    const client = () => new SynapseClient({ endpoint: env().url, token: env().token('alice'), retry: FAST_RETRY });

    /** Posts one push notification to the sandbox's listener, as the registry does. */
    async function deliver(mediaType: string, digest = DIGEST, tag = 'v1'): Promise<void> {
      const response = await sandboxRequest(env().url, 'POST', '/dockerRegistryListener/v1/events', {
        basic: env().sandbox.listenerCredentials,
        body: {
          events: [
            {
              id: `e-${Math.random()}`,
              timestamp: new Date().toISOString(),
              action: 'push',
              target: {
                mediaType,
                size: 527,
                digest,
                length: 527,
                repository: repositoryPath,
                tag,
                url: `http://${TEST_REGISTRY}/v2/${repositoryPath}/manifests/${digest}`,
              },
              request: { id: 'r', addr: '127.0.0.1:1', host: TEST_REGISTRY, method: 'PUT', useragent: 'docker/20.10' },
              actor: { name: '3400001' },
              source: { addr: '127.0.0.1:5000', instanceID: 'i' },
            },
          ],
        },
      });
      assert.equal(response.status, 204, response.text);
    }

    /** Runs the wait on a fake clock; `at` posts notifications once the clock reaches their time. */
    async function waitOnFakeTime(
      mediaType: string | undefined,
      at: Array<{ ms: number; deliver: () => Promise<void> }> = [],
      signal?: AbortSignal,
    ) {
      let now = 0;
      const pending = [...at].sort((a, b) => a.ms - b.ms);
      const sleeps: number[] = [];
      const result = await waitForPushedCommit({
        client: client(),
        repositoryName: `${TEST_REGISTRY}/${repositoryPath}`,
        tag: 'v1',
        digest: DIGEST,
        mediaType,
        pushedAt: 0,
        signal,
        now: () => now,
        sleep: async (ms, sleepSignal) => {
          if (sleepSignal?.aborted) throw new Error('aborted');
          sleeps.push(ms);
          now += ms;
          while (pending.length && pending[0].ms <= now) await pending.shift()!.deliver();
        },
      });
      return { result, sleeps, now };
    }

    function notListed(result: PushWaitResult): Extract<PushWaitResult, { kind: 'not-listed' }> {
      assert.equal(result.kind, 'not-listed', JSON.stringify(result));
      return result as Extract<PushWaitResult, { kind: 'not-listed' }>;
    }

    it('finds a commit delivered at once on the first poll', async function () {
      await deliver(DOCKER_V2_MANIFEST);
      const { result, sleeps } = await waitOnFakeTime(DOCKER_V2_MANIFEST);
      assert.equal(result.kind, 'listed');
      assert.equal(result.kind === 'listed' && result.commit.digest, DIGEST);
      assert.deepEqual(sleeps, []);
    });

    it('finds a Docker v2 commit whose first delivery failed and was retried after 30 s, at the 35 s poll', async function () {
      const { result, now } = await waitOnFakeTime(DOCKER_V2_MANIFEST, [{ ms: 31_000, deliver: () => deliver(DOCKER_V2_MANIFEST) }]);
      assert.equal(result.kind, 'listed', JSON.stringify(result));
      assert.equal(now, 35_000);
      assert.equal(result.polls, 16);
      const stats = await env().admin<{ requests: Array<{ path: string }> }>('GET', 'stats');
      const lookups = stats.requests.filter((r) => r.path === '/repo/v1/entity/dockerRepo/id').length;
      const listings = stats.requests.filter((r) => r.path.endsWith('/dockerTag')).length;
      assert.deepEqual([lookups, listings], [16, 1], 'the repository is looked up each poll until it exists, then its tags once');
    });

    it('under the strict rule, an OCI manifest is never recorded: it stops after 10 s and says why, with how to push a Docker v2 manifest', async function () {
      const { result, now } = await waitOnFakeTime(OCI_MANIFEST, [{ ms: 500, deliver: () => deliver(OCI_MANIFEST) }]);
      const missing = notListed(result);
      assert.equal(now, 10_000);
      assert.equal(missing.polls, 11);
      assert.equal(missing.stopped, false);
      const told = explainUnlistedPush({
        reference: `${TEST_REGISTRY}/${repositoryPath}:v1`,
        digest: DIGEST,
        mediaType: OCI_MANIFEST,
        waitedMs: missing.waitedMs,
      });
      assert.equal(told.reason, 'media-type');
      assert.equal(
        told.message,
        `Pushed ${TEST_REGISTRY}/${repositoryPath}:v1 (${DIGEST}), but Synapse has not listed it after 10 s: it was pushed as ${OCI_MANIFEST}, ` +
          `a manifest type Synapse may not record (it records Docker v2 manifests, ${DOCKER_V2_MANIFEST}). To push a Docker v2 manifest, ` +
          "build the image with this extension's Build Image command (through BuildKit it pushes one) or turn off the containerd image store in Docker's settings, then push again.",
      );
    });

    it('under the wide rule, the same OCI manifest is recorded and found', async function () {
      await env().admin('POST', 'manifest-policy', { policy: 'wide' });
      const { result } = await waitOnFakeTime(OCI_MANIFEST, [{ ms: 500, deliver: () => deliver(OCI_MANIFEST) }]);
      assert.equal(result.kind, 'listed', JSON.stringify(result));
      assert.equal(result.polls, 2);
    });

    it('a Docker v2 push never delivered: waits the full 40 s, then says Synapse has not listed it yet (not a media-type problem)', async function () {
      const { result, now } = await waitOnFakeTime(DOCKER_V2_MANIFEST);
      const missing = notListed(result);
      assert.equal(now, 40_000);
      assert.equal(missing.polls, 17);
      const told = explainUnlistedPush({
        reference: `${TEST_REGISTRY}/${repositoryPath}:v1`,
        digest: DIGEST,
        mediaType: DOCKER_V2_MANIFEST,
        waitedMs: missing.waitedMs,
      });
      assert.equal(told.reason, 'not-listed-yet');
      assert.equal(
        told.message,
        `Pushed ${TEST_REGISTRY}/${repositoryPath}:v1 (${DIGEST}), but Synapse has not listed it after 40 s. ` +
          'Synapse learns of a push from the registry, which retries a failed notification after 30 s; refresh the tree in a minute.',
      );
    });

    it('a tag that still lists an earlier digest is not taken for the push', async function () {
      await deliver(DOCKER_V2_MANIFEST, OLDER_DIGEST);
      const missing = notListed((await waitOnFakeTime(DOCKER_V2_MANIFEST)).result);
      assert.equal(missing.listedDigest, OLDER_DIGEST);
    });

    it('keeps polling through Synapse errors (503) and finds the commit once they end', async function () {
      await deliver(DOCKER_V2_MANIFEST);
      // Each poll's request and its two retries fail for the first two polls.
      await env().admin('POST', 'fail', { count: 6, status: 503, pathPrefix: '/repo/v1/entity/dockerRepo' });
      const { result, now } = await waitOnFakeTime(DOCKER_V2_MANIFEST);
      assert.equal(result.kind, 'listed', JSON.stringify(result));
      assert.equal(now, 2000);
    });

    it('stops at once when cancelled (or the account ends), without reaching its limit', async function () {
      const controller = new AbortController();
      const { result, now } = await waitOnFakeTime(
        DOCKER_V2_MANIFEST,
        [{ ms: 3000, deliver: async () => controller.abort() }],
        controller.signal,
      );
      const missing = notListed(result);
      assert.equal(missing.stopped, true);
      assert.equal(now, 3000);
      assert.equal(missing.polls, 3);
    });
  });
});
