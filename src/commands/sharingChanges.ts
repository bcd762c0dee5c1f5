// The Sharing view's changes: add a user or team, change a level, remove, create local settings,
// restore inheritance, reload. Each goes through SharingFlow (plan, rules, modal confirmation).
import { LevelId } from '../core/sharing';
import { CommandDefinition } from './command';

export const addSharingPrincipalCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.addPrincipal',
  run: ({ sharing }, _element?: unknown, given?: unknown) => sharing.addPrincipal(given as { name?: string; level?: LevelId } | undefined),
};

export const changeSharingLevelCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.changeLevel',
  run: ({ sharing }, element?: unknown, level?: unknown) =>
    sharing.changeLevel(element, typeof level === 'string' ? (level as LevelId) : undefined),
};

export const removeSharingPrincipalCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.removePrincipal',
  run: ({ sharing }, element?: unknown) => sharing.removePrincipal(element),
};

export const createLocalSharingCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.createLocal',
  run: ({ sharing }) => sharing.createLocal(),
};

export const restoreSharingInheritanceCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.restoreInheritance',
  run: ({ sharing }) => sharing.restoreInheritance(),
};

export const reloadSharingCommand: CommandDefinition = {
  id: 'synapseDocker.sharing.reload',
  run: ({ sharing }) => sharing.reload(),
};
