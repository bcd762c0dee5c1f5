// Benchmark of the projects tree against the sandbox with 50 ms added to every request:
// requests made, peak concurrency and wall time for each step a user takes. Prints a table.
import { SynapseClient, RepositoryCache } from '../../src/core/synapse/client';
import { DockerRepository } from '../../src/core/synapse/types';
import { OwnAccessCache } from '../../src/core/sharing/accessCache';
import { ProjectsTreeModel } from '../../src/core/tree/model';
import { LoadMoreNode, ProjectNode, RepositoryNode, TreeNode } from '../../src/core/tree/nodes';
import { startSandbox } from '../sandbox/server';
import { BIG_PROJECT_ID, BIG_REPOSITORY_ID, bigSeed } from './bigSeed';

const LATENCY_MS = 50;

interface Stats {
  requests: Array<{ startedAt: number; endedAt: number }>;
  maxConcurrentByUser: Record<string, number>;
}

class MemoryCache implements RepositoryCache {
  private readonly entries = new Map<string, { modifiedOn?: string; repository: DockerRepository }>();
  get(id: string, modifiedOn?: string) {
    const entry = this.entries.get(id);
    return entry && entry.modifiedOn === modifiedOn ? entry.repository : undefined;
  }
  set(repository: DockerRepository, modifiedOn?: string) {
    this.entries.set(repository.id, { modifiedOn, repository });
  }
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ seed: bigSeed(), registryHost: '127.0.0.1:5999', port: 0 });
  const admin = (path: string, body?: unknown) =>
    fetch(`${sandbox.url}/__admin/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json() as Promise<Stats>);
  await admin('latency', { ms: LATENCY_MS });
  await admin('throttle', { enabled: true });

  const token = sandbox.users()[0].token;
  const cache = new MemoryCache();
  let access = new OwnAccessCache();
  const newModel = () =>
    new ProjectsTreeModel({
      // What the user may do (pull, push, share): one permissions request per expanded project or repository.
      access,
      client: async () => new SynapseClient({ endpoint: sandbox.url, token }),
      settings: () => ({ projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: '127.0.0.1:5999' }),
      pinnedProjects: () => [],
      repositoryCache: cache,
    });
  let model = newModel();

  const rows: Array<{ step: string; requests: number; peak: number; ms: number; shown: number; target: string }> = [];
  const measure = async (step: string, target: string, action: () => Promise<TreeNode[]>) => {
    await admin('stats/reset', {});
    const started = performance.now();
    const nodes = await action();
    const ms = performance.now() - started;
    const stats = await admin('stats');
    rows.push({
      step,
      requests: stats.requests.length,
      peak: Math.max(0, ...Object.values(stats.maxConcurrentByUser)),
      ms,
      shown: nodes.filter((n) => n.kind !== 'loadMore' && n.kind !== 'message').length,
      target,
    });
    return nodes;
  };
  const loadMoreOf = (nodes: TreeNode[]) => nodes.find((n): n is LoadMoreNode => n.kind === 'loadMore')!;

  const roots = await measure('first projects page', '1 request', () => model.children());
  await measure('load more projects', '1 request', async () => (await model.loadMore(loadMoreOf(roots)), model.children()));
  const bigProject = (await model.children()).find((n): n is ProjectNode => n.kind === 'project' && n.project.id === BIG_PROJECT_ID)!;
  const repositories = await measure(
    'expand the big project (300 repositories)',
    '≤ 52 requests (51 + 1 permissions), ≤ 3 at once, ≈ 0.9 s',
    () => model.children(bigProject),
  );
  await measure(
    'load more repositories',
    '≤ 51 requests, ≤ 3 at once',
    async () => (await model.loadMore(loadMoreOf(repositories)), model.children(bigProject)),
  );
  const bigRepository = (await model.children(bigProject)).find(
    (n): n is RepositoryNode => n.kind === 'repository' && n.repository.id === BIG_REPOSITORY_ID,
  )!;
  const tags = await measure('expand the big repository (2,000 tags)', '2 requests (tags + permissions)', () =>
    model.children(bigRepository),
  );
  await measure('load more tags', '1 request', async () => (await model.loadMore(loadMoreOf(tags)), model.children(bigRepository)));
  const other = (await model.children(bigProject)).find(
    (n): n is RepositoryNode => n.kind === 'repository' && n.repository.id !== BIG_REPOSITORY_ID,
  )!;
  const client = new SynapseClient({ endpoint: sandbox.url, token });
  await measure(
    'select a repository (its pull/push/share)',
    '1 request',
    async () => (await access.ensure(client, other.repository.id, 'repository'), []),
  );
  await measure('select it again', '0 requests', async () => (await access.ensure(client, other.repository.id, 'repository'), []));
  model.reset(bigProject);
  await measure('expand the big project again (refresh)', '2 requests (1 + 1 permissions)', () => model.children(bigProject));
  access = new OwnAccessCache();
  model = newModel();
  await model.children();
  const again = (await model.children()).find((n): n is ProjectNode => n.kind === 'project' && n.project.id === BIG_PROJECT_ID)!;
  await measure('expand the big project after a restart', '2 requests (1 + 1 permissions)', () => model.children(again));

  console.log(`\nProjects tree benchmark: ${LATENCY_MS} ms added latency per request, Synapse throttle on (3 concurrent)\n`);
  const header = ['step', 'requests', 'peak in flight', 'wall time', 'nodes shown', 'target'];
  const table = rows.map((r) => [r.step, String(r.requests), String(r.peak), `${(r.ms / 1000).toFixed(2)} s`, String(r.shown), r.target]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  await sandbox.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
