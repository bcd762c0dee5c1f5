// Faults between the extension's Docker code and the real stack: the registry stopped mid-push,
// the engine restarted mid-pull, the token endpoint answering 5xx, an engine that accepts and
// never answers. Each test checks what the user is told, that no local image or tag was lost,
// and that the next operation works once the fault is gone.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import {
  buildImage,
  checkRegistryAuth,
  createDockerClient,
  DockerCancelledError,
  DockerEndpoint,
  DockerOperationError,
  DockerUnreachableError,
  imageExists,
  listLocalImages,
  pullImage,
  pushImage,
  RegistryAuth,
  SHA256_DIGEST,
  tagImage,
  TransferProgress,
} from '../../src/core/docker';
import { admin, BASE_IMAGE, ImageJanitor, makeTree, sandboxUser, stackEngine, uniqueId } from './helpers/docker-fixtures';
import { StalledEngine, startStackEngine, startStackRegistry, stopStackEngine, stopStackRegistry } from './helpers/engine-faults';
import { SandboxInfo } from './helpers/stack';
import { engineAnswers } from '../sandbox/docker-engine';
import { registryChallenge } from '../sandbox/registry';

const PROJECT = 'syn1000001'; // alice ADMIN
// Big enough (random, so gzip cannot shrink it) that a push or pull is still moving bytes when the fault hits.
const BIG_LAYER_BYTES = 96 * 1024 * 1024;

type LocalState = Record<string, string[]>;

/** Every local image id with its sorted tags. */
async function localState(docker: Docker): Promise<LocalState> {
  const images = await docker.listImages({ all: true });
  const state: LocalState = {};
  for (const image of images) state[image.Id] = [...(image.RepoTags ?? [])].filter((tag) => tag !== '<none>:<none>').sort();
  return state;
}

async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error(`expected the operation to fail; it succeeded after ${Date.now() - started} ms`);
}

async function registryUp(address: string): Promise<boolean> {
  try {
    return (await registryChallenge(address)) !== undefined;
  } catch {
    return false;
  }
}

describe('Docker faults (real engine, registry and sandbox)', function () {
  this.timeout(300_000);
  let info: SandboxInfo;
  let docker: Docker;
  let endpoint: DockerEndpoint;
  const janitor = new ImageJanitor(() => docker);
  const dirs: string[] = [];
  const run = uniqueId();
  let repository: string;
  let bigReference: string;
  let bigImageId: string;

  function auth(userName = 'alice'): RegistryAuth {
    return { username: userName, password: sandboxUser(info, userName).token, serveraddress: info.registry };
  }

  before(async function () {
    this.timeout(120_000);
    const stack = await stackEngine();
    info = stack.info;
    docker = stack.docker;
    endpoint = stack.endpoint;
    repository = `${info.registry}/${PROJECT}/faults-${run}`;
    bigReference = `${repository}:big`;
    const dir = makeTree({
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN head -c ${BIG_LAYER_BYTES} /dev/urandom > /blob && echo ${run} > /run-id\n`,
    });
    dirs.push(dir);
    janitor.add(bigReference);
    bigImageId = (await buildImage({ docker, contextDir: dir, tags: [bigReference] })).imageId;
    janitor.add(bigImageId);
    // A second tag on the same image: a failed push must leave both.
    await tagImage(docker, bigReference, `${repository}:second`);
    janitor.add(`${repository}:second`);
  });

  afterEach(async function () {
    this.timeout(90_000);
    // Whatever a failed test left stopped is started again, so the next test (and file) has a stack.
    if (!(await registryUp(info.registry))) await startStackRegistry();
    if (!(await engineAnswers(info.dockerHost))) await startStackEngine();
    await admin(info, 'POST', '/__admin/fail', { count: 0 });
  });

  after(async function () {
    this.timeout(90_000);
    await janitor.cleanUp();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registry stopped mid-push: one clear error, every local tag kept, the next push works once it is back', async () => {
    const before = await localState(docker);
    let stopping: Promise<void> | undefined;
    let bytesWhenStopped = 0;
    const push = pushImage({
      docker,
      endpoint,
      reference: bigReference,
      auth: auth(),
      onProgress: (progress: TransferProgress) => {
        if (!stopping && progress.bytesDone > 0) {
          bytesWhenStopped = progress.bytesDone;
          stopping = stopStackRegistry();
        }
      },
    });
    const { error, ms } = await rejection(push);
    await stopping;
    console.log(
      `      push failed ${ms} ms after start (registry stopped at ${bytesWhenStopped} of ${BIG_LAYER_BYTES}+ bytes): ${error.message}`,
    );
    assert.ok(stopping, 'the registry was stopped while the push was moving bytes');
    assert.ok(error instanceof DockerOperationError, `${error.name}: ${error.message}`);
    assert.equal(error.name, 'DockerOperationError', 'not mistaken for a permission refusal');
    assert.match(
      error.message,
      new RegExp(`^The push of ${bigReference.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: .*(connection refused|EOF|connection reset)`),
    );
    assert.deepEqual(await localState(docker), before, 'no local image or tag was lost or added');

    await startStackRegistry();
    const digest = await pushImage({ docker, endpoint, reference: bigReference, auth: auth() });
    assert.match(digest, SHA256_DIGEST);
    assert.deepEqual(await localState(docker), before);
  });

  it('engine restarted mid-pull: the broken connection is named, nothing local changes, the next pull works', async () => {
    // The image is in the registry (pushed above, or now); pull it under a tag that is not local.
    const digest = await pushImage({ docker, endpoint, reference: bigReference, auth: auth() });
    const pulled = `${repository}-pulled:big`;
    await tagImage(docker, bigReference, pulled);
    const pushedAgain = await pushImage({ docker, endpoint, reference: pulled, auth: auth() });
    assert.equal(pushedAgain, digest);
    // Pull the image back as if it were not here: remove it locally (its content is in the registry).
    await docker.getImage(bigImageId).remove({ force: true });
    assert.equal(await imageExists(docker, pulled), false);
    const before = await localState(docker);

    let stopping: Promise<void> | undefined;
    const pull = pullImage({
      docker,
      endpoint,
      reference: pulled,
      auth: auth(),
      onProgress: (progress) => {
        if (!stopping && progress.bytesDone > 0) stopping = stopStackEngine();
      },
    });
    let outcome: Awaited<ReturnType<typeof rejection>>;
    try {
      outcome = await rejection(pull);
      await stopping;
    } finally {
      // Whatever the pull said, the engine comes back for the tests after this one.
      if (stopping) {
        await stopping.catch(() => undefined);
        await startStackEngine();
      }
    }
    const { error, ms } = outcome;
    console.log(`      pull failed ${ms} ms after start: ${error.message}`);
    assert.ok(stopping, 'the engine was stopped while the pull was moving bytes');
    assert.equal(error.name, 'DockerOperationError', `${error.name}: ${error.message}`);
    // Either the connection breaks, or the engine, shutting down, reports its own error in the
    // stream first (seen: "error creating lease: grpc: the client connection is closing").
    assert.match(error.message, /^(The connection to the Docker engine broke during the pull(\.|: )|The pull of \S+ failed: )/);

    // No tag came or went. The engine itself may keep an untagged image of the layers it had
    // committed when it was stopped: that is the engine's, not a tag or image the user had.
    const after = await localState(docker);
    const tagged = (state: LocalState) => Object.fromEntries(Object.entries(state).filter(([, tags]) => tags.length > 0));
    assert.deepEqual(tagged(after), tagged(before), 'the interrupted pull left no tag behind, and took none away');
    for (const id of Object.keys(before)) assert.ok(id in after, `the image ${id} that was there before is gone`);
    assert.equal(await pullImage({ docker, endpoint, reference: pulled, auth: auth() }), digest);
    assert.equal(await imageExists(docker, pulled), true);
    janitor.add(pulled);
    // Restore the image the later tests push (same content, same id).
    assert.equal(await pullImage({ docker, endpoint, reference: bigReference, auth: auth() }), digest);
    assert.equal((await docker.getImage(bigReference).inspect()).Id, bigImageId);
    await tagImage(docker, bigReference, `${repository}:second`);
  });

  it('token endpoint answering 503: login and push fail naming the token service, bounded, nothing lost; both work once it answers', async () => {
    const before = await localState(docker);
    await admin(info, 'POST', '/__admin/stats/reset');
    await admin(info, 'POST', '/__admin/fail', { status: 503, count: 1000, pathPrefix: '/docker/v1/' });

    const login = await rejection(checkRegistryAuth(docker, auth(), undefined, { endpoint }));
    console.log(`      login failed in ${login.ms} ms: ${login.error.message}`);
    assert.equal(login.error.name, 'DockerOperationError', `${login.error.name}: ${login.error.message}`);
    assert.match(login.error.message, /^Docker login failed: .*(503|Service Unavailable|maintenance)/i);

    const push = await rejection(pushImage({ docker, endpoint, reference: bigReference, auth: auth() }));
    console.log(`      push failed in ${push.ms} ms: ${push.error.message}`);
    assert.match(push.error.message, /^The push of .* failed: .*(503|Service Unavailable|maintenance)/i);
    const stats = await admin<{ requests: Array<{ path: string; status: number }> }>(info, 'GET', '/__admin/stats');
    const tokenRequests = stats.requests.filter((request) => request.path.startsWith('/docker/v1/'));
    console.log(`      token requests: ${tokenRequests.length} (all ${[...new Set(tokenRequests.map((r) => r.status))].join(', ')})`);
    assert.ok(tokenRequests.length >= 2, 'both operations asked the token service');
    // The engine retries each layer upload a few times (about 50 s in all), each retry asking for a token again.
    assert.ok(tokenRequests.length <= 40, `the engine's retries are bounded: ${tokenRequests.length} token requests`);
    assert.deepEqual(await localState(docker), before);

    await admin(info, 'POST', '/__admin/fail', { count: 0 });
    assert.equal((await checkRegistryAuth(docker, auth(), undefined, { endpoint })).status, 'Login Succeeded');
    assert.match(await pushImage({ docker, endpoint, reference: bigReference, auth: auth() }), SHA256_DIGEST);
    assert.deepEqual(await localState(docker), before);
  });

  describe('an engine that accepts connections and never answers', () => {
    let stalled: StalledEngine;
    let stalledEndpoint: DockerEndpoint;
    let stalledDocker: Docker;

    before(async () => {
      stalled = await StalledEngine.start();
      stalledEndpoint = { host: stalled.dockerHost, source: 'DOCKER_HOST' };
      stalledDocker = createDockerClient(stalledEndpoint);
    });
    after(() => stalled.close());

    const timedOut = (host: () => string) => (error: unknown) => {
      assert.ok(error instanceof DockerUnreachableError, `${(error as Error).name}: ${(error as Error).message}`);
      assert.equal(error.code, 'ETIMEDOUT');
      assert.equal(error.message, `The Docker engine at ${host()} (DOCKER_HOST) did not answer in time.`);
      return true;
    };

    it('listing times out within its bound with "did not answer in time"', async () => {
      const started = Date.now();
      await assert.rejects(
        listLocalImages(stalledDocker, { endpoint: stalledEndpoint, answerTimeoutMs: 1000 }),
        timedOut(() => stalled.dockerHost),
      );
      const ms = Date.now() - started;
      assert.ok(ms >= 900 && ms < 3000, `gave up after ${ms} ms`);
    });

    it('a pull and a login time out within their bound', async () => {
      for (const operation of [
        () => pullImage({ docker: stalledDocker, endpoint: stalledEndpoint, reference: bigReference, auth: auth(), answerTimeoutMs: 1500 }),
        () => checkRegistryAuth(stalledDocker, auth(), undefined, { endpoint: stalledEndpoint, answerTimeoutMs: 1500 }),
      ]) {
        const started = Date.now();
        await assert.rejects(
          operation(),
          timedOut(() => stalled.dockerHost),
        );
        const ms = Date.now() - started;
        assert.ok(ms >= 1400 && ms < 4000, `gave up after ${ms} ms`);
      }
    });

    it('Cancel ends a push at once, and no connection is left open', async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 300);
      await assert.rejects(
        pushImage({ docker: stalledDocker, endpoint: stalledEndpoint, reference: bigReference, auth: auth(), signal: controller.signal }),
        (error: unknown) => error instanceof DockerCancelledError && error.message === 'The push was cancelled.',
      );
      const ms = Date.now() - started;
      assert.ok(ms < 1500, `cancelled after ${ms} ms`);
      assert.ok(stalled.accepted >= 1, 'the push did reach the stalled engine');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(stalled.openConnections, 0, 'every abandoned request closed its connection');
    });

    it('once the engine answers again, the same client works, and nothing local changed', async () => {
      const before = await localState(docker);
      stalled.recover(info.dockerHost);
      const listed = await listLocalImages(stalledDocker, { endpoint: stalledEndpoint, answerTimeoutMs: 5000 });
      assert.deepEqual(listed, await listLocalImages(docker), 'the recovered connection sees the real engine');
      assert.equal(await imageExists(stalledDocker, bigReference, undefined, { endpoint: stalledEndpoint }), true);
      assert.deepEqual(await localState(docker), before);
    });
  });
});
