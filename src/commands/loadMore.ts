import { CommandDefinition, nodeOfKind } from './command';

export const loadMoreCommand: CommandDefinition = {
  id: 'synapseDocker.loadMore',
  run: async ({ tree }, node?: unknown) => {
    const loadMore = nodeOfKind(node, 'loadMore');
    if (loadMore) await tree.loadMore(loadMore);
  },
};
