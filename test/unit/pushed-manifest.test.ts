// The truth about a push, against the real engine, registry and sandbox: what the push stored
// (digest, media type, platform) read back through the engine, and whether Synapse records a
// commit for it under the strict (Oct-2024) and the wide manifest rule.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { buildImage, DockerOperationError, inspectPushedManifest, pushImage, RegistryAuth, tagImage } from '../../src/core/docker';
import { parseImageReference, ImageReference, NameError } from '../../src/core/naming';
import {
  DOCKER_V2_MANIFEST,
  explainUnlistedPush,
  OCI_MANIFEST,
  PushWaitSchedule,
  SYNAPSE_PUSH_WAIT,
  waitForPushedCommit,
} from '../../src/core/pushWait';
import { SynapseClient } from '../../src/core/synapse/client';
import { admin, BASE_IMAGE, ImageJanitor, makeTree, sandboxUser, stackEngine, uniqueId } from './helpers/docker-fixtures';
import { putOciCopy } from './helpers/registry-direct';
import { SandboxInfo } from './helpers/stack';

const PROJECT = 'syn1000001'; // alice ADMIN; dave READ only (no download)
/** The real schedule with a shorter first window: the stack's registry notifies within a second. */
const QUICK: PushWaitSchedule = { ...SYNAPSE_PUSH_WAIT, deliveryMs: 4000, fastPollMs: 250 };

describe('what a push stored, and whether Synapse records it (real engine, registry and sandbox)', function () {
  this.timeout(120_000);
  let info: SandboxInfo;
  let docker: Docker;
  let engineArch: string;
  const janitor = new ImageJanitor(() => docker);
  const dirs: string[] = [];
  const run = uniqueId();
  /** The Docker v2 push every test starts from. */
  let pushed: { reference: ImageReference; repositoryPath: string; digest: string };

  const alice = () => sandboxUser(info, 'alice');
  const auth = (userName = 'alice'): RegistryAuth => ({
    username: userName,
    password: sandboxUser(info, userName).token,
    serveraddress: info.registry,
  });
  const client = () => new SynapseClient({ endpoint: info.synapseEndpoint, token: alice().token });
  const parse = (text: string): ImageReference => {
    const parsed = parseImageReference(text);
    assert.ok(!(parsed instanceof NameError), String(parsed));
    return parsed as ImageReference;
  };

  before(async () => {
    const stack = await stackEngine();
    info = stack.info;
    docker = stack.docker;
    engineArch = ((await docker.version()) as { Arch: string }).Arch;
    await admin(info, 'POST', '/__admin/manifest-policy', { policy: 'strict' });
    const repositoryPath = `${PROJECT}/truth-${run}`;
    const text = `${info.registry}/${repositoryPath}:v1`;
    const dir = makeTree({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`,
      'id.txt': `${text} ${randomBytes(8).toString('hex')}\n`,
    });
    dirs.push(dir);
    janitor.add(text);
    janitor.add((await buildImage({ docker, contextDir: dir, tags: [text] })).imageId);
    const reference = parse(text);
    pushed = { reference, repositoryPath, digest: await pushImage({ docker, reference, auth: auth() }) };
  });

  afterEach(async () => {
    await admin(info, 'POST', '/__admin/manifest-policy', { policy: 'strict' });
  });

  after(async () => {
    await janitor.cleanUp();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads back a classic image's push on this engine as a Docker v2 manifest with its digest and platform", async () => {
    const manifest = await inspectPushedManifest({ docker, reference: pushed.reference, digest: pushed.digest, auth: auth() });
    assert.deepEqual(manifest, {
      digest: pushed.digest,
      mediaType: DOCKER_V2_MANIFEST,
      platforms: [{ os: 'linux', architecture: engineArch }],
    });
  });

  it('under the strict rule, Synapse records the Docker v2 push: the wait finds its digest within the first window', async () => {
    const result = await waitForPushedCommit({
      client: client(),
      repositoryName: `${info.registry}/${pushed.repositoryPath}`,
      tag: 'v1',
      digest: pushed.digest,
      mediaType: DOCKER_V2_MANIFEST,
      pushedAt: Date.now(),
    });
    assert.equal(result.kind, 'listed', JSON.stringify(result));
    assert.ok(result.waitedMs < SYNAPSE_PUSH_WAIT.deliveryMs, `found after ${result.waitedMs} ms`);
  });

  /** PUTs an OCI copy of the pushed image under `repositoryPath:tag`, as a containerd-store engine's push would store it. */
  async function ociPush(repositoryPath: string, tag: string) {
    const text = `${info.registry}/${repositoryPath}:${tag}`;
    await tagImage(docker, `${info.registry}/${pushed.repositoryPath}:v1`, text); // the local image it was "pushed" from
    janitor.add(text);
    const pushedAt = Date.now();
    const digest = await putOciCopy(info, alice().token, pushed.repositoryPath, pushed.digest, repositoryPath, tag);
    return { repositoryPath, text, reference: parse(text), digest, pushedAt };
  }

  it('under the strict rule, an OCI manifest push is read back as OCI and never recorded: the wait stops and says why', async () => {
    const oci = await ociPush(pushed.repositoryPath, 'oci');
    const manifest = await inspectPushedManifest({ docker, reference: oci.reference, digest: oci.digest, auth: auth() });
    // Engine 20.10 gives no platforms for an OCI manifest: they come from the local image.
    assert.deepEqual(manifest, { digest: oci.digest, mediaType: OCI_MANIFEST, platforms: [{ os: 'linux', architecture: engineArch }] });
    const result = await waitForPushedCommit({
      client: client(),
      repositoryName: `${info.registry}/${oci.repositoryPath}`,
      tag: 'oci',
      digest: oci.digest,
      mediaType: manifest.mediaType,
      pushedAt: oci.pushedAt,
      schedule: QUICK,
    });
    assert.equal(result.kind, 'not-listed', JSON.stringify(result));
    const tags = await client().listDockerTags((await client().findDockerRepositoryId(`${info.registry}/${pushed.repositoryPath}`))!, {
      limit: 20,
      offset: 0,
    });
    assert.deepEqual(
      tags.results.map((c) => c.tag),
      ['v1'],
      'Synapse recorded no commit for the OCI tag',
    );
    const told = explainUnlistedPush({ reference: oci.text, digest: oci.digest, mediaType: manifest.mediaType, waitedMs: result.waitedMs });
    assert.equal(told.reason, 'media-type');
    assert.ok(
      told.message.startsWith(
        `Pushed ${oci.text} (${oci.digest}), but Synapse has not listed it after 4 s: it was pushed as ${OCI_MANIFEST}, a manifest type Synapse may not record`,
      ),
      told.message,
    );
    assert.match(told.message, /Build Image command \(through BuildKit it pushes one\) or turn off the containerd image store/);
  });

  it('under the strict rule, an OCI push to a new repository leaves Synapse without the repository, so even reading it back is denied', async () => {
    const oci = await ociPush(`${PROJECT}/oci-new-${run}`, 'v1');
    await assert.rejects(inspectPushedManifest({ docker, reference: oci.reference, digest: oci.digest, auth: auth() }), (error: Error) => {
      assert.ok(error instanceof DockerOperationError, String(error));
      assert.match(error.message, new RegExp(`^Couldn't read back the manifest pushed for ${oci.text.replace(/\./g, '\\.')}: .*denied`));
      return true;
    });
    assert.equal(
      await client().findDockerRepositoryId(`${info.registry}/${oci.repositoryPath}`),
      undefined,
      'Synapse created no repository for it',
    );
  });

  it('under the wide rule, an OCI push to a new repository is recorded, found by the wait, and then reads back as OCI', async () => {
    await admin(info, 'POST', '/__admin/manifest-policy', { policy: 'wide' });
    const oci = await ociPush(`${PROJECT}/oci-wide-${run}`, 'v1');
    const result = await waitForPushedCommit({
      client: client(),
      repositoryName: `${info.registry}/${oci.repositoryPath}`,
      tag: 'v1',
      digest: oci.digest,
      mediaType: OCI_MANIFEST,
      pushedAt: oci.pushedAt,
      schedule: QUICK,
    });
    assert.equal(result.kind, 'listed', JSON.stringify(result));
    assert.equal(result.kind === 'listed' && result.commit.digest, oci.digest);
    assert.equal(
      (await inspectPushedManifest({ docker, reference: oci.reference, digest: oci.digest, auth: auth() })).mediaType,
      OCI_MANIFEST,
    );
  });

  it('says clearly when the manifest cannot be read back: a digest the registry lacks, a token without pull', async () => {
    const unknown = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(inspectPushedManifest({ docker, reference: pushed.reference, digest: unknown, auth: auth() }), (error: Error) => {
      assert.ok(error instanceof DockerOperationError, String(error));
      assert.match(
        error.message,
        new RegExp(
          `^Couldn't read back the manifest pushed for ${pushed.reference.registry.replace(/\./g, '\\.')}/${pushed.repositoryPath}:v1: .*manifest unknown`,
        ),
      );
      return true;
    });
    await assert.rejects(
      inspectPushedManifest({ docker, reference: pushed.reference, digest: pushed.digest, auth: auth('dave') }),
      (error: Error) => {
        assert.ok(error instanceof DockerOperationError, String(error));
        assert.match(error.message, /^Couldn't read back the manifest pushed for .*: .*denied/);
        assert.ok(!error.message.includes(sandboxUser(info, 'dave').token), 'no token in the message');
        return true;
      },
    );
    await assert.rejects(
      inspectPushedManifest({ docker, reference: pushed.reference, digest: 'sha256:nope', auth: auth() }),
      /reported a digest that is not a sha256 digest/,
    );
  });
});
