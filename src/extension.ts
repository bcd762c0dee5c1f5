// Composition root: builds every collaborator once and hands them over through constructors.
// Activation makes no request and loads no Docker code; that happens on first use.
import * as vscode from 'vscode';
import { SynapseDockerApi } from './api';
import { SynapseSession } from './host/session';
import { allCommands } from './commands';
import { PROJECTS_VIEW_ID, SHARING_VIEW_ID, SUBMISSIONS_VIEW_ID } from './commands/ids';
import type { Services } from './services';
import { createLogger, redactingChannel } from './host/log';
import {
  onDidChangeConnectionSettings,
  onDidChangeDockerHost,
  onDidChangeTreeSettings,
  readBuildSettings,
  readDockerHost,
  readSettings,
  readTreeSettings,
} from './host/settings';
import { DockerAccess } from './host/dockerAccess';
import { LocalImageIndex } from './host/localImages';
import { verifyRegistryLogin } from './flows/registryLogin';
import { AccountStatusBar } from './host/statusBar';
import { PinnedProjects } from './host/pins';
import { ProjectsTreeProvider } from './tree/provider';
import { PersistentRepositoryCache } from './host/repositoryCache';
import { SubmissionsTreeProvider } from './tree/submissions';
import { announceFinalSubmission } from './flows/submit';
import { useTranslations } from './core/util/translations';
import { OwnAccessCache } from './core/sharing';
import { SharingFlow } from './flows/sharing';
import { SharingTreeProvider } from './tree/sharingView';

export async function activate(context: vscode.ExtensionContext): Promise<SynapseDockerApi> {
  const started = Date.now();
  useTranslations(vscode.l10n.bundle, vscode.env.language);
  // Build output and any direct write go through the redactor too.
  const output = redactingChannel(vscode.window.createOutputChannel('Synapse Docker', { log: true }));
  const logger = createLogger(output);
  const session = new SynapseSession(context.secrets, context.globalState, readSettings, logger);
  // Pins and cached repositories are kept per endpoint; an invalid setting has none (and never
  // stops activation: the view says what is wrong with it).
  const endpoint = () => (session.endpointProblem === undefined ? session.endpoint : '');
  const pins = new PinnedProjects(context.globalState, endpoint);
  const repositoryCache = new PersistentRepositoryCache(context.globalState, endpoint);
  const docker = new DockerAccess(logger, readDockerHost, context.globalState);
  const localImages = new LocalImageIndex();
  const access = new OwnAccessCache();
  const tree = new ProjectsTreeProvider(
    session,
    readTreeSettings,
    pins,
    repositoryCache,
    () => readSettings().portalUrl,
    docker,
    localImages,
    access,
  );
  const treeView = vscode.window.createTreeView(PROJECTS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const submissions = new SubmissionsTreeProvider(session, logger, { onFinal: announceFinalSubmission });
  const submissionsView = vscode.window.createTreeView(SUBMISSIONS_VIEW_ID, { treeDataProvider: submissions });
  submissions.attach(submissionsView);
  const sharingView = new SharingTreeProvider();
  let sharingOwner: string | undefined;
  const sharingTreeView = vscode.window.createTreeView(SHARING_VIEW_ID, { treeDataProvider: sharingView });
  const sharing = new SharingFlow({
    client: () => session.client(),
    you: () => session.account?.ownerId,
    view: sharingView,
    treeView: sharingTreeView,
    access,
    onDidChangeSharing: () => tree.rerender(),
    logger,
  });
  const services: Services = {
    session,
    logger,
    output,
    settings: readSettings,
    buildSettings: (dockerfile) => readBuildSettings(dockerfile),
    tree,
    treeView,
    pins,
    docker,
    localImages,
    workspaceState: context.workspaceState,
    submissions,
    sharing,
  };

  const statusBar = new AccountStatusBar(session);
  context.subscriptions.push(
    output,
    session,
    statusBar,
    repositoryCache,
    tree,
    treeView,
    submissions,
    submissionsView,
    sharingView,
    sharingTreeView,
    treeView.onDidChangeSelection((event) => void tree.selected(event.selection)),
    // Another account sees other settings: the view empties when the signed-in user changes.
    session.onDidChange(() => {
      if (session.account?.ownerId === sharingOwner) return;
      sharingOwner = session.account?.ownerId;
      sharingView.clear();
      sharingView.describe(sharingTreeView);
    }),
    ...allCommands.map((command) => vscode.commands.registerCommand(command.id, (...args: unknown[]) => command.run(services, ...args))),
    onDidChangeConnectionSettings(() => void session.restore()),
    onDidChangeTreeSettings(() => tree.refresh()),
    onDidChangeDockerHost(() => docker.reset()),
  );

  // The engine and registry login are checked when the view is first seen signed in (or at
  // sign-in), never during activation.
  let dockerChecked = false;
  const checkDockerOnce = () => {
    if (dockerChecked || !session.account || !treeView.visible) return;
    dockerChecked = true;
    void verifyRegistryLogin(services);
  };
  context.subscriptions.push(
    treeView.onDidChangeVisibility(checkDockerOnce),
    session.onDidChange(() => (dockerChecked = session.account !== undefined)),
  );

  await session.restore();
  const where = session.endpointProblem === undefined ? `endpoint ${session.endpoint}` : 'endpoint setting invalid';
  logger.info(
    `Activated in ${Date.now() - started} ms (${where}, ${session.account ? `signed in as ${session.account.userName}` : 'signed out'})`,
  );

  return {
    currentUser: () => (session.account ? { userName: session.account.userName, ownerId: session.account.ownerId } : undefined),
    hasStoredToken: () => session.hasStoredToken(),
    accountStatus: () => statusBar.shown,
    tree: { getChildren: (node) => tree.getChildren(node), getTreeItem: (node) => tree.getTreeItem(node) },
    submissions: {
      getChildren: (node) => submissions.getChildren(node),
      getTreeItem: (node) => submissions.getTreeItem(node),
      refreshPending: () => submissions.refreshPending(),
      pending: () => submissions.pending,
      polling: () => submissions.polling,
    },
    sharing: {
      getChildren: () => sharingView.getChildren(),
      getTreeItem: (element) => sharingView.getTreeItem(element),
      message: () => sharingTreeView.message,
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
