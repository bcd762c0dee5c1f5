import { CommandDefinition, nodeOfKind } from './command';

/**
 * From the view title: everything. On a project or repository: only that node. Which images
 * are local is re-read too, once Docker is in use (never loading it just for this).
 */
export const refreshCommand: CommandDefinition = {
  id: 'synapseDocker.refresh',
  run: ({ tree, docker, localImages, settings }, node?: unknown) => {
    tree.refresh(nodeOfKind(node, 'project', 'repository'));
    if (docker.loaded) {
      void docker
        .connect()
        .then((connection) => localImages.refresh(connection, settings().registry))
        .catch(() => undefined); // an unreachable engine is shown in the tree by DockerAccess
    }
  },
};
