import * as vscode from 'vscode';
import { portalEntityUrl } from '../core/references';
import { CommandDefinition, nodeOfKind } from './command';

/** A project opens its page; a repository or tag opens the repository's entity page. */
export const openInSynapseCommand: CommandDefinition = {
  id: 'synapseDocker.openInSynapse',
  run: async ({ settings }, node?: unknown) => {
    const target = nodeOfKind(node, 'project', 'repository', 'tag');
    if (!target) return false;
    const synId =
      target.kind === 'project' ? target.project.id : target.kind === 'repository' ? target.repository.id : target.parent.repository.id;
    return vscode.env.openExternal(vscode.Uri.parse(portalEntityUrl(settings().portalUrl, synId)));
  },
};
