// Adds exactly one tag, `<registry>/<synID>/<name>:<tag>`, to a local image; nothing else changes.
import * as vscode from 'vscode';
import { commandStep, notify } from '../ui/notify';
import { synapseImageName } from '../core/naming';
import { pickLocalImage } from '../ui/localImagePicker';
import { showError } from '../ui/errors';
import { chooseTarget } from '../flows/pushFlow';
import { CommandDefinition } from './command';

export const tagImageCommand: CommandDefinition = {
  id: 'synapseDocker.tagImage',
  run: async (services) => {
    try {
      const connection = await services.docker.connect();
      const registry = services.settings().registry;
      const choice = await pickLocalImage(connection, registry, vscode.l10n.t('Tag an image for Synapse'));
      if (!choice) return undefined;
      const target = await chooseTarget(services, undefined, choice.reference);
      if (!target) return undefined;
      const reference = synapseImageName(registry, target.project.id, target.repositoryName, target.tag);
      await connection.module.tagImage(connection.docker, choice.image.id, reference);
      services.logger.info(`Tagged ${choice.reference} as ${reference}`);
      void notify(
        'info',
        vscode.l10n.t('Tagged {0} as {1}.', choice.reference, reference),
        commandStep(vscode.l10n.t('Push'), 'synapseDocker.pushImage', reference),
      );
      return reference;
    } catch (error) {
      showError(services, vscode.l10n.t('Tagging failed'), error);
      return undefined;
    }
  },
};
