// Push: a reference (from the build notification), a project node ("Push Image Here…"), or
// the palette (any local image; one not yet named for Synapse is tagged first, and that tag is
// taken back if the push then does not happen).
import * as vscode from 'vscode';
import { addTag } from '../core/addedTag';
import { synapseImageName } from '../core/naming';
import { pushReference } from '../docker/transferFlow';
import { pickLocalImage } from '../ui/localImagePicker';
import { ImageTarget, projectStep, repositoryStep, tagStep } from '../ui/targetSteps';
import { runWizard } from '../ui/wizard';
import { showError } from '../ui/errors';
import { CommandDefinition, CommandServices, nodeOfKind } from './command';

export const pushImageCommand: CommandDefinition = {
  id: 'synapseDocker.pushImage',
  run: async (services, argument?: unknown) => {
    if (typeof argument === 'string') return pushReference(services, argument);
    const project = nodeOfKind(argument, 'project');
    try {
      const connection = await services.docker.connect();
      const registry = services.settings().registry;
      const choice = await pickLocalImage(connection, registry, project ? vscode.l10n.t('Push an image to {0}', project.project.name) : vscode.l10n.t('Push an image to Synapse'));
      if (!choice) return false;
      if (choice.forRegistry && (!project || choice.reference.startsWith(`${registry}/${project.project.id}/`))) return pushReference(services, choice.reference);
      const target = await chooseTarget(services, project ? { id: project.project.id, name: project.project.name } : undefined, choice.reference);
      if (!target) return false;
      const reference = synapseImageName(registry, target.project!.id, target.repositoryName!, target.tag!);
      const added = await addTag(connection.docker, choice.image.id, reference, () => connection.module.tagImage(connection.docker, choice.image.id, reference));
      services.logger.info(`Tagged ${choice.reference} as ${reference}${added.previousImageId ? ` (it named ${added.previousImageId === added.imageId ? 'this image already' : added.previousImageId} before)` : ''}`);
      return pushReference(services, reference, { addedTag: added });
    } catch (error) {
      showError(services, vscode.l10n.t('Push failed'), error);
      return false;
    }
  },
};

/** Project (unless given), repository and tag, with Back between the steps. */
export async function chooseTarget(services: CommandServices, project: ImageTarget['project'] | undefined, sourceName: string): Promise<ImageTarget | undefined> {
  const client = await services.session.client();
  const registry = services.settings().registry;
  const sourceRepository = sourceName.replace(/^.*\//, '').replace(/[:@].*$/, '');
  const sourceTag = /:([^/:@]+)$/.exec(sourceName.replace(/@.*$/, ''))?.[1];
  return runWizard<ImageTarget>(vscode.l10n.t('Tag for Synapse'), { project }, [
    project ? undefined : projectStep(client, services.pins.list()),
    repositoryStep(client, registry, sourceRepository),
    tagStep(sourceTag ?? 'latest'),
  ]);
}
