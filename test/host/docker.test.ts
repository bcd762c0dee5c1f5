// Push and pull through the extension's commands in a real extension host, against the stack's
// real Docker engine (DOCKER_HOST, passed to the host by the runner), its real registry and the
// Synapse sandbox. Images are built here with dockerode, pushed and pulled with
// executeCommand('synapseDocker.pushImage' / 'pullImage', …), and the outcome is checked three ways:
// in the sandbox's REST API, in the extension's registered tree (exports.tree), and in the text of
// the notifications the user would read (vscode.window.show*Message, wrapped for the duration of
// a step and always restored).
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, DOCKER_HOST.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import type { ProjectNode, RepositoryNode, TagNode, TreeNode } from '../../src/core/tree/nodes';
import {
  readSandbox,
  runCommand,
  sandboxUser,
  sleep,
  waitFor,
  type RestTag,
  type SandboxInfo,
  type StatsRequest,
  EXTENSION_ID,
  projects,
  repositories,
  tags,
  loadMores,
} from './helpers';

const BASE_IMAGE = 'local/busybox:1';
const PROJECT = 'syn1000001'; // Alice Main Project: alice ADMIN, bob READ+DOWNLOAD, carol uncertified, dave READ
const FOLDER = 'syn1000104'; // the folder "Data" inside it
const ANONYMOUS = '273950';
const TOKEN_SERVER = '/docker/v1/bearerToken';
/** How long a command may take (a push or a pull goes through the real engine and registry). */
const COMMAND_TIMEOUT_MS = 60_000;
/** How long to wait for the extension's state to follow. */
const WAIT_MS = 15_000;

/** A notification the extension showed while a step ran. */
interface Shown {
  kind: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
}

type MessageFunction = (message: string, ...rest: unknown[]) => Thenable<unknown>;
const NOTIFIERS = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;

/**
 * Runs `step` while vscode.window's show*Message functions record what they are asked to show.
 * The notification is still shown (the original is called), but the call answers at once as if
 * the user had closed it, so a command waiting on the user's choice finishes. Restored in finally.
 */
async function withNotifications<T>(step: (shown: Shown[]) => Promise<T>): Promise<{ result: T; shown: Shown[] }> {
  const window = vscode.window as unknown as Record<string, MessageFunction>;
  const originals = Object.fromEntries(Object.values(NOTIFIERS).map((name) => [name, window[name]])) as Record<string, MessageFunction>;
  const shown: Shown[] = [];
  try {
    for (const [kind, name] of Object.entries(NOTIFIERS) as [Shown['kind'], string][]) {
      const original = originals[name];
      window[name] = (message: string, ...rest: unknown[]) => {
        const items = rest
          .map((item) => (typeof item === 'string' ? item : (item as { title?: unknown })?.title))
          .filter((item): item is string => typeof item === 'string');
        shown.push({ kind, message, items });
        void Promise.resolve(original.call(vscode.window, message, ...rest)).then(undefined, () => undefined);
        return Promise.resolve(undefined);
      };
    }
    assert.notEqual(window.showErrorMessage, originals.showErrorMessage, 'could not wrap vscode.window.showErrorMessage');
    const result = await step(shown);
    return { result, shown };
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
    await vscode.commands.executeCommand('notifications.clearAll');
  }
}

function describeShown(shown: Shown[]): string {
  return shown.length ? shown.map((s) => `[${s.kind}] ${s.message}`).join('\n') : '(no notification)';
}

describe('Docker push and pull through the extension (real engine, registry and sandbox)', function () {
  this.timeout(120_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;
  let docker: Docker;
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  const imageIds = new Set<string>();
  const tempDirs: string[] = [];
  /** The repository pushed by the first tests (reused by the pull test). */
  let repositoryName = '';
  let reference = '';
  let lastDigest = '';

  const user = (userName: string) => sandboxUser(sandbox, userName);
  const imageName = (projectId: string, name: string, tag: string) => `${sandbox.registry}/${projectId}/${name}:${tag}`;

  /** Builds FROM the stack's base image with a file whose content is unique, so the digest is new; returns the image id. */
  async function buildImage(tagged: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-host-build-'));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`);
    fs.writeFileSync(path.join(dir, 'id.txt'), `${tagged} ${crypto.randomBytes(12).toString('hex')}\n`);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: tagged, rm: true, forcerm: true });
    const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => (error ? reject(error) : resolve(output as never))),
    );
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) throw new Error(`docker build of ${tagged} failed: ${failed.error ?? failed.errorDetail?.message}`);
    const id = (await docker.getImage(tagged).inspect()).Id;
    imageIds.add(id);
    return id;
  }

  async function tagAs(source: string, target: string): Promise<void> {
    const colon = target.lastIndexOf(':');
    await docker.getImage(source).tag({ repo: target.slice(0, colon), tag: target.slice(colon + 1) });
  }

  async function signInAs(userName: string): Promise<number> {
    const started = Date.now();
    if (api.currentUser()?.userName === userName) return started;
    if (api.currentUser()) await runCommand('synapseDocker.signOut', [], COMMAND_TIMEOUT_MS);
    const ok = await runCommand<boolean>('synapseDocker.signIn', [user(userName).token], 20_000);
    assert.equal(ok, true, `signing in as ${userName} failed`);
    await waitFor(`currentUser() to be ${userName}`, () => api.currentUser()?.userName === userName, WAIT_MS);
    return started;
  }

  async function stats(): Promise<StatsRequest[]> {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/stats`);
    assert.equal(response.status, 200, 'GET /__admin/stats');
    return ((await response.json()) as { requests: StatsRequest[] }).requests;
  }

  /** Requests to the registry's token server since `since`, by the user, unauthenticated or anonymous. */
  async function tokenRequestsSince(since: number, userName: string): Promise<StatsRequest[]> {
    const ownerId = user(userName).ownerId;
    return (await stats()).filter(
      (r) => r.path === TOKEN_SERVER && r.startedAt >= since && (r.userId === ownerId || r.userId === null || r.userId === ANONYMOUS),
    );
  }

  /**
   * Sign-in checks the token with the registry (the engine's login asks the token server). That
   * is not a push; wait until it is over so it does not count as "contacting the registry".
   */
  async function registryLoginSettled(userName: string, since: number): Promise<number> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const requests = (await tokenRequestsSince(since, userName)).filter((r) => r.userId === user(userName).ownerId);
      if (requests.length > 0 && requests.every((r) => r.endedAt !== null)) break;
      await sleep(100);
    }
    await sleep(500);
    return Date.now();
  }

  /** What the sandbox itself lists (as alice): the repository id, and its tags. */
  async function sandboxRepository(name: string): Promise<{ id: string; tags: RestTag[] } | undefined> {
    const headers = { Authorization: `Bearer ${user('alice').token}` };
    const found = await fetch(`${sandbox.synapseEndpoint}/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(name)}`, {
      headers,
    });
    if (found.status === 404) return undefined;
    assert.equal(found.status, 200, `GET dockerRepo/id?repositoryName=${name}`);
    const { id } = (await found.json()) as { id: string };
    const listed = await fetch(`${sandbox.synapseEndpoint}/repo/v1/entity/${id}/dockerTag?limit=50&offset=0`, { headers });
    assert.equal(listed.status, 200, `GET /entity/${id}/dockerTag`);
    return { id, tags: ((await listed.json()) as { results: RestTag[] }).results };
  }

  /** Every child of a node in the extension's tree, loading further pages as "Load more…" would. */
  async function allChildren(node?: TreeNode): Promise<TreeNode[]> {
    for (let i = 0; i < 20; i++) {
      const children = await api.tree.getChildren(node);
      const more = loadMores(children)[0];
      if (!more) return children;
      await runCommand('synapseDocker.loadMore', [more], 20_000);
    }
    throw new Error(`"Load more…" never went away under ${node?.id ?? 'the root'}`);
  }

  async function treeProject(id: string): Promise<ProjectNode> {
    const found = projects(await allChildren()).find((p) => p.project.id === id);
    assert.ok(found, `the tree shows no project ${id}`);
    return found;
  }

  async function treeRepository(name: string): Promise<RepositoryNode | undefined> {
    return repositories(await allChildren(await treeProject(PROJECT))).find((r) => r.repository.repositoryName === name);
  }

  async function treeTag(name: string, tag: string): Promise<TagNode | undefined> {
    const repository = await treeRepository(name);
    return repository ? tags(await allChildren(repository)).find((t) => t.commit.tag === tag) : undefined;
  }

  /** Pushes `target` with the command and expects a refusal by preflight that never reaches the registry. */
  async function expectRefusedPush(userName: string, target: string, expected: RegExp): Promise<string> {
    const signedInAt = await signInAs(userName);
    const since = await registryLoginSettled(userName, signedInAt);
    const { result, shown } = await withNotifications(() => runCommand<boolean>('synapseDocker.pushImage', [target], COMMAND_TIMEOUT_MS));
    assert.equal(result, false, `the push of ${target} as ${userName} must be refused; notifications:\n${describeShown(shown)}`);
    const errors = shown.filter((s) => s.kind === 'error');
    assert.equal(errors.length, 1, `expected one error notification, got:\n${describeShown(shown)}`);
    assert.match(errors[0].message, expected);
    assert.ok(!shown.some((s) => /^Pushed /.test(s.message)), `nothing may be announced as pushed:\n${describeShown(shown)}`);
    await sleep(500); // anything the engine would have started would have reached the token server by now
    const contacted = await tokenRequestsSince(since, userName);
    assert.deepEqual(
      contacted.map((r) => `${r.method} ${r.path} by ${r.userId} → ${r.status}`),
      [],
      `the registry was contacted (its token server was asked for a token) although preflight refused the push`,
    );
    assert.equal(await sandboxRepository(target.replace(/:[^:/]+$/, '')), undefined, `a refused push must not create ${target}`);
    return errors[0].message;
  }

  before(async function () {
    this.timeout(60_000);
    sandbox = readSandbox();
    const host = process.env.DOCKER_HOST ?? sandbox.dockerHost;
    assert.ok(host, 'DOCKER_HOST is not set in the extension host and sandbox.json has no dockerHost');
    docker = host.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
    await docker.ping();
    await docker
      .getImage(BASE_IMAGE)
      .inspect()
      .catch(() => {
        throw new Error(`the stack's engine (${host}) lacks ${BASE_IMAGE}; run \`node out/test/sandbox/stack.js up\``);
      });
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    assert.equal(typeof api?.tree?.getChildren, 'function', 'activate() must return tree.getChildren');
    repositoryName = `${sandbox.registry}/${PROJECT}/host-test-${runId}`;
    reference = `${repositoryName}:v1`;
  });

  after(async function () {
    this.timeout(60_000);
    if (api?.currentUser()) await runCommand('synapseDocker.signOut', [], COMMAND_TIMEOUT_MS).catch(() => undefined);
    // By id with force: a pushed or pulled image keeps a repo digest that would otherwise hold it.
    for (let pass = 0; pass < 3 && imageIds.size > 0; pass++) {
      for (const id of [...imageIds]) {
        try {
          await docker.getImage(id).remove({ force: true });
          imageIds.delete(id);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) imageIds.delete(id);
        }
      }
    }
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('as alice, pushes an image by reference: the command resolves true and announces the push', async () => {
    await signInAs('alice');
    await buildImage(reference);
    const { result, shown } = await withNotifications(() =>
      runCommand<boolean>('synapseDocker.pushImage', [reference], COMMAND_TIMEOUT_MS),
    );
    assert.equal(result, true, `pushImage(${reference}) must resolve true; notifications:\n${describeShown(shown)}`);
    assert.deepEqual(
      shown.filter((s) => s.kind !== 'info'),
      [],
      'a successful push shows no warning or error',
    );
    const pushed = shown.find((s) => s.message === `Pushed ${reference} to Synapse.`);
    assert.ok(pushed, `expected "Pushed ${reference} to Synapse.", got:\n${describeShown(shown)}`);
    assert.deepEqual(pushed.items, ['Copy Digest Reference', 'Open in Synapse', 'Submit to Challenge…']);
  });

  it('the sandbox lists the new repository and the tag with the digest the registry stored', async () => {
    const listed = await sandboxRepository(repositoryName);
    assert.ok(listed, `Synapse has no repository ${repositoryName}`);
    const tag = listed.tags.find((t) => t.tag === 'v1');
    assert.ok(tag, `Synapse lists no tag v1 in ${repositoryName}: ${JSON.stringify(listed.tags)}`);
    const local = await docker.getImage(reference).inspect();
    assert.ok(
      (local.RepoDigests ?? []).includes(`${repositoryName}@${tag.digest}`),
      `the local image's repo digests ${JSON.stringify(local.RepoDigests)} do not include the digest Synapse lists (${tag.digest})`,
    );
    lastDigest = tag.digest;
  });

  it("the extension's tree shows the repository under the project and the tag with that digest", async () => {
    const repository = await treeRepository(repositoryName);
    assert.ok(repository, `the tree shows no repository ${repositoryName} under ${PROJECT} after the push`);
    assert.equal(repository.label, `${PROJECT}/host-test-${runId}`);
    assert.equal(api.tree.getTreeItem(repository).contextValue, 'synapse:repository+managed');
    const tag = await treeTag(repositoryName, 'v1');
    assert.ok(tag, `the tree shows no tag v1 under ${repositoryName}`);
    assert.equal(tag.commit.digest, lastDigest);
    const item = api.tree.getTreeItem(tag);
    assert.equal(item.label, 'v1');
    assert.match(String(item.description), new RegExp(lastDigest.replace(/^sha256:/, '').slice(0, 12)));
  });

  it('pushing the same tag again with new content moves the tag to the new digest', async () => {
    const previous = lastDigest;
    await buildImage(reference); // same name, new content: the tag now names a new image
    const { result, shown } = await withNotifications(() =>
      runCommand<boolean>('synapseDocker.pushImage', [reference], COMMAND_TIMEOUT_MS),
    );
    assert.equal(result, true, `the second push must resolve true; notifications:\n${describeShown(shown)}`);
    const listed = await sandboxRepository(repositoryName);
    const v1 = listed?.tags.filter((t) => t.tag === 'v1') ?? [];
    assert.equal(v1.length, 1, `Synapse must list tag v1 once: ${JSON.stringify(listed?.tags)}`);
    assert.notEqual(v1[0].digest, previous, 'the tag must point to the new digest');
    const local = await docker.getImage(reference).inspect();
    assert.ok(
      (local.RepoDigests ?? []).includes(`${repositoryName}@${v1[0].digest}`),
      `local repo digests: ${JSON.stringify(local.RepoDigests)}`,
    );
    const tag = await treeTag(repositoryName, 'v1');
    assert.equal(tag?.commit.digest, v1[0].digest, 'the tree must show the new digest after the push');
    lastDigest = v1[0].digest;
  });

  it('as carol (not certified), a push is refused by preflight with the certification message; the registry is never contacted', async () => {
    const target = imageName(PROJECT, `host-test-${runId}-carol`, 'v1');
    await buildImage(target);
    const message = await expectRefusedPush('carol', target, /certified/i);
    assert.match(message, /You are not a certified Synapse user/);
    assert.match(message, /certification quiz/i, 'the refusal must say how to fix it');
  });

  it('as dave (READ only), a push is refused by preflight for lack of create/edit rights; the registry is never contacted', async () => {
    const newTarget = imageName(PROJECT, `host-test-${runId}-dave`, 'v1');
    await buildImage(newTarget);
    const created = await expectRefusedPush('dave', newTarget, /can't create a repository in syn1000001/);
    assert.match(created, /permission to add content to the project/);
    assert.doesNotMatch(created, /certified/i, 'dave is certified: the refusal must not be about certification');
    // An existing repository (the seeded aligner, syn1000101): edit rights, not create rights, are what is missing.
    const aligner = `${sandbox.registry}/${PROJECT}/aligner`;
    const existingTarget = `${aligner}:host-test-${runId}`;
    await tagAs(newTarget, existingTarget);
    const since = Date.now();
    const { result, shown } = await withNotifications(() =>
      runCommand<boolean>('synapseDocker.pushImage', [existingTarget], COMMAND_TIMEOUT_MS),
    );
    assert.equal(result, false, `dave's push to ${aligner} must be refused:\n${describeShown(shown)}`);
    const errors = shown.filter((s) => s.kind === 'error');
    assert.equal(errors.length, 1, `expected one error notification:\n${describeShown(shown)}`);
    const expected = `You can't push to ${aligner} (syn1000101): it exists and you don't have edit access to it. Ask a project admin of syn1000001 for edit access`;
    assert.ok(errors[0].message.startsWith(expected), `expected "${expected}…", got "${errors[0].message}"`);
    await sleep(500);
    assert.deepEqual(await tokenRequestsSince(since, 'dave'), [], 'the registry was contacted although preflight refused the push');
    assert.ok(!(await sandboxRepository(aligner))?.tags.some((t) => t.tag === `host-test-${runId}`), 'a refused push must not add a tag');
  });

  it('as alice, a push into a folder (syn1000104) is refused with "Folder, not a project"', async () => {
    const target = imageName(FOLDER, `host-test-${runId}`, 'v1');
    await buildImage(target);
    const message = await expectRefusedPush('alice', target, /syn1000104 is a Folder, not a project\./);
    assert.match(message, /It is inside syn1000001; use the project's synID instead\./);
  });

  it('two concurrent pushImage commands of two different images both resolve true and both tags appear', async () => {
    await signInAs('alice');
    const targets = [imageName(PROJECT, `host-test-${runId}-a`, 'one'), imageName(PROJECT, `host-test-${runId}-b`, 'two')];
    const ids = await Promise.all(targets.map((t) => buildImage(t)));
    assert.notEqual(ids[0], ids[1], 'the two images must differ');
    const { result, shown } = await withNotifications(() =>
      Promise.all(targets.map((t) => runCommand<boolean>('synapseDocker.pushImage', [t], 90_000))),
    );
    assert.deepEqual(result, [true, true], `both pushes must resolve true; notifications:\n${describeShown(shown)}`);
    for (const target of targets) {
      assert.ok(
        shown.some((s) => s.message === `Pushed ${target} to Synapse.`),
        `no "Pushed ${target}" notification:\n${describeShown(shown)}`,
      );
      const name = target.replace(/:[^:/]+$/, '');
      const tagName = target.slice(target.lastIndexOf(':') + 1);
      const listed = await sandboxRepository(name);
      const tag = listed?.tags.find((t) => t.tag === tagName);
      assert.ok(tag, `Synapse lists no ${target}`);
      const local = await docker.getImage(target).inspect();
      assert.ok(
        (local.RepoDigests ?? []).includes(`${name}@${tag.digest}`),
        `${target}: local repo digests ${JSON.stringify(local.RepoDigests)} vs ${tag.digest}`,
      );
      const node = await treeTag(name, tagName);
      assert.equal(node?.commit.digest, tag.digest, `the tree must show ${target} with its digest`);
    }
  });

  it('as bob (READ+DOWNLOAD), pulls the tag from its tree node; the tag then shows as local (synapse:tag+local)', async () => {
    // Remove the local copy first (by id: the pushed image also carries the other test tags).
    const localId = (await docker.getImage(reference).inspect()).Id;
    await docker.getImage(localId).remove({ force: true });
    await assert.rejects(docker.getImage(reference).inspect(), `${reference} must be gone before the pull`);
    await signInAs('bob');
    const tag = await waitFor(`bob's tree to show ${reference}`, () => treeTag(repositoryName, 'v1'), WAIT_MS);
    assert.equal(tag.commit.digest, lastDigest);
    // Bob's sign-in re-read the local images (without this one), so the tag is not local yet.
    await waitFor('the tag to show as not local before the pull', () => api.tree.getTreeItem(tag).contextValue === 'synapse:tag', WAIT_MS);
    const { result, shown } = await withNotifications(() => runCommand<boolean>('synapseDocker.pullImage', [tag], COMMAND_TIMEOUT_MS));
    assert.equal(result, true, `pullImage(tag node) must resolve true; notifications:\n${describeShown(shown)}`);
    assert.ok(
      shown.some((s) => s.kind === 'info' && s.message === `Pulled ${reference} (${lastDigest}).`),
      `expected "Pulled ${reference} (${lastDigest}).":\n${describeShown(shown)}`,
    );
    const pulled = await docker.getImage(reference).inspect();
    imageIds.add(pulled.Id);
    assert.ok(
      (pulled.RepoDigests ?? []).includes(`${repositoryName}@${lastDigest}`),
      `pulled repo digests: ${JSON.stringify(pulled.RepoDigests)}`,
    );
    assert.equal(api.tree.getTreeItem(tag).contextValue, 'synapse:tag+local');
    assert.match(String(api.tree.getTreeItem(tag).description), /^local · /);
  });
});
