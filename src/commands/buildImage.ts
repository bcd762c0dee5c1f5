// Build Image…: from the explorer, an editor, the view or the palette (then a Dockerfile is
// picked). The flow lives in flows/buildFlow.ts.
import { buildFromDockerfile } from '../flows/buildFlow';
import { CommandDefinition } from './command';

export const buildImageCommand: CommandDefinition = {
  id: 'synapseDocker.buildImage',
  run: (services, argument?: unknown) => buildFromDockerfile(services, argument),
};
