import { CommandDefinition, nodeOfKind } from './command';

export const removeProjectCommand: CommandDefinition = {
  id: 'synapseDocker.removeProject',
  run: async ({ pins, tree }, node?: unknown) => {
    const project = nodeOfKind(node, 'project');
    if (!project) return;
    await pins.remove(project.project.id);
    tree.rerender();
  },
};
