// Fault injection against the real sandbox, through the tree model the view shows: bursts of
// 429 and 5xx, dropped and stalled connections, a token revoked while browsing. Each test counts
// the attempts (admin stats), asserts the one message the user sees with its way out, and that the
// same client and model work again once the fault clears (no reload, no new objects).
import assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { PinnedProject, ProjectsTreeModel, TreeSettings } from '../../src/core/tree/model';
import { MessageNode, ProjectNode, RepositoryNode, TagNode, TreeNode } from '../../src/core/tree/nodes';
import { RequestStats, TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

/** 3 retries after the first attempt, with short backoff so the suite stays quick. */
const RETRY = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, throttledBaseDelayMs: 10 };
const PROJECTS = '/repo/v1/projects';
const FREQUENCY_REASON = 'Requests are too frequent. Allowed 600 requests every 60 seconds.';

describe('Synapse faults, as the tree shows them', function () {
  this.timeout(30_000);
  const sandbox = useTestSandbox();
  let client: SynapseClient;
  let model: ProjectsTreeModel;
  let pins: PinnedProject[];
  const settings: TreeSettings = { projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: TEST_REGISTRY };

  const newModel = () => new ProjectsTreeModel({ client: async () => client, settings: () => settings, pinnedProjects: () => pins });
  beforeEach(() => {
    pins = [];
    client = new SynapseClient({ endpoint: sandbox().url, token: sandbox().token('alice'), retry: RETRY });
    model = newModel();
  });

  /** The statuses of the requests to `path`, once the sandbox has seen each one end (a timed-out client closes asynchronously). */
  async function statuses(path: string): Promise<number[]> {
    for (let poll = 0; ; poll++) {
      const requests = (await sandbox().admin<RequestStats>('GET', 'stats')).requests.filter((r) => r.path === path);
      if (requests.every((r) => r.endedAt !== null) || poll === 50) return requests.map((r) => r.status);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const projects = (nodes: TreeNode[]) => nodes.filter((n): n is ProjectNode => n.kind === 'project');
  const messages = (nodes: TreeNode[]) => nodes.filter((n): n is MessageNode => n.kind === 'message');

  /** The same model (and client), after Retry (which resets the node): the listing loads again. */
  async function recovers(): Promise<void> {
    const sameClient = client;
    model.reset();
    const nodes = await model.children();
    assert.equal(
      projects(nodes).length,
      50,
      `after the fault: ${messages(nodes)
        .map((m) => m.text)
        .join('; ')}`,
    );
    assert.equal(client, sameClient, 'no new client was needed');
  }

  it('rides out a short 429 burst with bounded retries: the user sees the projects, nothing else', async () => {
    await sandbox().admin('POST', 'fail', { count: 3, status: 429, pathPrefix: PROJECTS });
    const nodes = await model.children();
    assert.equal(projects(nodes).length, 50);
    assert.deepEqual(messages(nodes), []);
    assert.deepEqual(await statuses(PROJECTS), [429, 429, 429, 200]);
  });

  it('a 429 burst longer than the retries: one message with Retry after 4 attempts, then recovery', async () => {
    await sandbox().admin('POST', 'fail', { count: 50, status: 429, pathPrefix: PROJECTS });
    const nodes = await model.children();
    assert.deepEqual(
      messages(nodes).map((m) => [m.text, m.action]),
      [[`Couldn't reach Synapse (${FREQUENCY_REASON}) — Retry`, 'retry']],
    );
    assert.deepEqual(await statuses(PROJECTS), [429, 429, 429, 429], 'the first attempt and 3 retries, no more');
    await sandbox().admin('POST', 'fail', { count: 0 });
    await recovers();
    assert.deepEqual(await statuses(PROJECTS), [429, 429, 429, 429, 200]);
  });

  it('a 5xx burst: 502s are retried through, a maintenance 503 is shown with Retry, and it recovers', async () => {
    await sandbox().admin('POST', 'fail', { count: 2, status: 502, pathPrefix: PROJECTS });
    assert.equal(projects(await model.children()).length, 50);
    assert.deepEqual(await statuses(PROJECTS), [502, 502, 200]);

    model.reset();
    await sandbox().admin('POST', 'stats/reset');
    await sandbox().admin('POST', 'fail', { count: 50, status: 503, pathPrefix: PROJECTS });
    const nodes = await model.children();
    assert.deepEqual(
      messages(nodes).map((m) => [m.text, m.action]),
      [["Couldn't reach Synapse (Synapse is down for maintenance.) — Retry", 'retry']],
    );
    assert.deepEqual(await statuses(PROJECTS), [503, 503, 503, 503]);
    await sandbox().admin('POST', 'fail', { count: 0 });
    await recovers();
  });

  it('dropped connections: retried, then named with the system’s reason, and it recovers', async () => {
    await sandbox().admin('POST', 'drop', { count: 50, pathPrefix: PROJECTS });
    const nodes = await model.children();
    assert.deepEqual(
      messages(nodes).map((m) => [m.text, m.action]),
      [[`Couldn't reach Synapse for GET ${PROJECTS}: UND_ERR_SOCKET (other side closed) — Retry`, 'retry']],
    );
    assert.deepEqual(await statuses(PROJECTS), [0, 0, 0, 0], 'status 0: dropped; 4 attempts');
    await sandbox().admin('POST', 'drop', { count: 0 });
    await recovers();
  });

  it('stalled connections end at the deadline with a message, not a spinner for minutes, and free their slots', async () => {
    client = new SynapseClient({
      endpoint: sandbox().url,
      token: sandbox().token('alice'),
      retry: RETRY,
      timeoutMs: 500,
      deadlineMs: 1200,
    });
    model = newModel();
    await sandbox().admin('POST', 'stall', { count: 50, pathPrefix: PROJECTS });
    const started = Date.now();
    const nodes = await model.children();
    const elapsed = Date.now() - started;
    assert.deepEqual(
      messages(nodes).map((m) => [m.text, m.action]),
      [[`Synapse did not answer GET ${PROJECTS} within 1.2 s. — Retry`, 'retry']],
    );
    assert.ok(elapsed >= 1150 && elapsed < 2000, `the tree waited ${elapsed} ms (deadline 1200 ms)`);
    // Two 500 ms attempts and usually one cut short by the deadline (timers run late on a busy machine).
    const attempts = await statuses(PROJECTS);
    assert.ok(attempts.length === 2 || attempts.length === 3, `${attempts.length} attempts`);
    assert.ok(
      attempts.every((status) => status === 0),
      'none answered',
    );
    await sandbox().admin('POST', 'stall', { count: 0 });
    await recovers();
  });

  it('a body that stalls after the headers is the same timeout, and it recovers', async () => {
    client = new SynapseClient({
      endpoint: sandbox().url,
      token: sandbox().token('alice'),
      retry: { ...RETRY, maxRetries: 1 },
      timeoutMs: 400,
    });
    model = newModel();
    await sandbox().admin('POST', 'stall', { count: 50, pathPrefix: PROJECTS, sendHeaders: true });
    const nodes = await model.children();
    assert.deepEqual(
      messages(nodes).map((m) => m.text),
      [`Synapse did not answer GET ${PROJECTS} within 0.4 s. — Retry`],
    );
    assert.deepEqual(await statuses(PROJECTS), [200, 200], 'headers (200) sent twice, bodies never finished');
    await sandbox().admin('POST', 'stall', { count: 0 });
    await recovers();
  });

  it('a token revoked while browsing: "Sign in again", never retried, pins kept; signing in again restores the same tree', async () => {
    const { token } = await sandbox().admin<{ token: string }>('POST', 'tokens', { userName: 'alice' });
    client = new SynapseClient({ endpoint: sandbox().url, token, retry: RETRY });
    pins = [{ id: 'syn1000003', name: 'Public Reference Data' }];
    const main = projects(await model.children()).find((p) => p.project.id === 'syn1000001')!;
    const aligner = (await model.children(main)).find(
      (n): n is RepositoryNode => n.kind === 'repository' && n.label === 'syn1000001/aligner',
    )!;
    assert.ok(aligner, 'browsing works before the revocation');

    await sandbox().admin('POST', 'revoke', { token });
    await sandbox().admin('POST', 'stats/reset');
    const tags = await model.children(aligner);
    assert.deepEqual(
      messages(tags).map((m) => [m.text, m.action]),
      [['Synapse no longer accepts your token — Sign in again', 'signIn']],
    );
    assert.deepEqual(await statuses('/repo/v1/entity/syn1000101/dockerTag'), [401], '401 is not retried');

    model.reset();
    const root = await model.children();
    assert.deepEqual(
      projects(root).map((p) => [p.project.id, p.pinned]),
      [['syn1000003', true]],
      'the pinned project stays in the tree',
    );
    assert.deepEqual(
      messages(root).map((m) => m.action),
      ['signIn'],
    );

    // Signing in again gives a new token (and client); the model is the same object and reloads.
    const again = await sandbox().admin<{ token: string }>('POST', 'tokens', { userName: 'alice' });
    const sameModel = model;
    client = new SynapseClient({ endpoint: sandbox().url, token: again.token, retry: RETRY });
    model.reset();
    const reloaded = await model.children();
    assert.equal(model, sameModel);
    assert.equal(projects(reloaded).length, 51, 'the pin and 50 projects');
    const tagsAgain = (await model.children(aligner)).filter((n): n is TagNode => n.kind === 'tag');
    assert.ok(tagsAgain.length > 0, 'the same repository node lists its tags again');
  });

  it('a fault under one node leaves the rest of the tree working', async () => {
    const main = projects(await model.children()).find((p) => p.project.id === 'syn1000001')!;
    await sandbox().admin('POST', 'fail', { count: 50, status: 500, pathPrefix: '/repo/v1/entity/children' });
    const [failure] = messages(await model.children(main));
    assert.match(failure.text, /^Couldn't reach Synapse \(An unexpected error occurred \(injected by the sandbox\)\.\) — Retry$/);
    assert.equal(failure.parent, main);
    assert.equal(projects(await model.children()).length, 50, 'the project list is still there');
    await sandbox().admin('POST', 'fail', { count: 0 });
    model.reset(main);
    assert.ok((await model.children(main)).some((n) => n.kind === 'repository'));
  });
});
