// The Submissions view's commands: refresh, cancel a submission, open its challenge in Synapse
// (the flows are in flows/submissions.ts).
import { cancelSubmission, openChallenge } from '../flows/submissions';
import { CommandDefinition } from './command';

export const refreshSubmissionsCommand: CommandDefinition = {
  id: 'synapseDocker.refreshSubmissions',
  run: (services) => services.submissions.refresh(),
};

export const cancelSubmissionCommand: CommandDefinition = {
  id: 'synapseDocker.cancelSubmission',
  run: (services, argument?: unknown) => cancelSubmission(services, argument),
};

export const openSubmissionInSynapseCommand: CommandDefinition = {
  id: 'synapseDocker.openChallengeInSynapse',
  run: (services, argument?: unknown) => openChallenge(services, argument),
};
