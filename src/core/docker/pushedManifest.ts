// What a push really sent: the manifest's digest, media type and platforms, read back through the
// engine (GET /distribution/{name}@{digest}/json, with the push's X-Registry-Auth). By digest, so
// it describes exactly the manifest this push stored, even if the tag moved since. Synapse records
// a commit only for some manifest media types (synapse-api.md §3.7): this is how the extension
// knows which kind it pushed.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import { formatImageReference, ImageReference } from '../naming';
import { abortScope } from '../util/abort';
import { registerSecret } from '../util/redact';
import type { DockerEndpoint } from './endpoint';
import { explainConnectionError } from './engine';
import { DockerCancelledError, DockerOperationError, QUICK_ANSWER_TIMEOUT_MS, RegistryAuth } from './operations';
import { SHA256_DIGEST } from './progress';

export interface PushedPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PushedManifest {
  digest: string;
  /** e.g. application/vnd.docker.distribution.manifest.v2+json */
  mediaType: string;
  /**
   * The platforms the manifest is for. From the registry when the engine reads them (Engine 20.10
   * does for Docker v2 manifests, not for OCI ones); else from the local image that was pushed;
   * empty when neither says.
   */
  platforms: PushedPlatform[];
}

export interface PushedManifestOptions {
  docker: Docker;
  /** The pushed reference (host/synID/name:tag); its repository is what is read. */
  reference: ImageReference;
  /** The digest the push reported. */
  digest: string;
  auth: RegistryAuth;
  signal?: AbortSignal;
  endpoint?: DockerEndpoint;
  /** How long the engine (which asks the registry) may take (default QUICK_ANSWER_TIMEOUT_MS). */
  answerTimeoutMs?: number;
}

/** Manifest types that describe one image (their platform is the image's own). */
const SINGLE_IMAGE_TYPES = new Set(['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json']);

interface DistributionAnswer {
  Descriptor?: { mediaType?: unknown; digest?: unknown };
  Platforms?: unknown;
}

function platformsOf(value: unknown): PushedPlatform[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: { os?: unknown; architecture?: unknown; variant?: unknown } | null) =>
    entry && typeof entry.os === 'string' && typeof entry.architecture === 'string' && entry.os && entry.architecture
      ? [
          {
            os: entry.os,
            architecture: entry.architecture,
            ...(typeof entry.variant === 'string' && entry.variant ? { variant: entry.variant } : {}),
          },
        ]
      : [],
  );
}

function dial<T>(docker: Docker, options: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    docker.modem.dial(options as unknown as Parameters<Docker['modem']['dial']>[0], (error: unknown, data: unknown) =>
      error ? reject(error) : resolve(data as T),
    ),
  );
}

/** "linux/amd64", "linux/arm64/v8". */
export function formatPlatform(platform: PushedPlatform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * Reads back the manifest a push stored. The registry's answer comes first; the local image's own
 * descriptor (the containerd image store has one) stands in when the registry cannot be asked:
 * Synapse grants pull only on a repository it knows, so right after the first push of a new
 * repository (or one it never recorded) the read-back is denied. Rejects with
 * DockerOperationError (the engine's or the registry's answer in `raw`) when neither says,
 * DockerUnreachableError, or DockerCancelledError.
 */
export async function inspectPushedManifest(options: PushedManifestOptions): Promise<PushedManifest> {
  const { docker, reference, digest, signal } = options;
  const shown = formatImageReference(reference);
  if (!SHA256_DIGEST.test(digest)) {
    throw new DockerOperationError(
      'inspect',
      l10n.t('The push of {0} reported a digest that is not a sha256 digest: {1}', shown, JSON.stringify(digest).slice(0, 200)),
      digest,
    );
  }
  if (signal?.aborted) throw new DockerCancelledError('inspect');
  const local = await localImage(docker, `${reference.registry}/${reference.path}:${reference.tag ?? 'latest'}`, signal);
  const localType =
    local?.Descriptor?.digest === digest && typeof local.Descriptor.mediaType === 'string' && local.Descriptor.mediaType
      ? local.Descriptor.mediaType
      : undefined;
  const localPlatforms = platformsOf([{ os: local?.Os, architecture: local?.Architecture, variant: local?.Variant }]);
  let answer: DistributionAnswer | undefined;
  let unreadable: DockerOperationError | undefined;
  try {
    answer = await readDistribution(options, shown);
  } catch (error) {
    if (!(error instanceof DockerOperationError)) throw error;
    unreadable = error;
  }
  const mediaType = (answer?.Descriptor?.mediaType as string | undefined) ?? localType;
  if (!mediaType) throw unreadable!;
  let platforms = platformsOf(answer?.Platforms);
  if (platforms.length === 0 && (SINGLE_IMAGE_TYPES.has(mediaType) || localType)) platforms = localPlatforms;
  return { digest, mediaType, platforms };
}

/** GET /distribution/{name}@{digest}/json: the engine asks the registry, with the push's credentials. */
async function readDistribution(options: PushedManifestOptions, shown: string): Promise<DistributionAnswer> {
  const { docker, reference, digest, signal } = options;
  registerSecret(options.auth.password);
  const timeoutMs = options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS;
  const scope = abortScope({ signals: [signal], timeoutMs });
  let answer: DistributionAnswer;
  try {
    answer = await dial<DistributionAnswer>(docker, {
      path: `/distribution/${reference.registry}/${reference.path}@${digest}/json`,
      method: 'GET',
      authconfig: { username: options.auth.username, password: options.auth.password, serveraddress: options.auth.serveraddress },
      abortSignal: scope.signal,
      statusCodes: { 200: true, 401: 'unauthorized', 403: 'denied', 404: 'no such manifest', 500: 'server error' },
    });
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError('inspect');
    if (scope.signal.aborted) {
      const timeout = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw options.endpoint
        ? explainConnectionError(timeout, options.endpoint)
        : new DockerOperationError('inspect', l10n.t('The Docker engine did not answer in time.'), timeout.message);
    }
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode === undefined && options.endpoint && (error as NodeJS.ErrnoException).code)
      throw explainConnectionError(error, options.endpoint);
    const json = (error as { json?: { message?: unknown } }).json;
    const raw = (typeof json?.message === 'string' ? json.message : ((error as Error).message ?? String(error))).trim();
    throw new DockerOperationError(
      'inspect',
      l10n.t("Couldn't read back the manifest pushed for {0}: {1}", shown, raw.replace(/\s+/g, ' ')),
      raw,
      statusCode,
    );
  } finally {
    scope.dispose();
  }
  if (typeof answer?.Descriptor?.mediaType !== 'string' || !answer.Descriptor.mediaType || answer.Descriptor.digest !== digest) {
    const raw = JSON.stringify(answer ?? null).slice(0, 500);
    throw new DockerOperationError(
      'inspect',
      l10n.t('The Docker engine described the manifest pushed for {0} in a way the extension does not understand: {1}', shown, raw),
      raw,
    );
  }
  return answer;
}

interface LocalImageAnswer {
  Os?: unknown;
  Architecture?: unknown;
  Variant?: unknown;
  /** The image's manifest or index (API 1.46+, containerd image store only). */
  Descriptor?: { mediaType?: unknown; digest?: unknown };
}

/** The local image the tag names (undefined when it cannot be read: only a fallback). */
async function localImage(docker: Docker, reference: string, signal: AbortSignal | undefined): Promise<LocalImageAnswer | undefined> {
  const scope = abortScope({ signals: [signal], timeoutMs: QUICK_ANSWER_TIMEOUT_MS });
  try {
    return await dial<LocalImageAnswer>(docker, {
      path: `/images/${reference}/json`,
      method: 'GET',
      abortSignal: scope.signal,
      statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
    });
  } catch {
    if (signal?.aborted) throw new DockerCancelledError('inspect');
    return undefined;
  } finally {
    scope.dispose();
  }
}
