// Composition root: builds every collaborator once and hands them over through constructors.
// Activation makes no request and loads no Docker code; that happens on first use.
import * as vscode from 'vscode';
import { SynapseDockerApi } from './api';
import { SynapseSession } from './host/session';
import { allCommands } from './commands';
import { PROJECTS_VIEW_ID } from './commands/ids';
import type { Services } from './services';
import { createLogger, redactingChannel } from './host/log';
import { onDidChangeConnectionSettings, onDidChangeDockerHost, onDidChangeTreeSettings, readBuildSettings, readDockerHost, readSettings, readTreeSettings } from './host/settings';
import { DockerAccess } from './host/dockerAccess';
import { LocalImageIndex } from './host/localImages';
import { verifyRegistryLogin } from './flows/registryLogin';
import { AccountStatusBar } from './host/statusBar';
import { PinnedProjects } from './host/pins';
import { ProjectsTreeProvider } from './tree/provider';
import { PersistentRepositoryCache } from './host/repositoryCache';
import { useTranslations } from './core/util/translations';

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
  const tree = new ProjectsTreeProvider(session, readTreeSettings, pins, repositoryCache, () => readSettings().portalUrl, docker, localImages);
  const treeView = vscode.window.createTreeView(PROJECTS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
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
  };

  const statusBar = new AccountStatusBar(session);
  context.subscriptions.push(
    output,
    session,
    statusBar,
    repositoryCache,
    tree,
    treeView,
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
  context.subscriptions.push(treeView.onDidChangeVisibility(checkDockerOnce), session.onDidChange(() => (dockerChecked = session.account !== undefined)));

  await session.restore();
  const where = session.endpointProblem === undefined ? `endpoint ${session.endpoint}` : 'endpoint setting invalid';
  logger.info(`Activated in ${Date.now() - started} ms (${where}, ${session.account ? `signed in as ${session.account.userName}` : 'signed out'})`);

  return {
    currentUser: () => (session.account ? { userName: session.account.userName, ownerId: session.account.ownerId } : undefined),
    hasStoredToken: () => session.hasStoredToken(),
    accountStatus: () => statusBar.shown,
    tree: { getChildren: (node) => tree.getChildren(node), getTreeItem: (node) => tree.getTreeItem(node) },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
