import assert from 'node:assert/strict';
import { RepositoryCache, SynapseClient } from '../../src/core/synapse/client';
import { DockerRepository } from '../../src/core/synapse/types';
import { PinnedProject, ProjectsTreeModel, TreeSettings } from '../../src/core/tree/model';
import { LoadMoreNode, MessageNode, ProjectNode, RepositoryNode, TagNode, TreeNode } from '../../src/core/tree/nodes';
import { RequestStats, TestSandbox, useTestSandbox, TEST_REGISTRY } from './helpers/inProcessSandbox';

const NO_RETRY = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, throttledBaseDelayMs: 1 };

class MapCache implements RepositoryCache {
  readonly entries = new Map<string, { modifiedOn?: string; repository: DockerRepository }>();
  get(id: string, modifiedOn: string | undefined) {
    const entry = this.entries.get(id);
    return entry && entry.modifiedOn === modifiedOn ? entry.repository : undefined;
  }
  set(repository: DockerRepository, modifiedOn: string | undefined) {
    this.entries.set(repository.id, { modifiedOn, repository });
  }
}

describe('projects tree model against the sandbox', () => {
  let env: TestSandbox;
  let signedIn: SynapseClient | undefined;
  let pins: PinnedProject[];
  let settings: TreeSettings;
  let cache: MapCache;
  let model: ProjectsTreeModel;

  const sandbox = useTestSandbox();
  beforeEach(() => {
    env = sandbox();
    signedIn = new SynapseClient({ endpoint: env.url, token: env.token('alice'), retry: NO_RETRY });
    pins = [];
    settings = { projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: TEST_REGISTRY };
    cache = new MapCache();
    model = newModel();
  });

  const newModel = () =>
    new ProjectsTreeModel({ client: async () => signedIn, settings: () => settings, pinnedProjects: () => pins, repositoryCache: cache });
  const requestCount = async () => (await env.admin<RequestStats>('GET', 'stats')).requests.length;
  const projects = (nodes: TreeNode[]) => nodes.filter((n): n is ProjectNode => n.kind === 'project');
  const mainProject = async () => projects(await model.children()).find((p) => p.project.id === 'syn1000001')!;
  const repository = async (path: string) =>
    (await model.children(await mainProject())).find((n): n is RepositoryNode => n.kind === 'repository' && n.label === path)!;

  it('shows nothing while signed out (the welcome view takes over)', async () => {
    signedIn = undefined;
    assert.deepEqual(await model.children(), []);
  });

  it('loads 50 projects with one request and a Load more node, then the rest', async () => {
    const first = await model.children();
    assert.equal(projects(first).length, 50);
    assert.equal(first.at(-1)?.kind, 'loadMore');
    assert.equal(await requestCount(), 1);
    await model.loadMore(first.at(-1) as LoadMoreNode);
    const all = await model.children();
    assert.ok(projects(all).length > 50);
    assert.notEqual(all.at(-1)?.kind, 'loadMore', 'no Load more once the last page is in');
    assert.equal(new Set(projects(all).map((p) => p.id)).size, projects(all).length, 'ids are unique');
  });

  it('sorts projects by name when the setting says so', async () => {
    settings.projectSort = 'PROJECT_NAME';
    const names = projects(await model.children()).map((p) => p.project.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
    );
  });

  it('labels repositories by their path, external ones by their own name, with stable ids', async () => {
    const children = await model.children(await mainProject());
    const repositories = children.filter((n): n is RepositoryNode => n.kind === 'repository');
    const aligner = repositories.find((r) => r.label === 'syn1000001/aligner');
    assert.ok(aligner);
    assert.equal(aligner.id, 'repo:syn1000001/syn1000101');
    assert.equal(aligner.parent.project.id, 'syn1000001');
    const external = repositories.find((r) => !r.repository.isManaged);
    assert.equal(external?.label, 'BLAST (BioContainers)');
  });

  it('pages tags 20 at a time, newest first, and stops on a short page', async () => {
    const variantCaller = await repository('syn1000001/variant-caller');
    const first = await model.children(variantCaller);
    const tags = first.filter((n): n is TagNode => n.kind === 'tag');
    assert.equal(tags.length, 20);
    assert.equal(tags[0].id, `tag:syn1000102:${tags[0].commit.tag}`);
    assert.ok(Date.parse(tags[0].commit.createdOn) >= Date.parse(tags[1].commit.createdOn), 'newest first');
    await model.loadMore(first.at(-1) as LoadMoreNode);
    const all = await model.children(variantCaller);
    assert.equal(all.filter((n) => n.kind === 'tag').length, 30);
    assert.ok(!all.some((n) => n.kind === 'loadMore'));
  });

  it('expanding a project again after a restart costs one request when nothing changed', async () => {
    await model.children(await mainProject());
    model = newModel(); // a new window: the cache survives, the listings do not
    await model.children(); // projects
    await env.admin('POST', 'stats/reset');
    await model.children(await mainProject());
    assert.equal(await requestCount(), 1, 'only the children page; every entity came from the cache');
  });

  it('says so when a project has no repositories, offering to push one', async () => {
    const carolsProject = projects(await model.children()).find((p) => p.project.id === 'syn1000005');
    signedIn = new SynapseClient({ endpoint: env.url, token: env.token('carol'), retry: NO_RETRY });
    model = newModel();
    const node = carolsProject ?? projects(await model.children()).find((p) => p.project.id === 'syn1000005')!;
    const [message] = (await model.children(node)) as MessageNode[];
    assert.equal(message.kind, 'message');
    assert.match(message.text, /No Docker repositories in this project yet/);
    assert.equal(message.action, 'pushHere');
  });

  it('shows pinned projects first, once, even when they are not in GET /projects', async () => {
    pins = [
      { id: 'syn1000003', name: 'Public Reference Data' },
      { id: 'syn1000001', name: 'Alice Main Project' },
    ];
    const nodes = projects(await model.children());
    assert.deepEqual(
      nodes.slice(0, 2).map((n) => [n.project.id, n.pinned]),
      [
        ['syn1000003', true],
        ['syn1000001', true],
      ],
    );
    assert.equal(nodes.filter((n) => n.project.id === 'syn1000001').length, 1);
    const publicRepos = await model.children(nodes[0]);
    assert.ok(publicRepos.length > 0);
  });

  it('filters loaded projects by name or synID, and says when nothing matches', async () => {
    model.setFilter('lab 50');
    const byName = projects(await model.children());
    assert.ok(byName.length >= 1 && byName.every((p) => /lab 50/i.test(p.project.name)));
    model.setFilter('syn1000001');
    assert.deepEqual(
      projects(await model.children()).map((p) => p.project.id),
      ['syn1000001'],
    );
    model.setFilter('no such project');
    const nodes = await model.children();
    assert.equal(projects(nodes).length, 0);
    assert.ok(
      nodes.some((n) => n.kind === 'loadMore'),
      'more pages may still hold a match',
    );
  });

  it('turns 401, 403 and 503 into message nodes with the way out', async () => {
    await env.admin('POST', 'fail', { count: 1, status: 401, pathPrefix: '/repo/v1/projects' });
    const [unauthenticated] = (await model.children()) as MessageNode[];
    assert.equal(unauthenticated.kind, 'message');
    assert.equal(unauthenticated.action, 'signIn');
    assert.match(unauthenticated.text, /Sign in again/);

    model.reset();
    await env.admin('POST', 'fail', { count: 1, status: 503, pathPrefix: '/repo/v1/projects' });
    const [unavailable] = (await model.children()) as MessageNode[];
    assert.equal(unavailable.action, 'retry');
    assert.match(unavailable.text, /Couldn't reach Synapse/);

    model.reset();
    const project = await mainProject();
    await env.admin('POST', 'fail', {
      count: 1,
      status: 403,
      pathPrefix: '/repo/v1/entity/children',
      reason: 'You lack READ access to the requested entity.',
    });
    const [forbidden] = (await model.children(project)) as MessageNode[];
    assert.equal(forbidden.kind, 'message');
    assert.match(forbidden.text, /You don't have access to Alice Main Project \(syn1000001\): You lack READ access/);
    assert.equal(forbidden.parent, project);
  });

  it('reloads only the refreshed node', async () => {
    const project = await mainProject();
    await model.children(project);
    await env.admin('POST', 'stats/reset');
    model.reset(project);
    await model.children(project);
    await model.children();
    const paths = (await env.admin<RequestStats>('GET', 'stats')).requests.map((r) => r.path);
    assert.deepEqual(paths, ['/repo/v1/entity/children'], 'the project list was not fetched again');
  });
});
