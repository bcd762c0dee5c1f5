// Narrow the projects (loaded now and loaded later) by name or synID.
import * as vscode from 'vscode';
import { CommandDefinition } from './command';
import { CONTEXT_KEYS } from './ids';
import type { Services } from '../services';

export function applyProjectFilter({ tree, treeView }: Services, text: string): void {
  tree.model.setFilter(text);
  treeView.description = tree.model.filter ? vscode.l10n.t('Filter: {0}', tree.model.filter) : undefined;
  // A lone view's description is hidden in the merged sidebar title, so say it in the view too.
  treeView.message = tree.model.filter
    ? vscode.l10n.t('Projects whose name or synID contains "{0}". Clear the filter in the view title.', tree.model.filter)
    : undefined;
  void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.filtered, tree.model.filter !== '');
  tree.rerender();
}

export const filterProjectsCommand: CommandDefinition = {
  id: 'synapseDocker.filterProjects',
  run: async (services, text?: unknown) => {
    const value =
      typeof text === 'string'
        ? text
        : await vscode.window.showInputBox({
            title: vscode.l10n.t('Filter Synapse Projects'),
            prompt: vscode.l10n.t('Show projects whose name or synID contains this text. Empty clears the filter.'),
            value: services.tree.model.filter,
          });
    if (value !== undefined) applyProjectFilter(services, value);
  },
};
