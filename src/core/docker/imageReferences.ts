// Image references as the operations need them (parsed, split into repository and tag).
import { formatImageReference, ImageReference, NameError, parseImageReference } from '../naming';
import { needsTagMessage } from './errors';

export function parseOrThrow(reference: string | ImageReference): ImageReference {
  if (typeof reference !== 'string') return reference;
  const parsed = parseImageReference(reference);
  if (parsed instanceof NameError) throw parsed;
  return parsed;
}

/** repository (host/path) and tag, as the engine's push/pull/tag parameters want them. */
export function repositoryAndTag(
  reference: ImageReference,
  operation: 'tag' | 'push' | 'pull',
): { repository: string; tag: string; full: string } {
  if (reference.digest && operation !== 'pull') {
    throw new NameError('digest', needsTagMessage(operation, formatImageReference(reference)));
  }
  const repository = `${reference.registry}/${reference.path}`;
  const tag = reference.tag ?? 'latest';
  return { repository, tag, full: `${repository}:${tag}` };
}
