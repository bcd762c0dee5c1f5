// The projects → repositories → tags tree without any VS Code types, so it can be tested in
// plain Node against the sandbox. Each container node owns a paged Listing; nothing loads until
// the user expands it.
import * as l10n from '@vscode/l10n';
import { OwnAccessCache } from '../sharing/accessCache';
import { RepositoryCache, SynapseClient } from '../synapse/client';
import { SynapseError, termsOfUseSentence } from '../synapse/errors';
import { DockerCommit, DockerRepository, DockerTagSort, ProjectHeader, ProjectListFilter, ProjectListSort } from '../synapse/types';
import { Listing } from './listing';
import { containerKey, ContainerNode, LoadMoreNode, MessageNode, ProjectNode, RepositoryNode, TagNode, TreeNode } from './nodes';

export interface TreeSettings {
  projectFilter: ProjectListFilter;
  projectSort: ProjectListSort;
  tagSort: DockerTagSort;
  registry: string;
  /** The Synapse web site, for messages that send the user there (default https://www.synapse.org). */
  portalUrl?: string;
}

export interface PinnedProject {
  id: string;
  name: string;
}

export interface TreeModelDependencies {
  /** A client for the signed-in user, or undefined when signed out. */
  client(): Promise<SynapseClient | undefined>;
  settings(): TreeSettings;
  pinnedProjects(): PinnedProject[];
  repositoryCache?: RepositoryCache;
  /** What the user may do with each project and repository: loaded with its children (one request each). */
  access?: OwnAccessCache;
}

export const TAG_PAGE_SIZE = 20;

type AnyListing = Listing<ProjectHeader, string> | Listing<DockerRepository, string> | Listing<DockerCommit, number>;

export class ProjectsTreeModel {
  private readonly listings = new Map<string, AnyListing>();
  private nameFilter = '';

  constructor(private readonly deps: TreeModelDependencies) {}

  get filter(): string {
    return this.nameFilter;
  }

  /** Narrows the loaded (and later loaded) projects by name or synID; '' clears it. */
  setFilter(text: string): void {
    this.nameFilter = text.trim();
  }

  /** Forgets what was loaded under a node (everything when undefined), so the next expand reloads. */
  reset(node?: ContainerNode): void {
    if (!node) {
      this.listings.clear();
      this.deps.access?.invalidate();
      return;
    }
    if (node.kind === 'project') {
      // Tags of its repositories are keyed by repository id; drop those too.
      const repositories = this.listings.get(node.project.id) as Listing<DockerRepository, string> | undefined;
      for (const repository of repositories?.items ?? []) this.listings.delete(repository.id);
      this.deps.access?.invalidate((repositories?.items ?? []).map((repository) => repository.id));
    }
    this.listings.delete(containerKey(node));
    this.deps.access?.invalidate([containerKey(node)]);
  }

  async children(parent?: TreeNode): Promise<TreeNode[]> {
    const client = await this.deps.client();
    if (!client) return [];
    if (!parent) return this.rootChildren(client);
    if (parent.kind === 'project') return this.repositoryChildren(client, parent);
    if (parent.kind === 'repository') return this.tagChildren(client, parent);
    return [];
  }

  /** Loads the next page under the load-more node's parent. */
  async loadMore(node: LoadMoreNode): Promise<void> {
    const client = await this.deps.client();
    if (!client) return;
    await this.listingFor(client, node.parent).loadMore();
  }

  private async rootChildren(client: SynapseClient): Promise<TreeNode[]> {
    const listing = this.listingFor(client, undefined) as Listing<ProjectHeader, string>;
    await listing.ensureFirstPage();
    const pinned = this.deps.pinnedProjects();
    const pinnedIds = new Set(pinned.map((p) => p.id));
    const loadedById = new Map(listing.items.map((p) => [p.id, p]));
    const nodes: TreeNode[] = [
      ...pinned.map((p) => projectNode(loadedById.get(p.id) ?? { id: p.id, name: p.name }, true)),
      ...listing.items.filter((p) => !pinnedIds.has(p.id)).map((p) => projectNode(p, false)),
    ].filter((node) => this.matchesFilter(node.project));
    return [...nodes, ...this.pagingNodes(listing, undefined, nodes.length === 0 ? this.emptyRootMessage() : undefined)];
  }

  private async repositoryChildren(client: SynapseClient, project: ProjectNode): Promise<TreeNode[]> {
    const listing = this.listingFor(client, project) as Listing<DockerRepository, string>;
    await Promise.all([listing.ensureFirstPage(), this.deps.access?.ensure(client, project.project.id, 'project')]);
    const nodes = listing.items.map((repository) => repositoryNode(repository, project));
    const empty = messageNode(project, 'info', l10n.t('No Docker repositories in this project yet — push one'), 'pushHere');
    return [...nodes, ...this.pagingNodes(listing, project, nodes.length === 0 ? empty : undefined)];
  }

  private async tagChildren(client: SynapseClient, repository: RepositoryNode): Promise<TreeNode[]> {
    const listing = this.listingFor(client, repository) as Listing<DockerCommit, number>;
    // External repositories are not on the Synapse registry: nothing to pull or push there.
    const access = repository.repository.isManaged ? this.deps.access?.ensure(client, repository.repository.id, 'repository') : undefined;
    await Promise.all([listing.ensureFirstPage(), access]);
    const nodes = listing.items.map((commit) => tagNode(commit, repository));
    const empty = messageNode(repository, 'info', l10n.t('No tags in this repository'));
    return [...nodes, ...this.pagingNodes(listing, repository, nodes.length === 0 ? empty : undefined)];
  }

  /** The trailing node of a listing: its error, a load-more, or (when it holds nothing) an empty-state message. */
  private pagingNodes(listing: AnyListing, parent: ContainerNode | undefined, emptyMessage: MessageNode | undefined): TreeNode[] {
    if (listing.error) return [errorNode(listing.error, parent, this.deps.settings().portalUrl)];
    if (listing.hasMore) return [{ kind: 'loadMore', id: `more:${containerKey(parent)}`, parent }];
    return emptyMessage ? [emptyMessage] : [];
  }

  private emptyRootMessage(): MessageNode {
    return this.nameFilter
      ? messageNode(undefined, 'info', l10n.t('No loaded project matches "{0}"', this.nameFilter), 'clearFilter')
      : messageNode(undefined, 'info', l10n.t('You are not a member of any Synapse project yet'));
  }

  private matchesFilter(project: ProjectHeader): boolean {
    if (!this.nameFilter) return true;
    const needle = this.nameFilter.toLowerCase();
    return project.name.toLowerCase().includes(needle) || project.id.toLowerCase() === needle || project.id.toLowerCase().includes(needle);
  }

  private listingFor(client: SynapseClient, node: ContainerNode | undefined): AnyListing {
    const key = containerKey(node);
    let listing = this.listings.get(key);
    if (listing) return listing;
    const settings = this.deps.settings();
    if (!node) {
      listing = new Listing<ProjectHeader, string>(async (token) => {
        const page = await client.listProjects(
          {
            filter: settings.projectFilter,
            sort: settings.projectSort,
            sortDirection: settings.projectSort === 'PROJECT_NAME' ? 'ASC' : 'DESC',
          },
          token,
        );
        return { items: page.items, next: page.nextPageToken };
      });
    } else if (node.kind === 'project') {
      listing = new Listing<DockerRepository, string>(async (token) => {
        const page = await client.listDockerRepositories(node.project.id, token, { cache: this.deps.repositoryCache });
        return { items: page.items, next: page.nextPageToken };
      });
    } else {
      listing = new Listing<DockerCommit, number>(async (offset = 0) => {
        const page = await client.listDockerTags(
          node.repository.id,
          { limit: TAG_PAGE_SIZE, offset },
          { sort: settings.tagSort, ascending: settings.tagSort === 'TAG' },
        );
        // Totals are estimates: a short page is the last one.
        return { items: page.results, next: page.results.length < TAG_PAGE_SIZE ? undefined : offset + TAG_PAGE_SIZE };
      });
    }
    this.listings.set(key, listing);
    return listing;
  }
}

// The nodes' ids are built here only (the view keeps selection and expansion by id, and
// revealing a node built elsewhere finds it only when its id is the same).
export function projectNode(project: ProjectHeader, pinned: boolean): ProjectNode {
  return { kind: 'project', id: `project:${project.id}`, project, pinned };
}

export function repositoryNode(repository: DockerRepository, parent: ProjectNode): RepositoryNode {
  return { kind: 'repository', id: `repo:${parent.project.id}/${repository.id}`, repository, label: repositoryLabel(repository), parent };
}

export function tagNode(commit: DockerCommit, parent: RepositoryNode): TagNode {
  return { kind: 'tag', id: `tag:${parent.repository.id}:${commit.tag}`, commit, parent };
}

/** syn123/my-tool for managed repositories (the path after the registry host); the own name for external ones. */
export function repositoryLabel(repository: DockerRepository): string {
  if (!repository.isManaged) return repository.name;
  const slash = repository.repositoryName.indexOf('/');
  return slash >= 0 ? repository.repositoryName.slice(slash + 1) : repository.repositoryName;
}

function messageNode(
  parent: ContainerNode | undefined,
  severity: MessageNode['severity'],
  text: string,
  action?: MessageNode['action'],
): MessageNode {
  return { kind: 'message', id: `msg:${containerKey(parent)}:${severity}`, parent, severity, text, action };
}

function errorNode(error: unknown, parent: ContainerNode | undefined, portalUrl?: string): MessageNode {
  if (error instanceof SynapseError) {
    if (error.termsOfUseNotSigned) return messageNode(parent, 'error', l10n.t('{0} — Retry', termsOfUseSentence(portalUrl)), 'retry');
    switch (error.kind) {
      case 'unauthenticated':
        return messageNode(parent, 'error', l10n.t('Synapse no longer accepts your token — Sign in again'), 'signIn');
      case 'forbidden':
        return messageNode(parent, 'error', forbiddenText(parent, error.reason ?? 'forbidden'));
      case 'notFound':
        return messageNode(parent, 'error', error.inTrash ? inTrashText(parent) : notFoundText(parent, error.reason), 'retry');
      case 'aborted':
        return messageNode(parent, 'info', l10n.t('Loading was cancelled — Retry'), 'retry');
      case 'network':
      case 'timeout':
        // No reason from a server: the message itself says what failed (refused, reset, no answer in time).
        return messageNode(parent, 'error', l10n.t('{0} — Retry', error.message), 'retry');
      default:
        if (error.retryable)
          return messageNode(parent, 'error', l10n.t("Couldn't reach Synapse ({0}) — Retry", error.reason ?? error.kind), 'retry');
        return messageNode(parent, 'error', l10n.t('{0} — Retry', error.reason ?? error.message), 'retry');
    }
  }
  return messageNode(parent, 'error', l10n.t('{0} — Retry', error instanceof Error ? error.message : String(error)), 'retry');
}

// Whole sentences per kind of parent (the root is the project list), so each translates as a unit.

/** The container's name and synID: a project's name, or a repository's label. */
function nameAndId(node: ContainerNode): [string, string] {
  return node.kind === 'project' ? [node.project.name, node.project.id] : [node.label, node.repository.id];
}

function forbiddenText(node: ContainerNode | undefined, reason: string): string {
  if (!node) return l10n.t("You don't have access to the project list: {0}", reason);
  return l10n.t("You don't have access to {0} ({1}): {2}", ...nameAndId(node), reason);
}

function inTrashText(node: ContainerNode | undefined): string {
  if (!node) return l10n.t('The project list is in the trash can');
  return l10n.t('{0} ({1}) is in the trash can', ...nameAndId(node));
}

function notFoundText(node: ContainerNode | undefined, reason: string | undefined): string {
  if (!node) return reason ? l10n.t('The project list was not found: {0}', reason) : l10n.t('The project list was not found');
  return reason
    ? l10n.t('{0} ({1}) was not found: {2}', ...nameAndId(node), reason)
    : l10n.t('{0} ({1}) was not found', ...nameAndId(node));
}
