// The errors of the Docker operations and their sentences (built here once, whole, for
// translators): what failed, the registry's refusal told apart, a cancel that is not a failure.
import * as l10n from '@vscode/l10n';
import { DockerEndpoint } from './endpoint';
import { explainConnectionError } from './engine';
import { redact } from '../util/redact';

export type DockerOperation = 'build' | 'tag' | 'push' | 'pull' | 'login' | 'list' | 'inspect';

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
    // handed to dockerode is registered with this bundle's redactor (authConfig in auth.ts).
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

export function buildkitRequiredMessage(feature: string, line: number | undefined, forced: boolean, engine: string): string {
  const comment = [
    '{0}: a Dockerfile instruction and option, e.g. "RUN --mount". {1}: a line number of the Dockerfile. {2}: the engine, e.g. "Docker Engine 20.10.24". Setting names, values and the daemon.json text stay as they are.',
  ];
  if (forced) {
    return line === undefined
      ? l10n.t({
          message:
            'The Dockerfile uses {0}, which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".',
          args: [feature],
          comment,
        })
      : l10n.t({
          message:
            'The Dockerfile uses {0} (line {1}), which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".',
          args: [feature, line],
          comment,
        });
  }
  return line === undefined
    ? l10n.t({
        message:
          'The Dockerfile uses {0}, which needs BuildKit, and {1} builds with the classic builder. Enable BuildKit in the engine (Docker Engine 23 and later use it by default; older ones need "features": {"buildkit": true} in daemon.json), or set synapseDocker.build.builder to "buildkit".',
        args: [feature, engine],
        comment: [
          '{0}: a Dockerfile instruction and option, e.g. "RUN --mount". {1}: the engine, e.g. "Docker Engine 20.10.24". Setting names, values and the daemon.json text stay as they are.',
        ],
      })
    : l10n.t({
        message:
          'The Dockerfile uses {0} (line {1}), which needs BuildKit, and {2} builds with the classic builder. Enable BuildKit in the engine (Docker Engine 23 and later use it by default; older ones need "features": {"buildkit": true} in daemon.json), or set synapseDocker.build.builder to "buildkit".',
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

export function registryRefusedMessage(operation: DockerOperation, reference: string, raw: string): string {
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

export function cancelledMessage(operation: DockerOperation): string {
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

export function operationFailedMessage(operation: DockerOperation, raw: string): string {
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
      return l10n.t({
        message: 'Docker list failed: {0}',
        args: [raw],
        comment: ['Listing the local Docker images failed. {0}: the error Docker reported.'],
      });
    case 'inspect':
      return l10n.t({
        message: 'Docker inspect failed: {0}',
        args: [raw],
        comment: ['Looking up a local Docker image failed. {0}: the error Docker reported.'],
      });
  }
}

/** The operations that follow an engine stream. */
export type StreamingOperation = Extract<DockerOperation, 'build' | 'push' | 'pull'>;

export function connectionBrokeMessage(operation: StreamingOperation, detail?: string): string {
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
export function needsTagMessage(operation: 'tag' | 'push', reference: string): string {
  return operation === 'tag'
    ? l10n.t({
        message: 'A tag needs a tag, not a digest ({0}).',
        args: [reference],
        comment: [
          'The first "tag" is the operation that names a local image (docker tag), the second an image tag. {0}: an image reference with a digest.',
        ],
      })
    : l10n.t('A push needs a tag, not a digest ({0}).', reference);
}

export const DENIAL_PATTERNS: Array<[RegExp, RegistryDenialKind]> = [
  [/insufficient_scope/i, 'insufficient_scope'],
  [/denied: requested access to the resource is denied|pull access denied|\bdenied:/i, 'denied'],
  [/unauthorized: |authentication required|\bunauthorized\b|401 Unauthorized/i, 'unauthorized'],
];

/** Which kind of registry refusal a raw engine message is, if it is one. */
export function registryDenialKind(raw: string): RegistryDenialKind | undefined {
  return DENIAL_PATTERNS.find(([pattern]) => pattern.test(raw))?.[1];
}

/** The engine's own text of an HTTP error from docker-modem ("(HTTP code 404) unexpected - …"). */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export const CONNECTION_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Turns whatever dockerode rejected with into one of the errors above. */
export function translateError(
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
  if (kind && context.reference && operation !== 'build')
    return new RegistryDeniedError(operation, context.reference, kind, raw, statusCode);
  if (statusCode === 404 && context.reference && (operation === 'tag' || operation === 'push' || operation === 'inspect')) {
    return new ImageNotFoundError(operation, context.reference);
  }
  return new DockerOperationError(operation, operationFailedMessage(operation, raw), raw, statusCode);
}
