// Every command id, context key and tree context value the extension uses, in one place, so a
// typo does not compile. package.json's contributions are checked against these lists by
// test/unit/contributions.test.ts. A leaf module (no imports): every layer may import it.

/** The commands this extension contributes (package.json `contributes.commands`). */
export const COMMAND_IDS = [
  'synapseDocker.signIn',
  'synapseDocker.signOut',
  'synapseDocker.showAccount',
  'synapseDocker.showLog',
  'synapseDocker.refresh',
  'synapseDocker.loadMore',
  'synapseDocker.filterProjects',
  'synapseDocker.clearFilter',
  'synapseDocker.addProject',
  'synapseDocker.removeProject',
  'synapseDocker.copyImageReference',
  'synapseDocker.copyDigestReference',
  'synapseDocker.copyPullCommand',
  'synapseDocker.openInSynapse',
  'synapseDocker.buildImage',
  'synapseDocker.tagImage',
  'synapseDocker.pushImage',
  'synapseDocker.pullImage',
  'synapseDocker.loginDockerCli',
  'synapseDocker.retryDocker',
  'synapseDocker.submitToChallenge',
  'synapseDocker.refreshSubmissions',
  'synapseDocker.cancelSubmission',
  'synapseDocker.openChallengeInSynapse',
  'synapseDocker.openSharing',
  'synapseDocker.sharing.addPrincipal',
  'synapseDocker.sharing.changeLevel',
  'synapseDocker.sharing.removePrincipal',
  'synapseDocker.sharing.createLocal',
  'synapseDocker.sharing.restoreInheritance',
  'synapseDocker.sharing.reload',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** VS Code's own commands the extension runs. */
export type BuiltinCommandId =
  | 'workbench.action.openSettings'
  | 'workbench.trust.manage'
  | 'workbench.action.terminal.new'
  | 'setContext'
  /** VS Code's own command for each view: shows and focuses that view. */
  | 'synapseDocker.submissions.focus'
  | 'synapseDocker.sharing.focus';

/** Context keys the extension sets (package.json `when` clauses use them). */
export const CONTEXT_KEYS = {
  signedIn: 'synapseDocker.signedIn',
  filtered: 'synapseDocker.filtered',
  /** The Sharing view shows settings (of a project or repository). */
  sharingShown: 'synapseDocker.sharing.shown',
  /** …which the signed-in user may change. */
  sharingEditable: 'synapseDocker.sharing.editable',
  /** …which are inherited from the project. */
  sharingInherited: 'synapseDocker.sharing.inherited',
  /** …of a repository (only a repository can have or drop local settings). */
  sharingRepository: 'synapseDocker.sharing.repository',
} as const;

export type ContextKey = (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS];

/** The projects view. */
export const PROJECTS_VIEW_ID = 'synapseDocker.projects';
/** The Sharing view (the settings of one project or repository). */
export const SHARING_VIEW_ID = 'synapseDocker.sharing';

/** The Submissions view (challenge submissions). */
export const SUBMISSIONS_VIEW_ID = 'synapseDocker.submissions';

/** Tree items' contextValue (package.json menus match them with `viewItem =~ /^synapse:…/`). */
export const CONTEXT_VALUES = {
  project: 'synapse:project',
  pinnedProject: 'synapse:project+pinned',
  managedRepository: 'synapse:repository+managed',
  externalRepository: 'synapse:repository+external',
  tag: 'synapse:tag',
  localTag: 'synapse:tag+local',
  loadMore: 'synapse:loadMore',
  message: (severity: 'info' | 'warning' | 'error') => `synapse:message+${severity}` as const,
  queue: 'synapse:queue',
  submission: 'synapse:submission',
  cancellableSubmission: 'synapse:submission+cancellable',
  submissionsMessage: (severity: 'info' | 'warning' | 'error') => `synapse:submissionsMessage+${severity}` as const,
  /** The Sharing view's header row; `+editable` when the user may switch between inherited and local. */
  sharingOriginInherited: 'synapse:sharingOrigin+inherited',
  sharingOriginInheritedEditable: 'synapse:sharingOrigin+inherited+editable',
  sharingOriginLocal: 'synapse:sharingOrigin+local',
  sharingOriginLocalEditable: 'synapse:sharingOrigin+local+editable',
  /** A principal's row; `+editable` when the user may change it, `+you` on the user's own. */
  sharingRow: 'synapse:sharingRow',
  sharingRowYou: 'synapse:sharingRow+you',
  sharingRowEditable: 'synapse:sharingRow+editable',
  sharingRowEditableYou: 'synapse:sharingRow+editable+you',
} as const;
