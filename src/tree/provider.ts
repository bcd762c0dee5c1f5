// The VS Code side of the projects tree: maps the core model's nodes to TreeItems (in this one
// place), and tells the view which node changed so only that part re-renders.
import * as vscode from 'vscode';
import { SynapseSession } from '../host/session';
import { portalEntityUrl, shortDigest } from '../core/references';
import { OwnAccessCache, ownAccessSentence, ownAccessSummary } from '../core/sharing';
import { RepositoryCache } from '../core/synapse/client';
import { ProjectsTreeModel, TreeSettings } from '../core/tree/model';
import { ContainerNode, LoadMoreNode, MessageNode, RepositoryNode, TreeNode } from '../core/tree/nodes';
import { relativeTime } from '../core/util/time';
import { DockerAccess } from '../host/dockerAccess';
import { LocalImageIndex } from '../host/localImages';
import { BuiltinCommandId, CommandId, CONTEXT_VALUES } from '../commands/ids';
import { PinnedProjects } from '../host/pins';

/** The pause before access rows are re-rendered, and between checks that the view is idle. */
const ACCESS_FLUSH_MS = 150;

export class ProjectsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly model: ProjectsTreeModel;
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The element objects the view holds, by id: VS Code finds a changed element by identity. */
  private readonly rendered = new Map<string, TreeNode>();
  /** getChildren calls not yet answered, and the rows whose access arrived meanwhile (fireWhenIdle). */
  private childrenInFlight = 0;
  private readonly accessRowsToShow = new Set<string>();
  private accessFlush: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly session: SynapseSession,
    settings: () => TreeSettings,
    pins: PinnedProjects,
    repositoryCache: RepositoryCache,
    private readonly portalUrl: () => string,
    private readonly docker: DockerAccess,
    private readonly localImages: LocalImageIndex,
    /** What the user may do with each project and repository (pull, push, share), shown on its row. */
    readonly access: OwnAccessCache = new OwnAccessCache(),
  ) {
    this.model = new ProjectsTreeModel({
      client: async () => (session.account ? session.client() : undefined),
      settings: () => ({ ...settings(), portalUrl: portalUrl() }),
      pinnedProjects: () => pins.list(),
      repositoryCache,
      access,
    });
    const stopWatchingAccess = access.onDidChange((id) => this.showAccessOf(id));
    this.subscriptions.push(
      { dispose: stopWatchingAccess },
      session.onDidChange(() => this.refresh()),
      docker.onDidChangeReachability(() => this.rerender()),
      localImages.onDidChange(() => this.rerender()),
    );
  }

  /** Reloads a node's children (any node with its id, even one built elsewhere), or the whole tree. */
  refresh(node?: ContainerNode): void {
    this.model.reset(node);
    if (!node) {
      // The whole view again: the engine too, if it was reached before (never loading Docker for it).
      if (this.docker.loaded) void this.docker.recheck();
      this.rendered.clear();
      this.changed.fire(undefined);
      return;
    }
    this.showReloaded(node); // not shown: nothing on screen to update
  }

  /** Tells the view a node's children changed after the model reloaded them (no request). */
  showReloaded(node: ContainerNode): void {
    const shown = this.rendered.get(node.id);
    if (shown) this.changed.fire(shown);
  }

  /** Re-renders without reloading (pins and filters change what is shown, not what is loaded). */
  rerender(): void {
    this.changed.fire(undefined);
  }

  /** Re-renders the rows of an entity whose access was loaded or forgotten (all rows: undefined). */
  private showAccessOf(entityId: string | undefined): void {
    if (entityId === undefined) return this.rerender();
    for (const node of this.rendered.values()) {
      if ((node.kind === 'project' && node.project.id === entityId) || (node.kind === 'repository' && node.repository.id === entityId))
        this.fireWhenIdle(node);
    }
  }

  /**
   * Re-renders access rows only while the view is idle: VS Code registers a node's children by id,
   * and a change event that makes it ask for children already being fetched fails with "Element
   * with id … is already registered" and leaves the node empty. The rows are re-rendered once no
   * getChildren is in flight (checked again after a short pause).
   */
  private fireWhenIdle(node: TreeNode): void {
    this.accessRowsToShow.add(node.id);
    if (this.accessFlush) return;
    this.accessFlush = setTimeout(() => {
      this.accessFlush = undefined;
      if (this.childrenInFlight > 0) return this.fireWhenIdle(node);
      const ids = [...this.accessRowsToShow];
      this.accessRowsToShow.clear();
      for (const id of ids) {
        const shown = this.rendered.get(id);
        if (shown) this.changed.fire(shown);
      }
    }, ACCESS_FLUSH_MS);
  }

  /** A selected repository says what the user may do with it (one request, once). */
  async selected(nodes: readonly TreeNode[]): Promise<void> {
    if (!this.session.account) return;
    const client = await this.session.client();
    const repositories = nodes.filter((node): node is RepositoryNode => node.kind === 'repository' && node.repository.isManaged);
    await Promise.all(repositories.map((node) => this.access.ensure(client, node.repository.id, 'repository')));
  }

  async loadMore(node: LoadMoreNode): Promise<void> {
    await this.model.loadMore(node);
    this.changed.fire(node.parent && (this.rendered.get(node.parent.id) ?? node.parent));
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    // An unusable endpoint setting is the only thing worth saying: nothing can be listed until it is fixed.
    const endpointProblem = node ? undefined : this.session.endpointProblem;
    if (endpointProblem !== undefined) {
      return [
        {
          kind: 'message',
          id: 'msg:endpoint',
          severity: 'error',
          text: vscode.l10n.t('{0} — Open Settings', endpointProblem),
          action: 'openEndpointSetting',
        },
      ];
    }
    this.childrenInFlight++;
    let children: TreeNode[];
    try {
      children = await this.model.children(node);
    } finally {
      this.childrenInFlight--;
    }
    for (const child of children) this.rendered.set(child.id, child);
    // An unreachable engine is said at the top, with Retry, rather than failing later.
    const reason = this.docker.unreachableReason;
    if (!node && reason && children.length > 0) {
      return [
        { kind: 'message', id: 'msg:docker', severity: 'warning', text: vscode.l10n.t('{0} — Retry', reason), action: 'retryDocker' },
        ...children,
      ];
    }
    return children;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'project': {
        const item = new vscode.TreeItem(node.project.name, vscode.TreeItemCollapsibleState.Collapsed);
        const access = this.access.get(node.project.id);
        item.id = node.id;
        item.description = access ? `${node.project.id} · ${ownAccessSummary(access)}` : node.project.id;
        item.iconPath = new vscode.ThemeIcon(node.pinned ? 'pinned' : 'project');
        item.contextValue = node.pinned ? CONTEXT_VALUES.pinnedProject : CONTEXT_VALUES.project;
        item.tooltip = markdown([
          `**${node.project.name}** · ${node.project.id}`,
          access ? ownAccessSentence(access, 'project') : '',
          node.pinned ? vscode.l10n.t('Pinned project') : '',
          node.project.lastActivity
            ? vscode.l10n.t('Last activity {0} ({1})', relativeTime(node.project.lastActivity), node.project.lastActivity)
            : '',
        ]);
        return item;
      }
      case 'repository': {
        const { repository } = node;
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        const access = repository.isManaged ? this.access.get(repository.id) : undefined;
        item.id = node.id;
        const pushed = repository.isManaged
          ? vscode.l10n.t('pushed {0}', relativeTime(repository.modifiedOn))
          : vscode.l10n.t('external · {0}', repository.repositoryName);
        item.description = access ? `${ownAccessSummary(access)} · ${pushed}` : pushed;
        item.iconPath = new vscode.ThemeIcon(repository.isManaged ? 'package' : 'link-external');
        item.contextValue = repository.isManaged ? CONTEXT_VALUES.managedRepository : CONTEXT_VALUES.externalRepository;
        item.tooltip = markdown([
          `**${repository.repositoryName}**`,
          `${repository.id} · ${repository.isManaged ? vscode.l10n.t('managed by the Synapse registry') : vscode.l10n.t('external repository (not hosted by Synapse)')}`,
          access ? ownAccessSentence(access, 'repository') : '',
          repository.modifiedOn ? vscode.l10n.t('Last pushed {0}', repository.modifiedOn) : '',
          `[${vscode.l10n.t('Open in Synapse')}](${portalEntityUrl(this.portalUrl(), repository.id)})`,
        ]);
        return item;
      }
      case 'tag': {
        const { commit } = node;
        const local = this.localImages.has(node.parent.repository.repositoryName, commit.digest);
        const item = new vscode.TreeItem(commit.tag, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = `${local ? `${vscode.l10n.t('local')} · ` : ''}${relativeTime(commit.createdOn)} · ${shortDigest(commit.digest)}`;
        item.iconPath = local
          ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'))
          : new vscode.ThemeIcon('tag');
        item.contextValue = local ? CONTEXT_VALUES.localTag : CONTEXT_VALUES.tag;
        item.tooltip = markdown([
          `**${node.parent.repository.repositoryName}:${commit.tag}**`,
          `\`${commit.digest}\``,
          commit.createdOn,
          local ? vscode.l10n.t('This image is present locally.') : '',
        ]);
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem(vscode.l10n.t('Load more…'), vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = CONTEXT_VALUES.loadMore;
        item.command = { command: 'synapseDocker.loadMore' satisfies CommandId, title: vscode.l10n.t('Load more…'), arguments: [node] };
        return item;
      }
      case 'message':
        return messageItem(node);
    }
  }

  dispose(): void {
    clearTimeout(this.accessFlush);
    this.changed.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

const SEVERITY_ICONS: Record<MessageNode['severity'], vscode.ThemeIcon> = {
  info: new vscode.ThemeIcon('info'),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
};

const MESSAGE_COMMANDS: Record<NonNullable<MessageNode['action']>, (node: MessageNode) => vscode.Command> = {
  signIn: () => ({ command: 'synapseDocker.signIn' satisfies CommandId, title: vscode.l10n.t('Sign in again') }),
  retry: (node) => ({
    command: 'synapseDocker.refresh' satisfies CommandId,
    title: vscode.l10n.t('Retry'),
    arguments: node.parent ? [node.parent] : [],
  }),
  pushHere: (node) => ({
    command: 'synapseDocker.pushImage' satisfies CommandId,
    title: vscode.l10n.t('Push an image'),
    arguments: node.parent ? [node.parent] : [],
  }),
  clearFilter: () => ({ command: 'synapseDocker.clearFilter' satisfies CommandId, title: vscode.l10n.t('Clear filter') }),
  retryDocker: () => ({ command: 'synapseDocker.retryDocker' satisfies CommandId, title: vscode.l10n.t('Retry') }),
  openEndpointSetting: () => ({
    command: 'workbench.action.openSettings' satisfies BuiltinCommandId,
    title: vscode.l10n.t('Open Settings'),
    arguments: ['synapseDocker.endpoint'],
  }),
};

function messageItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.iconPath = SEVERITY_ICONS[node.severity];
  item.contextValue = CONTEXT_VALUES.message(node.severity);
  item.tooltip = node.text;
  if (node.action) item.command = MESSAGE_COMMANDS[node.action](node);
  return item;
}

function markdown(lines: string[]): vscode.MarkdownString {
  return new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
}
