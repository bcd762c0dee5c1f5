// The real push/pull flow against the local stack: a Docker engine, Docker Distribution with
// Synapse-style token auth, and the Synapse sandbox as token realm and notification listener.
// Images are built FROM scratch with dockerode, so nothing is ever pulled from Docker Hub.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import * as tar from 'tar-fs';
import { dockerClient } from './docker-engine';
import { SandboxInfo, SandboxProject, requireLiveStack } from '../unit/helpers/stack';

interface StreamEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
  stream?: string;
}

/** What a daemon stream (build/push/pull) ended with: every event, and the first error if any. */
interface StreamOutcome {
  events: StreamEvent[];
  error?: string;
}

interface DockerCommit {
  tag: string;
  digest: string;
  createdOn: string;
}

const NOTIFICATION_TIMEOUT_MS = 10_000;

describe('registry flow (real engine, registry and sandbox)', function () {
  this.timeout(90_000);

  let info: SandboxInfo;
  let docker: Docker;
  let editable: SandboxProject;
  const runId = randomBytes(4).toString('hex');
  const localImages = new Set<string>(); // image ids
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-flow-'));

  before(async () => {
    info = await requireLiveStack();
    docker = dockerClient(info.dockerHost);
    await docker.ping().catch((error: Error) => {
      throw new Error(`The stack's Docker engine (${info.dockerHost}) does not answer: ${error.message}. Run \`npm run stack:up\`.`);
    });
    const state = await admin<{ projects: SandboxProject[] }>('GET', '/__admin/state');
    // The project the whole flow uses: alice may create in it, bob may download, dave may only read.
    const found = state.projects.find(
      (project) =>
        !project.inTrash &&
        has(project, 'alice', 'CREATE') &&
        has(project, 'bob', 'DOWNLOAD') &&
        !has(project, 'bob', 'UPDATE') &&
        has(project, 'dave', 'READ') &&
        !has(project, 'dave', 'DOWNLOAD') &&
        !has(project, 'dave', 'UPDATE'),
    );
    assert.ok(found, 'the seed has no project where alice may create, bob may read+download and dave may only read');
    editable = found;
  });

  after(async () => {
    for (const image of localImages)
      await docker
        ?.getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  // ---- helpers --------------------------------------------------------------------------------

  function has(project: SandboxProject, userName: string, access: string): boolean {
    return (project.access[userName] ?? []).includes(access);
  }

  function user(userName: string): { userName: string; token: string } {
    const found = info.users.find((candidate) => candidate.userName === userName);
    assert.ok(found, `the seed has no user ${userName}`);
    return found;
  }

  async function admin<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${info.synapseEndpoint}${route}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(response.ok, `${method} ${route} answered ${response.status}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  }

  /** A PAT for `userName` with exactly these scopes (minted by the sandbox's admin API). */
  async function tokenWithScopes(userName: string, scopes: string[]): Promise<string> {
    return (await admin<{ token: string }>('POST', '/__admin/tokens', { userName, scopes })).token;
  }

  /** Synapse REST as a user; undefined on 404. */
  async function synapse<T>(method: string, route: string, token: string, body?: unknown): Promise<T | undefined> {
    const response = await fetch(`${info.synapseEndpoint}/repo/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status === 404) return undefined;
    assert.ok(response.ok, `${method} /repo/v1${route} answered ${response.status}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  }

  /** Reads a daemon progress stream to its end; a refused request (HTTP error) counts as an error too. */
  async function outcome(start: () => Promise<NodeJS.ReadableStream>): Promise<StreamOutcome> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await start();
    } catch (error) {
      return { events: [], error: error instanceof Error ? error.message : String(error) };
    }
    const events = await new Promise<StreamEvent[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, result: StreamEvent[]) => (error ? reject(error) : resolve(result ?? [])));
    }).catch((error: Error) => [{ error: error.message }] as StreamEvent[]);
    const failed = events.find((event) => event.error || event.errorDetail);
    return { events, error: failed ? (failed.error ?? failed.errorDetail?.message ?? 'error') : undefined };
  }

  /** Images are removed by id afterwards, so a rebuilt tag leaves no dangling image behind. */
  async function rememberImage(reference: string): Promise<void> {
    localImages.add((await docker.getImage(reference).inspect()).Id);
  }

  /** Builds `FROM scratch` + one generated file with unique content (so every build has its own digest). */
  async function buildImage(reference: string): Promise<void> {
    const context = fs.mkdtempSync(path.join(workDir, 'context-'));
    fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY payload.txt /payload.txt\n');
    fs.writeFileSync(path.join(context, 'payload.txt'), `${reference} ${randomBytes(16).toString('hex')} ${Date.now()}\n`);
    // tar-fs streams are streamx streams; they pipe like Node streams, which is all dockerode does.
    const archive = tar.pack(context) as unknown as NodeJS.ReadableStream;
    const result = await outcome(() => docker.buildImage(archive, { t: reference }));
    assert.equal(result.error, undefined, `building ${reference} failed: ${result.error}`);
    await rememberImage(reference);
  }

  function splitReference(reference: string): { repository: string; tag: string } {
    const at = reference.lastIndexOf(':');
    return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  }

  async function push(reference: string, password: string, userName = 'ignored'): Promise<StreamOutcome & { digest?: string }> {
    const { repository, tag } = splitReference(reference);
    const result = await outcome(
      () =>
        docker.getImage(repository).push({
          tag,
          authconfig: { username: userName, password, serveraddress: info.registry },
        }) as Promise<NodeJS.ReadableStream>,
    );
    // dockerd with the graphdriver store sends the digest as `aux`; Docker 28 with the containerd
    // image store and Podman send only the line the docker CLI prints: "<tag>: digest: sha256:… size: N".
    const digest =
      result.events.find((event) => event.aux?.Digest)?.aux?.Digest ??
      result.events.map((event) => /^\S+: digest: (sha256:[0-9a-f]{64}) size: \d+$/.exec(event.status ?? '')?.[1]).find(Boolean);
    return { ...result, digest };
  }

  async function pull(reference: string, password: string): Promise<StreamOutcome> {
    return outcome(() => docker.pull(reference, { authconfig: { username: 'ignored', password, serveraddress: info.registry } }));
  }

  function referenceFor(projectId: string, name: string, tag = 'v1'): string {
    return `${info.registry}/${projectId}/${name}-${runId}:${tag}`;
  }

  /** Polls the sandbox until the repository lists `tag` with `digest` (the registry notifies asynchronously). */
  async function waitForCommit(repositoryName: string, tag: string, digest: string, token: string): Promise<DockerCommit> {
    const deadline = Date.now() + NOTIFICATION_TIMEOUT_MS;
    let seen = 'repository not found';
    for (;;) {
      const entity = await synapse<{ id: string }>(
        'GET',
        `/entity/dockerRepo/id?repositoryName=${encodeURIComponent(repositoryName)}`,
        token,
      );
      if (entity) {
        const page = await synapse<{ results: DockerCommit[] }>('GET', `/entity/${entity.id}/dockerTag?limit=50`, token);
        const commit = page?.results.find((candidate) => candidate.tag === tag);
        if (commit?.digest === digest) return commit;
        seen = `tags ${JSON.stringify(page?.results)}`;
      }
      if (Date.now() > deadline)
        assert.fail(`${repositoryName}:${tag} did not show digest ${digest} within ${NOTIFICATION_TIMEOUT_MS} ms (${seen})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function assertRefused(result: StreamOutcome, what: string): void {
    assert.ok(result.error, `${what} should have been refused, but succeeded`);
    assert.match(result.error, /denied|unauthorized|authentication required|insufficient/i, `${what}: unexpected error ${result.error}`);
  }

  // One image pushed by alice, shared by the tests that need an existing repository.
  let pushed: Promise<{ reference: string; repositoryName: string; digest: string }> | undefined;
  function pushedImage(): Promise<{ reference: string; repositoryName: string; digest: string }> {
    pushed ??= (async () => {
      const reference = referenceFor(editable.id, 'flow');
      await buildImage(reference);
      const result = await push(reference, user('alice').token, 'alice');
      assert.equal(result.error, undefined, `alice's push of ${reference} failed: ${result.error}`);
      assert.match(
        result.digest ?? '',
        /^sha256:[0-9a-f]{64}$/,
        'the push stream carries the manifest digest (aux, or the "digest: … size:" status line)',
      );
      return { reference, repositoryName: splitReference(reference).repository, digest: result.digest as string };
    })();
    return pushed;
  }

  // ---- tests ----------------------------------------------------------------------------------

  it('a certified editor (alice) pushes, and the sandbox lists the tag with the pushed digest', async () => {
    const image = await pushedImage();
    const commit = await waitForCommit(image.repositoryName, 'v1', image.digest, user('alice').token);
    assert.ok(!Number.isNaN(Date.parse(commit.createdOn)), `createdOn is a date: ${commit.createdOn}`);
  });

  it('pushing the same tag again with new content updates the listed digest', async () => {
    const first = await pushedImage();
    await waitForCommit(first.repositoryName, 'v1', first.digest, user('alice').token);
    await buildImage(first.reference); // same name and tag, new payload
    const again = await push(first.reference, user('alice').token, 'alice');
    assert.equal(again.error, undefined, `second push failed: ${again.error}`);
    assert.ok(again.digest && again.digest !== first.digest, `a new digest (${again.digest}) differs from the first (${first.digest})`);
    await waitForCommit(first.repositoryName, 'v1', again.digest, user('alice').token);
    pushed = Promise.resolve({ ...first, digest: again.digest });
  });

  it('bob (READ + DOWNLOAD) pulls the pushed image and gets the same digest', async () => {
    const image = await pushedImage();
    await waitForCommit(image.repositoryName, 'v1', image.digest, user('alice').token);
    await docker
      .getImage(image.reference)
      .remove({ force: true })
      .catch(() => undefined); // pull for real
    const result = await pull(image.reference, user('bob').token);
    assert.equal(result.error, undefined, `bob's pull failed: ${result.error}`);
    await rememberImage(image.reference);
    const inspected = await docker.getImage(image.reference).inspect();
    assert.ok(
      inspected.RepoDigests.includes(`${image.repositoryName}@${image.digest}`),
      `pulled image digests ${JSON.stringify(inspected.RepoDigests)} include ${image.digest}`,
    );
  });

  it('a pull with a token without the download scope is refused', async () => {
    const image = await pushedImage();
    await waitForCommit(image.repositoryName, 'v1', image.digest, user('alice').token);
    assertRefused(await pull(image.reference, await tokenWithScopes('bob', ['view', 'modify'])), 'pull without download');
  });

  it('an uncertified user (carol) cannot push', async () => {
    const reference = referenceFor(editable.id, 'carol');
    await buildImage(reference);
    assertRefused(await push(reference, user('carol').token, 'carol'), "carol's push");
  });

  it('a token without the modify scope cannot push, even for alice', async () => {
    const reference = referenceFor(editable.id, 'nomodify');
    await buildImage(reference);
    assertRefused(await push(reference, await tokenWithScopes('alice', ['view', 'download']), 'alice'), 'push without modify');
  });

  it('a reader (dave, READ only) cannot push', async () => {
    const reference = referenceFor(editable.id, 'dave');
    await buildImage(reference);
    assertRefused(await push(reference, user('dave').token, 'dave'), "dave's push");
  });

  it('a folder id as first path segment is refused', async () => {
    const children = await synapse<{ page: Array<{ id: string; name: string }> }>('POST', '/entity/children', user('alice').token, {
      parentId: editable.id,
      includeTypes: ['folder'],
    });
    let folder = children?.page[0];
    if (!folder) {
      // The chosen project has no folder: any folder alice can see in another project will do.
      for (const project of info.projects.filter((candidate) => !candidate.inTrash && has(candidate, 'alice', 'CREATE'))) {
        const found = await synapse<{ page: Array<{ id: string; name: string }> }>('POST', '/entity/children', user('alice').token, {
          parentId: project.id,
          includeTypes: ['folder'],
        });
        folder = found?.page[0];
        if (folder) break;
      }
    }
    assert.ok(folder, 'the seed has a folder in a project alice can edit');
    const reference = referenceFor(folder.id, 'infolder');
    await buildImage(reference);
    assertRefused(await push(reference, user('alice').token, 'alice'), 'push under a folder id');
  });

  it('a project in the trash is refused', async () => {
    const state = await admin<{ projects: SandboxProject[] }>('GET', '/__admin/state');
    let trashed = state.projects.find((project) => project.inTrash && has(project, 'alice', 'CREATE'));
    let restore: string | undefined;
    if (!trashed) {
      // No trashed project in the seed: trash one alice can edit for this test only.
      trashed =
        state.projects.find((project) => !project.inTrash && project.id !== editable.id && has(project, 'alice', 'CREATE')) ?? editable;
      await admin('POST', '/__admin/trash', { id: trashed.id });
      restore = trashed.id;
    }
    try {
      const reference = referenceFor(trashed.id, 'trashed');
      await buildImage(reference);
      assertRefused(await push(reference, user('alice').token, 'alice'), `push into trashed project ${trashed.id}`);
    } finally {
      if (restore) await admin('POST', '/__admin/restore', { id: restore });
    }
  });
});
