import { verifyRegistryLogin } from '../flows/registryLogin';
import { CommandDefinition } from './command';

/** The Retry of the "engine unreachable" node: connect afresh and check the registry login. */
export const retryDockerCommand: CommandDefinition = {
  id: 'synapseDocker.retryDocker',
  run: (services) => {
    services.docker.reset();
    return verifyRegistryLogin(services);
  },
};
