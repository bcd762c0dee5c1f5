// Build through the Engine API (classic builder or BuildKit), with progress and cancellation.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import { BuildContext, BuildContextError, BuildContextSummary, createBuildContext, FileSyncSources } from './buildContext';
import { DockerEndpoint } from './endpoint';
import { registerSecret } from '../util/redact';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { buildkitFeatureInError, DockerfileScan, mayPullFrom, scanDockerfile } from './buildkitFeatures';
import { BuildkitSession, FileSyncOffer, openBuildkitSession } from './buildkitSession';
import { createHash } from 'node:crypto';
import { BuildkitProgressTracker, BuildProgress, BuildProgressTracker, SHA256_DIGEST } from './progress';
import { DockerOperationError, BuildFailedError, BuildkitRequiredError, DockerCancelledError, translateError } from './errors';
import { QUICK_ANSWER_TIMEOUT_MS, answerWithin } from './requests';
import { followStream } from './stream';
import { BuildEngine, describeEngine, inspectBuildEngine } from './engineInfo';

export { describeEngine, inspectBuildEngine } from './engineInfo';
export type { BuildEngine } from './engineInfo';
import { authConfig, type RegistryAuth } from './auth';

export type BuilderChoice = 'auto' | 'buildkit' | 'classic';
export type Builder = 'buildkit' | 'classic';

/** The builder a build will use: the setting's, or BuildKit where the engine offers it. */
export function chooseBuilder(choice: BuilderChoice, engine: BuildEngine): Builder {
  if (choice === 'classic') return 'classic';
  if (choice === 'buildkit') {
    if (engine.podman) {
      throw new DockerOperationError(
        'build',
        l10n.t(
          '{0} builds with Buildah and has no BuildKit, but synapseDocker.build.builder is set to "buildkit". Set it to "auto".',
          describeEngine(engine),
        ),
        'no BuildKit on Podman',
      );
    }
    return 'buildkit';
  }
  return engine.builderVersion === '2' ? 'buildkit' : 'classic';
}

export interface BuildImageOptions {
  docker: Docker;
  contextDir: string;
  /** Absolute, or relative to contextDir; default `Dockerfile`. May lie outside the context. */
  dockerfile?: string;
  /** References to tag the result with (the engine applies them only if the build succeeds). */
  tags: string[];
  buildArgs?: Record<string, string>;
  /** Multi-stage target. */
  target?: string;
  /** e.g. linux/amd64. */
  platform?: string;
  noCache?: boolean;
  /** Always try to pull a newer base image. */
  pull?: boolean;
  labels?: Record<string, string>;
  /** `auto` (default): BuildKit where the engine offers it. */
  builder?: BuilderChoice;
  /** The network RUN steps use (`networkmode`): '' or undefined for the engine's default. */
  network?: string;
  /**
   * Credentials for base images on this one registry (FROM <registry>/…): the classic builder gets
   * them in X-Registry-Config, BuildKit through the build session; no other registry gets them.
   */
  registryAuth?: RegistryAuth;
  /** The engine as inspectBuildEngine saw it (asked again when absent). */
  engine?: BuildEngine;
  /** Called with each registry host BuildKit asked the session credentials for (and whether it got them). */
  onCredentialsAsked?: (host: string, answered: boolean) => void;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
  /** Every output line of the build, for the log. */
  onOutput?: (line: string) => void;
  /** Called once the builder is chosen, before the context is read. */
  onBuilder?: (plan: BuildPlanInfo) => void;
  /** Called once the context is walked, before any byte is sent. */
  onContext?: (summary: BuildContextSummary) => void;
  /** For error messages when the engine cannot be reached. */
  endpoint?: DockerEndpoint;
}

export interface BuildPlanInfo {
  engine: BuildEngine;
  builder: Builder;
  /** The platform asked for, or the engine's own (os/arch). */
  platform: string;
}

export interface BuildResult {
  /** sha256:… */
  imageId: string;
  tags: string[];
  context: BuildContextSummary;
  durationMs: number;
  builder: Builder;
  /** Steps BuildKit took from its cache (the classic builder does not say: 0). */
  cachedSteps: number;
  /**
   * The context files BuildKit asked the session for, and their bytes: those the Dockerfile uses
   * (newer BuildKit names them; 20.10's asks for all) that an earlier build of the same folder did not leave it.
   * Undefined when the context went as a tar.
   */
  contextSent?: { files: number; bytes: number };
}

/**
 * A file of the context that could not be read is the build's error, whatever the upload's
 * failure then looked like (EACCES or ENOENT from a file must never read as an engine problem).
 */
export function buildError(
  error: unknown,
  context: BuildContext,
  signal: AbortSignal | undefined,
  endpoint: DockerEndpoint | undefined,
): Error {
  if (signal?.aborted) return new DockerCancelledError('build');
  const failure = context.failure() ?? (error instanceof BuildContextError ? error : undefined);
  if (failure) return failure;
  return translateError(error, 'build', { signal, endpoint });
}

/** The Dockerfile's text for the checks before a build; undefined when it cannot be read (the context walk then says why). */
export async function readDockerfileScan(contextDir: string, dockerfile: string | undefined): Promise<DockerfileScan | undefined> {
  const file = path.resolve(contextDir, dockerfile ?? 'Dockerfile');
  try {
    const handle = await readFile(file);
    return scanDockerfile(handle.subarray(0, 1024 * 1024).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What the session serves BuildKit's file sync: the context, and the Dockerfile's own folder. */
function fileSyncOffer(sources: FileSyncSources, contextDir: string): FileSyncOffer {
  return {
    sources: new Map([
      ['context', sources.context],
      ['dockerfile', sources.dockerfile],
    ]),
    sharedKey: createHash('sha256').update(`synapse-docker:${contextDir}`).digest('hex'),
  };
}

/** X-Registry-Config for one registry, base64url as the engine decodes it (docker-modem's own is standard base64). */
export function registryConfig(auth: RegistryAuth): { base64: string } {
  const config = { [auth.serveraddress]: authConfig(auth) };
  return { base64: Buffer.from(JSON.stringify(config), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_') };
}

export async function buildImage(options: BuildImageOptions): Promise<BuildResult> {
  const started = Date.now();
  const { docker, signal } = options;
  if (signal?.aborted) throw new DockerCancelledError('build');
  const engine = options.engine ?? (await inspectBuildEngine(docker, { signal, endpoint: options.endpoint }));
  const choice = options.builder ?? 'auto';
  const builder = chooseBuilder(choice, engine);
  const scan = await readDockerfileScan(options.contextDir, options.dockerfile);
  // Buildah (Podman) runs these itself; a classic dockerd would refuse or misread them.
  if (builder === 'classic' && !engine.podman && scan?.buildkitOnly.length) {
    const first = scan.buildkitOnly[0];
    throw new BuildkitRequiredError(
      first.feature,
      first.line,
      choice === 'classic',
      describeEngine(engine),
      `${first.feature} at line ${first.line}`,
    );
  }
  options.onBuilder?.({ engine, builder, platform: options.platform || `${engine.os}/${engine.arch}` });
  if (builder === 'classic' && scan?.syntax) {
    options.onOutput?.(l10n.t('The classic builder ignores the directive # syntax={0}.', scan.syntax));
  }
  let context: BuildContext;
  try {
    // BuildKit reads the context through the session's file sync, as `docker build` has it do: the
    // files land where it needs them (a tar body is stored, then unpacked, 1.3-1.9x the CLI's time)
    // and a rebuild sends only what changed. (A name that is not UTF-8 still goes as a tar.)
    context = await createBuildContext({
      contextDir: options.contextDir,
      dockerfile: options.dockerfile,
      signal,
      forFileSync: builder === 'buildkit',
    });
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError('build');
    throw error;
  }
  const fileSync = context.fileSync;
  options.onContext?.(context.summary);
  const callbacks = { onProgress: options.onProgress, onOutput: options.onOutput };
  const tracker = builder === 'buildkit' ? new BuildkitProgressTracker(callbacks) : new BuildProgressTracker(callbacks);
  const buildOptions: Record<string, unknown> = {
    dockerfile: fileSync ? fileSync.dockerfileName : context.dockerfile,
    t: options.tags,
    // Intermediate containers go away even when a step fails or the build is cancelled.
    rm: true,
    forcerm: true,
  };
  if (builder === 'buildkit') buildOptions.version = '2';
  if (fileSync) buildOptions.remote = 'client-session';
  if (options.buildArgs && Object.keys(options.buildArgs).length) buildOptions.buildargs = options.buildArgs;
  if (options.labels && Object.keys(options.labels).length) buildOptions.labels = options.labels;
  if (options.target) buildOptions.target = options.target;
  if (options.platform) buildOptions.platform = options.platform;
  if (options.noCache) buildOptions.nocache = true;
  if (options.pull) buildOptions.pull = true;
  if (options.network) buildOptions.networkmode = options.network;
  // Credentials only when a base image may come from their registry.
  const auth = options.registryAuth && (!scan || mayPullFrom(scan, options.registryAuth.serveraddress)) ? options.registryAuth : undefined;
  if (auth && builder === 'classic') buildOptions.registryconfig = registryConfig(auth);

  let session: BuildkitSession | undefined;
  try {
    // BuildKit asks its session for credentials before every registry pull (anonymous answers
    // included) and fails with "no active sessions" without one, as `docker build` never does.
    if (builder === 'buildkit') {
      if (auth) registerSecret(auth.password);
      try {
        const offer = fileSync ? fileSyncOffer(fileSync, context.summary.contextDir) : undefined;
        session = await answerWithin('build', QUICK_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) =>
          openBuildkitSession(docker, auth, request, options.onCredentialsAsked, offer),
        );
      } catch (error) {
        context.stream.destroy();
        throw buildError(error, context, signal, options.endpoint);
      }
      buildOptions.session = session.id;
    }
    let stream: NodeJS.ReadableStream;
    try {
      // Through docker-modem, not dockerode's buildImage: with version 2 that opens a session of
      // its own, which answers every registry with the same credentials.
      stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
        const { registryconfig, ...query } = buildOptions;
        docker.modem.dial(
          {
            path: '/build?',
            method: 'POST',
            // With file sync, no body at all: docker-modem would send the options as JSON, and the
            // engine holds back its output until a request body it never reads has been read.
            file: fileSync ? Buffer.alloc(0) : context.stream,
            options: query,
            registryconfig,
            abortSignal: signal,
            isStream: true,
            statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
          } as Parameters<Docker['modem']['dial']>[0],
          (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as NodeJS.ReadableStream)),
        );
      });
    } catch (error) {
      context.stream.destroy();
      const refused = buildError(error, context, signal, options.endpoint);
      throw (
        (refused instanceof DockerOperationError ? buildahHeredocError(refused.raw, engine, scan) : undefined) ??
        classicRefusal(refused, builder, choice, engine)
      );
    }
    try {
      await followStream(stream, 'build', (event) => tracker.consume(event), signal);
    } catch (error) {
      context.stream.destroy();
      throw buildError(error, context, signal, options.endpoint);
    }
  } finally {
    session?.close();
  }
  tracker.finish();
  if (tracker.error !== undefined) {
    // A file the session could not read is the cause BuildKit's "error from sender" stands for.
    const unreadable = context.failure();
    if (unreadable) throw unreadable;
    const heredoc = buildahHeredocError(tracker.error, engine, scan);
    if (heredoc) throw heredoc;
    const feature = builder === 'classic' && !engine.podman ? buildkitFeatureInError(tracker.error) : undefined;
    if (feature) throw new BuildkitRequiredError(feature, undefined, choice === 'classic', describeEngine(engine), tracker.error);
    const step = tracker instanceof BuildkitProgressTracker ? tracker.stepText : tracker.progress.stepText;
    throw new BuildFailedError(tracker.error, step, tracker.outputTail);
  }
  let imageId = tracker.imageId;
  // Older engines only print "Successfully built <short id>". Never look the tag up instead: after
  // a stream cut short it would name the image the tag had before this build.
  const shortId = tracker.shortImageId;
  if (!imageId && shortId) {
    imageId =
      shortId.length === 64
        ? `sha256:${shortId}`
        : (
            await docker
              .getImage(shortId)
              .inspect()
              .catch(() => undefined)
          )?.Id;
  }
  if (!imageId)
    throw new DockerOperationError('build', l10n.t('The build ended without reporting an image.'), tracker.outputTail.join('\n'));
  if (!SHA256_DIGEST.test(imageId)) {
    throw new DockerOperationError(
      'build',
      l10n.t('The Docker engine reported an image id that is not a sha256 digest: {0}', JSON.stringify(imageId).slice(0, 200)),
      imageId,
    );
  }
  const cachedSteps = tracker instanceof BuildkitProgressTracker ? tracker.cachedSteps : 0;
  const contextSent = fileSync ? (session?.sent.get('context') ?? { files: 0, bytes: 0 }) : undefined;
  return {
    imageId,
    tags: [...options.tags],
    context: context.summary,
    durationMs: Date.now() - started,
    builder,
    cachedSteps,
    contextSent,
  };
}

/**
 * Buildah without heredoc support (Podman 4.x) reads a heredoc's lines as instructions and fails
 * with `Unknown instruction: "ECHO"`: name the heredoc instead, with its line.
 */
function buildahHeredocError(raw: string, engine: BuildEngine, scan: DockerfileScan | undefined): DockerOperationError | undefined {
  const unknown = /Unknown instruction: "?[^"\s]*"?/i.exec(raw);
  const heredoc = scan?.buildkitOnly.find((feature) => feature.feature.endsWith('<<EOF'));
  if (!engine.podman || !unknown || !heredoc) return undefined;
  return new DockerOperationError(
    'build',
    l10n.t({
      message:
        "The Dockerfile uses {0} (line {1}), which {2} cannot build: its builder, Buildah, took the heredoc's lines for instructions ({3}). Use a newer Podman, or write those lines as RUN commands.",
      args: [heredoc.feature, heredoc.line, describeEngine(engine), unknown[0]],
      comment: ['{0}: e.g. "RUN <<EOF". {2}: the engine, e.g. "Podman 4.3.1". {3}: Buildah\'s error, e.g. Unknown instruction: "ECHO".'],
    }),
    raw,
  );
}

/** A classic builder that refused the Dockerfile before building (HTTP 400/500): name the BuildKit feature when it is one. */
export function classicRefusal(error: Error, builder: Builder, choice: BuilderChoice, engine: BuildEngine): Error {
  if (builder !== 'classic' || engine.podman || !(error instanceof DockerOperationError)) return error;
  const feature = buildkitFeatureInError(error.raw);
  return feature ? new BuildkitRequiredError(feature, undefined, choice === 'classic', describeEngine(engine), error.raw) : error;
}
