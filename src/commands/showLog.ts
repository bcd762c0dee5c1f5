import { CommandDefinition } from './command';

export const showLogCommand: CommandDefinition = {
  id: 'synapseDocker.showLog',
  run: ({ output }) => output.show(true),
};
