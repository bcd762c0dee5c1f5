// Push and pull as the user experiences them: preflight against Synapse before any byte moves,
// a cancellable notification with bytes across layers, the registry's bare "denied" explained,
// and, after a push, the new tag found in Synapse, revealed and selected in the tree.
import * as vscode from 'vscode';
import type { PreflightRefusal, TransferProgress } from '../core/docker';
import { digestReference, portalEntityUrl } from '../core/references';
import { ImageReference, NameError, parseImageReference } from '../core/naming';
import { SynapseClient } from '../core/synapse/client';
import { DockerCommit, DockerRepository, isDockerRepository } from '../core/synapse/types';
import { projectNode, repositoryLabel } from '../core/tree/model';
import { ContainerNode, LoadMoreNode, RepositoryNode, TagNode, TreeNode } from '../core/tree/nodes';
import { sleep } from '../core/util/abort';
import { formatBytes } from '../core/util/bytes';
import { CommandServices } from '../commands/command';
import { DockerConnection, DockerModule } from './dockerAccess';
import { abortSignalFor, isCancellation, showError } from '../ui/errors';
import { commandStep, notify, type NextStep } from '../ui/notify';

const SYNAPSE_LISTING_TIMEOUT_MS = 30_000;

/** The command that starts a push or a pull afresh (with a reference: that one again). */
const commandOf = (action: 'push' | 'pull') => (action === 'push' ? 'synapseDocker.pushImage' : 'synapseDocker.pullImage');

/** Parses a reference for the configured registry; shows the broken rule and returns undefined when invalid. */
function parseForRegistry(services: CommandServices, text: string, action: 'push' | 'pull'): ImageReference | undefined {
  const parsed = parseImageReference(text.trim(), { registry: services.settings().registry });
  if (parsed instanceof NameError) {
    void notify('error', parsed.message, commandStep(vscode.l10n.t('Try Again'), commandOf(action)));
    return undefined;
  }
  return parsed;
}

/** Shows the first refusal with its fix, and offers the page that helps. Returns false when refused. */
function explainRefusals(services: CommandServices, refusals: PreflightRefusal[], action: 'push' | 'pull'): boolean {
  if (refusals.length === 0) return true;
  const [first, ...others] = refusals;
  for (const refusal of refusals) services.logger.warn(`Preflight (${action}) refused: ${refusal.code}: ${refusal.message} ${refusal.fix}`);
  showRefusal(services, first, others.length, action);
  return false;
}

/** Shows the refusal with the page that helps, a new token when the token is the problem, or else Try Again. */
function showRefusal(services: CommandServices, refusal: PreflightRefusal, more: number, action: 'push' | 'pull'): void {
  const steps: NextStep[] = [];
  const link = refusal.link;
  if (link) steps.push({ title: vscode.l10n.t('Open in Browser'), run: () => vscode.env.openExternal(vscode.Uri.parse(link)) });
  if (refusal.code === 'not-signed-in' || refusal.code === 'token-invalid' || refusal.code === 'token-scope') {
    steps.push(commandStep(vscode.l10n.t('Sign In with Another Token'), 'synapseDocker.signIn'));
  }
  if (steps.length === 0) steps.push(commandStep(vscode.l10n.t('Try Again'), commandOf(action)));
  const text = more > 0 ? vscode.l10n.t('{0} {1} ({2} more in the log)', refusal.message, refusal.fix, more) : vscode.l10n.t('{0} {1}', refusal.message, refusal.fix);
  void notify('error', text, ...steps);
}

/** Synapse predicts a refusal the registry may not make (e.g. a pull through an evaluation queue): say so, go on. */
function warnAdvisory(services: CommandServices, refusals: PreflightRefusal[], action: 'push' | 'pull'): void {
  if (refusals.length === 0) return;
  const [first] = refusals;
  for (const refusal of refusals) services.logger.warn(`Preflight (${action}) warns: ${refusal.code}: ${refusal.message} ${refusal.fix}`);
  void notify('warning', vscode.l10n.t('{0} Trying anyway: the registry decides.', first.message));
}

function reportTransfer(progress: vscode.Progress<{ message?: string; increment?: number }>) {
  let reported = 0;
  return (p: TransferProgress) => {
    const percent = Math.floor(p.fraction * 100);
    const bytes = p.bytesTotal > 0 ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}` : '';
    const layers = vscode.l10n.t('{0}/{1} layers', p.layersDone, p.layersTotal);
    progress.report({ message: [bytes, layers].filter(Boolean).join(' · '), increment: Math.max(0, percent - reported) });
    reported = Math.max(reported, percent);
  };
}

/** What differs between a push and a pull; everything else is one flow (`transfer`). */
interface TransferKind {
  action: 'push' | 'pull';
  /** The name shown to the user: the tag reference for a push, what was asked for a pull. */
  shownName(reference: ImageReference, text: string): string;
  progressTitle(name: string): string;
  cancelledMessage(name: string): string;
  failedTitle(name: string): string;
  run(connection: DockerConnection, options: Parameters<DockerModule['pushImage']>[0]): Promise<string>;
  /** After the bytes moved: make the result visible. */
  succeeded(services: CommandServices, connection: DockerConnection, client: SynapseClient, reference: ImageReference, name: string, digest: string): Promise<void>;
}

const PUSH: TransferKind = {
  action: 'push',
  shownName: (reference) => `${reference.registry}/${reference.path}:${reference.tag ?? 'latest'}`,
  progressTitle: (name) => vscode.l10n.t('Pushing {0}', name),
  cancelledMessage: (name) => vscode.l10n.t('Push of {0} cancelled. The local image and its tags are unchanged.', name),
  failedTitle: (name) => vscode.l10n.t('Push of {0} failed', name),
  run: (connection, options) => connection.module.pushImage(options),
  succeeded: async (services, connection, client, reference, _name, digest) => {
    // Awaited: its change re-renders the whole view, which must not land in the middle of the reveal.
    await services.localImages.refresh(connection, reference.registry).catch(() => undefined);
    await announcePush(services, client, reference, digest);
  },
};

const PULL: TransferKind = {
  action: 'pull',
  shownName: (_reference, text) => text.trim(),
  progressTitle: (name) => vscode.l10n.t('Pulling {0}', name),
  cancelledMessage: (name) => vscode.l10n.t('Pull of {0} cancelled.', name),
  failedTitle: (name) => vscode.l10n.t('Pull of {0} failed', name),
  run: (connection, options) => connection.module.pullImage(options),
  succeeded: async (services, connection, _client, reference, name, digest) => {
    await services.localImages.refresh(connection, reference.registry);
    void notify('info', vscode.l10n.t('Pulled {0} ({1}).', name, digest), {
      title: vscode.l10n.t('Copy Run Command'),
      run: () => vscode.env.clipboard.writeText(`docker run --rm -it ${name}`),
    });
  },
};

export function pushReference(services: CommandServices, text: string): Promise<boolean> {
  return transfer(services, text, PUSH);
}

export function pullReference(services: CommandServices, text: string): Promise<boolean> {
  return transfer(services, text, PULL);
}

/** Preflight against Synapse, then the transfer with progress and Cancel, then the result shown. */
async function transfer(services: CommandServices, text: string, kind: TransferKind): Promise<boolean> {
  const reference = parseForRegistry(services, text, kind.action);
  if (!reference) return false;
  const { session, docker, logger, settings } = services;
  const name = kind.shownName(reference, text);
  try {
    const client = await session.client();
    const connection = await docker.connect();
    const check = kind.action === 'push' ? connection.module.checkPushAllowed : connection.module.checkPullAllowed;
    const refusals = await check({ client, reference, scopes: session.scopes(), portalUrl: settings().portalUrl });
    // Advisory refusals are Synapse's prediction, not its decision: warn and let the registry decide.
    if (!explainRefusals(services, refusals.filter((r) => !r.advisory), kind.action)) return false;
    warnAdvisory(services, refusals.filter((r) => r.advisory), kind.action);
    const auth = await session.registryAuth(reference.registry);
    const started = Date.now();
    const digest = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: kind.progressTitle(name), cancellable: true },
      (progress, cancellation) =>
        kind.run(connection, { docker: connection.docker, endpoint: connection.endpoint, reference, auth, signal: abortSignalFor(cancellation), onProgress: reportTransfer(progress) }),
    );
    logger.info(`${kind.action === 'push' ? 'Pushed' : 'Pulled'} ${name} (${digest}) in ${Date.now() - started} ms`);
    await kind.succeeded(services, connection, client, reference, name, digest);
    return true;
  } catch (error) {
    if (isCancellation(error)) {
      void notify('info', kind.cancelledMessage(name), commandStep(kind.action === 'push' ? vscode.l10n.t('Push Again') : vscode.l10n.t('Pull Again'), commandOf(kind.action), text));
      return false;
    }
    if (error instanceof Error && error.name === 'RegistryDeniedError') return explainDenial(services, reference, kind.action, error);
    showError(services, kind.failedTitle(name), error);
    return false;
  }
}

/** The registry only says "denied": ask Synapse why (the same checks as preflight), and say that. */
async function explainDenial(services: CommandServices, reference: ImageReference, action: 'push' | 'pull', error: Error): Promise<boolean> {
  services.logger.error(`The registry refused the ${action}: ${error.message}`);
  try {
    const connection = await services.docker.connect();
    const client = await services.session.client();
    const check = action === 'push' ? connection.module.checkPushAllowed : connection.module.checkPullAllowed;
    const refusals = await check({ client, reference, scopes: services.session.scopes(), portalUrl: services.settings().portalUrl });
    if (refusals.length > 0) {
      showRefusal(services, refusals[0], refusals.length - 1, action);
      return false;
    }
  } catch (diagnosisError) {
    services.logger.warn(`Couldn't find out why the registry refused: ${(diagnosisError as Error).message}`);
  }
  showError(
    services,
    vscode.l10n.t('The registry refused the {0}', action),
    new Error(vscode.l10n.t('{0} Synapse reports no permission problem; your token may have expired or been revoked — sign in again.', (error as { raw?: string }).raw ?? error.message)),
  );
  return false;
}

/** Waits (up to 30 s) for Synapse to list the pushed commit, then reveals it in the tree. */
async function announcePush(services: CommandServices, client: SynapseClient, reference: ImageReference, digest: string): Promise<void> {
  const repositoryName = `${reference.registry}/${reference.path}`;
  const tag = reference.tag ?? 'latest';
  const found = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Waiting for Synapse to list {0}:{1}…', repositoryName, tag), cancellable: true },
    (_progress, cancellation) => waitForCommit(client, repositoryName, tag, digest, abortSignalFor(cancellation)),
  );
  if (!found) {
    void notify(
      'warning',
      vscode.l10n.t('Pushed {0}:{1} ({2}), but Synapse has not listed it yet. It usually appears within a minute; refresh the tree later.', repositoryName, tag, digest),
      commandStep(vscode.l10n.t('Refresh'), 'synapseDocker.refresh'),
    );
    return;
  }
  const repository = await client.getEntity(found.repositoryId);
  if (isDockerRepository(repository)) await revealTag(services, reference, repository, found.commit);
  const steps: NextStep[] = [
    { title: vscode.l10n.t('Open in Synapse'), run: () => vscode.env.openExternal(vscode.Uri.parse(portalEntityUrl(services.settings().portalUrl, found.repositoryId))) },
  ];
  if (isDockerRepository(repository)) steps.unshift({ title: vscode.l10n.t('Copy Digest Reference'), run: () => vscode.env.clipboard.writeText(digestReference(repository, found.commit)) });
  void notify('info', vscode.l10n.t('Pushed {0}:{1} to Synapse.', repositoryName, tag), ...steps);
}

async function waitForCommit(client: SynapseClient, repositoryName: string, tag: string, digest: string, signal: AbortSignal) {
  const deadline = Date.now() + SYNAPSE_LISTING_TIMEOUT_MS;
  let repositoryId: string | undefined;
  while (Date.now() < deadline && !signal.aborted) {
    try {
      repositoryId ??= await client.findDockerRepositoryId(repositoryName, signal);
      if (repositoryId) {
        const tags = await client.listDockerTags(repositoryId, { limit: 20, offset: 0 }, {}, signal);
        const commit = tags.results.find((c) => c.tag === tag && c.digest === digest);
        if (commit) return { repositoryId, commit };
      }
      await sleep(1000, signal);
    } catch {
      if (signal.aborted) return undefined;
      await sleep(1000, signal).catch(() => undefined);
    }
  }
  return undefined;
}

/** Reloads only the project's repositories (and their tags), then reveals and selects the new tag. */
async function revealTag(services: CommandServices, reference: ImageReference, repository: DockerRepository, commit: DockerCommit): Promise<void> {
  const { tree, treeView } = services;
  const project = projectNode({ id: reference.projectId, name: reference.projectId }, services.pins.has(reference.projectId));
  const repositoryNode: RepositoryNode = { kind: 'repository', id: `repo:${reference.projectId}/${repository.id}`, repository, label: repositoryLabel(repository), parent: project };
  const tagNode: TagNode = { kind: 'tag', id: `tag:${repository.id}:${commit.tag}`, commit, parent: repositoryNode };
  try {
    // A new repository sorts last, so it may be past the first page: load pages until it (and the
    // tag) is listed, then let the view re-read the project.
    tree.model.reset(project);
    await loadUntilListed(tree, project, (node) => node.kind === 'repository' && node.repository.id === repository.id);
    await loadUntilListed(tree, repositoryNode, (node) => node.kind === 'tag' && node.commit.tag === commit.tag);
    tree.showReloaded(project);
    await treeView.reveal(tagNode, { select: true, focus: false, expand: true });
  } catch (error) {
    services.logger.warn(`Couldn't reveal ${reference.path}:${commit.tag} in the tree: ${(error as Error).message}`);
  }
}

/** Loads further pages under `parent` until a child matches (at most 50 pages). */
async function loadUntilListed(tree: CommandServices['tree'], parent: ContainerNode, listed: (node: TreeNode) => boolean): Promise<void> {
  for (let pages = 0; pages < 50; pages++) {
    const children = await tree.getChildren(parent);
    if (children.some(listed)) return;
    const more = children.find((node): node is LoadMoreNode => node.kind === 'loadMore');
    if (!more) return;
    await tree.model.loadMore(more);
  }
}
