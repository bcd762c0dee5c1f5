// Reads this extension's settings in one place; everything else gets plain values.
import * as vscode from 'vscode';
import { TreeSettings } from './core/tree/model';
import { DockerTagSort, ProjectListFilter, ProjectListSort } from './core/synapse/types';

export interface SynapseSettings {
  endpoint: string;
  registry: string;
  portalUrl: string;
}

export const SETTINGS_SECTION = 'synapseDocker';

export function readSettings(): SynapseSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    endpoint: config.get<string>('endpoint', 'https://repo-prod.prod.sagebase.org'),
    registry: config.get<string>('registry', 'docker.synapse.org'),
    portalUrl: config.get<string>('portalUrl', 'https://www.synapse.org').replace(/\/+$/, ''),
  };
}

export function readTreeSettings(): TreeSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    projectFilter: config.get<ProjectListFilter>('projects.filter', 'ALL'),
    projectSort: config.get<ProjectListSort>('projects.sort', 'LAST_ACTIVITY'),
    tagSort: config.get<DockerTagSort>('tags.sort', 'CREATED_ON'),
    registry: config.get<string>('registry', 'docker.synapse.org'),
  };
}

/** Fires when any setting that changes which Synapse we talk to changes. */
export function onDidChangeConnectionSettings(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['endpoint', 'registry', 'portalUrl'], listener);
}

/** Fires when a setting that changes what the tree lists changes. */
export function onDidChangeTreeSettings(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['projects.filter', 'projects.sort', 'tags.sort'], listener);
}

function onDidChangeSettings(keys: string[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (keys.some((key) => event.affectsConfiguration(`${SETTINGS_SECTION}.${key}`))) listener();
  });
}
