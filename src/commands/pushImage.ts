// Push: a reference (from the build notification), a project node ("Push Image Here…"), or
// the palette (any local image). The flows live in flows/pushFlow.ts and flows/transferFlow.ts.
import { pushLocalImage } from '../flows/pushFlow';
import { pushReference } from '../flows/transferFlow';
import { CommandDefinition, nodeOfKind } from './command';

export const pushImageCommand: CommandDefinition = {
  id: 'synapseDocker.pushImage',
  run: (services, argument?: unknown) =>
    typeof argument === 'string' ? pushReference(services, argument) : pushLocalImage(services, nodeOfKind(argument, 'project')),
};
