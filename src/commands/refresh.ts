import { CommandDefinition, nodeOfKind } from './command';

/** From the view title: everything. On a project or repository: only that node. */
export const refreshCommand: CommandDefinition = {
  id: 'synapseDocker.refresh',
  run: ({ tree }, node?: unknown) => tree.refresh(nodeOfKind(node, 'project', 'repository')),
};
