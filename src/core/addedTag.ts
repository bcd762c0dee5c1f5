// A tag the extension adds to a local image so it can be pushed (the palette push of an image not
// yet named for Synapse), and how to take it back when that push is cancelled or fails: only
// what this tag step changed, never a tag that was there before, never the image.
import type Docker from 'dockerode';

/** What a tag step changed: `reference` now names `imageId`; before, it named `previousImageId` (or nothing). */
export interface AddedTag {
  reference: string;
  imageId: string;
  previousImageId?: string;
}

export type UndoOutcome =
  /** The reference already named this image: the tag step changed nothing. */
  | { kind: 'unchanged' }
  /** The reference was new and has been removed; the image keeps its other tags. */
  | { kind: 'removed' }
  /** The reference named another image before; it names that one again. */
  | { kind: 'restored'; imageId: string }
  /** Someone re-tagged or removed the reference meanwhile: left as it is. */
  | { kind: 'changed-elsewhere' }
  /** It could not be taken back (the engine refused, or it is the image's only name). */
  | { kind: 'kept'; detail: string };

type Engine = Pick<Docker, 'getImage'>;

/** The image id a reference names locally, or undefined when it names none. */
export async function imageIdOf(docker: Engine, reference: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(reference).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Records what `reference` names before `tag` adds it to `imageId`, then tags. */
export async function addTag(docker: Engine, imageId: string, reference: string, tag: () => Promise<unknown>): Promise<AddedTag> {
  const previousImageId = await imageIdOf(docker, reference);
  await tag();
  return { reference, imageId, previousImageId };
}

function splitReference(reference: string): { repo: string; tag: string } {
  const colon = reference.lastIndexOf(':');
  const slash = reference.lastIndexOf('/');
  return colon > slash ? { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) } : { repo: reference, tag: 'latest' };
}

/** Takes back what the tag step changed, if it is still as the step left it. */
export async function undoTag(docker: Engine, added: AddedTag): Promise<UndoOutcome> {
  if (added.previousImageId === added.imageId) return { kind: 'unchanged' };
  try {
    if ((await imageIdOf(docker, added.reference)) !== added.imageId) return { kind: 'changed-elsewhere' };
    if (added.previousImageId) {
      const { repo, tag } = splitReference(added.reference);
      await docker.getImage(added.previousImageId).tag({ repo, tag });
      return { kind: 'restored', imageId: added.previousImageId };
    }
    // Removing an image's last name would remove the image: only untag when another name stays.
    const image = await docker.getImage(added.imageId).inspect();
    const otherNames = (image.RepoTags ?? []).filter((name) => name !== added.reference && name !== '<none>:<none>');
    if (otherNames.length === 0) return { kind: 'kept', detail: "it is the image's only tag" };
    await docker.getImage(added.reference).remove({ noprune: true });
    return { kind: 'removed' };
  } catch (error) {
    return { kind: 'kept', detail: (error as Error).message };
  }
}
