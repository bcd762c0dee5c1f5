// Build, tag, push and pull through the Engine API (dockerode), each with progress and
// cancellation. The engine answers 200 for build/push/pull and reports failure inside the stream,
// so every event is scanned; registry refusals become a typed RegistryDeniedError.
// Nothing here ever removes or re-tags an image on failure: a failed or cancelled push leaves
// the local image and all its tags exactly as they were.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import { formatImageReference, ImageReference, NameError, parseImageReference } from '../naming';
import { BuildContext, BuildContextError, BuildContextSummary, createBuildContext } from './buildContext';
import { DockerEndpoint } from './endpoint';
import { explainConnectionError } from './engine';
import { redact, registerSecret } from '../util/redact';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { buildkitFeatureInError, DockerfileScan, mayPullFrom, scanDockerfile } from './buildkitFeatures';
import { BuildkitSession, openBuildkitSession } from './buildkitSession';
import {
  BuildkitProgressTracker,
  BuildProgress,
  BuildProgressTracker,
  NdjsonParser,
  SHA256_DIGEST,
  StreamEvent,
  TransferProgress,
  TransferProgressTracker,
} from './progress';

export type DockerOperation = 'build' | 'tag' | 'push' | 'pull' | 'login' | 'list' | 'inspect';

/** Registry credentials; they only ever travel in the X-Registry-Auth header (`authconfig`). */
export interface RegistryAuth {
  username: string;
  /** For Synapse: a personal access token. */
  password: string;
  /** The registry host, e.g. docker.synapse.org or 127.0.0.1:5000. */
  serveraddress: string;
}

// ---- errors ---------------------------------------------------------------------------------

/** A failure the engine reported (in the stream, or as an HTTP error). `raw` is its own text. */
export class DockerOperationError extends Error {
  /** The engine's own text, redacted. */
  readonly raw: string;

  constructor(
    readonly operation: DockerOperation,
    message: string,
    raw: string,
    readonly statusCode?: number,
  ) {
    // An engine or registry may echo the credentials (or their X-Registry-Auth encoding): the auth
    // handed to dockerode is registered with this bundle's redactor (authConfig below).
    super(redact(message));
    this.raw = redact(raw);
    this.name = 'DockerOperationError';
  }
}

export type RegistryDenialKind = 'denied' | 'unauthorized' | 'insufficient_scope';

/**
 * The registry refused the operation. For Synapse this always means the bearer token granted no
 * access; the VS Code layer adds the Synapse-side cause (preflight) to `raw`.
 */
export class RegistryDeniedError extends DockerOperationError {
  constructor(
    operation: DockerOperation,
    readonly reference: string,
    readonly kind: RegistryDenialKind,
    raw: string,
    statusCode?: number,
  ) {
    super(operation, registryRefusedMessage(operation, reference, raw), raw, statusCode);
    this.name = 'RegistryDeniedError';
  }
}

/** What an engine says when it spoke HTTPS to a registry that answers plain HTTP. */
const PLAIN_HTTP_ANSWER = /server gave HTTP response to HTTPS client/i;

/**
 * The engine could not check the credentials (POST /auth) because it spoke HTTPS to a registry
 * that answers plain HTTP: nothing was said about the token. On Podman (`podman`) this is its
 * login check's limit (4.x pings https:// only, ignoring registries.conf's `insecure`, which its
 * pushes and pulls honour); on dockerd the registry is missing from its insecure registries.
 */
export class RegistryPlainHttpError extends DockerOperationError {
  readonly podman: boolean;

  constructor(
    readonly registry: string,
    engine: BuildEngine | undefined,
    raw: string,
    statusCode?: number,
  ) {
    super(
      'login',
      engine?.podman
        ? l10n.t({
            message: '{0} cannot check the token against the registry {1}: its login check speaks only HTTPS, and {1} answers plain HTTP. Nothing was said about the token; pushes and pulls work if registries.conf marks {1} insecure.',
            args: [describeEngine(engine), registry],
            comment: ['{0}: the engine, e.g. "Podman 4.3.1". {1}: a registry host[:port].'],
          })
        : l10n.t({
            message: 'The Docker engine spoke HTTPS to the registry {0}, which answers plain HTTP, so the token could not be checked, and pushes and pulls will fail the same way. Add {0} to the engine\'s "insecure-registries" (daemon.json), or serve the registry over HTTPS.',
            args: [registry],
            comment: ['{0}: a registry host[:port].'],
          }),
      raw,
      statusCode,
    );
    this.podman = engine?.podman ?? false;
    this.name = 'RegistryPlainHttpError';
  }
}

/** A build step failed: `step` is the step line ("Step 3/5 : RUN false"), `outputTail` its last output. */
export class BuildFailedError extends DockerOperationError {
  constructor(
    raw: string,
    readonly step: string | undefined,
    readonly outputTail: string[],
  ) {
    super(
      'build',
      step
        ? l10n.t({
            message: 'The build failed at {0}: {1}',
            args: [step, raw],
            comment: ['{0}: the step line as Docker prints it, e.g. "Step 3/5 : RUN make". {1}: the error Docker reported.'],
          })
        : l10n.t('The build failed: {0}', raw),
      raw,
    );
    this.name = 'BuildFailedError';
  }
}

/**
 * The Dockerfile needs BuildKit and the build would run (or ran) on the classic builder: names
 * the feature, where it is, and the fix. `forced` when the setting chose the classic builder.
 */
export class BuildkitRequiredError extends DockerOperationError {
  constructor(
    readonly feature: string,
    readonly line: number | undefined,
    readonly forced: boolean,
    engine: string,
    raw: string,
  ) {
    super('build', buildkitRequiredMessage(feature, line, forced, engine), raw);
    this.name = 'BuildkitRequiredError';
  }
}

function buildkitRequiredMessage(feature: string, line: number | undefined, forced: boolean, engine: string): string {
  const comment = ['{0}: a Dockerfile instruction and option, e.g. "RUN --mount". {1}: a line number of the Dockerfile. {2}: the engine, e.g. "Docker Engine 20.10.24". Setting names, values and the daemon.json text stay as they are.'];
  if (forced) {
    return line === undefined
      ? l10n.t({ message: 'The Dockerfile uses {0}, which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".', args: [feature], comment })
      : l10n.t({ message: 'The Dockerfile uses {0} (line {1}), which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".', args: [feature, line], comment });
  }
  return line === undefined
    ? l10n.t({
        message: 'The Dockerfile uses {0}, which needs BuildKit, and {1} builds with the classic builder. Enable BuildKit in the engine (Docker Engine 23 and later use it by default; older ones need "features": {"buildkit": true} in daemon.json), or set synapseDocker.build.builder to "buildkit".',
        args: [feature, engine],
        comment: ['{0}: a Dockerfile instruction and option, e.g. "RUN --mount". {1}: the engine, e.g. "Docker Engine 20.10.24". Setting names, values and the daemon.json text stay as they are.'],
      })
    : l10n.t({
        message: 'The Dockerfile uses {0} (line {1}), which needs BuildKit, and {2} builds with the classic builder. Enable BuildKit in the engine (Docker Engine 23 and later use it by default; older ones need "features": {"buildkit": true} in daemon.json), or set synapseDocker.build.builder to "buildkit".',
        args: [feature, line, engine],
        comment,
      });
}

/** The operation was cancelled through its AbortSignal (the engine stops when the connection drops). */
export class DockerCancelledError extends Error {
  readonly cancelled = true;
  constructor(readonly operation: DockerOperation) {
    super(cancelledMessage(operation));
    this.name = 'DockerCancelledError';
  }
}

export class ImageNotFoundError extends DockerOperationError {
  constructor(
    operation: DockerOperation,
    readonly reference: string,
  ) {
    super(operation, l10n.t('There is no local image {0}.', reference), `No such image: ${reference}`, 404);
    this.name = 'ImageNotFoundError';
  }
}

// Messages that name the operation are whole sentences, one per operation. Where a message's
// type allows operations that no caller uses today, those share one fallback sentence with the
// operation's keyword as a placeholder.

function registryRefusedMessage(operation: DockerOperation, reference: string, raw: string): string {
  switch (operation) {
    case 'tag':
      return l10n.t('The registry refused the tag of {0}: {1}', reference, raw);
    case 'push':
      return l10n.t('The registry refused the push of {0}: {1}', reference, raw);
    case 'pull':
      return l10n.t('The registry refused the pull of {0}: {1}', reference, raw);
    case 'login':
      return l10n.t('The registry refused the login of {0}: {1}', reference, raw);
    default:
      return l10n.t({
        message: 'The registry refused the {0} of {1}: {2}',
        args: [operation, reference, raw],
        comment: ['{0}: a Docker operation keyword kept in English; no operation uses this sentence today.'],
      });
  }
}

function cancelledMessage(operation: DockerOperation): string {
  switch (operation) {
    case 'build':
      return l10n.t('The build was cancelled.');
    case 'tag':
      return l10n.t('The tag was cancelled.');
    case 'push':
      return l10n.t('The push was cancelled.');
    case 'pull':
      return l10n.t('The pull was cancelled.');
    case 'login':
      return l10n.t('The login was cancelled.');
    case 'list':
      return l10n.t({ message: 'The list was cancelled.', comment: ['Listing the local Docker images was cancelled.'] });
    case 'inspect':
      return l10n.t({ message: 'The inspect was cancelled.', comment: ['Looking up a local Docker image was cancelled.'] });
  }
}

function operationFailedMessage(operation: DockerOperation, raw: string): string {
  switch (operation) {
    case 'build':
      return l10n.t('Docker build failed: {0}', raw);
    case 'tag':
      return l10n.t('Docker tag failed: {0}', raw);
    case 'push':
      return l10n.t('Docker push failed: {0}', raw);
    case 'pull':
      return l10n.t('Docker pull failed: {0}', raw);
    case 'login':
      return l10n.t('Docker login failed: {0}', raw);
    case 'list':
      return l10n.t({ message: 'Docker list failed: {0}', args: [raw], comment: ['Listing the local Docker images failed. {0}: the error Docker reported.'] });
    case 'inspect':
      return l10n.t({ message: 'Docker inspect failed: {0}', args: [raw], comment: ['Looking up a local Docker image failed. {0}: the error Docker reported.'] });
  }
}

/** The operations that follow an engine stream. */
type StreamingOperation = Extract<DockerOperation, 'build' | 'push' | 'pull'>;

function connectionBrokeMessage(operation: StreamingOperation, detail?: string): string {
  if (detail === undefined) {
    switch (operation) {
      case 'build':
        return l10n.t('The connection to the Docker engine broke during the build.');
      case 'push':
        return l10n.t('The connection to the Docker engine broke during the push.');
      case 'pull':
        return l10n.t('The connection to the Docker engine broke during the pull.');
    }
  }
  switch (operation) {
    case 'build':
      return l10n.t('The connection to the Docker engine broke during the build: {0}', detail);
    case 'push':
      return l10n.t('The connection to the Docker engine broke during the push: {0}', detail);
    case 'pull':
      return l10n.t('The connection to the Docker engine broke during the pull: {0}', detail);
  }
}

/** Tags and pushes need a tag (a pull accepts a digest). */
function needsTagMessage(operation: 'tag' | 'push', reference: string): string {
  return operation === 'tag'
    ? l10n.t({
        message: 'A tag needs a tag, not a digest ({0}).',
        args: [reference],
        comment: ['The first "tag" is the operation that names a local image (docker tag), the second an image tag. {0}: an image reference with a digest.'],
      })
    : l10n.t('A push needs a tag, not a digest ({0}).', reference);
}

const DENIAL_PATTERNS: Array<[RegExp, RegistryDenialKind]> = [
  [/insufficient_scope/i, 'insufficient_scope'],
  [/denied: requested access to the resource is denied|pull access denied|\bdenied:/i, 'denied'],
  [/unauthorized: |authentication required|\bunauthorized\b|401 Unauthorized/i, 'unauthorized'],
];

/** Which kind of registry refusal a raw engine message is, if it is one. */
export function registryDenialKind(raw: string): RegistryDenialKind | undefined {
  return DENIAL_PATTERNS.find(([pattern]) => pattern.test(raw))?.[1];
}

/** The engine's own text of an HTTP error from docker-modem ("(HTTP code 404) unexpected - …"). */
function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return ((json as { message: string }).message).trim();
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH']);

/** Turns whatever dockerode rejected with into one of the errors above. */
function translateError(
  error: unknown,
  operation: DockerOperation,
  context: { signal?: AbortSignal; reference?: string; endpoint?: DockerEndpoint },
): Error {
  if (error instanceof DockerOperationError || error instanceof DockerCancelledError) return error;
  if (context.signal?.aborted) return new DockerCancelledError(operation);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code && CONNECTION_CODES.has(code) && context.endpoint && (error as { statusCode?: number }).statusCode === undefined) {
    return explainConnectionError(error, context.endpoint);
  }
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode === undefined) return error instanceof Error ? error : new Error(String(error));
  const raw = engineMessage(error);
  const kind = registryDenialKind(raw);
  if (kind && context.reference && operation !== 'build') return new RegistryDeniedError(operation, context.reference, kind, raw, statusCode);
  if (statusCode === 404 && context.reference && (operation === 'tag' || operation === 'push' || operation === 'inspect')) {
    return new ImageNotFoundError(operation, context.reference);
  }
  return new DockerOperationError(operation, operationFailedMessage(operation, raw), raw, statusCode);
}

// ---- requests -------------------------------------------------------------------------------

/** How long the engine may take to start answering a quick request (list, inspect). */
export const QUICK_ANSWER_TIMEOUT_MS = 15_000;
/** How long it may take to start a push or pull, or to answer a login: it talks to the registry first. */
export const REGISTRY_ANSWER_TIMEOUT_MS = 30_000;

/**
 * The client-side options of one dockerode call. dockerode hands `abortSignal` to docker-modem
 * as the request's own signal, and docker-modem deletes it from the options before they become
 * the query string or the JSON body, but only when it is set: an `abortSignal: undefined` key
 * reaches the wire as `?abortSignal=`. So the key is only ever present with a signal.
 */
function withSignal<T extends object>(options: T, signal: AbortSignal | undefined): T {
  return signal ? { ...options, abortSignal: signal } : { ...options };
}

class AnswerTimeout extends Error {
  constructor() {
    super('timeout');
    this.name = 'AnswerTimeout';
  }
}

/**
 * Runs one engine request under its own AbortSignal, aborted with the caller's or when the engine
 * has not answered within `timeoutMs`; then it rejects with the "did not answer in time" error.
 * A plain timer keeps the deadline: AbortSignal.timeout()/any() timers can be lost to garbage
 * collection (Node 20). For a stream, the deadline covers the wait for the response only.
 */
async function answerWithin<T>(
  operation: DockerOperation,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  endpoint: DockerEndpoint | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new DockerCancelledError(operation);
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new AnswerTimeout());
  }, timeoutMs);
  try {
    return await request(controller.signal);
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError(operation);
    if (timedOut) {
      const timeout = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw endpoint ? explainConnectionError(timeout, endpoint) : new DockerOperationError(operation, l10n.t('The Docker engine did not answer in time.'), timeout.message);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

// ---- streams --------------------------------------------------------------------------------

/**
 * Reads an engine stream to its end, feeding each event to `consume`. Rejects with
 * DockerCancelledError as soon as the signal aborts (the connection is dropped, which stops the
 * engine), or when the connection breaks.
 */
function followStream(
  stream: NodeJS.ReadableStream,
  operation: StreamingOperation,
  consume: (event: StreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = stream as IncomingMessage;
  // A client-wide idle timeout (createDockerClient sets one) must not cut a long, silent build
  // step or a slow layer: once the engine has answered, only the user cancels.
  response.socket?.setTimeout?.(0);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const parser = new NdjsonParser((event) => {
      try {
        consume(event);
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      response.removeListener('data', onData);
      response.removeListener('end', onEnd);
      response.removeListener('error', onError);
      response.removeListener('aborted', onAborted);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      response.destroy?.();
      reject(error);
    };
    const onAbort = () => fail(new DockerCancelledError(operation));
    const onData = (chunk: Buffer | string) => {
      if (!settled) parser.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      parser.end();
      if (response.complete === false) {
        fail(new DockerOperationError(operation, connectionBrokeMessage(operation), 'connection closed'));
        return;
      }
      settled = true;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      if (signal?.aborted) return fail(new DockerCancelledError(operation));
      fail(new DockerOperationError(operation, connectionBrokeMessage(operation, error.message), error.message));
    };
    // The engine closed the connection mid-answer (stopped, restarted, crashed): no detail to add.
    const onAborted = () =>
      signal?.aborted ? fail(new DockerCancelledError(operation)) : fail(new DockerOperationError(operation, connectionBrokeMessage(operation), 'aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    response.on('data', onData);
    response.on('end', onEnd);
    response.on('error', onError);
    response.on('aborted', onAborted);
  });
}

// ---- references -----------------------------------------------------------------------------

function parseOrThrow(reference: string | ImageReference): ImageReference {
  if (typeof reference !== 'string') return reference;
  const parsed = parseImageReference(reference);
  if (parsed instanceof NameError) throw parsed;
  return parsed;
}

/** repository (host/path) and tag, as the engine's push/pull/tag parameters want them. */
function repositoryAndTag(reference: ImageReference, operation: 'tag' | 'push' | 'pull'): { repository: string; tag: string; full: string } {
  if (reference.digest && operation !== 'pull') {
    throw new NameError('digest', needsTagMessage(operation, formatImageReference(reference)));
  }
  const repository = `${reference.registry}/${reference.path}`;
  const tag = reference.tag ?? 'latest';
  return { repository, tag, full: `${repository}:${tag}` };
}

// ---- build ----------------------------------------------------------------------------------

export type BuilderChoice = 'auto' | 'buildkit' | 'classic';
export type Builder = 'buildkit' | 'classic';

/** What a build needs to know about the engine: who it is, its builder, what it builds for. */
export interface BuildEngine {
  /** "Docker Engine" or "Podman". */
  product: string;
  version: string;
  apiVersion: string;
  /** `/_ping`'s Builder-Version header: "2" BuildKit, "1" classic, "" none (Podman, Docker 20.10). */
  builderVersion: string;
  /** The engine's own platform (`/version` Os/Arch), e.g. linux and amd64. */
  os: string;
  arch: string;
  podman: boolean;
}

/** "Docker Engine 20.10.24" — for messages. */
export function describeEngine(engine: BuildEngine): string {
  return `${engine.product} ${engine.version}`;
}

/** GET with the answer's headers kept (docker-modem gives the raw response for a stream). */
function getWithHeaders(docker: Docker, route: string, signal: AbortSignal): Promise<{ headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path: route, method: 'GET', isStream: true, abortSignal: signal, statusCodes: { 200: true, 404: 'not found', 500: 'server error' } } as Parameters<Docker['modem']['dial']>[0],
      (error: unknown, response: unknown) => {
        if (error) return reject(error);
        const stream = response as IncomingMessage;
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          if (body.length < 64 * 1024) body += chunk;
        });
        stream.on('end', () => resolve({ headers: stream.headers, body }));
        stream.on('error', reject);
      },
    );
  });
}

/**
 * Asks the engine (`/_ping` and `/version`) what a build there will be: which product and
 * version, whether it offers BuildKit, and its platform. Rejects with DockerUnreachableError when
 * the engine cannot be reached.
 */
export async function inspectBuildEngine(
  docker: Docker,
  options: { signal?: AbortSignal; endpoint?: DockerEndpoint; answerTimeoutMs?: number } = {},
): Promise<BuildEngine> {
  try {
    return await answerWithin('build', options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS, options.signal, options.endpoint, async (request) => {
      const ping = await getWithHeaders(docker, '/_ping', request);
      const version = JSON.parse((await getWithHeaders(docker, '/version', request)).body) as {
        Version?: unknown; ApiVersion?: unknown; Os?: unknown; Arch?: unknown; Components?: Array<{ Name?: unknown }>;
      };
      const header = (name: string) => {
        const value = ping.headers[name];
        return (Array.isArray(value) ? value[0] : value ?? '').trim();
      };
      const podman = header('libpod-buildah-version') !== '' || (version.Components ?? []).some((c) => typeof c?.Name === 'string' && /podman/i.test(c.Name));
      const text = (value: unknown) => (typeof value === 'string' ? value : '');
      return {
        product: podman ? 'Podman' : 'Docker Engine',
        version: text(version.Version) || '?',
        apiVersion: text(version.ApiVersion),
        builderVersion: header('builder-version'),
        os: text(version.Os) || 'linux',
        arch: text(version.Arch),
        podman,
      };
    });
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new DockerOperationError('build', l10n.t('The Docker engine answered /version with something that is not JSON.'), error.message);
    }
    throw translateError(error, 'build', { signal: options.signal, endpoint: options.endpoint });
  }
}

/** The builder a build will use: the setting's, or BuildKit where the engine offers it. */
export function chooseBuilder(choice: BuilderChoice, engine: BuildEngine): Builder {
  if (choice === 'classic') return 'classic';
  if (choice === 'buildkit') {
    if (engine.podman) {
      throw new DockerOperationError(
        'build',
        l10n.t('{0} builds with Buildah and has no BuildKit, but synapseDocker.build.builder is set to "buildkit". Set it to "auto".', describeEngine(engine)),
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
}

/**
 * A file of the context that could not be read is the build's error, whatever the upload's
 * failure then looked like (EACCES or ENOENT from a file must never read as an engine problem).
 */
function buildError(error: unknown, context: BuildContext, signal: AbortSignal | undefined, endpoint: DockerEndpoint | undefined): Error {
  if (signal?.aborted) return new DockerCancelledError('build');
  const failure = context.failure() ?? (error instanceof BuildContextError ? error : undefined);
  if (failure) return failure;
  return translateError(error, 'build', { signal, endpoint });
}

/** The Dockerfile's text for the checks before a build; undefined when it cannot be read (the context walk then says why). */
async function readDockerfileScan(contextDir: string, dockerfile: string | undefined): Promise<DockerfileScan | undefined> {
  const file = path.resolve(contextDir, dockerfile ?? 'Dockerfile');
  try {
    const handle = await readFile(file);
    return scanDockerfile(handle.subarray(0, 1024 * 1024).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** X-Registry-Config for one registry, base64url as the engine decodes it (docker-modem's own is standard base64). */
function registryConfig(auth: RegistryAuth): { base64: string } {
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
    throw new BuildkitRequiredError(first.feature, first.line, choice === 'classic', describeEngine(engine), `${first.feature} at line ${first.line}`);
  }
  options.onBuilder?.({ engine, builder, platform: options.platform || `${engine.os}/${engine.arch}` });
  if (builder === 'classic' && scan?.syntax) {
    options.onOutput?.(l10n.t('The classic builder ignores the directive # syntax={0}.', scan.syntax));
  }
  let context;
  try {
    context = await createBuildContext({ contextDir: options.contextDir, dockerfile: options.dockerfile, signal });
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError('build');
    throw error;
  }
  options.onContext?.(context.summary);
  const callbacks = { onProgress: options.onProgress, onOutput: options.onOutput };
  const tracker = builder === 'buildkit' ? new BuildkitProgressTracker(callbacks) : new BuildProgressTracker(callbacks);
  const buildOptions: Record<string, unknown> = {
    dockerfile: context.dockerfile,
    t: options.tags,
    // Intermediate containers go away even when a step fails or the build is cancelled.
    rm: true,
    forcerm: true,
  };
  if (builder === 'buildkit') buildOptions.version = '2';
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
        session = await answerWithin('build', QUICK_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) => openBuildkitSession(docker, auth, request, options.onCredentialsAsked));
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
            file: context.stream,
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
      throw (refused instanceof DockerOperationError ? buildahHeredocError(refused.raw, engine, scan) : undefined) ?? classicRefusal(refused, builder, choice, engine);
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
    imageId = shortId.length === 64 ? `sha256:${shortId}` : (await docker.getImage(shortId).inspect().catch(() => undefined))?.Id;
  }
  if (!imageId) throw new DockerOperationError('build', l10n.t('The build ended without reporting an image.'), tracker.outputTail.join('\n'));
  if (!SHA256_DIGEST.test(imageId)) {
    throw new DockerOperationError('build', l10n.t('The Docker engine reported an image id that is not a sha256 digest: {0}', JSON.stringify(imageId).slice(0, 200)), imageId);
  }
  const cachedSteps = tracker instanceof BuildkitProgressTracker ? tracker.cachedSteps : 0;
  return { imageId, tags: [...options.tags], context: context.summary, durationMs: Date.now() - started, builder, cachedSteps };
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
      message: 'The Dockerfile uses {0} (line {1}), which {2} cannot build: its builder, Buildah, took the heredoc\'s lines for instructions ({3}). Use a newer Podman, or write those lines as RUN commands.',
      args: [heredoc.feature, heredoc.line, describeEngine(engine), unknown[0]],
      comment: ['{0}: e.g. "RUN <<EOF". {2}: the engine, e.g. "Podman 4.3.1". {3}: Buildah\'s error, e.g. Unknown instruction: "ECHO".'],
    }),
    raw,
  );
}

/** A classic builder that refused the Dockerfile before building (HTTP 400/500): name the BuildKit feature when it is one. */
function classicRefusal(error: Error, builder: Builder, choice: BuilderChoice, engine: BuildEngine): Error {
  if (builder !== 'classic' || engine.podman || !(error instanceof DockerOperationError)) return error;
  const feature = buildkitFeatureInError(error.raw);
  return feature ? new BuildkitRequiredError(feature, undefined, choice === 'classic', describeEngine(engine), error.raw) : error;
}

// ---- tag ------------------------------------------------------------------------------------

/**
 * Adds exactly one tag to a local image (`source`: an id or any local reference). The new
 * reference must be a valid Synapse image name; a missing tag means `latest`, as with `docker tag`.
 * Returns the full reference that was added.
 */
export async function tagImage(docker: Docker, source: string, reference: string | ImageReference): Promise<string> {
  const target = repositoryAndTag(parseOrThrow(reference), 'tag');
  try {
    await docker.getImage(source).tag({ repo: target.repository, tag: target.tag });
  } catch (error) {
    throw translateError(error, 'tag', { reference: source });
  }
  return target.full;
}

// ---- push / pull ----------------------------------------------------------------------------

export interface TransferOptions {
  docker: Docker;
  /** host/synID/name[:tag] (pull also accepts @digest); a missing tag means `latest`. */
  reference: string | ImageReference;
  auth: RegistryAuth;
  signal?: AbortSignal;
  onProgress?: (progress: TransferProgress) => void;
  endpoint?: DockerEndpoint;
  /** How long the engine may take to start answering (default REGISTRY_ANSWER_TIMEOUT_MS). */
  answerTimeoutMs?: number;
}

function authConfig(auth: RegistryAuth): Docker.AuthConfig {
  // Whatever comes back from this call is redacted with these credentials.
  registerSecret(auth.password);
  return { username: auth.username, password: auth.password, serveraddress: auth.serveraddress };
}

/**
 * The engine sends X-Registry-Auth to whatever registry the reference names, whatever
 * `serveraddress` says: refuse to hand a Synapse token to another registry.
 */
export class RegistryMismatchError extends Error {
  constructor(
    readonly reference: string,
    readonly registry: string,
  ) {
    super(
      l10n.t({
        message: '{0} is not on {1}; the credentials for {1} are only ever sent there.',
        args: [reference, registry],
        comment: ['{0}: an image reference. {1}: a registry host, e.g. docker.synapse.org.'],
      }),
    );
    this.name = 'RegistryMismatchError';
  }
}

function assertSameRegistry(reference: ImageReference, auth: RegistryAuth): void {
  const strip = (host: string) => host.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  if (strip(reference.registry) !== strip(auth.serveraddress)) {
    throw new RegistryMismatchError(formatImageReference(reference), auth.serveraddress);
  }
}

function streamFailure(operation: 'push' | 'pull', reference: string, raw: string): DockerOperationError {
  const kind = registryDenialKind(raw);
  if (kind) return new RegistryDeniedError(operation, reference, kind, raw);
  const message = operation === 'push' ? l10n.t('The push of {0} failed: {1}', reference, raw) : l10n.t('The pull of {0} failed: {1}', reference, raw);
  return new DockerOperationError(operation, message, raw);
}

/**
 * Pushes one tag (never the repository's other tags) and returns the manifest digest the
 * registry stored (sha256:…). On failure or cancel, the local image and its tags are untouched.
 */
export async function pushImage(options: TransferOptions): Promise<string> {
  const { docker, signal } = options;
  const parsed = parseOrThrow(options.reference);
  assertSameRegistry(parsed, options.auth);
  const { repository, tag, full } = repositoryAndTag(parsed, 'push');
  if (signal?.aborted) throw new DockerCancelledError('push');
  // A clear error for a reference that was never tagged locally (the engine's is cryptic).
  const timeoutMs = options.answerTimeoutMs ?? REGISTRY_ANSWER_TIMEOUT_MS;
  if (!(await imageExists(docker, full, signal, { endpoint: options.endpoint, answerTimeoutMs: Math.min(timeoutMs, QUICK_ANSWER_TIMEOUT_MS) }).catch((error) => {
    if (signal?.aborted) throw new DockerCancelledError('push'); // cancelled while checking the tag: the push was
    throw translateError(error, 'push', { signal, reference: full, endpoint: options.endpoint });
  }))) {
    throw new ImageNotFoundError('push', full);
  }
  const tracker = new TransferProgressTracker('push', options.onProgress);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await answerWithin('push', timeoutMs, signal, options.endpoint, (request) =>
      docker.getImage(repository).push(withSignal({ tag, authconfig: authConfig(options.auth) }, request)),
    );
  } catch (error) {
    throw translateError(error, 'push', { signal, reference: full, endpoint: options.endpoint });
  }
  try {
    await followStream(stream, 'push', (event) => tracker.consume(event), signal);
  } catch (error) {
    throw translateError(error, 'push', { signal, reference: full, endpoint: options.endpoint });
  }
  tracker.finish();
  if (tracker.error !== undefined) throw streamFailure('push', full, tracker.error);
  if (!tracker.digest) {
    throw new DockerOperationError('push', l10n.t('The push of {0} ended without a digest from the registry.', full), tracker.messages.join('\n'));
  }
  return tracker.digest;
}

/** Pulls one tag (or digest) and returns the manifest digest (sha256:…). */
export async function pullImage(options: TransferOptions): Promise<string> {
  const { docker, signal } = options;
  const parsed = parseOrThrow(options.reference);
  assertSameRegistry(parsed, options.auth);
  const repository = `${parsed.registry}/${parsed.path}`;
  // By digest when there is one (exactly what was asked for), else by tag; never without either,
  // which would pull every tag of the repository.
  const tagOrDigest = parsed.digest ?? parsed.tag ?? 'latest';
  const full = parsed.digest ? `${repository}@${parsed.digest}` : `${repository}:${tagOrDigest}`;
  if (signal?.aborted) throw new DockerCancelledError('pull');
  const tracker = new TransferProgressTracker('pull', options.onProgress);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await answerWithin('pull', options.answerTimeoutMs ?? REGISTRY_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) =>
      docker.createImage(withSignal({ fromImage: repository, tag: tagOrDigest, authconfig: authConfig(options.auth) }, request)),
    );
  } catch (error) {
    throw translateError(error, 'pull', { signal, reference: full, endpoint: options.endpoint });
  }
  try {
    await followStream(stream, 'pull', (event) => tracker.consume(event), signal);
  } catch (error) {
    throw translateError(error, 'pull', { signal, reference: full, endpoint: options.endpoint });
  }
  tracker.finish();
  if (tracker.error !== undefined) throw streamFailure('pull', full, tracker.error);
  // dockerd closes every pull with "Status: …"; Podman's compatible API ends after its last layer
  // without one. A stream that ends cleanly without it counts only if the image is there now.
  const localDigest = async () => {
    const inspected = await docker.getImage(full).inspect().catch(() => undefined);
    return inspected?.RepoDigests?.find((d) => d.startsWith(`${repository}@`))?.split('@')[1];
  };
  let digest = tracker.digest ?? parsed.digest;
  if (!tracker.status) {
    const found = await localDigest();
    if (!found) {
      throw new DockerOperationError('pull', l10n.t('The pull of {0} ended before the Docker engine reported its result.', full), tracker.messages.join('\n'));
    }
    digest ??= found;
  }
  digest ??= await localDigest();
  if (digest && !SHA256_DIGEST.test(digest)) {
    throw streamFailure('pull', full, l10n.t('The Docker engine reported a digest that is not a sha256 digest: {0}', JSON.stringify(digest).slice(0, 200)));
  }
  if (!digest) throw new DockerOperationError('pull', l10n.t('The pull of {0} ended without a digest.', full), tracker.messages.join('\n'));
  return digest;
}

// ---- auth -----------------------------------------------------------------------------------

export interface RegistryAuthResult {
  /** "Login Succeeded" */
  status: string;
  identityToken?: string;
}

/**
 * Asks the engine to log in to the registry with these credentials (POST /auth). For Synapse,
 * this proves the token works with the registry's token service; it says nothing about push or
 * pull rights on a particular repository. Rejects with RegistryDeniedError when refused.
 */
export async function checkRegistryAuth(
  docker: Docker,
  auth: RegistryAuth,
  signal?: AbortSignal,
  options: { endpoint?: DockerEndpoint; answerTimeoutMs?: number } = {},
): Promise<RegistryAuthResult> {
  if (signal?.aborted) throw new DockerCancelledError('login');
  try {
    // dockerode takes the body and the signal from one object; docker-modem removes the signal
    // before writing the body, which is exactly the authconfig.
    const result = (await answerWithin('login', options.answerTimeoutMs ?? REGISTRY_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) =>
      docker.checkAuth(withSignal(authConfig(auth), request)),
    )) as {
      Status?: string;
      IdentityToken?: string;
    };
    return { status: result?.Status ?? 'Login Succeeded', identityToken: result?.IdentityToken || undefined };
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError('login');
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode !== undefined) {
      const raw = engineMessage(error);
      // Not a refusal: the engine never reached the registry's token check (Podman's /auth does
      // this to every plain-HTTP registry). Which engine it is decides what to tell the user.
      if (PLAIN_HTTP_ANSWER.test(raw)) {
        const engine = await inspectBuildEngine(docker, { signal, endpoint: options.endpoint }).catch(() => undefined);
        if (signal?.aborted) throw new DockerCancelledError('login');
        throw new RegistryPlainHttpError(auth.serveraddress, engine, raw, statusCode);
      }
      const kind = registryDenialKind(raw) ?? (statusCode === 401 ? 'unauthorized' : undefined);
      if (kind) throw new RegistryDeniedError('login', auth.serveraddress, kind, raw, statusCode);
    }
    throw translateError(error, 'login', { signal, reference: auth.serveraddress, endpoint: options.endpoint });
  }
}

// ---- local images ---------------------------------------------------------------------------

export interface LocalImage {
  /** sha256:… */
  id: string;
  /** host/path:tag references (no "<none>:<none>"). */
  repoTags: string[];
  /** host/path@sha256:… references the image was pushed or pulled as. */
  repoDigests: string[];
  /** ISO date. */
  created: string;
  size: number;
}

export interface ListLocalImagesOptions {
  /** Only images with a tag on this registry (host[:port]); their repoTags are narrowed to it. */
  registry?: string;
  /** Also list images without any tag (default false). */
  includeUntagged?: boolean;
  signal?: AbortSignal;
  endpoint?: DockerEndpoint;
  /** How long the engine may take to answer (default QUICK_ANSWER_TIMEOUT_MS). */
  answerTimeoutMs?: number;
}

export async function listLocalImages(docker: Docker, options: ListLocalImagesOptions = {}): Promise<LocalImage[]> {
  let images: Docker.ImageInfo[];
  try {
    images = await answerWithin('list', options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS, options.signal, options.endpoint, (request) =>
      docker.listImages(withSignal({}, request)),
    );
  } catch (error) {
    throw translateError(error, 'list', { signal: options.signal, endpoint: options.endpoint });
  }
  if (!Array.isArray(images)) {
    throw new DockerOperationError('list', l10n.t('The Docker engine answered the image list with something that is not a list.'), JSON.stringify(images)?.slice(0, 200) ?? '');
  }
  const prefix = options.registry ? `${options.registry}/` : undefined;
  const result: LocalImage[] = [];
  for (const image of images) {
    let repoTags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    let repoDigests = (image.RepoDigests ?? []).filter((digest) => !digest.startsWith('<none>@'));
    if (prefix) {
      repoTags = repoTags.filter((tag) => tag.startsWith(prefix));
      repoDigests = repoDigests.filter((digest) => digest.startsWith(prefix));
      if (!repoTags.length) continue;
    } else if (!repoTags.length && !options.includeUntagged) {
      continue;
    }
    result.push({
      id: image.Id,
      repoTags: repoTags.sort(),
      repoDigests: repoDigests.sort(),
      created: new Date(image.Created * 1000).toISOString(),
      size: image.Size,
    });
  }
  return result.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

/** True when the engine has an image by this reference or id. */
export async function imageExists(
  docker: Docker,
  reference: string,
  signal?: AbortSignal,
  options: { endpoint?: DockerEndpoint; answerTimeoutMs?: number } = {},
): Promise<boolean> {
  if (signal?.aborted) throw new DockerCancelledError('inspect');
  try {
    // dockerode's inspect drops the abort signal, so the request goes through docker-modem itself.
    await answerWithin('inspect', options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) =>
      new Promise<unknown>((resolve, reject) => {
        docker.modem.dial(
          {
            path: `/images/${reference}/json`,
            method: 'GET',
            abortSignal: request,
            statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
          } as Parameters<Docker['modem']['dial']>[0],
          (error: unknown, data: unknown) => (error ? reject(error) : resolve(data)),
        );
      }),
    );
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw translateError(error, 'inspect', { signal, endpoint: options.endpoint });
  }
}
