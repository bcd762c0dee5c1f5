// Submit a tag to a challenge's evaluation queue: from a tag in the tree, the palette, or the
// button on a push's success notification ({repositoryId, tag, digest}).
import { submitToChallenge } from '../flows/submit';
import { CommandDefinition } from './command';

export const submitToChallengeCommand: CommandDefinition = {
  id: 'synapseDocker.submitToChallenge',
  run: (services, argument?: unknown) => submitToChallenge(services, services.submissions, argument),
};
