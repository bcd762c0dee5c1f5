// Tag: adds exactly one tag to a local image.
import type Docker from 'dockerode';
import { ImageReference } from '../naming';
import { translateError } from './errors';
import { parseOrThrow, repositoryAndTag } from './imageReferences';

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
