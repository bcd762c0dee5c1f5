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
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** VS Code's own commands the extension runs. */
export type BuiltinCommandId = 'workbench.action.openSettings' | 'workbench.trust.manage' | 'workbench.action.terminal.new' | 'setContext';

/** Context keys the extension sets (package.json `when` clauses use them). */
export const CONTEXT_KEYS = {
  signedIn: 'synapseDocker.signedIn',
  filtered: 'synapseDocker.filtered',
} as const;

export type ContextKey = (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS];

/** The projects view. */
export const PROJECTS_VIEW_ID = 'synapseDocker.projects';

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
} as const;
