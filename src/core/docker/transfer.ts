// Push and pull of one tag, with progress and cancellation. A failed or cancelled push leaves the
// local image and all its tags exactly as they were.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import { formatImageReference, ImageReference } from '../naming';
import { DockerEndpoint } from './endpoint';
import { SHA256_DIGEST, TransferProgress, TransferProgressTracker } from './progress';
import {
  DockerOperationError,
  RegistryDeniedError,
  DockerCancelledError,
  ImageNotFoundError,
  registryDenialKind,
  translateError,
} from './errors';
import { QUICK_ANSWER_TIMEOUT_MS, REGISTRY_ANSWER_TIMEOUT_MS, withSignal, answerWithin } from './requests';
import { followStream } from './stream';
import { parseOrThrow, repositoryAndTag } from './imageReferences';
import { authConfig, type RegistryAuth } from './auth';
import { imageExists } from './images';

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

export function assertSameRegistry(reference: ImageReference, auth: RegistryAuth): void {
  const strip = (host: string) =>
    host
      .replace(/^[a-z]+:\/\//i, '')
      .replace(/\/+$/, '')
      .toLowerCase();
  if (strip(reference.registry) !== strip(auth.serveraddress)) {
    throw new RegistryMismatchError(formatImageReference(reference), auth.serveraddress);
  }
}

export function streamFailure(operation: 'push' | 'pull', reference: string, raw: string): DockerOperationError {
  const kind = registryDenialKind(raw);
  if (kind) return new RegistryDeniedError(operation, reference, kind, raw);
  const message =
    operation === 'push' ? l10n.t('The push of {0} failed: {1}', reference, raw) : l10n.t('The pull of {0} failed: {1}', reference, raw);
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
  if (
    !(await imageExists(docker, full, signal, {
      endpoint: options.endpoint,
      answerTimeoutMs: Math.min(timeoutMs, QUICK_ANSWER_TIMEOUT_MS),
    }).catch((error) => {
      if (signal?.aborted) throw new DockerCancelledError('push'); // cancelled while checking the tag: the push was
      throw translateError(error, 'push', { signal, reference: full, endpoint: options.endpoint });
    }))
  ) {
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
    throw new DockerOperationError(
      'push',
      l10n.t('The push of {0} ended without a digest from the registry.', full),
      tracker.messages.join('\n'),
    );
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
    const inspected = await docker
      .getImage(full)
      .inspect()
      .catch(() => undefined);
    return inspected?.RepoDigests?.find((d) => d.startsWith(`${repository}@`))?.split('@')[1];
  };
  let digest = tracker.digest ?? parsed.digest;
  if (!tracker.status) {
    const found = await localDigest();
    if (!found) {
      throw new DockerOperationError(
        'pull',
        l10n.t('The pull of {0} ended before the Docker engine reported its result.', full),
        tracker.messages.join('\n'),
      );
    }
    digest ??= found;
  }
  digest ??= await localDigest();
  if (digest && !SHA256_DIGEST.test(digest)) {
    throw streamFailure(
      'pull',
      full,
      l10n.t('The Docker engine reported a digest that is not a sha256 digest: {0}', JSON.stringify(digest).slice(0, 200)),
    );
  }
  if (!digest) throw new DockerOperationError('pull', l10n.t('The pull of {0} ended without a digest.', full), tracker.messages.join('\n'));
  return digest;
}
