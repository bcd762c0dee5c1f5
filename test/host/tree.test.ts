// The projects tree in a real extension host, walked through the registered provider that
// activate() exposes (exports.tree), with alice signed in against the sandbox. Every command runs
// through vscode.commands.executeCommand, as the view's menus run it.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, the path of .synapse-sandbox/sandbox.json.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import type { ProjectNode, RepositoryNode, TagNode, TreeNode } from '../../src/core/tree/nodes';
import {
  readSandbox,
  runCommand,
  sandboxUser,
  waitFor,
  type RestTag,
  type SandboxInfo,
  type SandboxUser,
  type StatsRequest,
  EXTENSION_ID,
  labelOf,
  descriptionOf,
  projects,
  repositories,
  tags,
  loadMores,
  messages,
} from './helpers';

describe('Projects tree: projects → repositories → tags (alice, registered provider)', function () {
  this.timeout(60_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;
  let alice: SandboxUser;

  /** The sandbox answered directly (not through the extension), as the reference for what the tree must show. */
  async function sandboxTags(repositoryId: string): Promise<RestTag[]> {
    const url = `${sandbox.synapseEndpoint}/repo/v1/entity/${repositoryId}/dockerTag?limit=50&offset=0&sort=CREATED_ON&ascending=false`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${alice.token}` } });
    assert.equal(response.status, 200, `GET ${url}`);
    return ((await response.json()) as { results: RestTag[] }).results;
  }

  /** Requests alice made to `path` since `since` (the sandbox records every /repo/v1 request). */
  async function requestsSince(since: number, path: string): Promise<StatsRequest[]> {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/stats`);
    assert.equal(response.status, 200, 'GET /__admin/stats');
    const { requests } = (await response.json()) as { requests: StatsRequest[] };
    return requests.filter((r) => r.startedAt >= since && r.path === path && r.userId === alice.ownerId);
  }

  async function root(): Promise<TreeNode[]> {
    return api.tree.getChildren();
  }

  /** The root's projects, loading every page (as clicking "Load more…" until it is gone). */
  async function allProjects(): Promise<ProjectNode[]> {
    for (let i = 0; i < 10; i++) {
      const nodes = await root();
      const more = loadMores(nodes)[0];
      if (!more) return projects(nodes);
      await runCommand('synapseDocker.loadMore', [more]);
    }
    throw new Error('"Load more…" never went away at the root');
  }

  async function project(id: string): Promise<ProjectNode> {
    const found = (await allProjects()).find((p) => p.project.id === id);
    assert.ok(found, `no project ${id} at the root`);
    return found;
  }

  /** A container's children with every page loaded (others' pushes may add repositories to the sandbox). */
  async function allChildren(node: ProjectNode | RepositoryNode): Promise<TreeNode[]> {
    for (let i = 0; i < 20; i++) {
      const nodes = await api.tree.getChildren(node);
      const more = loadMores(nodes)[0];
      if (!more) return nodes;
      await runCommand('synapseDocker.loadMore', [more]);
    }
    throw new Error(`"Load more…" never went away under ${node.id}`);
  }

  async function repository(projectId: string, label: string): Promise<RepositoryNode> {
    const children = repositories(await allChildren(await project(projectId)));
    const found = children.find((r) => labelOf(api.tree.getTreeItem(r)) === label);
    assert.ok(found, `no repository "${label}" under ${projectId}: ${children.map((r) => r.label).join(', ')}`);
    return found;
  }

  async function tag(projectId: string, repositoryLabel: string, name: string): Promise<TagNode> {
    const children = tags(await api.tree.getChildren(await repository(projectId, repositoryLabel)));
    const found = children.find((t) => t.commit.tag === name);
    assert.ok(found, `no tag ${name} under ${repositoryLabel}: ${children.map((t) => t.commit.tag).join(', ')}`);
    return found;
  }

  async function unpinEverything(): Promise<void> {
    for (const pinned of projects(await root()).filter((p) => p.pinned)) await runCommand('synapseDocker.removeProject', [pinned]);
  }

  before(async () => {
    sandbox = readSandbox();
    alice = sandboxUser(sandbox, 'alice');
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    assert.equal(typeof api?.tree?.getChildren, 'function', 'activate() must return tree.getChildren()');
    if (api.currentUser()) await runCommand('synapseDocker.signOut');
    const signedIn = await runCommand<boolean>('synapseDocker.signIn', [alice.token]);
    assert.equal(signedIn, true, "signIn with alice's token must succeed");
    await waitFor('currentUser() to be alice', () => api.currentUser()?.userName === 'alice');
  });

  after(async () => {
    // Leave the host as found: no filter, no pins, signed out.
    if (!api) return;
    await runCommand('synapseDocker.clearFilter').catch(() => undefined);
    if (api.currentUser()) await unpinEverything().catch(() => undefined);
    await runCommand('synapseDocker.signOut').catch(() => undefined);
    await waitFor('signed out', () => api.currentUser() === undefined).catch(() => undefined);
  });

  it('shows nothing while signed out, and alice’s projects once she signs in', async () => {
    await runCommand('synapseDocker.signOut');
    await waitFor('signed out', () => api.currentUser() === undefined);
    assert.deepEqual(projects(await root()), [], 'no project may be listed while signed out');
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [alice.token]), true);
    await waitFor('currentUser() to be alice', () => api.currentUser()?.userName === 'alice');
    const nodes = projects(await root());
    assert.ok(nodes.length > 0, 'no projects at the root after sign-in');
    assert.equal(nodes[0].project.id, 'syn1000001');
  });

  it('shows the first 50 projects then "Load more…", which loads the other 7', async () => {
    await runCommand('synapseDocker.refresh'); // back to the first page, whatever ran before
    const first = await root();
    const firstProjects = projects(first);
    assert.equal(firstProjects.length, 50, `first page: ${firstProjects.length} projects`);
    assert.deepEqual(
      firstProjects.slice(0, 3).map((p) => p.project.name),
      ['Alice Main Project', 'Aligners Team Project', 'Alice Lab 55'],
      'order: most recently active first',
    );
    const more = loadMores(first);
    assert.equal(more.length, 1, 'exactly one "Load more…" at the root');
    assert.equal(first.at(-1), more[0], '"Load more…" comes last');
    const moreItem = api.tree.getTreeItem(more[0]);
    assert.equal(labelOf(moreItem), 'Load more…');
    assert.equal(moreItem.command?.command, 'synapseDocker.loadMore');
    assert.equal(moreItem.collapsibleState, vscode.TreeItemCollapsibleState.None);

    await runCommand('synapseDocker.loadMore', moreItem.command?.arguments ?? []);
    const all = await root();
    const allIds = projects(all).map((p) => p.project.id);
    assert.equal(allIds.length, 57, `after "Load more…": ${allIds.length} projects`);
    assert.equal(new Set(allIds).size, 57, 'a project is listed twice');
    assert.deepEqual(loadMores(all), [], 'no "Load more…" once everything is loaded');
    assert.deepEqual(
      allIds.slice(0, 50),
      firstProjects.map((p) => p.project.id),
      'the first page keeps its place',
    );
    assert.equal(allIds.at(-1), 'syn1001001', 'Alice Lab 01 (oldest) comes last');
    assert.ok(!allIds.includes('syn1000002'), 'the trashed project must not be listed');
    assert.ok(!allIds.includes('syn1000003'), 'a public project alice is not a member of must not be listed');
  });

  it('labels a project with its name and describes it with its synID', async () => {
    const main = await project('syn1000001');
    const item = api.tree.getTreeItem(main);
    assert.equal(labelOf(item), 'Alice Main Project');
    assert.equal(item.description, 'syn1000001');
    assert.equal(item.contextValue, 'synapse:project');
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const lab = api.tree.getTreeItem(await project('syn1001007'));
    assert.equal(labelOf(lab), 'Alice Lab 07');
    assert.equal(lab.description, 'syn1001007');
  });

  it('lists syn1000001’s repositories: managed as syn1000001/<name> "pushed …", the external one by name "external · …"', async () => {
    const children = await allChildren(await project('syn1000001'));
    assert.deepEqual(
      messages(children).map((m) => m.text),
      [],
      'no message under a project with repositories',
    );
    const items = new Map(repositories(children).map((r) => [labelOf(api.tree.getTreeItem(r)), api.tree.getTreeItem(r)]));
    for (const label of ['syn1000001/aligner', 'syn1000001/variant-caller', 'syn1000001/restricted-tool', 'syn1000001/tools/samtools']) {
      const item = items.get(label);
      assert.ok(item, `no repository labelled "${label}"; labels: ${[...items.keys()].join(', ')}`);
      // A repository expanded before also says what alice may do with it (pull · push · share).
      assert.match(descriptionOf(item), /^(?:pull · push · share · )?pushed \S/, `description of ${label}`);
      assert.equal(item.contextValue, 'synapse:repository+managed', `contextValue of ${label}`);
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    }
    const external = items.get('BLAST (BioContainers)');
    assert.ok(external, `the external repository is not labelled by its name; labels: ${[...items.keys()].join(', ')}`);
    assert.equal(external.description, 'external · quay.io/biocontainers/blast');
    assert.equal(external.contextValue, 'synapse:repository+external');
    assert.ok(!items.has('syn1000001/retired-tool'), 'the trashed repository must not be listed');
    assert.ok(
      [...items.keys()].every((label) => !label.startsWith(sandbox.registry)),
      'managed repositories are labelled without the registry host',
    );
  });

  it('lists aligner’s tags, newest first, with the 12-character short digest', async () => {
    const expected = await sandboxTags('syn1000101');
    assert.ok(expected.length >= 4, 'the sandbox lists aligner’s seeded tags');
    const children = await api.tree.getChildren(await repository('syn1000001', 'syn1000001/aligner'));
    const tagNodes = tags(children);
    assert.deepEqual(
      tagNodes.map((t) => labelOf(api.tree.getTreeItem(t))),
      expected.map((t) => t.tag),
      'tag labels, in the order Synapse gives (newest push first)',
    );
    for (const name of ['latest', 'v2.0', 'v1.1', 'v1.0'])
      assert.ok(
        tagNodes.some((t) => t.commit.tag === name),
        `seeded tag ${name} missing`,
      );
    for (const [i, node] of tagNodes.entries()) {
      const item = api.tree.getTreeItem(node);
      const short = expected[i].digest.replace(/^sha256:/, '').slice(0, 12);
      assert.match(short, /^[0-9a-f]{12}$/);
      assert.ok(descriptionOf(item).includes(short), `${node.commit.tag}: "${descriptionOf(item)}" lacks ${short}`);
      assert.ok(!descriptionOf(item).includes(expected[i].digest), 'the description shows the short digest, not the whole one');
      assert.match(String(item.contextValue), /^synapse:tag(\+local)?$/);
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.None);
    }
    assert.deepEqual(loadMores(children), [], 'four tags fit on one page');
  });

  it('pages variant-caller’s 30 tags: 20, then "Load more…" brings the other 10', async () => {
    const node = await repository('syn1000001', 'syn1000001/variant-caller');
    await runCommand('synapseDocker.refresh', [node]);
    const first = await api.tree.getChildren(node);
    assert.equal(tags(first).length, 20);
    assert.equal(loadMores(first).length, 1);
    await runCommand('synapseDocker.loadMore', [loadMores(first)[0]]);
    const all = await api.tree.getChildren(node);
    const names = tags(all).map((t) => t.commit.tag);
    assert.equal(names.length, 30);
    assert.equal(new Set(names).size, 30);
    assert.deepEqual(
      [...names].sort(),
      Array.from({ length: 30 }, (_, i) => `build-${String(i + 1).padStart(2, '0')}`),
    );
    assert.deepEqual(loadMores(all), []);
  });

  describe('copy actions on a tag', () => {
    let v11: TagNode;
    let digest: string;

    before(async () => {
      v11 = await tag('syn1000001', 'syn1000001/aligner', 'v1.1');
      const fromSandbox = (await sandboxTags('syn1000101')).find((t) => t.tag === 'v1.1');
      assert.ok(fromSandbox, 'the sandbox has no aligner:v1.1');
      digest = fromSandbox.digest;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    });

    const cases: Array<[string, (registry: string, digest: string) => string]> = [
      ['synapseDocker.copyImageReference', (registry) => `${registry}/syn1000001/aligner:v1.1`],
      ['synapseDocker.copyDigestReference', (registry, d) => `${registry}/syn1000001/aligner@${d}`],
      ['synapseDocker.copyPullCommand', (registry, d) => `docker pull ${registry}/syn1000001/aligner@${d}`],
    ];
    for (const [command, expected] of cases) {
      it(`${command} puts exactly the reference on the clipboard`, async () => {
        await vscode.env.clipboard.writeText('(clipboard before the copy)');
        await runCommand(command, [v11]);
        assert.equal(await vscode.env.clipboard.readText(), expected(sandbox.registry, digest));
      });
    }

    it('copies nothing when not given a tag', async () => {
      await vscode.env.clipboard.writeText('(untouched)');
      await runCommand('synapseDocker.copyDigestReference', [await project('syn1000001')]);
      await runCommand('synapseDocker.copyImageReference');
      assert.equal(await vscode.env.clipboard.readText(), '(untouched)');
    });
  });

  describe('filter', () => {
    afterEach(async () => {
      await runCommand('synapseDocker.clearFilter');
    });

    it('filterProjects with a text narrows the root by name or synID; clearFilter restores it', async () => {
      const before = (await allProjects()).map((p) => p.project.id);
      assert.equal(before.length, 57);

      await runCommand('synapseDocker.filterProjects', ['lab 0']);
      const labs = projects(await root()).map((p) => p.project.name);
      assert.deepEqual(
        labs,
        Array.from({ length: 9 }, (_, i) => `Alice Lab 0${9 - i}`),
        'case-insensitive name match, order kept',
      );

      await runCommand('synapseDocker.filterProjects', ['syn1000004']);
      assert.deepEqual(
        projects(await root()).map((p) => p.project.name),
        ['Aligners Team Project'],
        'match by synID',
      );

      await runCommand('synapseDocker.clearFilter');
      assert.deepEqual(
        projects(await root()).map((p) => p.project.id),
        before,
        'clearFilter shows every loaded project again',
      );
    });

    it('says so, with a Clear action, when nothing matches', async () => {
      await runCommand('synapseDocker.filterProjects', ['no project is called this']);
      const nodes = await root();
      assert.deepEqual(projects(nodes), []);
      const [message] = messages(nodes).filter((m) => m.id !== 'msg:docker');
      assert.ok(message, 'expected a message node when the filter matches nothing');
      assert.match(message.text, /No loaded project matches "no project is called this"/);
      assert.equal(api.tree.getTreeItem(message).command?.command, 'synapseDocker.clearFilter');
      await runCommand('synapseDocker.filterProjects', ['']);
      assert.equal(projects(await root()).length, 57, 'an empty filter text clears the filter');
    });
  });

  describe('pinned projects', () => {
    afterEach(async () => {
      await unpinEverything();
    });

    async function expectPublicProjectPinned(): Promise<ProjectNode> {
      const nodes = projects(await root());
      const first = nodes[0];
      assert.equal(
        first?.project.id,
        'syn1000003',
        `the pinned project comes first; root starts ${nodes
          .slice(0, 3)
          .map((p) => p.project.id)
          .join(', ')}`,
      );
      assert.equal(nodes.filter((p) => p.project.id === 'syn1000003').length, 1, 'listed once');
      const item = api.tree.getTreeItem(first);
      assert.equal(labelOf(item), 'Public Reference Data');
      // Once expanded it also says what alice may do there: pull (all signed-in users may download).
      assert.match(String(item.description), /^syn1000003(?: · pull)?$/);
      assert.equal(item.contextValue, 'synapse:project+pinned');
      return first;
    }

    it('addProject syn1000003 pins the public project on top; expanding it works; removeProject unpins it', async () => {
      assert.equal(
        projects(await root()).some((p) => p.project.id === 'syn1000003'),
        false,
        'not listed before pinning',
      );
      const added = await runCommand<string | undefined>('synapseDocker.addProject', ['syn1000003']);
      assert.equal(added, 'syn1000003');
      const pinned = await expectPublicProjectPinned();
      const repos = repositories(await api.tree.getChildren(pinned)).map((r) => labelOf(api.tree.getTreeItem(r)));
      assert.ok(repos.includes('syn1000003/reference-tool'), `repositories of the pinned project: ${repos.join(', ')}`);

      await runCommand('synapseDocker.removeProject', [pinned]);
      const after = projects(await root());
      assert.ok(!after.some((p) => p.project.id === 'syn1000003'), 'removeProject must unpin it');
      assert.ok(!after.some((p) => p.pinned), 'nothing stays pinned');
      assert.equal(after[0]?.project.id, 'syn1000001', 'the normal order is back');
    });

    it('addProject accepts a Synapse URL (…/Synapse:syn1000003)', async () => {
      const url = `${sandbox.portalUrl}/Synapse:syn1000003`;
      assert.match(url, /^http:\/\/.+\/Synapse:syn1000003$/);
      const added = await runCommand<string | undefined>('synapseDocker.addProject', [url]);
      assert.equal(added, 'syn1000003');
      await expectPublicProjectPinned();
    });

    it('addProject refuses a folder (syn1000104) and pins nothing', async () => {
      const before = projects(await root()).map((p) => p.project.id);
      const added = await runCommand<string | undefined>('synapseDocker.addProject', ['syn1000104']);
      assert.equal(added, undefined, 'a folder must not be added');
      const after = projects(await root());
      assert.deepEqual(
        after.filter((p) => p.pinned).map((p) => p.project.id),
        [],
        'nothing pinned',
      );
      assert.deepEqual(
        after.map((p) => p.project.id),
        before,
        'the root is unchanged',
      );
    });
  });

  describe('refresh', () => {
    it('refresh with a repository node reloads that node only', async () => {
      const aligner = await repository('syn1000001', 'syn1000001/aligner');
      const variantCaller = await repository('syn1000001', 'syn1000001/variant-caller');
      const alignerTags = tags(await api.tree.getChildren(aligner));
      const variantTags = tags(await api.tree.getChildren(variantCaller));
      // Without a refresh the loaded page is reused: the same commit objects come back.
      assert.equal(tags(await api.tree.getChildren(aligner))[0].commit, alignerTags[0].commit, 'expanding again must not reload');

      const since = Date.now();
      await runCommand('synapseDocker.refresh', [aligner]);
      const reloaded = tags(await api.tree.getChildren(aligner));
      assert.notEqual(reloaded[0].commit, alignerTags[0].commit, 'after refresh the tags must be loaded again');
      assert.deepEqual(
        reloaded.map((t) => t.commit),
        alignerTags.map((t) => t.commit),
        'same tags after the reload',
      );
      const requests = await waitFor('a new GET .../syn1000101/dockerTag', async () => {
        const found = await requestsSince(since, '/repo/v1/entity/syn1000101/dockerTag');
        return found.length > 0 ? found : undefined;
      });
      assert.ok(requests.every((r) => r.status === 200));
      assert.equal(tags(await api.tree.getChildren(variantCaller))[0].commit, variantTags[0].commit, 'a sibling must keep what it loaded');
    });

    it('refresh with a project node reloads its repositories (and their tags)', async () => {
      const main = await project('syn1000001');
      const aligner = await repository('syn1000001', 'syn1000001/aligner');
      const alignerTags = tags(await api.tree.getChildren(aligner));
      const since = Date.now();
      await runCommand('synapseDocker.refresh', [main]);
      const reloaded = repositories(await allChildren(main));
      const children = await waitFor('a new POST /entity/children', async () => {
        const found = await requestsSince(since, '/repo/v1/entity/children');
        return found.length > 0 ? found : undefined;
      });
      assert.ok(children.length >= 1);
      const alignerAgain = reloaded.find((r) => r.label === 'syn1000001/aligner');
      assert.ok(alignerAgain, 'aligner is listed again after the refresh');
      assert.notEqual(
        tags(await api.tree.getChildren(alignerAgain))[0].commit,
        alignerTags[0].commit,
        'tags under a refreshed project are reloaded',
      );
      // The root was not refreshed: its listing stays fully loaded.
      assert.equal(projects(await root()).length, 57);
    });
  });
});
