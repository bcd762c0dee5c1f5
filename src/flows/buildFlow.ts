// Build an image from a Dockerfile for a Synapse project: project → repository → tag → options
// (each step with Back), then a cancellable build whose full output goes to the log.
// The command (commands/buildImage.ts) only hands the Dockerfile over.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandStep, notify, withNotificationProgress } from '../ui/notify';
import { formatBytes } from '../core/util/bytes';
import { assessContextFolderOnDisk, contextRiskSentences, describeContextUpload } from '../core/contextFolder';
import { NameError, parseImageReference, synapseImageName } from '../core/naming';
import { abortSignalFor, isCancellation, showError } from '../ui/errors';
import { completeTarget, ImageTargetState, projectStep, repositoryStep, tagStep } from './targetSteps';
import type { CommandId } from '../commands/ids';
import { input, pick, StepInfo, runWizard } from '../ui/wizard';
import type { Services } from '../services';
import { type DockerConnection, dockerErrors } from '../host/dockerAccess';
import { confirmCredentialsToEngine } from '../host/engineTrust';
import type { BuildEngine, BuildPlanInfo } from '../core/docker';

interface BuildPlan extends ImageTargetState {
  buildArgs: Record<string, string>;
  target?: string;
  platform?: string;
  noCache: boolean;
}

const DOCKERFILE_GLOB = '**/{Dockerfile,Dockerfile.*,*.Dockerfile,*.dockerfile}';

const BUILD = 'synapseDocker.buildImage' satisfies CommandId;

/** The whole build, from a Dockerfile (or none: then one is picked from the workspace). */
export async function buildFromDockerfile(services: Services, argument?: unknown): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void notify(
      'error',
      vscode.l10n.t('Building images is disabled in Restricted Mode: a Dockerfile can run any command. Trust this workspace to build.'),
      commandStep(vscode.l10n.t('Manage Workspace Trust'), 'workbench.trust.manage'),
    );
    return undefined;
  }
  // A rebuild asked for by another flow (Submit to Challenge: "rebuild with platform linux/amd64"):
  // the same target, that platform, from the Dockerfile last built for it when one is remembered.
  const rebuild = rebuildRequest(argument);
  const dockerfile =
    argument instanceof vscode.Uri
      ? argument
      : ((rebuild && rememberedDockerfile(services, rebuild.reference)) ?? (await pickDockerfile()));
  if (!dockerfile) return undefined;
  try {
    // The engine first: an unreachable one is said at once, not after four questions.
    const engine = await checkEngine(services, dockerfile);
    if (!engine) return undefined;
    // So is a .dockerignore that docker build would refuse. (The build reads it again: it may be
    // edited while the wizard asks.)
    await engine.connection.module.loadDockerignore(contextDirectory(services, dockerfile), dockerfile.fsPath);
    const plan = await planBuild(services, dockerfile, rebuild);
    return plan ? await runBuild(services, dockerfile, plan, engine) : undefined;
  } catch (error) {
    showError(services, vscode.l10n.t('Build failed'), error);
    return undefined;
  }
}

interface CheckedEngine {
  connection: DockerConnection;
  engine: BuildEngine;
}

/**
 * Asks the engine what a build there will be (product, version, builder, platform). When it
 * cannot be reached, says so with Retry (which starts this build again) and resolves undefined;
 * the tree learns it too.
 */
async function checkEngine(services: Services, dockerfile: vscode.Uri): Promise<CheckedEngine | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking the Docker engine…') },
      async () => {
        const connection = await services.docker.connect();
        const engine = await connection.module.inspectBuildEngine(connection.docker, { endpoint: connection.endpoint });
        return { connection, engine };
      },
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    services.logger.warn(`Build of ${dockerfile.fsPath} not started: the Docker engine did not answer: ${reason}`);
    // A connection made earlier may be stale: the next attempt (and the tree) asks the engine anew.
    services.docker.reset();
    void services.docker.connect().catch(() => undefined);
    void notify(
      'error',
      vscode.l10n.t('The Docker engine cannot be reached, so nothing can be built: {0}', reason),
      commandStep(vscode.l10n.t('Retry'), BUILD, dockerfile),
    );
    return undefined;
  }
}

/** The sentence that says where and how the build runs. */
export function describeBuildPlan(plan: BuildPlanInfo): string {
  const engine = `${plan.engine.product} ${plan.engine.version}`;
  if (plan.engine.podman) return vscode.l10n.t('Building on {0} with Buildah for {1}.', engine, plan.platform);
  return plan.builder === 'buildkit'
    ? vscode.l10n.t('Building on {0} with BuildKit for {1}.', engine, plan.platform)
    : vscode.l10n.t('Building on {0} with the classic builder for {1}.', engine, plan.platform);
}

async function pickDockerfile(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles(DOCKERFILE_GLOB, '**/node_modules/**', 200);
  if (files.length === 0) {
    void notify('info', vscode.l10n.t('No Dockerfile in this workspace.'), {
      title: vscode.l10n.t('Choose a Dockerfile…'),
      run: async () => {
        const [picked] =
          (await vscode.window.showOpenDialog({ title: vscode.l10n.t('Build an image for Synapse'), canSelectMany: false })) ?? [];
        if (picked) await vscode.commands.executeCommand(BUILD, picked);
      },
    });
    return undefined;
  }
  if (files.length === 1) return files[0];
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: vscode.l10n.t('Build an image for Synapse'), placeHolder: vscode.l10n.t('Dockerfile') },
  );
  return picked?.uri;
}

function lastTagKey(dockerfile: vscode.Uri): string {
  return `synapseDocker.lastTag:${dockerfile.toString()}`;
}

/** `{ platform, reference }`: build this reference again for this platform. */
export interface RebuildRequest {
  platform: string;
  /** registry/synID/name:tag */
  reference: string;
}

function rebuildRequest(argument: unknown): RebuildRequest | undefined {
  const value = argument as Partial<RebuildRequest> | undefined;
  return value && typeof value.platform === 'string' && typeof value.reference === 'string'
    ? { platform: value.platform, reference: value.reference }
    : undefined;
}

/** The target of a reference, as the build wizard remembers one. */
function targetOf(services: Services, reference: string): ImageTargetState | undefined {
  const parsed = parseImageReference(reference, { registry: services.settings().registry });
  if (parsed instanceof NameError || !parsed.tag) return undefined;
  return { project: { id: parsed.projectId, name: parsed.projectId }, repositoryName: parsed.name, tag: parsed.tag };
}

/** The Dockerfile whose last build was for this reference's repository. */
function rememberedDockerfile(services: Services, reference: string): vscode.Uri | undefined {
  const target = targetOf(services, reference);
  if (!target) return undefined;
  for (const key of services.workspaceState.keys()) {
    if (!key.startsWith('synapseDocker.lastTag:')) continue;
    const remembered = services.workspaceState.get<ImageTargetState>(key);
    if (remembered?.project?.id === target.project?.id && remembered?.repositoryName === target.repositoryName)
      return vscode.Uri.parse(key.slice('synapseDocker.lastTag:'.length));
  }
  return undefined;
}

async function planBuild(services: Services, dockerfile: vscode.Uri, rebuild?: RebuildRequest): Promise<BuildPlan | undefined> {
  const client = await services.session.client();
  const config = services.buildSettings(dockerfile);
  const asked = rebuild && targetOf(services, rebuild.reference);
  const remembered = asked ?? services.workspaceState.get<ImageTargetState>(lastTagKey(dockerfile));
  const folderName = path.basename(path.dirname(dockerfile.fsPath));
  const plan: BuildPlan = {
    ...remembered,
    tag: undefined,
    buildArgs: config.args,
    target: config.target || undefined,
    platform: rebuild?.platform ?? (config.platform || undefined),
    noCache: config.noCache,
  };
  return runWizard<BuildPlan>(vscode.l10n.t('Build {0} for Synapse', vscode.workspace.asRelativePath(dockerfile)), plan, [
    projectStep(client, services.pins.list()),
    repositoryStep(client, services.settings().registry, folderName),
    tagStep(remembered?.tag ?? 'latest'),
    optionsStep,
  ]);
}

/** "Build now", or adjust build args, target stage, platform and no-cache first. */
async function optionsStep(plan: BuildPlan, info: StepInfo): Promise<void> {
  for (;;) {
    const args = Object.entries(plan.buildArgs)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const items = [
      { label: `$(play) ${vscode.l10n.t('Build now')}`, id: 'build' },
      { label: vscode.l10n.t('Build arguments'), description: args || vscode.l10n.t('none'), id: 'args' },
      { label: vscode.l10n.t('Target stage'), description: plan.target ?? vscode.l10n.t('last stage'), id: 'target' },
      { label: vscode.l10n.t('Platform'), description: plan.platform ?? vscode.l10n.t("the engine's"), id: 'platform' },
      {
        label: vscode.l10n.t('Use the build cache'),
        description: plan.noCache ? vscode.l10n.t('no (--no-cache)') : vscode.l10n.t('yes'),
        id: 'cache',
      },
    ];
    const chosen = await pick(info, { placeholder: vscode.l10n.t('More options, or build'), items });
    switch (chosen.id) {
      case 'build':
        return;
      case 'args':
        plan.buildArgs =
          parseBuildArgs(
            await input(info, {
              prompt: vscode.l10n.t('Build arguments as KEY=VALUE separated by spaces'),
              value: args,
              validate: (v) => (parseBuildArgs(v) ? undefined : vscode.l10n.t('Expected KEY=VALUE pairs separated by spaces')),
            }),
          ) ?? {};
        break;
      case 'target':
        plan.target =
          (await input(info, { prompt: vscode.l10n.t('Target stage (empty for the last stage)'), value: plan.target })).trim() || undefined;
        break;
      case 'platform':
        plan.platform =
          (
            await input(info, {
              prompt: vscode.l10n.t('Platform, e.g. linux/amd64 (empty for the engine default)'),
              value: plan.platform,
              validate: (v) =>
                v.trim() === '' || /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(v.trim())
                  ? undefined
                  : vscode.l10n.t('Expected os/arch, e.g. linux/amd64'),
            })
          ).trim() || undefined;
        break;
      case 'cache':
        plan.noCache = !plan.noCache;
        break;
    }
  }
}

export function parseBuildArgs(text: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const pair of text.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
    if (!match) return undefined;
    result[match[1]] = match[2];
  }
  return result;
}

function contextDirectory(services: Services, dockerfile: vscode.Uri): string {
  const setting = services.buildSettings(dockerfile).context;
  if (!setting) return path.dirname(dockerfile.fsPath);
  const folder = vscode.workspace.getWorkspaceFolder(dockerfile)?.uri.fsPath ?? path.dirname(dockerfile.fsPath);
  return path.resolve(folder, setting);
}

function contextAllowedKey(folder: string): string {
  return `synapseDocker.contextAllowed:${folder}`;
}

/**
 * The whole context folder goes to the engine: when it is the home folder, a file system root,
 * or outside the workspace, ask first (modal), naming the folder; the answer is remembered for
 * this workspace only when the user says so.
 */
async function confirmContextFolder(services: Services, dockerfile: vscode.Uri, contextDir: string): Promise<boolean> {
  const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
  const assessment = await assessContextFolderOnDisk(contextDir, { workspaceFolders, homeDir: os.homedir() });
  if (assessment.risks.length === 0) return true;
  if (services.workspaceState.get<boolean>(contextAllowedKey(assessment.folder)) === true) {
    services.logger.info(`Build context ${assessment.folder} (${assessment.risks.join(', ')}) was allowed earlier for this workspace`);
    return true;
  }
  const detail = [...contextRiskSentences(assessment, workspaceFolders)];
  if (contextDir !== path.dirname(dockerfile.fsPath))
    detail.push(vscode.l10n.t('This folder comes from the setting synapseDocker.build.context.'));
  const send = vscode.l10n.t('Send This Folder');
  const always = vscode.l10n.t('Always Send This Folder from This Workspace');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Send the build context {0} to the Docker engine?', assessment.folder),
    { modal: true, detail: detail.join('\n\n') },
    send,
    always,
  );
  if (choice === always) await services.workspaceState.update(contextAllowedKey(assessment.folder), true);
  services.logger.info(
    `Build context ${assessment.folder} (${assessment.risks.join(', ')}): ${choice === undefined ? 'not sent' : 'sent after asking'}`,
  );
  return choice === send || choice === always;
}

/**
 * Credentials for base images on the Synapse registry, only when the Dockerfile may pull from it
 * (FROM <registry>/…, or an ARG-decided image) and the user lets them go to this engine.
 */
async function baseImageAuth(services: Services, connection: DockerConnection, dockerfile: vscode.Uri, registry: string) {
  let text: string;
  try {
    text = Buffer.from(await vscode.workspace.fs.readFile(dockerfile)).toString('utf8');
  } catch {
    return undefined; // the build itself says what is wrong with the file
  }
  if (!connection.module.mayPullFrom(connection.module.scanDockerfile(text), registry)) return undefined;
  if (!(await confirmCredentialsToEngine(services, connection))) {
    services.logger.info(`Building without credentials for ${registry}: base images from it are pulled anonymously`);
    return undefined;
  }
  return (await services.session.snapshot()).registryAuth(registry);
}

async function runBuild(services: Services, dockerfile: vscode.Uri, plan: BuildPlan, checked: CheckedEngine): Promise<string | undefined> {
  const registry = services.settings().registry;
  const target = completeTarget(plan);
  const reference = synapseImageName(registry, target.project.id, target.repositoryName, target.tag);
  await services.workspaceState.update(lastTagKey(dockerfile), {
    project: target.project,
    repositoryName: target.repositoryName,
    tag: target.tag,
  });
  const contextDir = contextDirectory(services, dockerfile);
  if (!(await confirmContextFolder(services, dockerfile, contextDir))) return undefined;
  const { connection, engine } = checked;
  const { logger, output } = services;
  const settings = services.buildSettings(dockerfile);
  const registryAuth = await baseImageAuth(services, connection, dockerfile, registry);
  logger.info(`Building ${reference} from ${dockerfile.fsPath} with the context ${contextDir}`);
  try {
    const result = await withNotificationProgress(
      { title: vscode.l10n.t('Building {0}', reference), cancellable: true },
      (progress, cancellation) => {
        let reported = 0;
        let where = '';
        progress.report({ message: vscode.l10n.t('Reading the build context {0}…', contextDir) });
        return connection.module.buildImage({
          docker: connection.docker,
          endpoint: connection.endpoint,
          engine,
          builder: settings.builder,
          network: settings.network || undefined,
          registryAuth,
          onBuilder: (info) => {
            where = describeBuildPlan(info);
            progress.report({ message: `${where} ${vscode.l10n.t('Reading the build context {0}…', contextDir)}` });
            logger.info(where); // the logger writes to the same output channel
          },
          onCredentialsAsked: (host, answered) =>
            logger.info(
              `BuildKit asked for credentials for ${host}: ${answered ? 'answered with the Synapse token' : 'answered anonymously'}`,
            ),
          contextDir,
          dockerfile: dockerfile.fsPath,
          tags: [reference],
          buildArgs: plan.buildArgs,
          target: plan.target,
          platform: plan.platform,
          noCache: plan.noCache,
          signal: abortSignalFor(cancellation),
          onContext: (summary) => {
            const upload = describeContextUpload(summary);
            progress.report({ message: where ? `${where} ${upload}` : upload });
            logger.info(upload);
            logger.info(`Build context: ${JSON.stringify(summary)}`);
          },
          onOutput: (line) => output.info(line),
          onProgress: (p) => {
            const percent = Math.floor(p.fraction * 100);
            progress.report({ message: p.stepText, increment: Math.max(0, percent - reported) });
            reported = Math.max(reported, percent);
          },
        });
      },
    );
    logger.info(
      `Built ${reference} (${result.imageId}) in ${result.durationMs} ms with ${result.builder}${result.cachedSteps ? `, ${result.cachedSteps} ${result.cachedSteps === 1 ? 'step' : 'steps'} from the cache` : ''}`,
    );
    if (result.contextSent) {
      // BuildKit asks only for the files the Dockerfile uses that it lacks (it keeps what an
      // earlier build of this folder received).
      logger.info(
        `BuildKit asked for ${result.contextSent.files} of the context's ${result.context.filesIncluded} files (${formatBytes(result.contextSent.bytes)} of ${formatBytes(result.context.bytesIncluded)}).`,
      );
    }
    void services.localImages.refresh(connection, registry).catch(() => undefined);
    void notify('info', vscode.l10n.t('Built {0}.', reference), commandStep(vscode.l10n.t('Push'), 'synapseDocker.pushImage', reference));
    return reference;
  } catch (error) {
    if (isCancellation(error)) {
      void notify(
        'info',
        vscode.l10n.t('Build of {0} cancelled.', reference),
        commandStep(vscode.l10n.t('Build Again'), BUILD, dockerfile),
      );
      return undefined;
    }
    const detail = error instanceof Error ? error.message : String(error);
    logger.error(`Build of ${reference} failed: ${detail}`);
    if (dockerErrors.isBuildkitRequired(error)) {
      void notify(
        'error',
        error.message,
        commandStep(vscode.l10n.t('Open Settings'), 'workbench.action.openSettings', 'synapseDocker.build.builder'),
        { title: vscode.l10n.t('Show Output'), run: () => output.show(true) },
      );
      return undefined;
    }
    // A failed step: the core's sentence already names the step and Docker's words.
    const message =
      dockerErrors.isBuildFailed(error) && error.step ? error.message : vscode.l10n.t('Build of {0} failed: {1}', reference, detail);
    void notify('error', message, { title: vscode.l10n.t('Show Output'), run: () => output.show(true) });
    return undefined;
  }
}
