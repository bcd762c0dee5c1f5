// The palette push (any local image; one not yet named for Synapse is tagged first, and that tag
// is taken back if the push then does not happen) and the target wizard that tag and push share.
import * as vscode from 'vscode';
import { addTag } from '../core/addedTag';
import { synapseImageName } from '../core/naming';
import { pushReference } from './transferFlow';
import { pickLocalImage } from '../ui/localImagePicker';
import { completeTarget, ImageTarget, ImageTargetState, projectStep, repositoryStep, tagStep } from './targetSteps';
import { runWizard } from '../ui/wizard';
import { showError } from '../ui/errors';
import type { ProjectNode } from '../core/tree/nodes';
import type { Services } from '../services';

/** Pushes a local image the user picks, to `project` when given (a project node's "Push Image Here…"). */
export async function pushLocalImage(services: Services, project: ProjectNode | undefined): Promise<boolean> {
  try {
    const connection = await services.docker.connect();
    const registry = services.settings().registry;
    const choice = await pickLocalImage(
      connection,
      registry,
      project ? vscode.l10n.t('Push an image to {0}', project.project.name) : vscode.l10n.t('Push an image to Synapse'),
    );
    if (!choice) return false;
    if (choice.forRegistry && (!project || choice.reference.startsWith(`${registry}/${project.project.id}/`)))
      return pushReference(services, choice.reference);
    const target = await chooseTarget(
      services,
      project ? { id: project.project.id, name: project.project.name } : undefined,
      choice.reference,
    );
    if (!target) return false;
    const reference = synapseImageName(registry, target.project.id, target.repositoryName, target.tag);
    const added = await addTag(connection.docker, choice.image.id, reference, () =>
      connection.module.tagImage(connection.docker, choice.image.id, reference),
    );
    services.logger.info(
      `Tagged ${choice.reference} as ${reference}${added.previousImageId ? ` (it named ${added.previousImageId === added.imageId ? 'this image already' : added.previousImageId} before)` : ''}`,
    );
    return pushReference(services, reference, { addedTag: added });
  } catch (error) {
    showError(services, vscode.l10n.t('Push failed'), error);
    return false;
  }
}

/** Project (unless given), repository and tag, with Back between the steps. */
export async function chooseTarget(
  services: Services,
  project: ImageTarget['project'] | undefined,
  sourceName: string,
): Promise<ImageTarget | undefined> {
  const client = await services.session.client();
  const registry = services.settings().registry;
  const sourceRepository = sourceName.replace(/^.*\//, '').replace(/[:@].*$/, '');
  const sourceTag = /:([^/:@]+)$/.exec(sourceName.replace(/@.*$/, ''))?.[1];
  const state = await runWizard<ImageTargetState>(vscode.l10n.t('Tag for Synapse'), { project }, [
    project ? undefined : projectStep(client, services.pins.list()),
    repositoryStep(client, registry, sourceRepository),
    tagStep(sourceTag ?? 'latest'),
  ]);
  return state && completeTarget(state);
}
