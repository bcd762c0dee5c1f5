// Every command the extension contributes, registered from this one list.
import { CommandDefinition } from './command';
import { clearFilterCommand } from './clearFilter';
import { copyDigestReferenceCommand } from './copyDigestReference';
import { copyImageReferenceCommand } from './copyImageReference';
import { copyPullCommandCommand } from './copyPullCommand';
import { filterProjectsCommand } from './filterProjects';
import { loadMoreCommand } from './loadMore';
import { openInSynapseCommand } from './openInSynapse';
import { addProjectCommand } from './addProject';
import { buildImageCommand } from './buildImage';
import { loginDockerCliCommand } from './loginDockerCli';
import { pullImageCommand } from './pullImage';
import { pushImageCommand } from './pushImage';
import { retryDockerCommand } from './retryDocker';
import { tagImageCommand } from './tagImage';
import { removeProjectCommand } from './removeProject';
import { refreshCommand } from './refresh';
import { showAccountCommand } from './showAccount';
import { showLogCommand } from './showLog';
import { signInCommand } from './signIn';
import { signOutCommand } from './signOut';
import { submitToChallengeCommand } from './submitToChallenge';
import { cancelSubmissionCommand, openSubmissionInSynapseCommand, refreshSubmissionsCommand } from './submissions';
import { openSharingCommand } from './openSharing';
import {
  addSharingPrincipalCommand,
  changeSharingLevelCommand,
  createLocalSharingCommand,
  reloadSharingCommand,
  removeSharingPrincipalCommand,
  restoreSharingInheritanceCommand,
} from './sharingChanges';

export const allCommands: readonly CommandDefinition[] = [
  signInCommand,
  signOutCommand,
  showAccountCommand,
  showLogCommand,
  refreshCommand,
  loadMoreCommand,
  filterProjectsCommand,
  clearFilterCommand,
  addProjectCommand,
  removeProjectCommand,
  copyImageReferenceCommand,
  copyDigestReferenceCommand,
  copyPullCommandCommand,
  openInSynapseCommand,
  buildImageCommand,
  tagImageCommand,
  pushImageCommand,
  pullImageCommand,
  loginDockerCliCommand,
  retryDockerCommand,
  submitToChallengeCommand,
  refreshSubmissionsCommand,
  cancelSubmissionCommand,
  openSubmissionInSynapseCommand,
  openSharingCommand,
  addSharingPrincipalCommand,
  changeSharingLevelCommand,
  removeSharingPrincipalCommand,
  createLocalSharingCommand,
  restoreSharingInheritanceCommand,
  reloadSharingCommand,
];
