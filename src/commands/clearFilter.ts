import { CommandDefinition } from './command';
import { applyProjectFilter } from './filterProjects';

export const clearFilterCommand: CommandDefinition = {
  id: 'synapseDocker.clearFilter',
  run: (services) => applyProjectFilter(services, ''),
};
