// Pin a project by synID or Synapse URL (GET /projects leaves out public projects the user is
// not a member of).
import * as vscode from 'vscode';
import { commandStep, notify } from '../ui/notify';
import { SynapseError } from '../core/synapse/errors';
import { PROJECT_TYPE } from '../core/synapse/types';
import { projectNode } from '../core/tree/model';
import { showError } from '../ui/errors';
import { CommandDefinition } from './command';

/** Accepts syn123, syn123.4, or any Synapse URL containing Synapse:syn123. */
export function parseSynapseId(input: string): string | undefined {
  const match = /(?:^|[^A-Za-z0-9])(syn\d+)(?:\.\d+)?(?:[^0-9]|$)/i.exec(input.trim());
  return match ? match[1].toLowerCase() : undefined;
}

export const addProjectCommand: CommandDefinition = {
  id: 'synapseDocker.addProject',
  run: async (services, input?: unknown) => {
    const { session, pins, tree, treeView } = services;
    const raw =
      typeof input === 'string'
        ? input
        : await vscode.window.showInputBox({
            title: vscode.l10n.t('Add a Synapse Project'),
            prompt: vscode.l10n.t('A project synID (syn123) or its Synapse URL'),
            placeHolder: 'syn12345 or https://www.synapse.org/Synapse:syn12345',
            validateInput: (value) =>
              value.trim() === '' || parseSynapseId(value)
                ? undefined
                : vscode.l10n.t('Expected a synID such as syn12345, or a Synapse URL containing one'),
          });
    if (raw === undefined) return undefined;
    const synId = parseSynapseId(raw);
    if (!synId) {
      void notify('error', vscode.l10n.t('"{0}" contains no Synapse ID (expected syn followed by digits).', raw), tryAgain());
      return undefined;
    }
    try {
      const entity = await (await session.client()).getEntity(synId);
      if (entity.concreteType !== PROJECT_TYPE) {
        const kind = entity.concreteType.split('.').pop();
        void notify(
          'error',
          vscode.l10n.t('{0} is a {1}, not a project. Docker repositories live directly in projects.', synId, kind ?? 'entity'),
          tryAgain(),
        );
        return undefined;
      }
      await pins.add({ id: entity.id, name: entity.name });
      tree.rerender();
      await treeView.reveal(projectNode({ id: entity.id, name: entity.name }, true), { select: true, focus: true });
      return entity.id;
    } catch (error) {
      if (error instanceof SynapseError && (error.kind === 'notFound' || error.kind === 'forbidden')) {
        void notify(
          'error',
          error.inTrash
            ? vscode.l10n.t('{0} is in the trash can.', synId)
            : vscode.l10n.t("Couldn't add {0}: {1}", synId, error.reason ?? error.message),
          tryAgain(),
        );
        return undefined;
      }
      showError(services, vscode.l10n.t("Couldn't add {0}", synId), error);
      return undefined;
    }
  },
};

const tryAgain = () => commandStep(vscode.l10n.t('Try Again'), addProjectCommand.id);
