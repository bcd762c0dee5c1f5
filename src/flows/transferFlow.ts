// Push and pull as the user experiences them: preflight against Synapse before any byte moves,
// a cancellable notification with bytes across layers, the registry's bare "denied" explained,
// and, after a push, the new tag found in Synapse, revealed and selected in the tree.
// Preflight, the transfer and the polling after it all use ONE account snapshot, and stop when
// that account ends (sign-out, another account): one user's check never covers another's push.
import * as vscode from 'vscode';
import type { RegistryDeniedError, TransferProgress } from '../core/docker';
import type { PreflightRefusal } from '../core/synapse/permissions';
import type { PushedManifest } from '../core/docker/pushedManifest';
// Preflight runs in this bundle, not through dist/docker.js: it must recognise the SynapseErrors
// of the session's client (dist/docker.js has its own copy of the class, so a 401 or 404 thrown
// here would not be an `instanceof SynapseError` there, and no refusal would be found).
import { checkPullAllowed, checkPushAllowed } from '../core/synapse/permissions';
import { AccountEndedError, accountEnded, whileLinked } from '../core/accounts';
import { AddedTag, undoTag, UndoOutcome } from '../core/addedTag';
import { AccountSnapshot, NotSignedInError } from '../host/session';
import { digestReference, portalEntityUrl } from '../core/references';
import { ImageReference, NameError, parseImageReference } from '../core/naming';
import { DockerCommit, DockerRepository, isDockerRepository } from '../core/synapse/types';
import { projectNode, repositoryNode, tagNode } from '../core/tree/model';
import { ContainerNode, LoadMoreNode, TreeNode } from '../core/tree/nodes';
import { explainUnlistedPush, waitForPushedCommit } from '../core/pushWait';
import { formatBytes } from '../core/util/bytes';
import type { Services } from '../services';
import { DockerConnection, dockerErrors, DockerModule } from '../host/dockerAccess';
import { confirmCredentialsToEngine } from '../host/engineTrust';
import { abortSignalFor, isCancellation, showError } from '../ui/errors';
import { commandStep, notify, type NextStep, withNotificationProgress } from '../ui/notify';

/** The command that starts a push or a pull afresh (with a reference: that one again). */
const commandOf = (action: 'push' | 'pull') => (action === 'push' ? 'synapseDocker.pushImage' : 'synapseDocker.pullImage');

/** Parses a reference for the configured registry; shows the broken rule and returns undefined when invalid. */
function parseForRegistry(services: Services, text: string, action: 'push' | 'pull'): ImageReference | undefined {
  const parsed = parseImageReference(text.trim(), { registry: services.settings().registry });
  if (parsed instanceof NameError) {
    void notify('error', parsed.message, commandStep(vscode.l10n.t('Try Again'), commandOf(action)));
    return undefined;
  }
  return parsed;
}

/** Shows the first refusal with its fix, and offers the page that helps. Returns false when refused. */
function explainRefusals(services: Services, refusals: PreflightRefusal[], action: 'push' | 'pull', stays?: string): boolean {
  if (refusals.length === 0) return true;
  const [first, ...others] = refusals;
  for (const refusal of refusals) services.logger.warn(`Preflight (${action}) refused: ${refusal.code}: ${refusal.message} ${refusal.fix}`);
  showRefusal(services, first, others.length, action, stays);
  return false;
}

/** Shows the refusal with the page that helps, a new token when the token is the problem, or else Try Again. */
function showRefusal(services: Services, refusal: PreflightRefusal, more: number, action: 'push' | 'pull', stays?: string): void {
  const steps: NextStep[] = [];
  const link = refusal.link;
  if (link) steps.push({ title: vscode.l10n.t('Open in Browser'), run: () => vscode.env.openExternal(vscode.Uri.parse(link)) });
  if (refusal.code === 'not-signed-in' || refusal.code === 'token-invalid' || refusal.code === 'token-scope') {
    steps.push(commandStep(vscode.l10n.t('Sign In with Another Token'), 'synapseDocker.signIn'));
  }
  if (steps.length === 0) steps.push(commandStep(vscode.l10n.t('Try Again'), commandOf(action)));
  const text =
    more > 0
      ? vscode.l10n.t('{0} {1} ({2} more in the log)', refusal.message, refusal.fix, more)
      : vscode.l10n.t('{0} {1}', refusal.message, refusal.fix);
  void notify('error', stays ? vscode.l10n.t('{0} {1}', text, stays) : text, ...steps);
}

/**
 * Synapse predicts a refusal the registry may not make (e.g. a pull through an evaluation queue): the
 * warning rides in the transfer's own progress, not a toast of its own (VS Code drops the fourth toast
 * within 0.8 s, which was the registry's refusal, after the check, the warning and the progress).
 */
function advisoryNote(services: Services, refusals: PreflightRefusal[], action: 'push' | 'pull'): string | undefined {
  if (refusals.length === 0) return undefined;
  const [first] = refusals;
  for (const refusal of refusals) services.logger.warn(`Preflight (${action}) warns: ${refusal.code}: ${refusal.message} ${refusal.fix}`);
  return vscode.l10n.t('{0} Trying anyway: the registry decides.', first.message);
}

function reportTransfer(progress: vscode.Progress<{ message?: string; increment?: number }>, note?: string) {
  let reported = 0;
  if (note) progress.report({ message: note });
  return (p: TransferProgress) => {
    const percent = Math.floor(p.fraction * 100);
    const bytes = p.bytesTotal > 0 ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}` : '';
    const layers = vscode.l10n.t('{0}/{1} layers', p.layersDone, p.layersTotal);
    progress.report({ message: [note, bytes, layers].filter(Boolean).join(' · '), increment: Math.max(0, percent - reported) });
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
  /** Cancelled because the account it was started for ended (one whole sentence). */
  accountEndedMessage(name: string, ended: AccountEndedError): string;
  alreadyRunningMessage(name: string): string;
  failedTitle(name: string): string;
  run(connection: DockerConnection, options: Parameters<DockerModule['pushImage']>[0]): Promise<string>;
  /** After the bytes moved: make the result visible. */
  succeeded(
    services: Services,
    connection: DockerConnection,
    snapshot: AccountSnapshot,
    reference: ImageReference,
    name: string,
    digest: string,
  ): Promise<void>;
}

const PUSH: TransferKind = {
  action: 'push',
  shownName: (reference) => `${reference.registry}/${reference.path}:${reference.tag ?? 'latest'}`,
  progressTitle: (name) => vscode.l10n.t('Pushing {0}', name),
  cancelledMessage: (name) => vscode.l10n.t('Push of {0} cancelled.', name),
  accountEndedMessage: (name, ended) =>
    ended.reason === 'signed-out'
      ? vscode.l10n.t('Push of {0} cancelled because you signed out of Synapse.', name)
      : vscode.l10n.t('Push of {0} cancelled because the Synapse account changed.', name),
  alreadyRunningMessage: (name) => vscode.l10n.t('A push of {0} is already running; this one was not started.', name),
  failedTitle: (name) => vscode.l10n.t('Push of {0} failed', name),
  run: (connection, options) => connection.module.pushImage(options),
  succeeded: async (services, connection, snapshot, reference, _name, digest) => {
    const pushedAt = Date.now();
    // Awaited: its change re-renders the whole view, which must not land in the middle of the reveal.
    await services.localImages.refresh(connection, reference.registry).catch(() => undefined);
    const pushed = await readBackManifest(services, connection, snapshot, reference, digest);
    await announcePush(services, snapshot, reference, digest, pushed, pushedAt);
  },
};

const PULL: TransferKind = {
  action: 'pull',
  shownName: (_reference, text) => text.trim(),
  progressTitle: (name) => vscode.l10n.t('Pulling {0}', name),
  cancelledMessage: (name) => vscode.l10n.t('Pull of {0} cancelled.', name),
  accountEndedMessage: (name, ended) =>
    ended.reason === 'signed-out'
      ? vscode.l10n.t('Pull of {0} cancelled because you signed out of Synapse.', name)
      : vscode.l10n.t('Pull of {0} cancelled because the Synapse account changed.', name),
  alreadyRunningMessage: (name) => vscode.l10n.t('A pull of {0} is already running; this one was not started.', name),
  failedTitle: (name) => vscode.l10n.t('Pull of {0} failed', name),
  run: (connection, options) => connection.module.pullImage(options),
  succeeded: async (services, connection, _snapshot, reference, name, digest) => {
    await services.localImages.refresh(connection, reference.registry);
    // A reference by digest already shows it: say it once.
    const message = reference.digest ? vscode.l10n.t('Pulled {0}.', name) : vscode.l10n.t('Pulled {0} ({1}).', name, digest);
    void notify('info', message, {
      title: vscode.l10n.t('Copy Run Command'),
      run: () => vscode.env.clipboard.writeText(`docker run --rm -it ${name}`),
    });
  },
};

export interface PushOptions {
  /** The tag the palette push added for this push: taken back if the push does not happen. */
  addedTag?: AddedTag;
}

export function pushReference(services: Services, text: string, options: PushOptions = {}): Promise<boolean> {
  return transfer(services, text, PUSH, options.addedTag);
}

export function pullReference(services: Services, text: string): Promise<boolean> {
  return transfer(services, text, PULL);
}

/** Transfers running now, by action and name: the same push (or pull) twice at once is refused. */
const running = new Set<string>();

/** The sentence that says what stays locally after a push that did not happen. */
const UNCHANGED = () => vscode.l10n.t('The local image and its tags are unchanged.');

/** Preflight against Synapse, then the transfer with progress and Cancel, then the result shown. */
async function transfer(services: Services, text: string, kind: TransferKind, addedTag?: AddedTag): Promise<boolean> {
  const reference = parseForRegistry(services, text, kind.action);
  if (!reference) {
    if (addedTag) await takeBack(services, addedTag);
    return false;
  }
  const name = kind.shownName(reference, text);
  const key = `${kind.action} ${name}`;
  if (running.has(key)) {
    services.logger.warn(`Not starting a second ${kind.action} of ${name} while one runs`);
    const stays = addedTag ? await takeBack(services, addedTag) : undefined;
    void notify('info', stays ? vscode.l10n.t('{0} {1}', kind.alreadyRunningMessage(name), stays) : kind.alreadyRunningMessage(name));
    return false;
  }
  running.add(key);
  try {
    return await transferOnce(services, text, kind, reference, name, addedTag);
  } finally {
    running.delete(key);
  }
}

async function transferOnce(
  services: Services,
  text: string,
  kind: TransferKind,
  reference: ImageReference,
  name: string,
  addedTag?: AddedTag,
): Promise<boolean> {
  const { session, docker, logger } = services;
  let snapshot: AccountSnapshot | undefined;
  let moved = false;
  /** What stays locally when this transfer does not happen (a push from the palette may have added a tag). */
  const stays = async () => (addedTag ? await takeBack(services, addedTag) : kind.action === 'push' ? UNCHANGED() : undefined);
  const withStays = (sentence: string, after: string | undefined) => (after ? vscode.l10n.t('{0} {1}', sentence, after) : sentence);
  try {
    const account = (snapshot = await session.snapshot()); // a const for the closures below
    const connection = await docker.connect();
    const refusals = await preflight(services, account, reference, kind.action);
    // Advisory refusals are Synapse's prediction, not its decision: warn and let the registry decide.
    const blocking = refusals.filter((r) => !r.advisory);
    if (blocking.length > 0) return explainRefusals(services, blocking, kind.action, addedTag ? await stays() : undefined);
    const note = advisoryNote(
      services,
      refusals.filter((r) => r.advisory),
      kind.action,
    );
    // Declined: nothing is sent, and a tag this push added is taken back.
    if (!(await confirmCredentialsToEngine(services, connection))) {
      if (addedTag) await stays();
      return false;
    }
    const auth = account.registryAuth(reference.registry);
    const started = Date.now();
    const digest = await withNotificationProgress({ title: kind.progressTitle(name), cancellable: true }, (progress, cancellation) => {
      const onProgress = reportTransfer(progress, note);
      return whileLinked([abortSignalFor(cancellation), account.signal], (signal) =>
        kind.run(connection, {
          docker: connection.docker,
          endpoint: connection.endpoint,
          reference,
          auth,
          signal,
          onProgress,
        }),
      );
    });
    moved = true;
    logger.info(`${kind.action === 'push' ? 'Pushed' : 'Pulled'} ${name} (${digest}) in ${Date.now() - started} ms`);
    await kind.succeeded(services, connection, account, reference, name, digest);
    return true;
  } catch (error) {
    docker.noteFailure(error); // an engine gone since it was reached: the tree says so, with Retry
    if (isCancellation(error) && !moved) {
      const ended = accountEnded(snapshot?.signal) ?? (error instanceof AccountEndedError ? error : undefined);
      // After a palette push its tag may be gone: "Push Again" starts from the palette then.
      const step =
        ended?.reason === 'signed-out'
          ? commandStep(vscode.l10n.t('Sign In'), 'synapseDocker.signIn')
          : commandStep(
              kind.action === 'push' ? vscode.l10n.t('Push Again') : vscode.l10n.t('Pull Again'),
              commandOf(kind.action),
              ...(addedTag ? [] : [text]),
            );
      if (ended) logger.info(`${kind.action} of ${name} cancelled: ${ended.message}`);
      void notify('info', withStays(ended ? kind.accountEndedMessage(name, ended) : kind.cancelledMessage(name), await stays()), step);
      return false;
    }
    if (error instanceof NotSignedInError) {
      const after = addedTag ? await stays() : undefined;
      void notify(
        'error',
        withStays(vscode.l10n.t('{0}: {1}', kind.failedTitle(name), error.message), after),
        commandStep(vscode.l10n.t('Sign In'), 'synapseDocker.signIn'),
      );
      return false;
    }
    if (dockerErrors.isRegistryDenied(error) && snapshot) {
      return explainDenial(services, snapshot, reference, kind.action, error, addedTag ? await stays() : undefined);
    }
    const after = addedTag && !moved ? await stays() : undefined;
    showError(services, kind.failedTitle(name), error, after);
    return false;
  }
}

/** Synapse's permission checks, with progress and Cancel; they stop when the account ends. */
async function preflight(
  services: Services,
  snapshot: AccountSnapshot,
  reference: ImageReference,
  action: 'push' | 'pull',
): Promise<PreflightRefusal[]> {
  const check = action === 'push' ? checkPushAllowed : checkPullAllowed;
  return withNotificationProgress(
    { title: vscode.l10n.t('Checking permissions with Synapse…'), cancellable: true },
    (_progress, cancellation) =>
      whileLinked([abortSignalFor(cancellation), snapshot.signal], (signal) =>
        check({ client: snapshot.client, reference, scopes: snapshot.account.scopes, portalUrl: services.settings().portalUrl, signal }),
      ),
  );
}

/** Takes back the tag the palette push added, and says in one sentence what stays. */
async function takeBack(services: Services, added: AddedTag): Promise<string> {
  let outcome: UndoOutcome;
  try {
    const connection = await services.docker.connect();
    outcome = await undoTag(connection.docker, added);
  } catch (error) {
    outcome = { kind: 'kept', detail: (error as Error).message };
  }
  services.logger.info(
    `Tag ${added.reference} added for the push: ${outcome.kind}${outcome.kind === 'kept' ? ` (${outcome.detail})` : ''}`,
  );
  switch (outcome.kind) {
    case 'unchanged':
      return UNCHANGED();
    case 'removed':
      return vscode.l10n.t('The tag {0} added for this push was removed; the image and its other tags are unchanged.', added.reference);
    case 'restored':
      return vscode.l10n.t('The tag {0} names the image it named before this push again.', added.reference);
    case 'changed-elsewhere':
      return vscode.l10n.t(
        'The tag {0} added for this push was changed outside the extension meanwhile and was left as it is.',
        added.reference,
      );
    case 'kept':
      return vscode.l10n.t('The tag {0} added for this push stays on the image; remove it with: docker rmi {0}', added.reference);
  }
}

/** The registry only says "denied": ask Synapse why (the same checks as preflight, same account), and say that. */
async function explainDenial(
  services: Services,
  snapshot: AccountSnapshot,
  reference: ImageReference,
  action: 'push' | 'pull',
  error: RegistryDeniedError,
  stays?: string,
): Promise<boolean> {
  services.logger.error(`The registry refused the ${action}: ${error.message}`);
  try {
    const check = action === 'push' ? checkPushAllowed : checkPullAllowed;
    const refusals = await check({
      client: snapshot.client,
      reference,
      scopes: snapshot.account.scopes,
      portalUrl: services.settings().portalUrl,
      signal: snapshot.signal,
    });
    if (refusals.length > 0) {
      showRefusal(services, refusals[0], refusals.length - 1, action, stays);
      return false;
    }
  } catch (diagnosisError) {
    services.logger.warn(`Couldn't find out why the registry refused: ${(diagnosisError as Error).message}`);
  }
  const detail = vscode.l10n.t(
    '{0} Synapse reports no permission problem; your token may have expired or been revoked — sign in again.',
    error.raw ?? error.message,
  );
  showError(
    services,
    vscode.l10n.t('The registry refused the {0}', action),
    new Error(stays ? vscode.l10n.t('{0} {1}', detail, stays) : detail),
  );
  return false;
}

/** What the push stored (media type, platforms), read back through the engine; undefined when it cannot be read. */
async function readBackManifest(
  services: Services,
  connection: DockerConnection,
  snapshot: AccountSnapshot,
  reference: ImageReference,
  digest: string,
): Promise<PushedManifest | undefined> {
  try {
    const pushed = await connection.module.inspectPushedManifest({
      docker: connection.docker,
      endpoint: connection.endpoint,
      reference,
      digest,
      auth: snapshot.registryAuth(reference.registry),
      signal: snapshot.signal,
    });
    const platforms = pushed.platforms.map(connection.module.formatPlatform).join(', ') || 'platform unknown';
    services.logger.info(`Pushed manifest ${pushed.digest}: ${pushed.mediaType} (${platforms})`);
    return pushed;
  } catch (error) {
    services.logger.warn(`Couldn't read back the manifest pushed for ${reference.path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Waits, on Synapse's notification timing (core/pushWait), for Synapse to list the pushed commit, then reveals it in the tree. */
async function announcePush(
  services: Services,
  snapshot: AccountSnapshot,
  reference: ImageReference,
  digest: string,
  pushed: PushedManifest | undefined,
  pushedAt: number,
): Promise<void> {
  const repositoryName = `${reference.registry}/${reference.path}`;
  const tag = reference.tag ?? 'latest';
  const client = snapshot.client;
  const mediaType = pushed?.mediaType;
  // The push is done: the wait is background work, shown in the status bar rather than as one more
  // toast (a toast that closes just as the result's toast opens can leave the result unseen).
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Waiting for Synapse to list {0}:{1}…', repositoryName, tag) },
    (_progress, cancellation) =>
      whileLinked([abortSignalFor(cancellation), snapshot.signal], (signal) =>
        waitForPushedCommit({ client, repositoryName, tag, digest, mediaType, pushedAt, signal }),
      ),
  );
  const found = result.kind === 'listed' ? result : undefined;
  const repository =
    found &&
    (await client.getEntity(found.repositoryId, snapshot.signal).catch((error: unknown) => {
      if (accountEnded(snapshot.signal)) return undefined;
      throw error;
    }));
  const ended = accountEnded(snapshot.signal);
  if (ended) {
    // The push happened; only the wait for Synapse stopped, with the account it was for.
    services.logger.info(`Stopped waiting for Synapse to list ${repositoryName}:${tag}: ${ended.message}`);
    const message =
      ended.reason === 'signed-out'
        ? vscode.l10n.t(
            'Pushed {0}:{1} ({2}). Stopped waiting for Synapse to list it because you signed out of Synapse.',
            repositoryName,
            tag,
            digest,
          )
        : vscode.l10n.t(
            'Pushed {0}:{1} ({2}). Stopped waiting for Synapse to list it because the Synapse account changed.',
            repositoryName,
            tag,
            digest,
          );
    void notify(
      'info',
      message,
      ended.reason === 'signed-out'
        ? commandStep(vscode.l10n.t('Sign In'), 'synapseDocker.signIn')
        : commandStep(vscode.l10n.t('Refresh'), 'synapseDocker.refresh'),
    );
    return;
  }
  if (!found || !repository) {
    const unlisted = explainUnlistedPush({ reference: `${repositoryName}:${tag}`, digest, mediaType, waitedMs: result.waitedMs });
    const detail =
      result.kind === 'not-listed'
        ? `${result.polls} polls${result.stopped ? ', stopped' : ''}${result.lastError ? `, last error: ${result.lastError}` : ''}${result.listedDigest ? `, tag lists ${result.listedDigest}` : ''}`
        : '';
    services.logger.warn(
      `Synapse has not listed ${repositoryName}:${tag} (${digest}, ${mediaType ?? 'media type unknown'}) after ${result.waitedMs} ms (${detail}): ${unlisted.reason}`,
    );
    // A repository Synapse knows can still be submitted to a challenge: the checks then say whether the digest is a commit yet.
    // Not a manifest type Synapse's rule may never record: that digest can never be submitted.
    const knownId =
      unlisted.reason === 'not-listed-yet'
        ? await client.findDockerRepositoryId(repositoryName, snapshot.signal).catch(() => undefined)
        : undefined;
    const submitStep = knownId
      ? [commandStep(vscode.l10n.t('Submit to Challenge…'), 'synapseDocker.submitToChallenge', { repositoryId: knownId, tag, digest })]
      : [];
    void notify('warning', unlisted.message, commandStep(vscode.l10n.t('Refresh'), 'synapseDocker.refresh'), ...submitStep);
    return;
  }
  if (isDockerRepository(repository)) await revealTag(services, reference, repository, found.commit);
  const steps: NextStep[] = [
    {
      title: vscode.l10n.t('Open in Synapse'),
      run: () => vscode.env.openExternal(vscode.Uri.parse(portalEntityUrl(services.settings().portalUrl, found.repositoryId))),
    },
  ];
  if (isDockerRepository(repository))
    steps.unshift({
      title: vscode.l10n.t('Copy Digest Reference'),
      run: () => vscode.env.clipboard.writeText(digestReference(repository, found.commit)),
    });
  // Most pushes to docker.synapse.org are challenge entries: the next step is offered here.
  steps.push(
    commandStep(vscode.l10n.t('Submit to Challenge…'), 'synapseDocker.submitToChallenge', {
      repositoryId: found.repositoryId,
      tag,
      digest: found.commit.digest,
    }),
  );
  void notify('info', vscode.l10n.t('Pushed {0}:{1} to Synapse.', repositoryName, tag), ...steps);
}

/** Reloads only the project's repositories (and their tags), then reveals and selects the new tag. */
async function revealTag(services: Services, reference: ImageReference, repository: DockerRepository, commit: DockerCommit): Promise<void> {
  const { tree, treeView } = services;
  const project = projectNode({ id: reference.projectId, name: reference.projectId }, services.pins.has(reference.projectId));
  const repositoryInTree = repositoryNode(repository, project);
  const tagInTree = tagNode(commit, repositoryInTree);
  try {
    // A new repository sorts last, so it may be past the first page: load pages until it (and the
    // tag) is listed, then let the view re-read the project.
    tree.model.reset(project);
    await loadUntilListed(tree, project, (node) => node.kind === 'repository' && node.repository.id === repository.id);
    await loadUntilListed(tree, repositoryInTree, (node) => node.kind === 'tag' && node.commit.tag === commit.tag);
    tree.showReloaded(project);
    await treeView.reveal(tagInTree, { select: true, focus: false, expand: true });
  } catch (error) {
    services.logger.warn(`Couldn't reveal ${reference.path}:${commit.tag} in the tree: ${(error as Error).message}`);
  }
}

/** Loads further pages under `parent` until a child matches (at most 50 pages). */
async function loadUntilListed(tree: Services['tree'], parent: ContainerNode, listed: (node: TreeNode) => boolean): Promise<void> {
  for (let pages = 0; pages < 50; pages++) {
    const children = await tree.getChildren(parent);
    if (children.some(listed)) return;
    const more = children.find((node): node is LoadMoreNode => node.kind === 'loadMore');
    if (!more) return;
    await tree.model.loadMore(more);
  }
}
