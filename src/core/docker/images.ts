// The local images, and whether one exists.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import { DockerEndpoint } from './endpoint';
import { DockerOperationError, DockerCancelledError, translateError } from './errors';
import { QUICK_ANSWER_TIMEOUT_MS, withSignal, answerWithin } from './requests';

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
    throw new DockerOperationError(
      'list',
      l10n.t('The Docker engine answered the image list with something that is not a list.'),
      JSON.stringify(images)?.slice(0, 200) ?? '',
    );
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
    await answerWithin(
      'inspect',
      options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS,
      signal,
      options.endpoint,
      (request) =>
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
