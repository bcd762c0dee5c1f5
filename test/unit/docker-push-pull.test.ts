// Push, pull, tag and registry login through the Engine API against the real stack: Docker
// Distribution with Synapse-style token auth, the Synapse sandbox as token realm and listener.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import {
  buildImage,
  checkRegistryAuth,
  DockerCancelledError,
  ImageNotFoundError,
  imageExists,
  listLocalImages,
  pullImage,
  pushImage,
  RegistryAuth,
  RegistryDeniedError,
  RegistryMismatchError,
  tagImage,
  TransferProgress,
  TransferProgressTracker,
  NdjsonParser,
  StreamEvent,
  registryDenialKind,
} from '../../src/core/docker';
import { NameError } from '../../src/core/naming';
import { SynapseClient } from '../../src/core/synapse/client';
import { DockerCommit } from '../../src/core/synapse/types';
import {
  admin,
  BASE_IMAGE,
  ImageJanitor,
  makeTree,
  sandboxUser,
  stackEngine,
  uniqueId,
  usesContainerdStore,
} from './helpers/docker-fixtures';
import { SandboxInfo } from './helpers/stack';

const PROJECT = 'syn1000001'; // alice ADMIN, bob READ+DOWNLOAD, carol uncertified with CREATE+UPDATE, dave READ
const NOTIFICATION_TIMEOUT_MS = 10_000;

describe('docker push and pull (real engine, registry and sandbox)', function () {
  this.timeout(180_000);
  let info: SandboxInfo;
  let docker: Docker;
  const janitor = new ImageJanitor(() => docker);
  const dirs: string[] = [];
  const run = uniqueId();
  let repository: string;

  before(async () => {
    const stack = await stackEngine();
    info = stack.info;
    docker = stack.docker;
    const project = info.projects.find((p) => p.id === PROJECT);
    assert.ok(project, `the sandbox seed has no project ${PROJECT}`);
    assert.ok(project.access.alice?.includes('CREATE') && project.access.bob?.includes('DOWNLOAD'), `unexpected ACL on ${PROJECT}`);
    repository = `${info.registry}/${PROJECT}/pp-${run}`;
  });

  after(async () => {
    await janitor.cleanUp();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function auth(userName: string, token = sandboxUser(info, userName).token): RegistryAuth {
    return { username: userName, password: token, serveraddress: info.registry };
  }

  /** Builds a small image with unique content under `reference` (tracked for cleanup). */
  async function buildTagged(reference: string, extraFiles: Record<string, string | Buffer> = {}, extraSteps = ''): Promise<string> {
    const dir = makeTree({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n${extraSteps}`,
      'id.txt': `${reference} ${randomBytes(8).toString('hex')}\n`,
      ...extraFiles,
    });
    dirs.push(dir);
    janitor.add(reference);
    // Classic, so the pull tests download real layers (BuildKit's containerd store keeps them after a remove).
    const result = await buildImage({ docker, contextDir: dir, tags: [reference], builder: 'classic', network: 'none' });
    janitor.add(result.imageId);
    return result.imageId;
  }

  async function localState(reference: string): Promise<{ id: string; repoTags: string[] }> {
    const inspected = await docker.getImage(reference).inspect();
    return { id: inspected.Id, repoTags: [...(inspected.RepoTags ?? [])].sort() };
  }

  /** The sandbox's newest commit for a tag, once the registry's notification has arrived. */
  async function waitForSandboxTag(repositoryName: string, tag: string, digest: string): Promise<DockerCommit> {
    const client = new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'alice').token });
    const deadline = Date.now() + NOTIFICATION_TIMEOUT_MS;
    let last: DockerCommit | undefined;
    for (;;) {
      const id = await client.findDockerRepositoryId(repositoryName);
      if (id) {
        const tags = await client.listDockerTags(id, { limit: 50, offset: 0 });
        last = tags.results.find((commit) => commit.tag === tag);
        if (last?.digest === digest) return last;
      }
      if (Date.now() > deadline) {
        assert.fail(
          `the sandbox lists ${repositoryName}:${tag} as ${last?.digest ?? 'nothing'}, expected ${digest} (after ${NOTIFICATION_TIMEOUT_MS} ms)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('checks registry credentials through the engine', async () => {
    const ok = await checkRegistryAuth(docker, auth('alice'));
    assert.equal(ok.status, 'Login Succeeded');
    await assert.rejects(checkRegistryAuth(docker, auth('alice', 'not-a-token')), (error: unknown) => {
      assert.ok(error instanceof RegistryDeniedError, `got ${String(error)}`);
      assert.equal(error.kind, 'unauthorized');
      assert.equal(error.operation, 'login');
      assert.ok(!error.message.includes('not-a-token'), 'the password never appears in the error');
      return true;
    });
  });

  it('tags exactly one reference and rejects names that are not Synapse image names', async () => {
    const source = `${repository}:tag-source`;
    const id = await buildTagged(source);
    const added = await tagImage(docker, id, `${repository}:tag-added`);
    janitor.add(added);
    assert.equal(added, `${repository}:tag-added`);
    assert.deepEqual((await localState(id)).repoTags, [`${repository}:tag-added`, source].sort());
    await assert.rejects(tagImage(docker, id, `${info.registry}/${PROJECT}/Upper:v1`), NameError);
    await assert.rejects(tagImage(docker, 'synapse-test/no-such-image:none', `${repository}:x`), ImageNotFoundError);
    const listed = await listLocalImages(docker, { registry: info.registry });
    const mine = listed.find((image) => image.id === id);
    assert.ok(mine, 'listLocalImages lists the image under the registry');
    assert.deepEqual(mine.repoTags, [`${repository}:tag-added`, source].sort());
  });

  it("pushes alice's image, returns the digest the sandbox then lists, and a re-push updates it", async () => {
    const reference = `${repository}:v1`;
    await buildTagged(reference);
    const events: TransferProgress[] = [];
    const first = await pushImage({ docker, reference, auth: auth('alice'), onProgress: (p) => events.push(p) });
    assert.match(first, /^sha256:[0-9a-f]{64}$/);
    assert.ok(events.length > 0, 'progress was reported');
    const final = events[events.length - 1];
    assert.equal(final.layersDone, final.layersTotal);
    assert.ok(
      final.layers.every((layer) => ['Pushed', 'Layer already exists'].includes(layer.status) || /^Mounted from/.test(layer.status)),
      `final layer statuses: ${final.layers.map((l) => l.status).join(', ')}`,
    );
    await waitForSandboxTag(repository, 'v1', first);

    // Same tag, new content: a new digest, and the sandbox follows.
    await buildTagged(reference);
    const second = await pushImage({ docker, reference, auth: auth('alice') });
    assert.notEqual(second, first);
    await waitForSandboxTag(repository, 'v1', second);
  });

  it("pushes only the given tag, never the repository's other local tags", async () => {
    const only = `${repository}:only-this`;
    const other = `${repository}:not-this`;
    await buildTagged(only);
    await buildTagged(other);
    const pushed = await pushImage({ docker, reference: only, auth: auth('alice') });
    await waitForSandboxTag(repository, 'only-this', pushed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const client = new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'alice').token });
    const id = await client.findDockerRepositoryId(repository);
    assert.ok(id);
    const tags = (await client.listDockerTags(id, { limit: 50, offset: 0 })).results.map((c) => c.tag);
    assert.ok(!tags.includes('not-this'), `the registry got tags ${tags.join(', ')}`);
  });

  it("refuses carol's push (uncertified) with a RegistryDeniedError and leaves the image as it was", async () => {
    const reference = `${info.registry}/${PROJECT}/pp-carol-${run}:v1`;
    await buildTagged(reference);
    const before = await localState(reference);
    await assert.rejects(pushImage({ docker, reference, auth: auth('carol') }), (error: unknown) => {
      assert.ok(error instanceof RegistryDeniedError, `got ${String(error)}`);
      assert.equal(error.operation, 'push');
      assert.equal(error.reference, reference);
      assert.match(error.raw, /denied: requested access to the resource is denied|unauthorized|insufficient_scope/);
      return true;
    });
    assert.deepEqual(await localState(reference), before);
  });

  it('fails clearly when the local image does not exist', async () => {
    await assert.rejects(pushImage({ docker, reference: `${repository}:never-built`, auth: auth('alice') }), ImageNotFoundError);
  });

  it('never sends the credentials to another registry than theirs', async () => {
    const elsewhere = `127.0.0.2:5999/${PROJECT}/pp-${run}:v1`;
    await assert.rejects(pushImage({ docker, reference: elsewhere, auth: auth('alice') }), RegistryMismatchError);
    await assert.rejects(pullImage({ docker, reference: elsewhere, auth: auth('alice') }), RegistryMismatchError);
    await assert.rejects(pushImage({ docker, reference: `${info.registry}/${PROJECT}/Bad:v1`, auth: auth('alice') }), NameError);
  });

  describe('a larger image', () => {
    const big = () => `${repository}-big:v1`;
    let bigId: string;
    let pushedDigest: string;

    before(async function () {
      this.timeout(120_000);
      // Three layers of random bytes (~72 MB), so a push takes long enough to cancel.
      const files: Record<string, Buffer> = {};
      for (const n of [1, 2, 3]) files[`blob${n}.bin`] = randomBytes(24 * 1024 * 1024);
      bigId = await buildTagged(big(), files, 'COPY blob1.bin /blob1.bin\nCOPY blob2.bin /blob2.bin\nCOPY blob3.bin /blob3.bin\n');
    });

    it('cancels mid-push and leaves the local image id and its tags unchanged', async () => {
      const extra = `${repository}-big:extra-tag`;
      await tagImage(docker, bigId, extra);
      janitor.add(extra);
      const before = await localState(big());
      const controller = new AbortController();
      let abortedAt = 0;
      const push = pushImage({
        docker,
        reference: big(),
        auth: auth('alice'),
        signal: controller.signal,
        onProgress: (progress) => {
          if (!abortedAt && progress.layers.some((layer) => layer.phase === 'pushing')) {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      });
      await assert.rejects(push, (error: unknown) => error instanceof DockerCancelledError && error.operation === 'push');
      assert.ok(abortedAt > 0, 'the push was running when it was cancelled');
      assert.ok(Date.now() - abortedAt < 2000, `cancelling took ${Date.now() - abortedAt} ms`);
      assert.deepEqual(await localState(big()), before);
      assert.equal(before.id, bigId);
      // The engine stopped: no manifest reached the registry, so Synapse never heard of the repository.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const client = new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'alice').token });
      assert.equal(await client.findDockerRepositoryId(`${repository}-big`), undefined, 'the cancelled push went on in the background');
    });

    it('pushes it fully afterwards (timed)', async () => {
      let lastProgress: TransferProgress | undefined;
      const started = Date.now();
      pushedDigest = await pushImage({ docker, reference: big(), auth: auth('alice'), onProgress: (p) => (lastProgress = p) });
      console.log(
        `      pushed ~72 MB (${lastProgress?.layersTotal} layers, ${lastProgress?.bytesTotal} bytes) in ${Date.now() - started} ms`,
      );
      assert.ok(lastProgress && lastProgress.bytesTotal > 70 * 1024 * 1024, `bytesTotal ${lastProgress?.bytesTotal}`);
      assert.equal(lastProgress.bytesDone, lastProgress.bytesTotal);
      await waitForSandboxTag(`${repository}-big`, 'v1', pushedDigest);
    });

    it("lets bob pull alice's image (removed locally first) and gets the same digest (timed)", async () => {
      assert.ok(pushedDigest, 'the previous test pushed the image');
      await docker
        .getImage(`${repository}-big:extra-tag`)
        .remove()
        .catch(() => undefined);
      await docker.getImage(big()).remove();
      assert.equal(await imageExists(docker, bigId), false, 'the image is gone locally');
      const events: TransferProgress[] = [];
      const started = Date.now();
      const digest = await pullImage({ docker, reference: big(), auth: auth('bob'), onProgress: (p) => events.push(p) });
      const last = events[events.length - 1];
      console.log(`      pulled ~72 MB (${last?.layersTotal} layers, ${last?.bytesTotal} bytes) in ${Date.now() - started} ms`);
      assert.equal(digest, pushedDigest);
      assert.ok(last.message?.startsWith('Status: Downloaded newer image'), last.message);
      assert.equal(await imageExists(docker, big()), true);
      assert.ok(
        last.layers.some((layer) => layer.status === 'Pull complete'),
        `statuses: ${last.layers.map((l) => l.status).join(', ')}`,
      );
      assert.ok(last.bytesTotal > 70 * 1024 * 1024);

      // Again: nothing to download.
      let message: string | undefined;
      const again = await pullImage({ docker, reference: big(), auth: auth('bob'), onProgress: (p) => (message = p.message) });
      assert.equal(again, pushedDigest);
      assert.ok(message?.startsWith('Status: Image is up to date'), message);
    });

    it('refuses a pull with a token that lacks the download scope', async () => {
      const { token } = await admin<{ token: string }>(info, 'POST', '/__admin/tokens', { userName: 'bob', scopes: ['view'] });
      await assert.rejects(pullImage({ docker, reference: big(), auth: auth('bob', token) }), (error: unknown) => {
        assert.ok(error instanceof RegistryDeniedError, `got ${String(error)}`);
        assert.equal(error.operation, 'pull');
        assert.ok(!error.message.includes(token));
        return true;
      });
    });

    it('cancels a pull', async () => {
      await docker
        .getImage(big())
        .remove()
        .catch(() => undefined);
      const controller = new AbortController();
      const pull = pullImage({
        docker,
        reference: big(),
        auth: auth('bob'),
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.layers.some((layer) => layer.phase === 'downloading')) controller.abort();
        },
      });
      await assert.rejects(pull, (error: unknown) => error instanceof DockerCancelledError && error.operation === 'pull');
    });
  });

  it('runs two pushes of different images at once, each with its own progress', async () => {
    const a = `${repository}-a:v1`;
    const b = `${repository}-b:v1`;
    await buildTagged(a, { 'a.bin': randomBytes(4 * 1024 * 1024) }, 'COPY a.bin /a.bin\n');
    await buildTagged(b, { 'b.bin': randomBytes(6 * 1024 * 1024) }, 'COPY b.bin /b.bin\n');
    const progressA: TransferProgress[] = [];
    const progressB: TransferProgress[] = [];
    const timesA: number[] = [];
    const timesB: number[] = [];
    const [digestA, digestB] = await Promise.all([
      pushImage({ docker, reference: a, auth: auth('alice'), onProgress: (p) => (progressA.push(p), timesA.push(Date.now())) }),
      pushImage({ docker, reference: b, auth: auth('alice'), onProgress: (p) => (progressB.push(p), timesB.push(Date.now())) }),
    ]);
    assert.notEqual(digestA, digestB);
    assert.ok(timesA[0] <= timesB[timesB.length - 1] && timesB[0] <= timesA[timesA.length - 1], 'the two pushes overlapped');
    const lastA = progressA[progressA.length - 1];
    const lastB = progressB[progressB.length - 1];
    assert.ok(
      progressA.some((p) => p.message?.includes(`[${repository}-a]`)),
      'A reports its own repository',
    );
    assert.ok(
      progressB.some((p) => p.message?.includes(`[${repository}-b]`)),
      'B reports its own repository',
    );
    assert.ok(!progressA.some((p) => p.message?.includes(`[${repository}-b]`)), "A never sees B's events");
    // Each sees its own unique layers (~4 MB vs ~6 MB of random bytes, and its config) and none of the other's.
    const own = (mine: TransferProgress, theirs: TransferProgress) => mine.layers.filter((l) => !theirs.layers.some((o) => o.id === l.id));
    const ownA = own(lastA, lastB);
    const ownB = own(lastB, lastA);
    assert.ok(
      ownA.length > 0 && ownB.length > 0,
      `each push has layers of its own: ${JSON.stringify({ a: lastA.layers, b: lastB.layers })}`,
    );
    assert.ok(
      [...lastA.layers, ...lastB.layers].every((l) => l.phase === 'done'),
      `every layer ends pushed: ${JSON.stringify({ a: lastA.layers, b: lastB.layers })}`,
    );
    const biggestA = Math.max(...ownA.map((l) => l.total));
    const biggestB = Math.max(...ownB.map((l) => l.total));
    assert.ok(biggestA < 5 * 1024 * 1024, `A's biggest layer ${biggestA} is not B's`);
    assert.ok(biggestB < 7 * 1024 * 1024, `B's biggest layer ${biggestB}`);
    // The classic image store reports each layer's size; the containerd store reports bytes at intervals
    // while a layer uploads, so a layer pushed between two reports over loopback may end with no size at all.
    if (!(await usesContainerdStore(docker))) {
      assert.ok(biggestA >= 4 * 1024 * 1024, `A's biggest layer ${biggestA}`);
      assert.ok(biggestB >= 6 * 1024 * 1024, `B's biggest layer ${biggestB}`);
    }
    await waitForSandboxTag(`${repository}-a`, 'v1', digestA);
    await waitForSandboxTag(`${repository}-b`, 'v1', digestB);
  });

  it('pulls by digest', async () => {
    const reference = `${repository}-digest:v1`;
    await buildTagged(reference);
    const pushed = await pushImage({ docker, reference, auth: auth('alice') });
    const byDigest = `${repository}-digest@${pushed}`;
    janitor.add(byDigest);
    assert.equal(await pullImage({ docker, reference: byDigest, auth: auth('bob') }), pushed);
  });

  describe('stream parsing (events recorded from the engine)', () => {
    it('splits NDJSON across chunk boundaries, including inside a UTF-8 character', () => {
      const events: StreamEvent[] = [];
      const parser = new NdjsonParser((event) => events.push(event));
      const bytes = Buffer.from('{"status":"héllo"}\n{"status":"two"}\nnot json\n{"status":"last"}');
      const cut = bytes.indexOf(0xa9); // the second byte of "é"
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut, cut + 20));
      parser.push(bytes.subarray(cut + 20));
      parser.end();
      // A line that is not JSON (a proxy's text) is an error that quotes it, no longer build output.
      assert.deepEqual(events, [
        { status: 'héllo' },
        { status: 'two' },
        { error: 'The Docker engine sent a line that is not a JSON object: not json' },
        { status: 'last' },
      ]);
    });

    it('sums per-layer bytes, clamps overshoot, reads the digest and the first error', () => {
      const tracker = new TransferProgressTracker('push', undefined);
      const feed: StreamEvent[] = [
        { status: 'The push refers to repository [127.0.0.1:5000/syn1/x]' },
        { status: 'Preparing', progressDetail: {}, id: 'aaaaaaaaaaaa' },
        { status: 'Preparing', progressDetail: {}, id: 'bbbbbbbbbbbb' },
        { status: 'Layer already exists', progressDetail: {}, id: 'bbbbbbbbbbbb' },
        { status: 'Pushing', progressDetail: { current: 500, total: 1000 }, id: 'aaaaaaaaaaaa' },
      ];
      feed.forEach((event) => tracker.consume(event));
      let progress = tracker.progress;
      assert.equal(progress.bytesDone, 500);
      assert.equal(progress.bytesTotal, 1000);
      assert.equal(progress.layersDone, 1);
      assert.equal(progress.layersTotal, 2);
      tracker.consume({ status: 'Pushing', progressDetail: { current: 1040, total: 1000 }, id: 'aaaaaaaaaaaa' });
      assert.equal(tracker.progress.bytesDone, 1000, 'the engine overshoots the total; the sum does not');
      tracker.consume({ status: 'Pushed', progressDetail: {}, id: 'aaaaaaaaaaaa' });
      tracker.consume({ status: 'v1: digest: sha256:' + 'a'.repeat(64) + ' size: 527' });
      tracker.consume({ progressDetail: {}, aux: { Tag: 'v1', Digest: 'sha256:' + 'b'.repeat(64), Size: 527 } });
      progress = tracker.progress;
      assert.equal(progress.fraction, 1);
      assert.equal(tracker.digest, 'sha256:' + 'b'.repeat(64), 'the aux event wins');
      assert.equal(tracker.size, 527);
      tracker.consume({ errorDetail: { message: 'denied: requested access to the resource is denied' }, error: 'ignored' });
      tracker.consume({ error: 'second error' });
      assert.equal(tracker.error, 'denied: requested access to the resource is denied');
    });

    it('follows a pull: download bytes, extraction, "Already exists" and the Digest line', () => {
      const tracker = new TransferProgressTracker('pull');
      for (const event of [
        { status: 'Pulling from syn1/x', id: 'v1' },
        { status: 'Already exists', progressDetail: {}, id: 'cccccccccccc' },
        { status: 'Pulling fs layer', progressDetail: {}, id: 'dddddddddddd' },
        { status: 'Downloading', progressDetail: { current: 300, total: 900 }, id: 'dddddddddddd' },
        { status: 'Download complete', progressDetail: {}, id: 'dddddddddddd' },
        { status: 'Extracting', progressDetail: { current: 100, total: 900 }, id: 'dddddddddddd' },
      ] as StreamEvent[])
        tracker.consume(event);
      assert.equal(tracker.progress.bytesDone, 900, 'extraction does not run the byte count backwards');
      tracker.consume({ status: 'Pull complete', progressDetail: {}, id: 'dddddddddddd' });
      tracker.consume({ status: 'Digest: sha256:' + 'e'.repeat(64) });
      tracker.consume({ status: 'Status: Downloaded newer image for 127.0.0.1:5000/syn1/x:v1' });
      assert.equal(tracker.digest, 'sha256:' + 'e'.repeat(64));
      assert.deepEqual(
        tracker.progress.layers.map((l) => [l.id, l.status]),
        [
          ['cccccccccccc', 'Already exists'],
          ['dddddddddddd', 'Pull complete'],
        ],
      );
      assert.equal(tracker.progress.layersDone, 2);
    });

    it('recognises the registry refusals', () => {
      assert.equal(registryDenialKind('denied: requested access to the resource is denied'), 'denied');
      assert.equal(registryDenialKind('unauthorized: authentication required'), 'unauthorized');
      assert.equal(registryDenialKind('error="insufficient_scope"'), 'insufficient_scope');
      assert.equal(
        registryDenialKind(
          "pull access denied for 127.0.0.1:5000/syn1/x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        ),
        'denied',
      );
      assert.equal(registryDenialKind('manifest for 127.0.0.1:5000/syn1/x:v9 not found: manifest unknown'), undefined);
      assert.equal(registryDenialKind('blob upload unknown'), undefined);
    });
  });
});
